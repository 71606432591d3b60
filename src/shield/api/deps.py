"""Dependencies that routes take as annotated parameters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from shield.api.services import Services
from shield.fields import COLLECTION_NAME_PATTERN
from shield.web.auth import bearer_guard


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
# A collection named in the query string (`?collection=ops`).
CollectionQuery = Annotated[str | None, Query(pattern=COLLECTION_NAME_PATTERN)]


# Every route but health and the API's description: `Authorization: Bearer <SHIELD_API_TOKEN>`.
require_token = bearer_guard(
    lambda request: get_services(request).settings.api_token, "SHIELD_API_TOKEN"
)


def collection_or_default(services: Services, collection: str | None) -> str:
    return collection or services.settings.default_collection
