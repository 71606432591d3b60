"""Dependencies that routes take as annotated parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shield.access.scopes import ACT_AS_HEADER
from shield.api.caller import Caller
from shield.api.middleware import PRINCIPAL_STATE
from shield.api.services import Services
from shield.fields import COLLECTION_NAME_PATTERN


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
# A collection named in the query string (`?collection=ops`).
CollectionQuery = Annotated[str | None, Query(pattern=COLLECTION_NAME_PATTERN)]
_bearer = HTTPBearer(auto_error=False)


# Every route but health and the API's description: `Authorization: Bearer <token>`; a 401
# before anything else. FastAPI resolves it once per request, however many take it.
def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    act_as: Annotated[str | None, Header(alias=ACT_AS_HEADER, include_in_schema=False)] = None,
) -> Caller:
    principal = getattr(request.state, PRINCIPAL_STATE, None)  # BearerGate's, for writes
    if principal is None:
        bearer = credentials.credentials if credentials is not None else None
        principal = get_services(request).authenticator.principal(bearer, act_as)
    return Caller(principal, f"{request.method} {request.url.path}")


CallerDep = Annotated[Caller, Depends(authenticate)]


def collection_or_default(services: Services, collection: str | None) -> str:
    return collection or services.settings.default_collection
