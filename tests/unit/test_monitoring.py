"""The monitoring assets hold together: generated files are current, rules pass promtool and its
unit tests, every alert is tested both ways and has a runbook section, and every metric the
dashboards and rules read is one Shield's code registers (the live proof is
tests/e2e/test_monitoring.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring.generate import __main__ as generate
from monitoring.generate import catalogue

PROMTOOL = shutil.which("promtool") or "promtool"  # Debian's prometheus: scripts/bootstrap.sh
RULE_TESTS = sorted((catalogue.RULES_DIR / "tests").glob("*_test.yml"))
RUNBOOK = catalogue.ROOT / "docs" / "RUNBOOK.md"
# Names the services do not define: Prometheus' own, the process collector, node exporter. The
# live test checks them against what the scrapes really hold.
FOREIGN_PREFIXES = ("up", "process_", "node_")


def _alerts() -> list[dict[str, Any]]:
    return [rule for rule in catalogue.rules() if "alert" in rule]


def test_generated_files_are_current() -> None:
    stale = [
        str(path.relative_to(catalogue.ROOT))
        for path, text in generate.assets().items()
        if not path.exists() or path.read_text() != text
    ]
    if generate.DOC.read_text() != generate.document():
        stale.append("docs/MONITORING.md")
    assert not stale, f"run `make monitoring`; stale: {stale}"


def test_rule_files_pass_promtool_check() -> None:
    result = subprocess.run(
        [PROMTOOL, "check", "rules", *map(str, catalogue.rule_files())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda path: path.name)
def test_promtool_rule_tests_pass(test_file: Path) -> None:
    result = subprocess.run(
        [PROMTOOL, "test", "rules", test_file.name],
        cwd=test_file.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else quiet).add(check["alertname"])
    names = {rule["alert"] for rule in _alerts()}
    assert names - firing == set(), "alerts with no case where they fire"
    assert names - quiet == set(), "alerts with no case where they stay quiet"


def test_every_alert_has_a_severity_a_summary_and_its_runbook_section() -> None:
    headings = {
        line[3:].strip().lower()
        for line in RUNBOOK.read_text().splitlines()
        if line.startswith("## ")
    }
    for rule in _alerts():
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        assert rule["annotations"]["summary"], name
        assert rule["annotations"]["description"], name
        assert rule["annotations"]["runbook_url"] == f"docs/RUNBOOK.md#{name.lower()}", name
        assert name.lower() in headings, f"docs/RUNBOOK.md has no section for {name}"


def _expressions() -> list[tuple[str, str]]:
    found = [
        (f"rule {rule.get('alert') or rule['record']}", rule["expr"]) for rule in catalogue.rules()
    ]
    found += [
        (f"dashboard {query.dashboard}: {query.panel}", query.resolved)
        for query in catalogue.panel_queries() + catalogue.variable_queries()
    ]
    return found


def test_every_metric_read_is_registered_or_recorded() -> None:
    exported = {name for metric in catalogue.shield_metrics() for name in metric.series_names}
    recorded = catalogue.recorded_names()
    unknown = []
    for where, expr in _expressions():
        for name in catalogue.metric_names(str(expr)):
            if name.startswith("shield_") and name not in exported:
                unknown.append(f"{where}: {name}")
            elif ":" in name and name not in recorded:
                unknown.append(f"{where}: {name} (no recording rule)")
            elif not name.startswith(("shield_", *FOREIGN_PREFIXES)) and ":" not in name:
                unknown.append(f"{where}: {name} (whose metric is this?)")
    assert not unknown


def test_dashboards_are_templated_and_consistent() -> None:
    for uid, board in catalogue.dashboards().items():
        assert board["uid"] == uid
        variables = {v["name"] for v in board["templating"]["list"]}
        assert "datasource" in variables, uid
        panels = [p for p in board["panels"] if p["type"] != "row"]
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), f"{uid}: panel ids repeat"
        for panel in panels:
            where = f"{uid}: {panel['title']}"
            assert panel["datasource"]["uid"] == "${datasource}", where
            assert panel.get("description"), where
            assert (
                panel["fieldConfig"]["defaults"].get("unit") or panel["type"] == "state-timeline"
            ), where
            assert panel["targets"], where
            for target in panel["targets"]:
                uses_instance = "$instance" in target["expr"]
                if "instance" in variables and re.search(r"\bshield_(tool|api)_", target["expr"]):
                    assert uses_instance, f"{where}: ignores the instance variable"
