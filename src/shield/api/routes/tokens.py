"""Named tokens: created, provisioned, listed and revoked by an admin; `GET /whoami` for anyone
(docs/SECURITY.md)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response, status

from shield.access.scopes import TOKEN_NAME_PATTERN, parse_scopes
from shield.access.tokens import TokenRecord, utcnow
from shield.api import examples
from shield.api.deps import CallerDep, ServicesDep
from shield.api.openapi import error_responses
from shield.errors import InvalidInput
from shield.schemas import (
    TokenCreate,
    TokenCreated,
    TokenInfo,
    TokenList,
    TokenProvision,
    WhoAmI,
)

router = APIRouter(tags=["tokens"])
TokenName = Annotated[str, Path(pattern=TOKEN_NAME_PATTERN)]


def _info(record: TokenRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "scopes": record.scopes,
        "created_at": record.created_at.isoformat(),
        "expires_at": record.expires_at.isoformat() if record.expires_at else None,
        "expired": record.expired(utcnow()),
    }


def _scopes(texts: list[str]) -> frozenset[str]:
    try:
        return parse_scopes(texts)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def _expiry(seconds: int | None) -> dt.datetime | None:
    return utcnow() + dt.timedelta(seconds=seconds) if seconds is not None else None


@router.post(
    "/tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create a named token with its scopes; the answer holds the secret, this once",
    responses={**examples.answer(examples.TOKEN_CREATED, 201), **error_responses(400, 409)},
)
def create_token(
    body: Annotated[TokenCreate, Body(openapi_examples=examples.TOKEN_CREATE)],
    services: ServicesDep,
    caller: CallerDep,
) -> TokenCreated:
    """Only the token's SHA-256 is kept: a lost token is revoked and created again. Needs
    scope `admin`."""
    caller.require_admin()
    record, secret = services.call_redis(
        services.tokens.create, body.name, _scopes(body.scopes), _expiry(body.expires_in)
    )
    services.authenticator.table.refresh(force=True)
    caller.admin_action("token_created", name=record.name, scopes=record.scopes)
    return TokenCreated(**_info(record), token=secret)


@router.put(
    "/tokens/{name}",
    summary="Set a token whose secret you chose (provisioning from a vault); idempotent",
    responses={
        **examples.answer(
            examples.TOKEN_INFO, description="Set or replaced: `X-Shield-Changed` says which."
        ),
        **error_responses(400, 409),
    },
)
def provision_token(
    name: TokenName,
    body: Annotated[TokenProvision, Body(openapi_examples=examples.TOKEN_PROVISION)],
    services: ServicesDep,
    caller: CallerDep,
    response: Response,
) -> TokenInfo:
    """The same secret and scopes again change nothing (and keep the expiry it had); anything
    else replaces the token of that name. Answers `X-Shield-Changed: true|false`. Needs scope
    `admin`."""
    caller.require_admin()
    record, changed = services.call_redis(
        services.tokens.provision, name, body.token, _scopes(body.scopes), _expiry(body.expires_in)
    )
    if changed:
        services.authenticator.table.refresh(force=True)
        caller.admin_action("token_provisioned", name=record.name, scopes=record.scopes)
    response.headers["X-Shield-Changed"] = str(changed).lower()
    return TokenInfo(**_info(record))


@router.get(
    "/tokens",
    summary="Every named token: name, scopes, expiry (never the secret)",
    responses=examples.answer({"tokens": [examples.TOKEN_INFO]}),
)
def list_tokens(services: ServicesDep, caller: CallerDep) -> TokenList:
    """Needs scope `admin`."""
    caller.require_admin()
    return TokenList(
        tokens=[TokenInfo(**_info(r)) for r in services.call_redis(services.tokens.all)]
    )


@router.delete(
    "/tokens/{name}",
    summary="Revoke a token: every shield-api process refuses it within a second",
    responses={**examples.answer({"revoked": "oncall-assistant"}), **error_responses(404)},
)
def revoke_token(name: TokenName, services: ServicesDep, caller: CallerDep) -> dict[str, str]:
    """Needs scope `admin`."""
    caller.require_admin()
    record = services.call_redis(services.tokens.revoke, name)
    services.authenticator.table.refresh(force=True)
    caller.admin_action("token_revoked", name=record.name)
    return {"revoked": record.name}


@router.get(
    "/whoami",
    summary="Who the caller's token is, and its scopes",
    responses=examples.answer(examples.WHOAMI),
)
def whoami(caller: CallerDep) -> WhoAmI:
    principal = caller.principal
    return WhoAmI(name=principal.name, kind=principal.kind, scopes=sorted(principal.scopes))
