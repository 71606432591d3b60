"""schemathesis against shield-api's own /openapi.json, with shield-lightrag behind it: requests
generated from the schema, valid and not, with the token. No answer may be a server error, and
every answer must be what the schema promises (status codes, content types, bodies, headers);
invalid data must be refused, and auth must not be ignored."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shield.embeddings.local import LocalEmbedder
from support.processes import RedisServer
from support.services import TOKEN, ApiServer, GraphProcess, api_settings

EXAMPLES_PER_OPERATION = 25
SEED = 20261121  # the same requests every run; `--seed` another (or none) to explore further
CONFIG = Path(__file__).with_name("schemathesis.toml")  # what is left out, and why


@pytest.fixture(scope="module")
def graphed_api(
    redis_server: RedisServer, embedder: LocalEmbedder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    graph = GraphProcess(tmp_path_factory.mktemp("graph"), tmp_path_factory.mktemp("g") / "g.log")
    settings = api_settings(
        redis_server.url,
        tmp_path_factory.mktemp("data"),
        lightrag_url=graph.url,
        lightrag_token=graph.token,
    )
    server = ApiServer(settings, embedder)
    yield server
    server.stop()
    graph.stop()


def test_no_generated_request_makes_a_server_error_or_breaks_the_schema(
    graphed_api: ApiServer, tmp_path: Path
) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        f"--config-file={CONFIG}",
        "run",
        f"{graphed_api.url}/openapi.json",
        f"--header=Authorization: Bearer {TOKEN}",
        "--checks=all",
        "--exclude-checks=positive_data_acceptance,use_after_free",  # see CONFIG for why
        f"--max-examples={EXAMPLES_PER_OPERATION}",
        f"--seed={SEED}",
        # One worker: two run Hypothesis in threads, and on Python 3.11 its parsing of a
        # filter's source then fails now and then ("AST constructor recursion depth mismatch").
        "--workers=1",
        "--request-timeout=30",
        "--generation-database=none",
        "--no-color",
        "--report=junit",
        f"--report-dir={tmp_path}",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    (tmp_path / "schemathesis.txt").write_text(run.stdout + run.stderr)
    assert run.returncode == 0, run.stdout[:6000] + "\n[...]\n" + run.stdout[-6000:]
    selected = re.search(r"Selected: (\d+)/\d+", run.stdout)
    assert selected is not None, run.stdout[-3000:]
    assert int(selected[1]) >= 18, run.stdout[-3000:]  # every route but the event stream
    assert f"Tested: {selected[1]}" in run.stdout, run.stdout[-3000:]  # each one exercised
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts is not None, run.stdout[-3000:]
    generated, passed = int(counts[1]), int(counts[2])
    assert generated == passed >= 500, run.stdout[-3000:]
    print(f"schemathesis: {generated} requests, every one answered as the schema says")
