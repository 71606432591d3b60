"""shield-lightrag with an LLM: Ollama's and OpenAI's chat APIs (a fake server speaking both),
LightRAG's LLM cache in front of them, answers that cite their passages by number, retries and
the breaker when the LLM fails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.fakes.llm_server import FakeLLMServer
from support.services import GraphProcess

FACT = "Marta Kovac is the harbour master of Port Elira. She schedules the ferry Albatross."
QUESTION = "Who is the harbour master of Port Elira?"


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    yield server
    server.stop()


def start(tmp_path: Path, provider: str, llm: FakeLLMServer, **env: str) -> GraphProcess:
    return GraphProcess(
        tmp_path / "graph",
        tmp_path / "graph.log",
        SHIELD_LLM_PROVIDER=provider,
        SHIELD_LLM_URL=llm.url,
        SHIELD_LLM_MODEL="qwen2.5:7b",
        SHIELD_LLM_TIMEOUT="5",
        SHIELD_LLM_RETRIES="2",
        **env,
    )


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_an_llm_extracts_answers_and_is_cached(
    tmp_path: Path, llm: FakeLLMServer, provider: str
) -> None:
    llm.api_key = "sk-test-0123456789abcdef" if provider == "openai" else None
    extra = {"SHIELD_LLM_API_KEY": llm.api_key} if llm.api_key else {}
    graph = start(tmp_path, provider, llm, **extra)
    try:
        with graph.client() as client:
            put = client.put("/collections/port/documents/d1", json={"chunks": [FACT]})
            assert put.status_code == 200, put.text
            assert llm.count("extract") == 1
            assert {r["path"] for r in llm.requests} == {
                "/api/chat" if provider == "ollama" else "/v1/chat/completions"
            }
            assert {r["model"] for r in llm.requests} == {"qwen2.5:7b"}

            answer = client.post("/query", json={"query": QUESTION, "collection": "port"}).json()
            assert answer["llm_generated"] is True
            assert "Marta Kovac" in answer["answer"]
            assert llm.count("keywords") >= 1
            assert llm.count("answer") >= 1
            # The answer cites the passages by the numbers the caller sees them under.
            cited = [int(n) for n in re.findall(r"\[(\d+)\]", answer["answer"])]
            assert cited, answer["answer"]
            for number in cited:
                sentence = answer["answer"].split(f"[{number}]")[0].split("]")[-1].strip()
                assert sentence.rstrip(".") in answer["chunks"][number - 1]["content"]
            # So does an answer reached by following the graph (hops), from its own passages.
            hops = client.post(
                "/query", json={"query": QUESTION, "collection": "port", "mode": "hops"}
            ).json()
            assert (hops["mode"], hops["llm_generated"]) == ("hops", True)
            assert "[1]" in hops["answer"], hops["answer"]

            # The same chunk again (another document): LightRAG's cache answers, not the LLM.
            again = client.put("/collections/port/documents/d2", json={"chunks": [FACT]})
            assert again.status_code == 200, again.text
            assert llm.count("extract") == 1
            metrics = client.get("/metrics").text
            hits = next(
                line
                for line in metrics.splitlines()
                if line.startswith("shield_lightrag_llm_cache_hits_total")
            )
            assert float(hits.split()[-1]) >= 1
        if llm.api_key:
            assert all(r["auth"] == f"Bearer {llm.api_key}" for r in llm.requests)
    finally:
        graph.stop()
    assert llm.api_key is None or llm.api_key not in graph.log()  # never logged


def test_a_failing_llm_is_retried_then_reported(tmp_path: Path, llm: FakeLLMServer) -> None:
    llm.fail_with = 503
    graph = start(tmp_path, "ollama", llm)
    try:
        with graph.client() as client:
            put = client.put("/collections/port/documents/d1", json={"chunks": [FACT]})
            assert put.status_code == 503, put.text
            assert put.headers["Retry-After"]
            assert len(llm.requests) == 3  # one try and two retries, then the error
            assert "the LLM answered HTTP 503" in put.json()["error"]["message"]
    finally:
        graph.stop()
