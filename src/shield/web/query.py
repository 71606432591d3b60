"""Refuses query parameters a route does not take: a misspelt filter (`?stauts=queued`) would
otherwise be ignored in silence and answer as if no filter had been asked for."""

from __future__ import annotations

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from shield.errors import InvalidInput


def _taken(route: APIRoute) -> frozenset[str]:
    names: set[str] = set()
    pending: list[Dependant] = [route.dependant]
    while pending:
        dependant = pending.pop()
        for param in dependant.query_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                names.update(f.alias or n for n, f in model.model_fields.items())
            else:
                names.add(param.alias)
        pending.extend(dependant.dependencies)
    return frozenset(names)


async def reject_unknown_query(request: Request) -> None:
    """A FastAPI dependency: a 422 that names the unknown parameters and the known ones.
    (Async: a plain function would cost every request a trip through the thread pool.)"""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    if not request.query_params:
        return
    taken = _taken(route)
    unknown = sorted(set(request.query_params) - taken)
    if unknown:
        known = ", ".join(sorted(taken)) if taken else "none"
        raise InvalidInput(
            f"unknown query parameter {', '.join(unknown)}; {route.path} takes: {known}",
            unknown=unknown,
        )
