"""A small embedding server that speaks the real Ollama (`POST /api/embed`) and OpenAI
(`POST /v1/embeddings`) HTTP APIs, for tests; no such server can be installed here."""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DIMENSION = 16


def fake_vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255 - 0.5 for b in digest[:DIMENSION]]


class FakeEmbeddingServer:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.fail_with: int | None = None  # answer this HTTP status instead
        self.delay = 0.0  # seconds to think before each answer (a slow or overloaded server)
        self.api_key: str | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)  # a client that timed out has hung up

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                time.sleep(server.delay)
                server.requests.append(
                    {"path": self.path, "body": body, "auth": self.headers.get("authorization")}
                )
                if server.fail_with:
                    self._reply(server.fail_with, {"error": "overloaded"})
                    return
                if (
                    server.api_key
                    and self.headers.get("authorization") != f"Bearer {server.api_key}"
                ):
                    self._reply(401, {"error": {"message": "bad key"}})
                    return
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                if self.path == "/api/embed":
                    self._reply(
                        200,
                        {"model": body["model"], "embeddings": [fake_vector(t) for t in inputs]},
                    )
                elif self.path == "/v1/embeddings":
                    data = [
                        {"object": "embedding", "index": i, "embedding": fake_vector(t)}
                        for i, t in enumerate(inputs)
                    ]
                    data.reverse()  # clients must order by index
                    self._reply(200, {"object": "list", "data": data, "model": body["model"]})
                else:
                    self._reply(404, {"error": "not found"})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
