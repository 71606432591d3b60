"""The alertmanager role, checked inside its container."""

from __future__ import annotations

import json

from testinfra.host import Host

from support.hostchecks import assert_file, assert_listens_on_loopback_only, assert_runs_as

testinfra_hosts = ["podman://shield-alertmanager"]
CONFIG = "/etc/prometheus/alertmanager.yml"
AMTOOL = "amtool --alertmanager.url=http://127.0.0.1:9093"


def test_it_runs_as_prometheus_on_loopback_only(host: Host) -> None:
    assert_runs_as(host, "prometheus-alertmanager", "prometheus")
    assert_listens_on_loopback_only(host, 9093)
    assert not host.socket("tcp://0.0.0.0:9094").is_listening  # no cluster port


def test_the_configuration_passes_amtool_and_keeps_its_secrets(host: Host) -> None:
    host.run_test(f"amtool check-config {CONFIG}")
    assert_file(host, CONFIG, "root", "prometheus", 0o640)
    journal = host.check_output("journalctl --no-pager")
    assert "molecule-secret-hook" not in journal


def test_critical_alerts_go_to_the_pager_and_the_rest_to_the_default(host: Host) -> None:
    routes = f"amtool config routes test --config.file={CONFIG}"
    assert host.check_output(f"{routes} severity=critical alertname=ShieldTargetDown") == "pager"
    assert host.check_output(f"{routes} severity=warning alertname=ShieldHostDiskFull") == "default"


def test_it_takes_an_alert(host: Host) -> None:
    host.run_test(f"{AMTOOL} alert add MoleculeProbe severity=warning instance=probe")
    alerts = json.loads(host.check_output(f"{AMTOOL} alert query -o json MoleculeProbe"))
    assert [a["labels"]["alertname"] for a in alerts] == ["MoleculeProbe"]
