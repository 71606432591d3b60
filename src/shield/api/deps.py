"""Dependencies that routes take as annotated parameters."""

from __future__ import annotations

import contextlib
from typing import Annotated

import redis
from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shield.access.scopes import ACT_AS_HEADER, Access
from shield.api.caller import Caller
from shield.api.middleware import PRINCIPAL_STATE
from shield.api.services import Services
from shield.errors import Conflict, DependencyUnavailable, NotFound
from shield.fields import COLLECTION_NAME_PATTERN, DEFAULT_FUSION
from shield.logging import get_logger
from shield.sources.schedule import ensure_schedules

log = get_logger(__name__)


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


def write_target(
    services: Services, caller: Caller, collection: str | None, create: bool = False
) -> str:
    """The collection a write goes to, checked before anything is read, queued or stored: the
    caller may write there, and it exists, or the write says `create_collection` (then
    `ensure_collection` makes it once the write has passed its own checks). The default
    collection is made by its first write. A misspelt name is a 404 naming the collections the
    caller may write to, never a new collection nobody meant."""
    name = collection_or_default(services, collection)
    caller.require(Access.WRITE, name)
    if create or name == services.settings.default_collection or services.index.exists(name):
        return name
    writable = caller.writable()
    existing = sorted(
        c["name"] for c in services.index.collections() if writable is None or c["name"] in writable
    )
    raise NotFound(
        f"collection {name!r} does not exist; the collections you may write to: "
        f"{', '.join(existing) or 'none yet'}. To make it, send create_collection: true with "
        f"the write, or create it first (POST /collections, 'shield collections create {name}')",
        collection=name,
    )


def ensure_default_collection(services: Services) -> None:
    """The default collection exists from the start, so that a search or a listing before the
    first write answers an empty page rather than a 404. A store that cannot be reached now
    leaves it to the first write, which makes it (a write to the default always may)."""
    name = services.settings.default_collection
    try:
        if not services.index.exists(name):
            with contextlib.suppress(Conflict):  # made by another shield-api meanwhile
                services.index.create_collection(name, DEFAULT_FUSION)
    except DependencyUnavailable as exc:
        log.warning("default_collection_not_made", collection=name, error=exc.message)


def ensure_collection(services: Services, name: str) -> None:
    """Make the collection a checked write named (with `create_collection`), if it is not
    there yet: only once the write is accepted, so a refused one leaves nothing behind."""
    if name == services.settings.default_collection or services.index.exists(name):
        return
    with contextlib.suppress(Conflict):  # made by a concurrent write meanwhile: as wanted
        services.index.create_collection(name, DEFAULT_FUSION)


def restore_schedules(services: Services) -> None:
    """Sources' schedules that went missing (a restore, a Redis that lost its data) are put
    back when shield-api starts; a Redis away now leaves them to the next start."""
    try:
        ensure_schedules(services.queue.queue, services.sources)
    except redis.RedisError as exc:
        log.warning("source_schedules_not_checked", error=str(exc))
