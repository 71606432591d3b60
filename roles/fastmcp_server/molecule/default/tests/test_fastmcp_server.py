"""The fastmcp_server role, checked inside its container."""

from __future__ import annotations

import pytest

testinfra_hosts = ["podman://shield-mcp-test"]
TOKEN = "molecule-mcp-token-0123456789"


def test_the_service_runs_as_the_unprivileged_user(host: object) -> None:
    service = host.service("shield-mcp")  # type: ignore[attr-defined]
    assert service.is_running
    assert service.is_enabled
    user = host.user("shield")  # type: ignore[attr-defined]
    assert user.shell == "/usr/sbin/nologin"
    pid = host.check_output("systemctl show -p MainPID --value shield-mcp")  # type: ignore[attr-defined]
    assert host.check_output(f"stat -c %U /proc/{pid}") == "shield"  # type: ignore[attr-defined]
    assert "shield mcp" in host.file(f"/proc/{pid}/cmdline").content_string.replace("\0", " ")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/shield/mcp.env", "root", "shield", 0o640),
        ("/etc/shield", "root", "shield", 0o750),
        ("/var/lib/shield", "shield", "shield", 0o750),
        ("/etc/systemd/system/shield-mcp.service", "root", "root", 0o644),
    ],
)
def test_files_and_modes(host: object, path: str, owner: str, group: str, mode: int) -> None:
    target = host.file(path)  # type: ignore[attr-defined]
    assert target.exists
    assert (target.user, target.group, target.mode) == (owner, group, mode)


def test_it_listens_and_answers_health_and_guarded_metrics(host: object) -> None:
    assert host.socket("tcp://0.0.0.0:8000").is_listening  # type: ignore[attr-defined]
    health = host.run("curl -fsS http://127.0.0.1:8000/healthz")  # type: ignore[attr-defined]
    assert '"ok"' in health.stdout
    anonymous = host.run(  # type: ignore[attr-defined]
        "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8000/metrics"
    )
    assert anonymous.stdout == "401"
    metrics = host.run(  # type: ignore[attr-defined]
        f"curl -fsS -H 'Authorization: Bearer {TOKEN}' http://127.0.0.1:8000/metrics"
    )
    assert "shield_circuit_breaker_state" in metrics.stdout


def test_the_unit_is_hardened(host: object) -> None:
    unit = host.file("/etc/systemd/system/shield-mcp.service").content_string  # type: ignore[attr-defined]
    for setting in ("NoNewPrivileges=true", "ProtectSystem=strict", "User=shield"):
        assert setting in unit
