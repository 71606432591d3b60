"""Runs shield-api (uvicorn, in a thread of the test process, sharing the loaded model) and
shield-worker (a real `shield worker` process) for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from shield.api.app import create_app
from shield.config import ApiSettings
from shield.embeddings import Embedder
from support.processes import free_port, stop_process, wait_for, wait_healthy

TOKEN = "test-token-0123456789abcdef"


class ApiServer:
    def __init__(self, settings: ApiSettings, embedder: Embedder) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.port}"
        config = uvicorn.Config(
            create_app(settings, embedder=embedder),
            host="127.0.0.1",
            port=settings.port,
            log_config=None,
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.server.started, 60, "shield-api to start")

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.metrics_port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shield", "worker", "--metrics-port", str(self.metrics_port)],
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, redis_url: str, timeout: float = 90) -> None:
        """Until the worker has registered with RQ; fails at once if it exited."""
        from redis import Redis
        from rq import Worker

        connection = Redis.from_url(redis_url)

        def registered() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited:\n{self.log()[-3000:]}")
            return any(w.pid == self.process.pid for w in Worker.all(connection=connection))

        deadline = time.monotonic() + timeout
        while not registered():
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9, the whole process group: nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class GraphProcess:
    """shield-lightrag as its own process, as in production."""

    token = "lightrag-token-0123456789abcdef"

    def __init__(
        self, data_dir: Path, log_path: Path, port: int | None = None, **extra_env: str
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log_path = log_path
        self.env = {
            **os.environ,
            "SHIELD_LIGHTRAG_TOKEN": self.token,
            "SHIELD_DATA_DIR": str(data_dir),
            "SHIELD_LOG_LEVEL": "INFO",
            "HF_HUB_OFFLINE": "1",
            **extra_env,
        }
        self.start()

    def start(self) -> None:
        """Start it (again), on the same port and data."""
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shield", "lightrag", "--port", str(self.port)],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_healthy(self.process, self.url, self.log, "shield-lightrag", 90)

    def client(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def stop(self) -> None:
        stop_process(self.process, 15)
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def api_settings(redis_url: str, data_dir: Path, **overrides: Any) -> ApiSettings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "data_dir": data_dir,
        "port": free_port(),
        "api_token": TOKEN,
        "job_heartbeat_seconds": 3,
        "job_retries": 1,
        "max_body_bytes": 2 * 1024 * 1024,
        "max_text_chars": 1_500_000,
        "log_level": "WARNING",
        **overrides,
    }
    return ApiSettings(**values)


def process_env(
    redis_url: str, data_dir: Path, log_level: str = "WARNING", **more: str
) -> dict[str, str]:
    """The environment of a `shield api` or `shield worker` process, as `api_settings` is the
    settings of one in a thread; `more` adds SHIELD_* variables by their names."""
    return {
        "SHIELD_REDIS_URL": redis_url,
        "SHIELD_API_TOKEN": TOKEN,
        "SHIELD_DATA_DIR": str(data_dir),
        "SHIELD_LOG_LEVEL": log_level,
        "HF_HUB_OFFLINE": "1",
        **more,
    }


def worker_env(api: ApiServer) -> dict[str, str]:
    return {
        "SHIELD_REDIS_URL": api.settings.redis_url,
        "SHIELD_API_URL": api.url,
        "SHIELD_API_TOKEN": TOKEN,
        "SHIELD_JOB_HEARTBEAT_SECONDS": "3",
        "SHIELD_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
    }


def wait_job(client: httpx.Client, job_id: str, timeout: float = 120) -> dict[str, Any]:
    """Poll until the job reaches a final state; returns that state."""
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(f"/jobs/{job_id}")
        if response.status_code == 503:  # Redis is back but shield-api's breaker not yet closed
            time.sleep(0.2)
            continue
        state = response.json()
        assert response.status_code == 200, state
        if state["status"] in ("succeeded", "failed", "cancelled"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {json.dumps(state)}")


def wait_stage(client: httpx.Client, job_id: str, stage: str, timeout: float = 60) -> None:
    wait_for(
        lambda: client.get(f"/jobs/{job_id}").json()["stage"] == stage,
        timeout,
        f"job {job_id} to reach stage {stage}",
        interval=0.02,
    )


def wait_graph(
    client: httpx.Client,
    collection: str,
    document_id: str,
    states: tuple[str, ...] = ("stored", "failed"),
    timeout: float = 120,
) -> dict[str, Any]:
    """Poll a stored document until its knowledge-graph state is one of `states`."""
    deadline = time.monotonic() + timeout
    document: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(f"/documents/{document_id}", params={"collection": collection})
        document = response.json()
        assert response.status_code == 200, document
        if document.get("graph") in states:
            return document
        time.sleep(0.2)
    raise AssertionError(f"the graph did not reach {states} in {timeout} s: {document}")


class ApiProcess:
    """shield-api as its own `shield api` process: its metrics are its own, not the test's."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "shield", "api", "--port", str(self.port)],
                env={**os.environ, "HF_HUB_OFFLINE": "1", **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_healthy(self.process, self.url, self.log, "shield-api", 120)

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, 30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def submit(api: ApiServer, text: str, source: str) -> str:
    with api.client() as client:
        response = client.post(
            "/ingest-async", json={"kind": "document", "text": text, "source": source}
        )
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])


def sse_states(api: ApiServer, events_url: str) -> tuple[list[dict[str, object]], list[str]]:
    """Read the job's SSE stream to its end; returns every state it carried and the event ids."""
    states: list[dict[str, object]] = []
    ids: list[str] = []
    with (
        api.client() as client,
        client.stream("GET", events_url, timeout=60) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        deadline = time.monotonic() + 90
        for line in response.iter_lines():
            assert time.monotonic() < deadline, f"the stream did not end: {states[-1:]}"
            if line.startswith("data:"):
                states.append(json.loads(line.removeprefix("data:").strip()))
            elif line.startswith("id:"):
                ids.append(line.removeprefix("id:").strip())
    return states, ids
