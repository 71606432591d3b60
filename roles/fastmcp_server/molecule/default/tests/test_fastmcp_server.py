"""The fastmcp_server role, checked inside its container."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastmcp.server.auth.providers.jwt import RSAKeyPair
from pydantic import SecretStr

testinfra_hosts = ["podman://shield-mcp-test"]
TOKEN = "molecule-mcp-token-0123456789"
ISSUER, AUDIENCE = "https://id.example.org/realms/molecule", "shield-mcp"  # converge.yml's


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


def metrics_status(host: object, token: str) -> str:
    return host.run(  # type: ignore[attr-defined,no-any-return]
        "curl -s -o /dev/null -w '%{http_code}' "
        f"-H 'Authorization: Bearer {token}' http://127.0.0.1:8000/metrics"
    ).stdout


def test_jwts_of_the_configured_provider_are_accepted(host: object) -> None:
    # converge.yml made the provider's key pair and gave the role its public key, a PEM of
    # several lines that must reach the service whole through the environment file.
    keys = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
    provider = RSAKeyPair(
        private_key=SecretStr((keys / "jwt-provider.pem").read_text()),
        public_key=(keys / "jwt-provider.pem.pub").read_text(),
    )
    env = host.file("/etc/shield/mcp.env").content_string  # type: ignore[attr-defined]
    assert f'SHIELD_MCP_JWT_ISSUER="{ISSUER}"' in env
    assert metrics_status(host, provider.create_token(issuer=ISSUER, audience=AUDIENCE)) == "200"
    assert metrics_status(host, TOKEN) == "200"  # the shared token keeps working
    for_another_service = provider.create_token(issuer=ISSUER, audience="another-service")
    assert metrics_status(host, for_another_service) == "401"
    stranger = RSAKeyPair.generate().create_token(issuer=ISSUER, audience=AUDIENCE)
    assert metrics_status(host, stranger) == "401"
