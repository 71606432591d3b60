"""The redis role, checked inside its container."""

from __future__ import annotations

import pytest
from testinfra.host import Host

from support.hostchecks import assert_file, assert_listens_on_loopback_only, assert_runs_as

testinfra_hosts = ["podman://shield-redis"]
PASSWORD = "molecule-redis-password-0123"


def test_redis_runs_as_redis_and_starts_at_boot(host: Host) -> None:
    assert_runs_as(host, "redis-server", "redis")


def test_it_listens_on_loopback_only(host: Host) -> None:
    assert_listens_on_loopback_only(host, 6379)


@pytest.mark.parametrize(
    ("path", "owner"), [("/etc/redis/shield.conf", "root"), ("/etc/redis/redis.conf", "redis")]
)
def test_configuration_is_not_world_readable(host: Host, path: str, owner: str) -> None:
    assert_file(host, path, owner, "redis", 0o640)


def test_a_password_is_demanded_and_the_append_only_file_is_on(host: Host) -> None:
    anonymous = host.run("redis-cli -h 127.0.0.1 ping")
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr
    command = f"redis-cli -h 127.0.0.1 -a {PASSWORD} --no-auth-warning config get appendonly"
    authed = host.run(command)
    assert authed.stdout.split() == ["appendonly", "yes"]
