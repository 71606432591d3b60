"""The bearer-token guard of Shield's FastAPI services (shield-api, shield-lightrag).

A request passes when it sends `Authorization: Bearer <token>` with the expected token (compared
in constant time, `shield.web.tokens`), or when the service has no token configured
(loopback-only, by the settings' own rule). As a dependency it also puts the scheme in the
service's OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from shield.errors import Unauthorized
from shield.web.tokens import token_matches

_bearer = HTTPBearer(auto_error=False)


def bearer_guard(
    expected: Callable[[Request], SecretStr | None], variable: str
) -> Callable[..., None]:
    """A FastAPI dependency demanding the token `expected(request)` returns, when it is set.
    `variable` names the setting that holds it, for the message a refused caller reads."""

    def require_token(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        token = expected(request)
        if token is None:
            return
        if credentials is None:
            raise Unauthorized(f"missing bearer token: send 'Authorization: Bearer <{variable}>'")
        if not token_matches(credentials.credentials, token):
            raise Unauthorized("invalid bearer token")

    return require_token
