"""Scopes, named tokens in a real Redis, and how a bearer token becomes a principal."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from pydantic import SecretStr
from redis import Redis

from shield.access import authenticator as authenticator_module
from shield.access.authenticator import Authenticator
from shield.access.scopes import Access, Kind, Principal, parse_scope, parse_scopes
from shield.access.tokens import TABLE_KEY, TokenStore, TokenTable, utcnow
from shield.errors import Conflict, InvalidInput, NotFound, Unauthorized

SERVICE = "service-token-0123456789abcdef"


def principal(*scopes: str) -> Principal:
    return Principal("someone", Kind.TOKEN, parse_scopes(scopes))


@pytest.mark.parametrize("scope", ["read:ops", "write:ops", "read:*", "write:*", "admin"])
def test_scopes_in_each_form_are_taken(scope: str) -> None:
    assert parse_scope(f" {scope} ") == scope


@pytest.mark.parametrize(
    "scope", ["", "read", "read:", "delete:ops", "read:../x", "read:a b", "Admin", "admin:ops"]
)
def test_anything_else_is_refused_with_the_forms_a_scope_takes(scope: str) -> None:
    with pytest.raises(ValueError, match=r"read:<collection>, write:<collection>"):
        parse_scope(scope)


def test_what_each_scope_opens() -> None:
    reader, writer = principal("read:ops"), principal("write:ops")
    assert reader.may(Access.READ, "ops")
    assert not reader.may(Access.WRITE, "ops")
    assert not reader.may(Access.READ, "legal")
    assert writer.may(Access.READ, "ops")
    assert writer.may(Access.WRITE, "ops")
    assert not writer.may(Access.WRITE, "legal")
    everywhere = principal("read:*")
    assert everywhere.may(Access.READ, "legal")
    assert not everywhere.may(Access.WRITE, "legal")
    assert everywhere.collections(Access.READ) is None
    assert everywhere.collections(Access.WRITE) == frozenset()
    assert not everywhere.may_at_all(Access.WRITE)
    assert principal("read:a", "write:b").collections(Access.READ) == {"a", "b"}
    admin = principal("admin")
    assert admin.may(Access.WRITE, "anything")
    assert admin.collections(Access.WRITE) is None
    assert not principal().may(Access.READ, "ops")


def test_a_token_is_shown_once_and_only_its_hash_is_kept(redis_client: Redis) -> None:
    store = TokenStore(redis_client)
    record, secret = store.create("ops-bot", frozenset({"read:ops"}), None)
    assert secret.startswith("shd_")
    assert len(secret) >= 40
    kept = redis_client.hget(TABLE_KEY, "ops-bot")
    assert kept is not None
    assert secret.encode() not in kept
    assert json.loads(kept)["digest"] == record.digest
    assert "digest" not in record.model_dump()  # answers never carry it
    assert [r.name for r in store.all()] == ["ops-bot"]
    assert store.revoke("ops-bot").name == "ops-bot"
    assert store.all() == []


def test_bad_token_requests_get_clear_errors(redis_client: Redis) -> None:
    store = TokenStore(redis_client)
    store.create("ops-bot", frozenset({"read:ops"}), None)
    with pytest.raises(Conflict, match="a token named 'ops-bot' exists"):
        store.create("ops-bot", frozenset({"read:ops"}), None)
    with pytest.raises(InvalidInput, match="at least one scope"):
        store.create("empty", frozenset(), None)
    for name in ("", "Ops", "a b", "-x", "x" * 65):
        with pytest.raises(InvalidInput, match="token name"):
            store.create(name, frozenset({"read:ops"}), None)
    with pytest.raises(InvalidInput, match="in the past"):
        store.create("late", frozenset({"read:ops"}), utcnow() - dt.timedelta(seconds=1))
    with pytest.raises(NotFound, match="no token named 'ghost'"):
        store.revoke("ghost")
    with pytest.raises(InvalidInput, match="at least 16 characters"):
        store.create("weak", frozenset({"read:ops"}), None, secret="changeme")


def test_provisioning_the_same_token_again_changes_nothing(redis_client: Redis) -> None:
    store = TokenStore(redis_client)
    secret = "a-secret-from-the-vault-0123456789"
    first, changed = store.provision("ci", secret, frozenset({"write:ops"}), None)
    assert changed
    again, changed = store.provision("ci", secret, frozenset({"write:ops"}), None)
    assert not changed
    assert again.created_at == first.created_at
    _, changed = store.provision("ci", secret, frozenset({"read:ops"}), None)
    assert changed
    assert store.all()[0].scopes == ["read:ops"]
    with pytest.raises(Conflict, match="token 'ci'"):
        store.provision("other", secret, frozenset({"read:ops"}), None)


def authenticator(redis_client: Redis, refresh: float = 0.0) -> Authenticator:
    return Authenticator(SecretStr(SERVICE), TokenTable(TokenStore(redis_client), refresh))


def test_each_kind_of_bearer_becomes_its_principal(redis_client: Redis) -> None:
    auth = authenticator(redis_client)
    _, secret = auth.table.store.create("ops-bot", frozenset({"read:ops"}), None)
    assert auth.principal(SERVICE).kind is Kind.SERVICE
    assert auth.principal(SERVICE).may(Access.WRITE, "legal")
    bot = auth.principal(secret)
    assert (bot.name, bot.kind, bot.scopes) == ("ops-bot", Kind.TOKEN, {"read:ops"})
    for refused in (None, "shd_not-a-token-at-all-0123456789", SERVICE + "x"):
        with pytest.raises(Unauthorized):
            auth.principal(refused)
    local = Authenticator(None, auth.table)
    assert local.principal(None).kind is Kind.LOCAL
    assert local.principal(secret).name == "ops-bot"  # a token sent is still checked


def test_a_service_may_act_for_a_caller_and_nobody_else_may(redis_client: Redis) -> None:
    auth = authenticator(redis_client)
    _, secret = auth.table.store.create("ops-bot", frozenset({"admin"}), None)
    header = json.dumps({"name": "alice@example.org", "scopes": ["read:ops"]})
    alice = auth.principal(SERVICE, header)
    assert (alice.name, alice.kind, alice.scopes) == ("alice@example.org", Kind.JWT, {"read:ops"})
    with pytest.raises(Unauthorized, match="only Shield's own services"):
        auth.principal(secret, header)  # not even an admin token
    for bad in ("{", '{"name": "x"}', '{"name": "x", "scopes": ["root"]}', "x" * 9000):
        with pytest.raises(InvalidInput, match="X-Shield-Act-As"):
            auth.principal(SERVICE, bad)


def test_a_revocation_reaches_another_process_within_its_refresh(redis_client: Redis) -> None:
    here, there = authenticator(redis_client), authenticator(redis_client, refresh=0.2)
    _, secret = here.table.store.create("ops-bot", frozenset({"read:ops"}), None)
    assert there.principal(secret).name == "ops-bot"
    here.table.store.revoke("ops-bot")
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            there.principal(secret)
        except Unauthorized:
            break
        time.sleep(0.02)
    else:
        pytest.fail("the revoked token still worked a second later")


def test_an_expired_token_is_refused_by_name(
    redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = authenticator(redis_client)
    expiry = utcnow() + dt.timedelta(hours=1)
    _, secret = auth.table.store.create("temp", frozenset({"read:ops"}), expiry)
    assert auth.principal(secret).name == "temp"
    monkeypatch.setattr(authenticator_module, "utcnow", lambda: expiry)
    with pytest.raises(Unauthorized, match="token 'temp' expired"):
        auth.principal(secret)
