"""The node_exporter role, checked inside its container."""

from __future__ import annotations

from testinfra.host import Host

from support.hostchecks import assert_listens_on_loopback_only, assert_runs_as

testinfra_hosts = ["podman://shield-node-exporter"]


def test_it_runs_as_prometheus_and_starts_at_boot(host: Host) -> None:
    assert_runs_as(host, "prometheus-node-exporter", "prometheus")


def test_it_listens_on_loopback_only(host: Host) -> None:
    assert_listens_on_loopback_only(host, 9100)


def test_it_reports_memory_disks_and_the_units_asked_for(host: Host) -> None:
    metrics = host.check_output("curl -fsS http://127.0.0.1:9100/metrics")
    assert "node_memory_MemAvailable_bytes " in metrics
    assert "node_filesystem_avail_bytes{" in metrics
    # The systemd collector is on, limited to the units of node_exporter_systemd_units.
    assert 'node_systemd_unit_state{name="prometheus-node-exporter.service"' in metrics
    assert 'name="systemd-journald.service"' not in metrics
