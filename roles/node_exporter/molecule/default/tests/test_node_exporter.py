"""The node_exporter role, checked inside its container."""

from __future__ import annotations

from typing import Any

testinfra_hosts = ["podman://shield-node-exporter"]


def test_it_runs_as_prometheus_and_starts_at_boot(host: Any) -> None:
    service = host.service("prometheus-node-exporter")
    assert service.is_running
    assert service.is_enabled
    pid = host.check_output("systemctl show --property MainPID --value prometheus-node-exporter")
    assert host.file(f"/proc/{pid}").user == "prometheus"


def test_it_listens_on_loopback_only(host: Any) -> None:
    assert host.socket("tcp://127.0.0.1:9100").is_listening
    assert not host.socket("tcp://0.0.0.0:9100").is_listening


def test_it_reports_memory_disks_and_the_units_asked_for(host: Any) -> None:
    metrics = host.check_output("curl -fsS http://127.0.0.1:9100/metrics")
    assert "node_memory_MemAvailable_bytes " in metrics
    assert "node_filesystem_avail_bytes{" in metrics
    # The systemd collector is on, limited to the units of node_exporter_systemd_units.
    assert 'node_systemd_unit_state{name="prometheus-node-exporter.service"' in metrics
    assert 'name="systemd-journald.service"' not in metrics
