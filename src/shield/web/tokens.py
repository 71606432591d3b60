"""Bearer tokens compared the one way every Shield service compares them.

No web framework here: the workers' WSGI metrics server and FastMCP's routes use it as well as
the FastAPI services (`shield.web.auth`).
"""

from __future__ import annotations

import secrets

from pydantic import SecretStr


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for any other header."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_matches(given: str | None, expected: SecretStr | str) -> bool:
    if given is None:
        return False
    value = expected.get_secret_value() if isinstance(expected, SecretStr) else expected
    return secrets.compare_digest(given.encode(), value.encode())
