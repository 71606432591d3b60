"""The prometheus role, checked inside its container: the scrape jobs come from the inventory,
Shield's rules are loaded and evaluated against them, alerts reach Alertmanager."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml
from testinfra.host import Host

from support.hostchecks import assert_file, assert_listens_on_loopback_only, assert_runs_as

testinfra_hosts = ["podman://shield-prometheus"]
TOKEN = "molecule-api-token-0123456789"
RULES = sorted((Path(__file__).parents[5] / "monitoring" / "rules").glob("*.yml"))
RUNBOOKS = "https://git.example.com/ops/shield/-/blob/main/docs/RUNBOOK.md#"


def _api(host: Host, path: str) -> Any:
    body = json.loads(host.check_output(f"curl -fsS http://127.0.0.1:9090/api/v1/{path}"))
    assert body["status"] == "success"
    return body["data"]


def _until(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(1)


def test_it_runs_as_prometheus_on_loopback_only(host: Host) -> None:
    assert_runs_as(host, "prometheus", "prometheus")
    assert_listens_on_loopback_only(host, 9090)


def test_the_configuration_passes_promtool_and_the_retention_is_set(host: Host) -> None:
    host.run_test("promtool check config /etc/prometheus/prometheus.yml")
    assert _api(host, "status/flags")["storage.tsdb.retention.time"] == "30d"


def test_the_token_is_readable_by_prometheus_alone(host: Host) -> None:
    assert_file(host, "/etc/prometheus/tokens/api.token", "root", "prometheus", 0o640)
    assert host.file("/etc/prometheus/tokens/api.token").content_string == TOKEN


def test_scrape_jobs_come_from_the_inventory(host: Host) -> None:
    config = yaml.safe_load(host.file("/etc/prometheus/prometheus.yml").content_string)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"shield-api", "shield-worker", "node", "prometheus", "alertmanager"}
    assert jobs["shield-api"]["static_configs"][0]["targets"] == ["127.0.0.1:8080"]
    # One target per worker instance, with the API token the workers demand.
    assert jobs["shield-worker"]["static_configs"][0]["targets"] == [
        "127.0.0.1:9111",
        "127.0.0.1:9112",
    ]
    for job in ("shield-api", "shield-worker"):
        credentials = jobs[job]["authorization"]["credentials_file"]
        assert credentials == "/etc/prometheus/tokens/api.token"
    assert "authorization" not in jobs["node"]

    def health() -> dict[str, str] | None:
        targets = _api(host, "targets")["activeTargets"]
        seen = {t["labels"]["job"]: t["health"] for t in targets if t["health"] != "unknown"}
        return seen if len(seen) == 5 else None

    seen = _until(health)
    assert seen["node"] == seen["prometheus"] == seen["alertmanager"] == "up", seen
    assert seen["shield-api"] == "down", seen  # nothing runs there


def test_every_rule_of_the_repository_is_loaded_and_evaluates(host: Host) -> None:
    expected = {
        rule.get("alert") or rule["record"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    }

    def loaded() -> list[dict[str, Any]]:
        rules = [rule for group in _api(host, "rules")["groups"] for rule in group["rules"]]
        return (
            rules
            if all(rule.get("lastEvaluation", "0001").startswith("2") for rule in rules)
            else []
        )

    rules = _until(loaded)
    assert {rule["name"] for rule in rules} == expected
    assert all(rule["health"] == "ok" for rule in rules), [r for r in rules if r["health"] != "ok"]
    links = {rule["annotations"]["runbook_url"] for rule in rules if rule["type"] == "alerting"}
    assert all(link.startswith(RUNBOOKS) for link in links), links


def test_alerts_reach_alertmanager(host: Host) -> None:
    assert len(_api(host, "alertmanagers")["activeAlertmanagers"]) == 1
    # shield-api's target is down: its alert is pending at once (it fires after 2 minutes).
    alerts = _until(
        lambda: [
            a
            for a in _api(host, "alerts")["alerts"]
            if a["labels"]["alertname"] == "ShieldTargetDown"
        ]
    )
    assert {a["labels"]["job"] for a in alerts} >= {"shield-api", "shield-worker"}
