"""Named tokens in Redis: created, listed, revoked, and found again by their hash.

Only a token's SHA-256 is stored. A token is 32 random bytes (or, when provisioned, a secret at
least as long from the operator's vault), so a fast hash is the right scheme: there is nothing
to guess that a slow hash would protect, and checking one costs microseconds. Every change bumps
a generation counter; each shield-api process reloads the table when it sees the counter move
(`TokenTable`), so a revocation reaches every process within `REFRESH_SECONDS`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import threading
import time
from typing import Any

import redis
from pydantic import BaseModel, Field
from redis import Redis

from shield.access.scopes import TOKEN_NAME_PATTERN, Kind, Principal
from shield.config import MIN_TOKEN_LENGTH, PLACEHOLDER_SECRETS
from shield.errors import Conflict, InvalidInput, NotFound
from shield.logging import get_logger

log = get_logger(__name__)
TABLE_KEY = "shield:tokens"
GENERATION_KEY = "shield:tokens:generation"
TOKEN_PREFIX = "shd_"  # noqa: S105 - marks a Shield token in logs and scanners
_NAME = re.compile(TOKEN_NAME_PATTERN)
REFRESH_SECONDS = 0.5


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"token name {name!r}: 1 to 64 lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def check_secret(secret: str) -> str:
    if len(secret) < MIN_TOKEN_LENGTH or secret.lower() in PLACEHOLDER_SECRETS:
        raise InvalidInput(
            f"a provisioned token must be a random string of at least {MIN_TOKEN_LENGTH} "
            "characters (python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return secret


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TokenRecord(BaseModel):
    """What is kept of a token: never the token itself."""

    name: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    digest: str = Field(exclude=True)

    def expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at

    def principal(self) -> Principal:
        return Principal(self.name, Kind.TOKEN, frozenset(self.scopes))

    def stored(self) -> str:
        """The record as Redis keeps it: with its digest, which the API's answers leave out."""
        return json.dumps({**self.model_dump(mode="json"), "digest": self.digest})


def _record(
    name: str, token: str, scopes: frozenset[str], expires_at: dt.datetime | None
) -> TokenRecord:
    return TokenRecord(
        name=name,
        scopes=sorted(scopes),
        created_at=utcnow(),
        expires_at=expires_at,
        digest=digest(token),
    )


class TokenStore:
    """The tokens in Redis: one hash of name → record, and the generation counter."""

    def __init__(self, redis_client: Redis) -> None:
        self.redis = redis_client

    def create(
        self,
        name: str,
        scopes: frozenset[str],
        expires_at: dt.datetime | None,
        secret: str | None = None,
    ) -> tuple[TokenRecord, str]:
        """A new token (a random one unless `secret` is given); Conflict if the name is taken."""
        if not scopes:
            raise InvalidInput("a token needs at least one scope (read:<collection>, ...)")
        if expires_at is not None and expires_at <= utcnow():
            raise InvalidInput(f"expires_at {expires_at.isoformat()} is in the past")
        token = check_secret(secret) if secret is not None else new_secret()
        record = _record(check_name(name), token, scopes, expires_at)
        if any(other.digest == record.digest for other in self.all()):
            raise Conflict("that secret is another token's already: generate a new one")
        if not self.redis.hsetnx(TABLE_KEY, name, record.stored()):
            raise Conflict(f"a token named {name!r} exists: revoke it first, or choose a name")
        self.redis.incr(GENERATION_KEY)
        return record, token

    def provision(
        self, name: str, secret: str, scopes: frozenset[str], expires_at: dt.datetime | None
    ) -> tuple[TokenRecord, bool]:
        """Set the token `name` to `secret` with `scopes`; whether anything changed. The same
        secret and scopes again change nothing, so a deploy can run it every time."""
        token_digest = digest(check_secret(secret))
        check_name(name)
        for other in self.all():
            if other.name == name and other.digest == token_digest:
                if sorted(scopes) == other.scopes:
                    return other, False
            elif other.digest == token_digest:
                raise Conflict(f"that secret is token {other.name!r}'s already: use another")
        record = _record(name, secret, scopes, expires_at)
        self.redis.hset(TABLE_KEY, name, record.stored())
        self.redis.incr(GENERATION_KEY)
        return record, True

    def all(self) -> list[TokenRecord]:
        raw: Any = self.redis.hgetall(TABLE_KEY)
        records = [TokenRecord.model_validate_json(value) for value in raw.values()]
        return sorted(records, key=lambda record: record.name)

    def revoke(self, name: str) -> TokenRecord:
        raw: Any = self.redis.hget(TABLE_KEY, check_name(name))
        if raw is None or not self.redis.hdel(TABLE_KEY, name):
            raise NotFound(f"no token named {name!r} (shield tokens list shows them)")
        self.redis.incr(GENERATION_KEY)
        return TokenRecord.model_validate_json(raw)

    def merge(self, records: list[TokenRecord]) -> tuple[list[str], list[str]]:
        """Add `records` (a backup's) whose names are free; those set already (a deploy
        provisioned them since) stay as they are. The names added, and those kept."""
        added, kept = [], []
        for record in records:
            if self.redis.hsetnx(TABLE_KEY, record.name, record.stored()):
                added.append(record.name)
            else:
                kept.append(record.name)
        if added:
            self.redis.incr(GENERATION_KEY)
        return added, kept

    def generation(self) -> int:
        raw: Any = self.redis.get(GENERATION_KEY)
        return int(raw or 0)


class TokenTable:
    """A process's copy of the tokens, by digest: a check costs a hash and a dictionary lookup.
    Reloaded when the generation moved, looked at no more often than every REFRESH_SECONDS;
    while Redis is unreachable the last copy stands (revoking needs Redis too)."""

    def __init__(self, store: TokenStore, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._by_digest: dict[str, TokenRecord] = {}
        self._generation = -1
        self._checked = -float("inf")
        self._lock = threading.Lock()

    def find(self, token: str) -> TokenRecord | None:
        self.refresh()
        return self._by_digest.get(digest(token))

    def refresh(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self.refresh_seconds:
            return
        with self._lock:
            if not force and now - self._checked < self.refresh_seconds:
                return  # another thread did it meanwhile
            self._checked = now
            try:
                generation = self.store.generation()
                if generation != self._generation or force:
                    records = self.store.all()
                    self._by_digest = {record.digest: record for record in records}
                    self._generation = generation
            except redis.RedisError as exc:
                log.warning("token_table_stale", error=str(exc))
