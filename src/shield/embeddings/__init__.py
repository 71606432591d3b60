"""Text embeddings: the bundled local model by default, Ollama or OpenAI-compatible by config."""

from shield.embeddings.base import Embedder
from shield.embeddings.factory import build_embedder

__all__ = ["Embedder", "build_embedder"]
