"""The orchestrator_fastapi role, checked inside its container (no Redis here: health, not
readiness, is what the role promises on its own)."""

from __future__ import annotations

import pytest
from testinfra.host import Host

from support.hostchecks import assert_file, assert_runs_as, assert_secrets_kept_out, http_status

testinfra_hosts = ["podman://shield-api-test"]
TOKEN = "molecule-api-token-0123456789"


def test_the_service_runs_as_the_unprivileged_user(host: Host) -> None:
    assert_runs_as(host, "shield-api", "shield")


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/shield/api.env", "root", "shield", 0o640),
        ("/var/lib/shield", "shield", "shield", 0o750),
        ("/etc/systemd/system/shield-api.service", "root", "root", 0o644),
    ],
)
def test_files_and_modes(host: Host, path: str, owner: str, group: str, mode: int) -> None:
    assert_file(host, path, owner, group, mode)


def test_it_listens_and_answers_health_and_guarded_metrics(host: Host) -> None:
    assert host.socket("tcp://0.0.0.0:8080").is_listening
    health = host.run("curl -fsS http://127.0.0.1:8080/healthz")
    assert '"ok"' in health.stdout
    assert http_status(host, "http://127.0.0.1:8080/metrics") == "401"
    metrics = host.run(
        f"curl -fsS -H 'Authorization: Bearer {TOKEN}' http://127.0.0.1:8080/metrics"
    )
    assert "shield_api_requests_total" in metrics.stdout


def test_the_secrets_stay_out_of_the_unit_and_the_journal(host: Host) -> None:
    unit = "/etc/systemd/system/shield-api.service"
    assert_secrets_kept_out(host, unit, "shield-api", TOKEN, "molecule-redis-password")
