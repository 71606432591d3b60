"""Scopes, and the principal a request acts as.

    read:<collection>    search, list and read documents, ask the graph, follow jobs
    write:<collection>   ingest, store and delete documents, cancel jobs; reading it too
    admin                tokens, collections, reindex, backup and restore; everything else too

`*` in place of a collection means every collection. Writing implies reading the same
collection: a client that ingests must see its jobs and which documents are already there.
Admin implies everything, since a backup holds every collection anyway.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from shield.fields import COLLECTION_NAME_PATTERN

# A Shield service acting for a caller it checked itself sends its own token and this header,
# `{"name": ..., "scopes": [...]}` (docs/SECURITY.md).
ACT_AS_HEADER = "X-Shield-Act-As"
ADMIN = "admin"
TOKEN_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"  # noqa: S105 - names, not a secret
EVERY = "*"
_COLLECTION = COLLECTION_NAME_PATTERN.strip("^$")
_SCOPE = re.compile(rf"^(?P<access>read|write):(?P<collection>\*|{_COLLECTION})$")
SCOPE_FORMS = "read:<collection>, write:<collection> (a collection's name or *), or admin"


class Access(enum.StrEnum):
    READ = "read"
    WRITE = "write"


def parse_scope(text: str) -> str:
    """`text` as a scope; ValueError naming the forms a scope takes otherwise."""
    scope = text.strip()
    if scope == ADMIN or _SCOPE.match(scope):
        return scope
    raise ValueError(f"unknown scope {text!r}: a scope is {SCOPE_FORMS}")


def parse_scopes(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(parse_scope(text) for text in texts)


class Kind(enum.StrEnum):
    SERVICE = "service"  # Shield's own services, with SHIELD_API_TOKEN: every scope
    TOKEN = "token"  # noqa: S105 - a kind, not a secret; a named token from `shield tokens create`
    JWT = "jwt"  # an identity provider's token, its scopes from a claim
    LOCAL = "local"  # no token configured (loopback only): every scope


@dataclass(frozen=True)
class Principal:
    """Who a request acts for, and what it may do."""

    name: str
    kind: Kind
    scopes: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.scopes

    def may(self, access: Access, collection: str) -> bool:
        if self.is_admin:
            return True
        granting = (Access.READ, Access.WRITE) if access is Access.READ else (Access.WRITE,)
        return any(
            f"{level}:{name}" in self.scopes for level in granting for name in (collection, EVERY)
        )

    def collections(self, access: Access) -> frozenset[str] | None:
        """The collections this principal may `access`; None: every collection."""
        if self.may(access, EVERY):
            return None
        granting = (Access.READ, Access.WRITE) if access is Access.READ else (Access.WRITE,)
        return frozenset(
            scope.partition(":")[2] for scope in self.scopes if scope.partition(":")[0] in granting
        )

    def may_at_all(self, access: Access) -> bool:
        """Whether any collection at all is open to `access`."""
        return self.collections(access) != frozenset()


def full_access(name: str, kind: Kind) -> Principal:
    return Principal(name, kind, frozenset({ADMIN}))
