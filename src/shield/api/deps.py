"""Dependencies that routes take as annotated parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shield.access.audit import audit
from shield.access.scopes import ACT_AS_HEADER, Access, Kind, Principal
from shield.api.services import Services
from shield.errors import Forbidden
from shield.fields import COLLECTION_NAME_PATTERN


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
# A collection named in the query string (`?collection=ops`).
CollectionQuery = Annotated[str | None, Query(pattern=COLLECTION_NAME_PATTERN)]
_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Caller:
    """Who sent the request, and the one place a route asks whether they may do something: a
    refusal is a 403 that names the scope wanted, and a line in the audit log."""

    principal: Principal
    action: str  # "POST /search", for the audit log

    def require(self, access: Access, collection: str) -> None:
        if not self.principal.may(access, collection):
            self._deny(f"{access}:{collection}", collection)

    def require_admin(self) -> None:
        if not self.principal.is_admin:
            self._deny("admin", None)

    def require_service(self) -> None:
        """Routes for Shield's own services (the workers), whatever a named token holds."""
        if self.principal.kind not in (Kind.SERVICE, Kind.LOCAL):
            self._deny("Shield's own SHIELD_API_TOKEN", None)

    def readable(self) -> frozenset[str] | None:
        """The collections this caller may read; None: every one."""
        return self.principal.collections(Access.READ)

    def writable(self) -> frozenset[str] | None:
        return self.principal.collections(Access.WRITE)

    def admin_action(self, event: str, **fields: object) -> None:
        audit(event, who=self.principal.name, what=self.action, **fields)

    def _deny(self, wanted: str, collection: str | None) -> None:
        audit("access_denied", who=self.principal.name, what=self.action, collection=collection)
        raise Forbidden(
            f"{self.action} needs scope {wanted}, which {self._who} does not have",
            scope=wanted,
        )

    @property
    def _who(self) -> str:
        if self.principal.kind in (Kind.TOKEN, Kind.JWT):
            return f"{self.principal.kind} {self.principal.name!r}"
        return self.principal.name


# Every route but health and the API's description: `Authorization: Bearer <token>`; a 401
# before anything else. FastAPI resolves it once per request, however many take it.
def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    act_as: Annotated[str | None, Header(alias=ACT_AS_HEADER, include_in_schema=False)] = None,
) -> Caller:
    services = get_services(request)
    bearer = credentials.credentials if credentials is not None else None
    principal = services.authenticator.principal(bearer, act_as)
    return Caller(principal, f"{request.method} {request.url.path}")


CallerDep = Annotated[Caller, Depends(authenticate)]


def collection_or_default(services: Services, collection: str | None) -> str:
    return collection or services.settings.default_collection
