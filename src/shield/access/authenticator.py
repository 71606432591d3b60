"""From a request's bearer token to the principal it acts for.

SHIELD_API_TOKEN                 Shield's own services: every scope. With `X-Shield-Act-As`
                                 they act for a caller they checked themselves (shield-mcp
                                 for an identity provider's JWT): that caller's scopes only.
a named token                    its scopes, until it expires or is revoked
none, and no SHIELD_API_TOKEN    every scope (shield-api then listens on loopback only)
"""

from __future__ import annotations

import json

from pydantic import SecretStr

from shield.access.audit import audit
from shield.access.scopes import ACT_AS_HEADER, Kind, Principal, full_access, parse_scopes
from shield.access.tokens import TokenTable, utcnow
from shield.errors import InvalidInput, Unauthorized
from shield.web.tokens import token_matches

MAX_ACT_AS_CHARS = 8192


class Authenticator:
    def __init__(self, service_token: SecretStr | None, table: TokenTable) -> None:
        self.service_token = service_token
        self.table = table

    def principal(self, bearer: str | None, act_as: str | None = None) -> Principal:
        if bearer is None:
            if self.service_token is None:
                return full_access("local", Kind.LOCAL)
            audit("auth_refused", reason="no bearer token")
            raise Unauthorized(
                "missing bearer token: send 'Authorization: Bearer <token>' with a token from "
                "'shield tokens create' (or SHIELD_API_TOKEN)"
            )
        if self.service_token is not None and token_matches(bearer, self.service_token):
            if act_as is not None:
                return acting_for(act_as)
            return full_access("service", Kind.SERVICE)
        record = self.table.find(bearer)
        if record is None:
            audit("auth_refused", reason="unknown or revoked token")
            raise Unauthorized("invalid bearer token: unknown, or revoked")
        if record.expired(utcnow()):
            audit("auth_refused", who=record.name, reason="expired")
            raise Unauthorized(f"token {record.name!r} expired at {record.expires_at}")
        if act_as is not None:
            audit("access_denied", who=record.name, what=ACT_AS_HEADER)
            raise Unauthorized(f"only Shield's own services may send {ACT_AS_HEADER}")
        return record.principal()


def acting_for(header: str) -> Principal:
    """The caller a service acts for: `{"name": ..., "scopes": [...]}`."""
    try:
        if len(header) > MAX_ACT_AS_CHARS:
            raise ValueError(f"longer than {MAX_ACT_AS_CHARS} characters")
        data = json.loads(header)
        name, scopes = str(data["name"]), data["scopes"]
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise ValueError("scopes must be a list of strings")
        return Principal(name[:200], Kind.JWT, parse_scopes(scopes))
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{ACT_AS_HEADER}: {exc}") from None
