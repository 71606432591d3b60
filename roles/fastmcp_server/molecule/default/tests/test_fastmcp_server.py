"""The fastmcp_server role, checked inside its container."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastmcp.server.auth.providers.jwt import RSAKeyPair
from pydantic import SecretStr
from testinfra.host import Host

from support.hostchecks import assert_file, assert_runs_as, http_status

testinfra_hosts = ["podman://shield-mcp-test"]
TOKEN = "molecule-mcp-token-0123456789"
ISSUER, AUDIENCE = "https://id.example.org/realms/molecule", "shield-mcp"  # converge.yml's


def test_the_service_runs_as_the_unprivileged_user(host: Host) -> None:
    assert_runs_as(host, "shield-mcp", "shield")
    user = host.user("shield")
    assert user.shell == "/usr/sbin/nologin"
    pid = host.check_output("systemctl show -p MainPID --value shield-mcp")
    assert "shield mcp" in host.file(f"/proc/{pid}/cmdline").content_string.replace("\0", " ")


@pytest.mark.parametrize(
    ("path", "owner", "group", "mode"),
    [
        ("/etc/shield/mcp.env", "root", "shield", 0o640),
        ("/etc/shield", "root", "shield", 0o750),
        ("/var/lib/shield", "shield", "shield", 0o750),
        ("/etc/systemd/system/shield-mcp.service", "root", "root", 0o644),
    ],
)
def test_files_and_modes(host: Host, path: str, owner: str, group: str, mode: int) -> None:
    assert_file(host, path, owner, group, mode)


def test_it_listens_and_answers_health_and_guarded_metrics(host: Host) -> None:
    assert host.socket("tcp://0.0.0.0:8000").is_listening
    health = host.run("curl -fsS http://127.0.0.1:8000/healthz")
    assert '"ok"' in health.stdout
    assert http_status(host, "http://127.0.0.1:8000/metrics") == "401"
    metrics = host.run(
        f"curl -fsS -H 'Authorization: Bearer {TOKEN}' http://127.0.0.1:8000/metrics"
    )
    assert "shield_circuit_breaker_state" in metrics.stdout


def test_the_unit_is_hardened(host: Host) -> None:
    unit = host.file("/etc/systemd/system/shield-mcp.service").content_string
    for setting in ("NoNewPrivileges=true", "ProtectSystem=strict", "User=shield"):
        assert setting in unit


def metrics_status(host: Host, token: str) -> str:
    return http_status(host, "http://127.0.0.1:8000/metrics", token)


def test_jwts_of_the_configured_provider_are_accepted(host: Host) -> None:
    # converge.yml made the provider's key pair and gave the role its public key, a PEM of
    # several lines that must reach the service whole through the environment file.
    keys = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    provider = RSAKeyPair(
        private_key=SecretStr((keys / "jwt-provider.pem").read_text()),
        public_key=(keys / "jwt-provider.pem.pub").read_text(),
    )
    env = host.file("/etc/shield/mcp.env").content_string
    assert f'SHIELD_MCP_JWT_ISSUER="{ISSUER}"' in env
    # A JWT opens what its Shield scopes say: /metrics is for admins (docs/SECURITY.md).
    admin = provider.create_token(
        issuer=ISSUER, audience=AUDIENCE, additional_claims={"scope": "shield:admin"}
    )
    assert metrics_status(host, admin) == "200"
    reader = provider.create_token(
        issuer=ISSUER, audience=AUDIENCE, additional_claims={"scope": "shield:read:ops"}
    )
    assert metrics_status(host, reader) == "403"
    assert metrics_status(host, TOKEN) == "200"  # the shared token keeps working
    for_another_service = provider.create_token(issuer=ISSUER, audience="another-service")
    assert metrics_status(host, for_another_service) == "401"
    stranger = RSAKeyPair.generate().create_token(issuer=ISSUER, audience=AUDIENCE)
    assert metrics_status(host, stranger) == "401"
