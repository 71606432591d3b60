"""Document identity and structure-aware chunking within the model's token budget."""

from __future__ import annotations

from tokenizers import Tokenizer

from shield.documents.chunking import Chunker, tokenizer_file
from shield.documents.identity import document_id, point_id, text_source
from support.bigdoc import big_document


def test_identity_is_stable_and_scoped_by_collection() -> None:
    first = document_id("docs", "manuals/a.md")
    assert first == document_id("docs", "  manuals/a.md\n")  # normalised source
    assert first != document_id("other", "manuals/a.md")
    assert first != document_id("docs", "manuals/b.md")
    assert point_id(first, 0) == point_id(first, 0)
    assert point_id(first, 0) != point_id(first, 1)
    assert text_source("hello") == text_source("hello") != text_source("hello!")


def test_chunks_fit_the_token_budget_and_keep_all_text() -> None:
    text = big_document(60)
    chunks = Chunker(max_tokens=120, overlap=0).split(text)
    path = tokenizer_file()
    assert path is not None  # the bundled model's tokenizer, no download
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    sizes = [len(tokenizer.encode(c, add_special_tokens=False).ids) for c in chunks]
    assert max(sizes) <= 120
    assert min(sizes) >= 1
    assert len(chunks) > 10
    # Without overlap the chunks are the text, in order, split at boundaries.
    assert "".join(c.replace(" ", "").replace("\n", "") for c in chunks) == text.replace(
        " ", ""
    ).replace("\n", "")


def test_chunks_follow_headings() -> None:
    text = "# Alpha\n\n" + "Alpha facts. " * 60 + "\n\n# Beta\n\n" + "Beta facts. " * 60
    chunks = Chunker(max_tokens=200, overlap=0).split(text)
    assert any(c.startswith("# Beta") for c in chunks)  # a heading starts a chunk
    assert not any("Alpha" in c and "Beta" in c for c in chunks)


def test_empty_text_has_no_chunks() -> None:
    assert Chunker().split("  \n\n ") == []


def test_a_passage_is_stored_without_empty_structure_and_read_back_whatever_its_release() -> None:
    from shield.documents.models import StoredPassage

    passage = StoredPassage(
        text="Rotate the journal.", document_id="d1", source="disk.md", content_hash="h",
        ingested_at="2026-12-01T00:00:00+00:00", headings=["Disk full"],
    )  # fmt: skip
    payload = passage.payload()
    assert payload["headings"] == ["Disk full"]
    assert "pages" not in payload
    assert StoredPassage.model_validate(payload) == passage
    # Stored by an early release: no title, collection, job, headings; metadata null.
    early = {"text": "t", "document_id": "d0", "source": "a.md", "content_hash": "h0",
             "ingested_at": "2025-01-01", "chunk_index": 3, "metadata": None}  # fmt: skip
    read = StoredPassage.model_validate(early)
    assert (read.title, read.collection, read.headings, read.metadata) == ("", "", [], {})
    assert read.chunk_index == 3
