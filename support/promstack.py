"""Debian's Prometheus and node exporter, run by the tests against live Shield services."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from support.processes import free_port, wait_for


def _binary(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: scripts/bootstrap.sh installs Debian's package"
    return path


class NodeExporter:
    def __init__(self, log_path: Path) -> None:
        self.address = f"127.0.0.1:{free_port()}"
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            [_binary("prometheus-node-exporter"), f"--web.listen-address={self.address}"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: httpx.get(f"http://{self.address}/metrics", timeout=1).status_code == 200,
            30,
            "the node exporter to start",
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self._log.close()


@dataclass(frozen=True)
class ScrapeJob:
    name: str
    address: str
    token_file: Path | None = None

    def config(self) -> dict[str, Any]:
        job: dict[str, Any] = {
            "job_name": self.name,
            "static_configs": [{"targets": [self.address]}],
        }
        if self.token_file:
            job["authorization"] = {"credentials_file": str(self.token_file)}
        return job


class Prometheus:
    """Scrapes and evaluates every second, so a test sees rates within seconds."""

    def __init__(self, workdir: Path, jobs: list[ScrapeJob], rule_files: list[Path]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(path) for path in rule_files],
            "scrape_configs": [job.config() for job in jobs],
        }
        config_path = workdir / "prometheus.yml"
        config_path.write_text(yaml.safe_dump(config))
        self._log = (workdir / "prometheus.log").open("ab")
        self.process = subprocess.Popen(
            [
                _binary("prometheus"),
                f"--config.file={config_path}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for(
            lambda: httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200,
            60,
            "Prometheus to be ready",
        )

    def api(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=30)
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        assert data["resultType"] in ("vector", "scalar", "matrix"), data
        if data["resultType"] == "scalar":
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        data = self.api("query_range", query=expr, start=start, end=end, step=step)
        return list(data["result"])

    def targets_up(self) -> dict[str, bool]:
        return {
            target["labels"]["job"]: target["health"] == "up"
            for target in self.api("targets")["activeTargets"]
        }

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self._log.close()
