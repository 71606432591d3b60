"""The grafana role without its package (Grafana's repository is out of reach here): the
provisioning, the dashboards and the settings are checked; Grafana itself did not run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from testinfra.host import Host

from support.hostchecks import assert_file

testinfra_hosts = ["podman://shield-grafana"]
DASHBOARDS = sorted((Path(__file__).parents[5] / "monitoring" / "dashboards").glob("*.json"))
PASSWORD = "molecule-grafana-password-0123"


def test_no_grafana_was_installed_or_pretended(host: Host) -> None:
    assert not host.package("grafana").is_installed
    assert not host.file("/etc/apt/sources.list.d/grafana.sources").exists


def test_prometheus_is_the_default_data_source(host: Host) -> None:
    provisioned = host.file("/etc/grafana/provisioning/datasources/shield.yml")
    assert (provisioned.group, provisioned.mode) == ("grafana", 0o640)
    (source,) = yaml.safe_load(provisioned.content_string)["datasources"]
    assert source["type"] == "prometheus"
    assert source["url"] == "http://127.0.0.1:9090"
    assert source["isDefault"] is True


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda path: path.name)
def test_every_dashboard_is_provisioned_as_it_is_in_the_repository(
    host: Host, dashboard: Path
) -> None:
    installed = host.file(f"/var/lib/grafana/dashboards/shield/{dashboard.name}")
    assert (installed.group, installed.mode) == ("grafana", 0o640)
    assert installed.sha256sum == hashlib.sha256(dashboard.read_bytes()).hexdigest()
    provider = yaml.safe_load(
        host.file("/etc/grafana/provisioning/dashboards/shield.yml").content_string
    )
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/shield"


def test_the_admin_password_is_kept_from_other_users(host: Host) -> None:
    assert_file(host, "/etc/grafana/shield.env", "root", "grafana", 0o640)
    settings = host.file("/etc/grafana/shield.env")
    assert f"GF_SECURITY_ADMIN_PASSWORD={PASSWORD}" in settings.content_string
    assert "GF_ANALYTICS_REPORTING_ENABLED=false" in settings.content_string
    assert "GF_LOG_LEVEL=warn" in settings.content_string
    drop_in = host.file("/etc/systemd/system/grafana-server.service.d/shield.conf")
    assert "EnvironmentFile=/etc/grafana/shield.env" in drop_in.content_string
    assert PASSWORD not in host.check_output("journalctl --no-pager")
