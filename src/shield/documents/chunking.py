"""Splits a document's text into chunks that fit the embedding model, following its structure
(Markdown headings, paragraphs, sentences) with a token budget counted by the model's own
tokenizer (read from the bundled model; no download)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from semantic_text_splitter import MarkdownSplitter
from tokenizers import Tokenizer

CHARS_PER_TOKEN = 4  # fallback budget when the local tokenizer is not installed


@cache
def tokenizer_file() -> Path | None:
    try:
        from shield.embeddings.local import local_model_path
    except ImportError:  # pragma: no cover - hosts without the local model
        return None
    try:
        path = Path(local_model_path()) / "tokenizer.json"
    except ImportError:  # pragma: no cover
        return None
    return path if path.is_file() else None


class Chunker:
    def __init__(self, max_tokens: int = 200, overlap: int = 30) -> None:
        tokenizer = tokenizer_file()
        # A range lets the splitter stop at a good boundary once a chunk is reasonably full.
        capacity = (max_tokens // 2, max_tokens)
        self._splitter: Any
        if tokenizer is not None:
            counter = Tokenizer.from_file(str(tokenizer))
            # The model's tokenizer truncates at 128 tokens: every text would seem to fit.
            counter.no_truncation()
            counter.no_padding()
            self._splitter = MarkdownSplitter.from_huggingface_tokenizer(
                counter, capacity, overlap=overlap
            )
        else:
            self._splitter = MarkdownSplitter(
                (capacity[0] * CHARS_PER_TOKEN, capacity[1] * CHARS_PER_TOKEN),
                overlap=overlap * CHARS_PER_TOKEN,
            )

    def split(self, text: str) -> list[str]:
        return [chunk for chunk in self._splitter.chunks(text) if chunk.strip()]
