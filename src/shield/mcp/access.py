"""shield-mcp acts for its caller (docs/SECURITY.md).

Who the caller is decides which token its tool calls carry to shield-api:

    SHIELD_MCP_TOKEN      Shield's own, every scope: calls carry SHIELD_API_TOKEN
    a named token         it is passed on as it came, and shield-api checks it on every call
                          (so a revocation holds within a second here too)
    a JWT                 its `shield:` scopes (SHIELD_MCP_JWT_SCOPES_CLAIM); calls carry
                          SHIELD_API_TOKEN with `X-Shield-Act-As`, which narrows it to them

Tools that write are left out of the tool list of a caller who may write nowhere, and every
tool of a caller who may read nowhere.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from fastmcp.server.auth import AccessToken, TokenVerifier
from fastmcp.server.dependencies import get_access_token
from fastmcp.utilities.authorization import AuthContext

from shield.access.scopes import ACT_AS_HEADER, ADMIN, Access, Kind, Principal, parse_scope
from shield.errors import DependencyUnavailable
from shield.logging import get_logger
from shield.net.service_client import AsyncServiceClient
from shield.web.tokens import token_matches

log = get_logger(__name__)
KIND_CLAIM = "shield_kind"  # where an AccessToken says which of the three callers it is
SCOPE_PREFIX = "shield:"
LOOKUP_SECONDS = 1.0  # a named token's scopes are asked of shield-api again after this
MAX_REMEMBERED = 4096


def jwt_scopes(claims: dict[str, Any], claim: str) -> list[str]:
    """The Shield scopes among a JWT's claim values (`shield:read:ops` → `read:ops`); other
    applications' values are passed over, a malformed Shield one is logged and dropped."""
    raw = claims.get(claim)
    values = raw.split() if isinstance(raw, str) else raw if isinstance(raw, list) else []
    scopes = []
    for value in values:
        if not isinstance(value, str) or not value.startswith(SCOPE_PREFIX):
            continue
        try:
            scopes.append(parse_scope(value.removeprefix(SCOPE_PREFIX)))
        except ValueError as exc:
            log.warning("jwt_scope_ignored", error=str(exc))
    return sorted(set(scopes))


class ShieldTokenVerifier(TokenVerifier):
    """Accepts SHIELD_MCP_TOKEN (compared in constant time), an identity provider's JWT when
    one is configured, and named tokens, which shield-api's `GET /whoami` vouches for."""

    def __init__(
        self,
        token: str | None,
        jwt: TokenVerifier | None = None,
        api: AsyncServiceClient | None = None,
        scopes_claim: str = "scope",
    ) -> None:
        super().__init__()
        self._token = token
        self._jwt = jwt
        self._api = api
        self._scopes_claim = scopes_claim
        self._named: dict[str, tuple[float, AccessToken | None]] = {}

    async def verify_token(self, token: str) -> AccessToken | None:
        if self._token is not None and token_matches(token, self._token):
            return AccessToken(
                token=token,
                client_id="shield-mcp-client",
                scopes=[ADMIN],
                claims={KIND_CLAIM: Kind.SERVICE},
            )
        if self._jwt is not None and token.count(".") == 2:
            verified = await self._jwt.verify_token(token)
            if verified is not None:
                scopes = jwt_scopes(verified.claims, self._scopes_claim)
                claims = {**verified.claims, KIND_CLAIM: Kind.JWT}
                return verified.model_copy(update={"scopes": scopes, "claims": claims})
        if self._api is not None:
            return await self._named_token(token)
        return None

    async def _named_token(self, token: str) -> AccessToken | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        remembered = self._named.get(key)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        assert self._api is not None
        try:
            response = await self._api.request(
                "GET", "/whoami", headers={"Authorization": f"Bearer {token}"}
            )
        except DependencyUnavailable as exc:
            log.warning("token_check_unavailable", error=exc.message)
            return None
        found = None
        who = response.json() if response.status_code == 200 else {}
        if who.get("kind") == Kind.TOKEN:  # never another service's own token
            found = AccessToken(
                token=token,
                client_id=who["name"],
                scopes=who["scopes"],
                claims={KIND_CLAIM: Kind.TOKEN},
            )
        if len(self._named) >= MAX_REMEMBERED:
            self._named.clear()
        self._named[key] = (now + LOOKUP_SECONDS, found)
        return found


def principal_of(access: AccessToken | None) -> Principal | None:
    """The caller of this request; None when shield-mcp demands no token (loopback only)."""
    if access is None:
        return None
    kind = Kind(access.claims.get(KIND_CLAIM, Kind.SERVICE))
    return Principal(access.client_id, kind, frozenset(access.scopes))


def upstream_headers() -> dict[str, str]:
    """What a call to shield-api carries for the current caller, beside the service client's
    own Authorization (SHIELD_API_TOKEN)."""
    access = get_access_token()
    principal = principal_of(access)
    if access is None or principal is None or principal.kind is Kind.SERVICE:
        return {}
    if principal.kind is Kind.TOKEN:
        return {"Authorization": f"Bearer {access.token}"}
    act_as = {"name": principal.name, "scopes": sorted(principal.scopes)}
    return {ACT_AS_HEADER: json.dumps(act_as)}


def may_read_somewhere(context: AuthContext) -> bool:
    """A tool is listed (and callable) only for a caller who may read some collection: a JWT
    without any Shield scope sees none."""
    principal = principal_of(context.token)
    return principal is None or principal.may_at_all(Access.READ)


def may_write_somewhere(context: AuthContext) -> bool:
    """A tool that writes is listed (and callable) only for a caller who may write somewhere;
    which collection is shield-api's to check, call by call."""
    principal = principal_of(context.token)
    return principal is None or principal.may_at_all(Access.WRITE)
