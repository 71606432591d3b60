"""A small chat server that speaks the real Ollama (`POST /api/chat`) and OpenAI
(`POST /v1/chat/completions`) HTTP APIs, for tests; no LLM can run here. It answers LightRAG's
prompts with well-formed output: extraction rows, keyword JSON, merged descriptions, and an
answer drawn from the context it was given (from Shield's answer prompt: the passages that name
the question's names, each cited by its number)."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from shield.graph_service.engine import (
    EXTRACTION_INPUT,
    SUMMARY_INPUT,
    extraction_rows,
    merged_descriptions,
)
from shield.graph_service.extractor import OfflineExtractor

_QUERY = re.compile(r"User Query:\s*(.+)")
_ENTITY_LINE = re.compile(r'"entity":\s*"([^"]+)"')
_PASSAGE = re.compile(r"^\[(\d+)\] \(document [^)]*\) (.*)$", re.MULTILINE)
_QUESTION = re.compile(r"^Question: (.+)$", re.MULTILINE)


class FakeLLMServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_with: int | None = None
        self.api_key: str | None = None
        self.extractor = OfflineExtractor()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                prompt = "\n".join(m["content"] for m in body["messages"])
                kind = fake.kind(prompt)
                fake.requests.append(
                    {
                        "path": self.path,
                        "model": body["model"],
                        "kind": kind,
                        "auth": self.headers.get("authorization"),
                    }
                )
                if fake.fail_with:
                    self._reply(fake.fail_with, {"error": "overloaded"})
                    return
                if fake.api_key and self.headers.get("authorization") != f"Bearer {fake.api_key}":
                    self._reply(401, {"error": {"message": "invalid api key"}})
                    return
                text = fake.answer(kind, prompt)
                if self.path == "/api/chat":
                    self._reply(
                        200,
                        {
                            "model": body["model"],
                            "done": True,
                            "message": {"role": "assistant", "content": text},
                        },
                    )
                elif self.path == "/v1/chat/completions":
                    self._reply(
                        200,
                        {
                            "id": "chatcmpl-1",
                            "object": "chat.completion",
                            "model": body["model"],
                            "choices": [
                                {
                                    "index": 0,
                                    "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": text},
                                }
                            ],
                        },
                    )
                else:
                    self._reply(404, {"error": "not found"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def kind(prompt: str) -> str:
        if EXTRACTION_INPUT.search(prompt):
            return "extract"
        if SUMMARY_INPUT.search(prompt):
            return "summary"
        if "high_level_keywords" in prompt and _QUERY.search(prompt):
            return "keywords"
        return "answer"

    def answer(self, kind: str, prompt: str) -> str:
        if kind == "extract":
            match = EXTRACTION_INPUT.search(prompt)
            assert match is not None
            return extraction_rows(self.extractor.extract(match.group(1)))
        if kind == "summary":
            match = SUMMARY_INPUT.search(prompt)
            assert match is not None
            return merged_descriptions(match.group(1))
        if kind == "keywords":
            match = _QUERY.search(prompt)
            assert match is not None
            high, low = self.extractor.query_keywords(match.group(1).strip())
            return json.dumps({"high_level_keywords": high, "low_level_keywords": low})
        passages = _PASSAGE.findall(prompt)
        question = _QUESTION.search(prompt)
        if passages and question:
            # As a model told to cite would: the passages naming the question's names, each
            # cited by its number.
            _, names = self.extractor.query_keywords(question.group(1))
            chosen = [
                (number, text)
                for number, text in passages
                if any(name.lower() in text.lower() for name in names)
            ] or passages[:1]
            return " ".join(
                f"{text.split('. ')[0].rstrip('.')}. [{number}]" for number, text in chosen[:2]
            )
        entities = _ENTITY_LINE.findall(prompt)
        return "According to the knowledge graph: " + ", ".join(entities[:5])

    def count(self, kind: str) -> int:
        return sum(1 for r in self.requests if r["kind"] == kind)

    def stop(self) -> None:
        self.server.shutdown()
