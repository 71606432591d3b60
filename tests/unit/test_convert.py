"""Docling conversion and structure-following chunks, for every format, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from shield.documents.conversion import ConvertOptions
from shield.documents.convert import ConversionFailed, convert
from support import documents


@pytest.mark.parametrize("fmt", documents.FORMATS)
def test_every_format_converts_with_its_text_and_table(fmt: str) -> None:
    subject = documents.SUBJECTS[fmt]
    result = convert(documents.make(fmt), documents.filename(fmt), fmt, ConvertOptions())
    text = "\n".join(chunk.text for chunk in result.chunks)
    # The distinctive sentence survives (PDF lines may wrap, so compare words).
    assert set(subject.sentence.lower().split()) <= set(text.lower().split()), text
    for key, value in subject.rows:
        assert key in text, text
        assert value in text, text
    assert result.format == fmt


@pytest.mark.parametrize("fmt", ["docx", "html", "md", "asciidoc"])
def test_chunks_carry_their_headings_path_and_tables_stay_whole(fmt: str) -> None:
    subject = documents.SUBJECTS[fmt]
    result = convert(documents.make(fmt), documents.filename(fmt), fmt, ConvertOptions())
    assert result.title == subject.title
    by_heading = {tuple(c.headings): c.text for c in result.chunks}
    assert (subject.title, "Overview") in by_heading
    table = by_heading[(subject.title, "Details")]
    # The table is one Markdown table in one chunk, header and every row.
    assert "| Item" in table
    assert all(f"| {k}" in table for k, _ in subject.rows)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("note.md", "# Saving XMP data\n\n# To the second frame of an image\n"),
        ("page.html", "<html><body><h1>Saving XMP data</h1><h2>To the second frame of an image"
                      "</h2></body></html>"),
    ],
)  # fmt: skip
def test_headings_with_nothing_under_them_keep_their_words(name: str, text: str) -> None:
    fmt = name.rsplit(".", 1)[1]
    converted = convert(text.encode(), name, fmt, ConvertOptions())
    words = " ".join(chunk.text for chunk in converted.chunks)
    assert "Saving XMP data" in words
    assert "To the second frame of an image" in words
    # A heading with text under it is that text's path, not a passage of its own.
    full = convert(b"# Guide\n\nThe keeper trims the wick.\n", "guide.md", "md", ConvertOptions())
    assert [chunk.headings for chunk in full.chunks] == [["Guide"]]


def test_pages_are_known_for_pdf_and_slides() -> None:
    pdf = convert(documents.make("pdf", pages=3), "manual.pdf", "pdf", ConvertOptions())
    assert pdf.pages == 3
    assert pdf.pipeline == "native"
    assert {p for c in pdf.chunks for p in c.pages} == {1, 2, 3}
    deck = convert(documents.make("pptx"), "deck.pptx", "pptx", ConvertOptions())
    assert deck.pages == 3
    overview = next(c for c in deck.chunks if c.headings == ["Overview"])
    assert overview.pages == [2]


def test_a_document_over_the_page_ceiling_fails_with_the_reason() -> None:
    with pytest.raises(ConversionFailed, match="exceeding the max_num_pages limit of 2"):
        convert(documents.make("pdf", pages=3), "long.pdf", "pdf", ConvertOptions(max_pages=2))


def test_a_damaged_pdf_fails_with_a_clear_error() -> None:
    with pytest.raises(ConversionFailed, match=r"broken\.pdf could not be converted"):
        convert(b"%PDF-1.7\n" + b"\x8f" * 2000, "broken.pdf", "pdf", ConvertOptions())


def test_the_layout_pipeline_without_its_models_says_what_is_missing(tmp_path: Path) -> None:
    options = ConvertOptions(artifacts_path=str(tmp_path))
    with pytest.raises(ConversionFailed, match="not found in artifacts_path") as caught:
        convert(documents.make("pdf"), "manual.pdf", "pdf", options)
    assert len(str(caught.value)) <= 500


@pytest.mark.slow
def test_the_converter_process_stops_an_overrun_and_serves_the_next_document() -> None:
    from shield.worker.converter import ConverterError, ConverterProcess

    converter = ConverterProcess(ConvertOptions(max_pages=100, max_tokens=200), timeout=60)
    try:
        first = converter.convert(documents.make("md"), "glacier.md", "md")
        assert first.title == "Glacier survey"
        # 80 pages take a quarter of a second or more (about 3 ms a page); the deadline is a
        # twentieth, and the process is killed mid-way. (A tiny document could finish before
        # the deadline is checked at all.)
        converter.timeout = 0.05
        with pytest.raises(ConverterError, match=r"took longer than 0\.05 s"):
            converter.convert(documents.make("pdf", pages=80), "slow.pdf", "pdf")
        converter.timeout = 60
        again = converter.convert(documents.make("docx"), "bees.docx", "docx")
        assert again.title == "Beekeeping handbook"
    finally:
        converter.close()
