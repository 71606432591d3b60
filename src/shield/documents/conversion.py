"""What crosses the converter process's boundary, both ways: the options a conversion runs with,
and the document it makes or the reason it could not. Plain models, light to import: the worker
reads them without importing Docling, which only the converter process loads."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ConvertOptions(BaseModel):
    artifacts_path: str | None = None  # Docling's models folder: the full PDF pipeline
    max_pages: int = 500
    max_tokens: int = 200
    max_chunks: int = 5000  # a document's chunk budget: past it, it fails here, not later
    ocr_languages: str = "eng"  # Tesseract's, for pages without text; empty: no OCR
    ocr_page_seconds: float = 60.0


class StructuredChunk(BaseModel):
    text: str  # headings path + content: what gets embedded and searched
    headings: list[str] = Field(default_factory=list)
    pages: list[int] = Field(default_factory=list)


class ConvertedDocument(BaseModel):
    title: str
    format: str
    pages: int
    pipeline: str
    chunks: list[StructuredChunk]
    ocr_pages: int = 0  # pages read by OCR (scans, photos)


class ConversionResult(BaseModel):
    """The converter process's answer: the document, or why the file could not be read (for
    people). A model rather than an exception: it crosses the process boundary as it is."""

    document: ConvertedDocument | None = None
    error: str | None = None
