"""Docling: a file's bytes -> a structured document -> chunks that follow its structure.

This module imports Docling (3-5 s) and runs inside the worker's converter process (see
`shield.worker.converter`), which imports it once and serves every conversion after that.

PDFs go through Docling's native pipeline unless a folder of Docling's layout models is
configured (`SHIELD_DOCLING_ARTIFACTS_PATH`): the native pipeline reads the text a PDF carries with
no model at all, so it works on an air-gapped host; the full pipeline adds layout analysis,
headings and table structure. Nothing is ever downloaded: the Hugging Face hub is switched off.
"""

from __future__ import annotations

import io
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a missing model fails at once, not after retries

from docling.datamodel.base_models import DocumentStream, InputFormat
from docling.datamodel.pipeline_options import (
    NativePdfPipelineOptions,
    PdfPipelineOptions,
)
from docling.document_converter import (
    DocumentConverter,
    NativePdfFormatOption,
    PdfFormatOption,
)
from docling.exceptions import ConversionError
from docling_core.transforms.chunker.doc_chunk import DocChunk
from docling_core.transforms.chunker.hierarchical_chunker import (
    ChunkingDocSerializer,
    ChunkingSerializerProvider,
)
from docling_core.transforms.chunker.hybrid_chunker import HybridChunker
from docling_core.transforms.chunker.tokenizer.base import BaseTokenizer
from docling_core.transforms.serializer.base import BaseDocSerializer
from docling_core.transforms.serializer.markdown import MarkdownTableSerializer
from docling_core.types.doc.document import DoclingDocument
from docling_core.types.doc.items.text import SectionHeaderItem, TitleItem
from docling_core.types.doc.labels import DocItemLabel
from tokenizers import Tokenizer

from shield.documents.chunking import CHARS_PER_TOKEN, tokenizer_file
from shield.documents.conversion import ConvertedDocument, ConvertOptions, StructuredChunk
from shield.documents.ocr import OcrFailed, OcrOptions
from shield.documents.pdf_layout import PdfReading, TooManyPages, read_image, read_pdf

_FORMATS = {
    "pdf": InputFormat.PDF,
    "docx": InputFormat.DOCX,
    "pptx": InputFormat.PPTX,
    "xlsx": InputFormat.XLSX,
    "html": InputFormat.HTML,
    "md": InputFormat.MD,
    "txt": InputFormat.MD,  # plain text is Markdown without markup
    "asciidoc": InputFormat.ASCIIDOC,
    "csv": InputFormat.CSV,
}
# Pictures of pages, read by OCR (`shield.documents.ocr`) rather than by Docling.
_PICTURES = ("png", "jpeg", "tiff")
# Docling picks a backend by file extension; formats it knows under another name get renamed.
_EXTENSIONS = {"txt": "md", "asciidoc": "adoc"}


class ConversionFailed(Exception):
    """The file could not be read as its format; the message is for people."""


def _short(message: str, limit: int = 400) -> str:
    """The first paragraph of a parser's message: some append long listings after it."""
    first = message.strip().split("\n\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 3] + "..."


class _LocalTokenizer(BaseTokenizer):
    """Counts tokens with the embedding model's own tokenizer file (no download, no
    transformers), or by characters when the local model is not installed."""

    max_tokens: int

    def model_post_init(self, context: Any, /) -> None:
        path = tokenizer_file()
        self._tokenizer = Tokenizer.from_file(str(path)) if path else None
        if self._tokenizer is not None:
            self._tokenizer.no_truncation()
            self._tokenizer.no_padding()

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is None:
            return max(1, len(text) // CHARS_PER_TOKEN)
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)

    def get_max_tokens(self) -> int:
        return self.max_tokens

    def get_tokenizer(self) -> Any:
        return self.count_tokens  # semchunk takes a token-counting function


class _MarkdownTables(ChunkingSerializerProvider):
    """Tables stay Markdown tables in chunks (readable by people and models alike)."""

    def get_serializer(self, doc: DoclingDocument) -> ChunkingDocSerializer:
        return ChunkingDocSerializer(doc=doc, table_serializer=MarkdownTableSerializer())


@cache
def _converter(artifacts_path: str | None) -> DocumentConverter:
    if artifacts_path:
        pdf: PdfFormatOption = PdfFormatOption(
            pipeline_options=PdfPipelineOptions(artifacts_path=artifacts_path, do_ocr=False)
        )
    else:
        pdf = NativePdfFormatOption(pipeline_options=NativePdfPipelineOptions())
    return DocumentConverter(
        allowed_formats=sorted(set(_FORMATS.values()), key=str),
        format_options={InputFormat.PDF: pdf},
    )


class _WholeChunker(HybridChunker):
    """Docling's hybrid chunker, but a chunk that fits stays as its serializer wrote it: the
    stock one serializes each item of a multi-item chunk again on its own, which turns the
    inline code of a sentence ("log in with `user`") into fenced blocks that split it."""

    def _split_by_doc_items(
        self, doc_chunk: DocChunk, doc_serializer: BaseDocSerializer
    ) -> list[DocChunk]:
        if self._count_chunk_tokens(doc_chunk=doc_chunk) <= self.max_tokens:
            return [doc_chunk]
        return list(super()._split_by_doc_items(doc_chunk, doc_serializer))


@cache
def _chunker(max_tokens: int) -> HybridChunker:
    return _WholeChunker(
        tokenizer=_LocalTokenizer(max_tokens=max_tokens),
        merge_peers=True,
        serializer_provider=_MarkdownTables(),
    )


def warm_up(options: ConvertOptions) -> None:
    """Build the converter and chunker once, before the first document arrives."""
    if options.artifacts_path and not Path(options.artifacts_path).is_dir():
        raise ConversionFailed(
            f"SHIELD_DOCLING_ARTIFACTS_PATH={options.artifacts_path} is not a folder"
        )
    _converter(options.artifacts_path)
    _chunker(options.max_tokens)


def _title(document: DoclingDocument, fallback: str) -> str:
    for label in (DocItemLabel.TITLE, DocItemLabel.SECTION_HEADER):
        for item in document.texts:
            if item.label == label and item.text.strip():
                return item.text.strip()[:512]
    return fallback


# The mark a documentation page puts after each heading for its link (Sphinx's ¶, MkDocs' #,
# a section sign or a link symbol): navigation, not words of the heading.
_PERMALINK = re.compile(r"\s*[¶§#\N{LINK SYMBOL}]+\s*$")


def _drop_permalinks(document: DoclingDocument) -> None:
    for item, _ in document.iterate_items():
        if isinstance(item, TitleItem | SectionHeaderItem):
            item.text = _PERMALINK.sub("", item.text)
            item.orig = _PERMALINK.sub("", item.orig)


def convert(data: bytes, name: str, fmt: str, options: ConvertOptions) -> ConvertedDocument:
    """Convert one file and chunk it. Raises ConversionFailed with a message for people."""
    if fmt not in _FORMATS and fmt not in _PICTURES:
        raise ConversionFailed(f"the {fmt!r} format has no converter")
    stem, _, ext = name.rpartition(".")
    docling_name = f"{stem or name}.{_EXTENSIONS.get(fmt, ext or fmt)}"
    reading = None
    if fmt in _PICTURES or (fmt == "pdf" and not options.artifacts_path):
        reading = _read(data, name, fmt, options)
        document = reading.document
    else:
        document = _docling(data, name, docling_name, fmt, options)
    if fmt == "html":
        _drop_permalinks(document)
    title = (reading.title if reading else None) or _title(document, stem or name)
    converted = _chunked(document, name, title, fmt, options)
    if reading is not None and reading.ocr_pages:
        converted.ocr_pages = reading.ocr_pages
        converted.pipeline = "ocr" if fmt in _PICTURES else "native+ocr"
    return converted


def _ocr(options: ConvertOptions) -> OcrOptions | None:
    if not options.ocr_languages:
        return None
    return OcrOptions(languages=options.ocr_languages, page_seconds=options.ocr_page_seconds)


def _read(data: bytes, name: str, fmt: str, options: ConvertOptions) -> PdfReading:
    """A PDF read by Shield's own reader (OCR for its pages without text), or a picture of
    pages read by OCR."""
    ocr = _ocr(options)
    if fmt in _PICTURES and ocr is None:
        raise ConversionFailed(f"{name} is a picture, and OCR is off (SHIELD_OCR_LANGUAGES)")
    try:
        if fmt in _PICTURES:
            assert ocr is not None
            return read_image(data, name, options.max_pages, ocr)
        return read_pdf(data, name, options.max_pages, ocr)
    except (TooManyPages, OcrFailed) as exc:
        raise ConversionFailed(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a parser's crash on hostile input is a bad file
        raise ConversionFailed(f"{name} could not be converted: {_short(str(exc))}") from None


def _docling(
    data: bytes, name: str, docling_name: str, fmt: str, options: ConvertOptions
) -> DoclingDocument:
    converter = _converter(options.artifacts_path)
    try:
        result = converter.convert(
            DocumentStream(name=docling_name, stream=io.BytesIO(data)),
            raises_on_error=False,
            max_num_pages=options.max_pages,
        )
    except ConversionError as exc:
        raise ConversionFailed(f"{name} could not be converted: {_short(str(exc))}") from None
    except Exception as exc:  # noqa: BLE001 - a parser's crash on hostile input is a bad file
        raise ConversionFailed(f"{name} could not be read as {fmt}: {_short(str(exc))}") from None
    if result.errors or result.status.name not in ("SUCCESS", "PARTIAL_SUCCESS"):
        details = "; ".join(e.error_message for e in result.errors) or result.status.name.lower()
        raise ConversionFailed(f"{name} could not be converted: {_short(details)}")
    return result.document


def _bare_headings(
    document: DoclingDocument, chunks: list[StructuredChunk]
) -> list[StructuredChunk]:
    """The headings with nothing under them, as passages of their own. Docling's chunker
    keeps a heading only as the path of the text under it: a document, or a section, that is
    all headings (a note whose one line starts with `#`) would lose its words."""
    under = {heading for chunk in chunks for heading in chunk.headings}
    return [
        StructuredChunk(text=item.text, pages=sorted({p.page_no for p in item.prov}))
        for item, _level in document.iterate_items()
        if isinstance(item, SectionHeaderItem | TitleItem)
        and item.text.strip()
        and item.text not in under
    ]


def _chunked(
    document: DoclingDocument, name: str, title: str, fmt: str, options: ConvertOptions
) -> ConvertedDocument:
    chunker = _chunker(options.max_tokens)
    chunks: list[StructuredChunk] = []
    for chunk in chunker.chunk(document):
        if len(chunks) >= options.max_chunks:
            raise ConversionFailed(
                f"{name} has more than {options.max_chunks} passages, the most one document may "
                "have (SHIELD_MAX_DOCUMENT_CHUNKS); split it, or raise the limit"
            )
        meta: Any = chunk.meta
        pages = sorted({p.page_no for item in meta.doc_items for p in item.prov})
        chunks.append(
            StructuredChunk(
                text=chunker.contextualize(chunk),
                headings=list(meta.headings or []),
                pages=pages,
            )
        )
    chunks += _bare_headings(document, chunks)
    pipeline = "standard"
    if fmt == "pdf":
        pipeline = "layout" if options.artifacts_path else "native"
    return ConvertedDocument(
        title=title,
        format=fmt,
        pages=len(document.pages),
        pipeline=pipeline,
        chunks=[c for c in chunks if c.text.strip()],
    )
