"""Dependencies that routes take as annotated parameters."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shield.api.services import Services
from shield.errors import Unauthorized

_bearer = HTTPBearer(auto_error=False)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def require_token(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Demand `Authorization: Bearer <SHIELD_API_TOKEN>` whenever a token is configured."""
    expected = services.settings.api_token
    if expected is None:
        return
    if credentials is None:
        raise Unauthorized("missing bearer token: send 'Authorization: Bearer <SHIELD_API_TOKEN>'")
    if not secrets.compare_digest(
        credentials.credentials.encode(), expected.get_secret_value().encode()
    ):
        raise Unauthorized("invalid bearer token")


def collection_or_default(services: Services, collection: str | None) -> str:
    return collection or services.settings.default_collection
