"""Shared by the benchmarks: a real-text corpus, cached embeddings, percentiles, and the services
(Redis, shield-api, shield-worker) started as real processes by the support package."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from support.processes import RedisServer
from support.services import ApiProcess, GraphProcess, WorkerProcess, process_env

CACHE = Path(__file__).parent / ".cache"
RESULTS = Path(__file__).parent / "results"
TOKEN = "bench-token-0123456789abcdef"


def corpus(size: int) -> list[str]:
    """`size` distinct paragraphs of real English: docstrings of the installed Python packages,
    read in a fixed order (so every run, on every machine with this lock, sees the same text)."""
    CACHE.mkdir(exist_ok=True)
    for path in sorted(CACHE.glob("corpus-*.json"), key=lambda p: int(p.stem.split("-")[1])):
        if int(path.stem.split("-")[1]) >= size:  # the corpus is read in a fixed order: a prefix
            return list(json.loads(path.read_text()))[:size]
    cached = CACHE / f"corpus-{size}.json"
    seen: dict[str, None] = {}
    roots = [Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"]
    roots.append(Path(os.__file__).parent)
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            try:
                tree = ast.parse(path.read_text(errors="ignore"))
            except (SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                if not isinstance(
                    node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef
                ):
                    continue
                doc = ast.get_docstring(node)
                for para in re.split(r"\n\s*\n", doc or ""):
                    text = " ".join(para.split())
                    if 60 <= len(text) <= 600 and text.count(" ") > 8:
                        seen.setdefault(text)
                if len(seen) >= size:
                    break
            if len(seen) >= size:
                break
    texts = list(seen)[:size]
    if len(texts) < size:
        raise RuntimeError(f"only {len(texts)} paragraphs found; asked for {size}")
    cached.write_text(json.dumps(texts))
    return texts


def embeddings(texts: Sequence[str], name: str) -> np.ndarray:
    """The texts' real MiniLM embeddings, computed once and cached on disk."""
    for cached in sorted(CACHE.glob(f"embeddings-{name}-*.npy")):
        # Texts come from the corpus, a fixed-order prefix: a longer file covers a shorter one.
        if int(cached.stem.rsplit("-", 1)[1]) >= len(texts):
            return np.load(cached, mmap_mode="r")[: len(texts)].copy()
    path = CACHE / f"embeddings-{name}-{len(texts)}.npy"
    from shield.embeddings.local import LocalEmbedder

    vectors = LocalEmbedder(batch_size=32).embed(list(texts))
    np.save(path, vectors)
    return vectors


def search_dataset(sizes: Sequence[int], queries: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts and vectors for the largest size, and held-out query vectors after them."""
    largest = max(sizes)
    texts = corpus(largest + queries)
    vectors = embeddings(texts, "minilm")
    return texts[:largest], vectors[:largest], vectors[largest : largest + queries]


def percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def save(name: str, figures: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    figures = {"machine": {"cpus": os.cpu_count()}, **figures}
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2) + "\n")


class Platform:
    """Redis, shield-api and `workers` shield-workers as real processes on loopback, started by
    the same support code the tests use."""

    def __init__(
        self,
        root: Path,
        workers: int = 1,
        graph: bool = False,
        interactive_workers: int = 0,
        seed_data: Path | None = None,
        **env: str,
    ) -> None:
        """`seed_data`: a data dir (collections made beforehand) that shield-api starts with;
        `interactive_workers`: more workers that take interactive work only, as the workers
        role deploys them beside the others."""
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        if seed_data is not None:
            shutil.copytree(seed_data, root / "data")
        self.root = root
        self.redis = RedisServer(root)
        common = {
            **process_env(self.redis.url, root / "data"),
            "SHIELD_API_TOKEN": TOKEN,
            **env,
        }
        self.graph: GraphProcess | None = None
        api_env = dict(common)
        if graph:  # the knowledge graph on, as `make up` deploys it
            (root / "graph").mkdir()
            self.graph = GraphProcess(root / "graph", root / "graph.log")
            api_env["SHIELD_LIGHTRAG_URL"] = self.graph.url
            api_env["SHIELD_LIGHTRAG_TOKEN"] = self.graph.token
        self.api = ApiProcess(api_env, root / "api.log")
        self.url = self.api.url
        # As the workers role deploys them: the workers share the CPUs for embedding.
        worker_env = {
            "SHIELD_EMBEDDING_THREADS": str(max(1, (os.cpu_count() or 1) // max(1, workers))),
            **common,
            "SHIELD_API_URL": self.url,
        }
        self.workers = [WorkerProcess(worker_env, root / f"worker-{i}.log") for i in range(workers)]
        self.workers += [
            WorkerProcess(
                {**worker_env, "SHIELD_WORKER_LANE": "interactive"},
                root / f"worker-interactive-{i}.log",
            )
            for i in range(interactive_workers)
        ]
        for worker in self.workers:
            worker.wait_ready(self.redis.url)

    def client(self, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120, **kw)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.api.stop()
        if self.graph is not None:
            self.graph.stop()
        self.redis.stop()
