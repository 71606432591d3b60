"""Who sent a request, and the one place a route asks whether they may do something."""

from __future__ import annotations

from dataclasses import dataclass

from shield.access.audit import audit
from shield.access.scopes import Access, Kind, Principal
from shield.errors import Forbidden


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
