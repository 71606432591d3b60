"""The audit log: one line per refused request and per admin action, on the `shield.audit`
logger, saying who, what and which collection; never a secret (the log's own redaction is the
second line of defence)."""

from __future__ import annotations

from typing import Any

from shield.logging import get_logger

_log = get_logger("shield.audit")


def audit(event: str, **fields: Any) -> None:
    _log.info(event, audit=True, **{k: v for k, v in fields.items() if v is not None})
