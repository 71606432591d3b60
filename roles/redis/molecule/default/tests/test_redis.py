"""The redis role, checked inside its container."""

from __future__ import annotations

import pytest

testinfra_hosts = ["podman://shield-redis"]
PASSWORD = "molecule-redis-password-0123"


def test_redis_runs_and_starts_at_boot(host: object) -> None:
    service = host.service("redis-server")  # type: ignore[attr-defined]
    assert service.is_running
    assert service.is_enabled


def test_it_listens_on_loopback_only(host: object) -> None:
    assert host.socket("tcp://127.0.0.1:6379").is_listening  # type: ignore[attr-defined]
    assert not host.socket("tcp://0.0.0.0:6379").is_listening  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "mode"), [("/etc/redis/shield.conf", 0o640), ("/etc/redis/redis.conf", 0o640)]
)
def test_configuration_is_not_world_readable(host: object, path: str, mode: int) -> None:
    config = host.file(path)  # type: ignore[attr-defined]
    assert config.exists
    assert config.mode == mode
    assert config.group == "redis"


def test_a_password_is_demanded_and_the_append_only_file_is_on(host: object) -> None:
    anonymous = host.run("redis-cli -h 127.0.0.1 ping")  # type: ignore[attr-defined]
    assert "NOAUTH" in anonymous.stdout + anonymous.stderr
    command = f"redis-cli -h 127.0.0.1 -a {PASSWORD} --no-auth-warning config get appendonly"
    authed = host.run(command)  # type: ignore[attr-defined]
    assert authed.stdout.split() == ["appendonly", "yes"]
