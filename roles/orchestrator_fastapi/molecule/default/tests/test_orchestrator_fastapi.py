"""The orchestrator_fastapi role, checked inside its container (no Redis here: health, not
readiness, is what the role promises on its own)."""

from __future__ import annotations

import pytest

testinfra_hosts = ["podman://shield-api-test"]
TOKEN = "molecule-api-token-0123456789"


def test_the_service_runs_as_the_unprivileged_user(host: object) -> None:
    service = host.service("shield-api")  # type: ignore[attr-defined]
    assert service.is_running
    assert service.is_enabled
    pid = host.check_output("systemctl show -p MainPID --value shield-api")  # type: ignore[attr-defined]
    assert host.check_output(f"stat -c %U /proc/{pid}") == "shield"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/shield/api.env", "root", "shield", 0o640),
        ("/var/lib/shield", "shield", "shield", 0o750),
        ("/etc/systemd/system/shield-api.service", "root", "root", 0o644),
    ],
)
def test_files_and_modes(host: object, path: str, owner: str, group: str, mode: int) -> None:
    target = host.file(path)  # type: ignore[attr-defined]
    assert target.exists
    assert (target.user, target.group, target.mode) == (owner, group, mode)


def test_it_listens_and_answers_health_and_guarded_metrics(host: object) -> None:
    assert host.socket("tcp://0.0.0.0:8080").is_listening  # type: ignore[attr-defined]
    health = host.run("curl -fsS http://127.0.0.1:8080/healthz")  # type: ignore[attr-defined]
    assert '"ok"' in health.stdout
    anonymous = host.run(  # type: ignore[attr-defined]
        "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/metrics"
    )
    assert anonymous.stdout == "401"
    metrics = host.run(  # type: ignore[attr-defined]
        f"curl -fsS -H 'Authorization: Bearer {TOKEN}' http://127.0.0.1:8080/metrics"
    )
    assert "shield_api_requests_total" in metrics.stdout


def test_the_secrets_stay_out_of_the_unit_and_the_journal(host: object) -> None:
    unit = host.file("/etc/systemd/system/shield-api.service").content_string  # type: ignore[attr-defined]
    assert TOKEN not in unit
    journal = host.run("journalctl -u shield-api --no-pager")  # type: ignore[attr-defined]
    assert TOKEN not in journal.stdout
    assert "molecule-redis-password" not in journal.stdout
