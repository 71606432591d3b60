"""A document's text is put back together from its overlapping passages with nothing twice."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shield.documents.chunking import Chunker
from shield.documents.reassembly import reassemble, reassemble_document

ROOT = Path(__file__).resolve().parents[2]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("document", ["README.md", "docs/guides/CLI.md", "docs/RUNBOOK.md"])
def test_the_default_chunking_reassembles_to_the_original_text(document: str) -> None:
    text = (ROOT / document).read_text()
    passages = Chunker(200, 30).split(text)  # SHIELD_CHUNK_TOKENS, SHIELD_CHUNK_OVERLAP
    assert len(passages) > 5
    assert _words(reassemble(passages)) == _words(text)


def test_passages_without_overlap_are_joined_by_a_blank_line() -> None:
    assert reassemble(["# Title", "First paragraph.", "Second."]) == (
        "# Title\n\nFirst paragraph.\n\nSecond."
    )
    assert reassemble([]) == ""


def test_an_overlap_is_kept_once_and_a_short_coincidence_is_not_one() -> None:
    assert reassemble(["The pump seal leaks when cold", "seal leaks when cold water flows."]) == (
        "The pump seal leaks when cold water flows."
    )
    assert reassemble(["It ends in ok", "ok: a new start"]) == "It ends in ok\n\nok: a new start"
    # Cut just before a full stop: nothing was trimmed there, and nothing is put back.
    assert reassemble(["It answers `{...}`", ". A scope is"]) == "It answers `{...}`. A scope is"


def test_each_heading_stands_once_as_a_markdown_heading() -> None:
    passages = [
        ("Pump manual\nThe pump is grey.", ["Pump manual"]),
        ("Pump manual\nSeals\nThe seal leaks when cold.", ["Pump manual", "Seals"]),
        ("Pump manual\nSeals\nReplace it each spring.", ["Pump manual", "Seals"]),
        ("Pump manual\nValves\nThe valve is brass.", ["Pump manual", "Valves"]),
        ("A passage with no heading.", []),
    ]
    assert reassemble_document(passages) == (
        "# Pump manual\n\nThe pump is grey.\n\n## Seals\n\nThe seal leaks when cold.\n\n"
        "Replace it each spring.\n\n## Valves\n\nThe valve is brass.\n\n"
        "A passage with no heading."
    )
    # Overlapping passages under one heading are joined once, as without headings.
    overlapping = [
        ("Seals\nThe pump seal leaks when cold", ["Seals"]),
        ("Seals\nseal leaks when cold water flows.", ["Seals"]),
    ]
    assert reassemble_document(overlapping) == (
        "# Seals\n\nThe pump seal leaks when cold water flows."
    )
