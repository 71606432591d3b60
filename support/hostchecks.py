"""The checks every role's Molecule scenario makes of its host, written once: a unit running as
its user, a port on loopback only, a file's owner and mode, secrets kept out of units and
journals, and a JSON call with curl inside the container (testinfra runs commands, not Python,
there)."""

from __future__ import annotations

import json
import shlex
from typing import Any

from testinfra.host import Host


def assert_runs_as(host: Host, unit: str, user: str) -> None:
    """The unit is running, starts at boot, and its main process belongs to `user`."""
    service = host.service(unit)
    assert service.is_running, f"{unit} is not running"
    assert service.is_enabled, f"{unit} does not start at boot"
    pid = host.check_output(f"systemctl show --property MainPID --value {unit}")
    assert host.check_output(f"stat -c %U /proc/{pid}") == user


def assert_listens_on_loopback_only(host: Host, port: int) -> None:
    assert host.socket(f"tcp://127.0.0.1:{port}").is_listening, f"nothing listens on {port}"
    assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening, f"{port} is open to the network"


def assert_file(host: Host, path: str, owner: str, group: str, mode: int) -> None:
    target = host.file(path)
    assert target.exists, f"{path} is missing"
    assert (target.user, target.group, target.mode) == (owner, group, mode), path


def assert_secrets_kept_out(host: Host, unit_file: str, units: str, *secrets: str) -> None:
    """No secret is written into the unit file, nor logged by the units (a journalctl pattern)."""
    unit = host.file(unit_file).content_string
    journal = host.check_output(f"journalctl -u {shlex.quote(units)} --no-pager")
    for secret in secrets:
        assert secret not in unit, f"a secret is written into {unit_file}"
        assert secret not in journal, f"a secret is in the journal of {units}"


def http_status(host: Host, url: str, token: str | None = None) -> str:
    """The status code curl gets for a GET of `url`, with the bearer token if one is given."""
    header = f"-H {shlex.quote(f'Authorization: Bearer {token}')} " if token else ""
    return str(host.run(f"curl -s -o /dev/null -w '%{{http_code}}' {header}{url}").stdout)


def call_json(
    host: Host, method: str, url: str, token: str, body: dict[str, Any] | None = None
) -> Any:
    """A JSON request with the bearer token, made by curl inside the container; fails on 4xx/5xx."""
    command = (
        f"curl -fsS -X {method} -H {shlex.quote(f'Authorization: Bearer {token}')} "
        f"-H 'content-type: application/json' {url}"
    )
    if body is not None:
        command += f" -d {shlex.quote(json.dumps(body))}"
    return json.loads(host.check_output(command))
