from __future__ import annotations

import io
import os
import zipfile

import pytest

from shield.documents.formats import format_for, inspect_file, safe_filename, upload_source
from shield.errors import UnsupportedMedia
from support import documents

LIMITS = {"max_expanded_bytes": 64 * 1024 * 1024, "max_compression_ratio": 200}


@pytest.mark.parametrize("fmt", documents.FORMATS)
def test_every_generated_format_passes_its_checks(fmt: str) -> None:
    name = documents.filename(fmt)
    assert inspect_file(name, documents.make(fmt), **LIMITS).name == fmt


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", os.urandom(4096), "claims to be PDF"),
        ("report.pdf", b"", "is empty"),
        ("report.docx", documents.make("pdf"), "claims to be DOCX but its content looks like pdf"),
        (
            "slides.pptx",
            documents.make("docx"),
            "claims to be PPTX but its content looks like docx",
        ),
        ("notes.md", b"# Title\x00\x01binary", "contains binary data"),
        ("notes.txt", "caf\xe9 latin-1".encode("latin-1"), "not UTF-8"),
        ("tool.exe", b"MZ\x90\x00", "not a format Shield reads"),
        ("no-extension", b"hello", "no extension"),
    ],
)
def test_content_that_does_not_match_its_claim_is_refused(
    name: str, data: bytes, message: str
) -> None:
    with pytest.raises(UnsupportedMedia, match=message) as caught:
        inspect_file(name, data, **LIMITS)
    assert caught.value.status_code == 415


CLEAN_PREFIX = (
    "# Notes\n\n" + "A line of plain text, long enough to fill a page. " * 4000
).encode()


@pytest.mark.parametrize(
    ("damage", "says"),
    [(b"\x00", "a NUL byte at byte"), (b"\xff\xfe", "an invalid byte at byte")],
    ids=["nul", "invalid-utf8"],
)
def test_text_is_checked_to_its_last_byte_and_the_offset_is_named(damage: bytes, says: str) -> None:
    assert len(CLEAN_PREFIX) > 128 * 1024  # well past any sample
    data = CLEAN_PREFIX + damage + b" and more text after it\n"
    with pytest.raises(UnsupportedMedia, match=says) as caught:
        inspect_file("notes.md", data, **LIMITS)
    assert caught.value.details["offset"] == len(CLEAN_PREFIX)
    assert f"byte {len(CLEAN_PREFIX)}" in caught.value.message
    assert inspect_file("notes.md", CLEAN_PREFIX, **LIMITS).name == "md"


def test_a_zip_that_is_not_a_docx_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(UnsupportedMedia, match="not a DOCX document"):
        inspect_file("letter.docx", out.getvalue(), **LIMITS)


def test_a_zip_bomb_inside_a_docx_is_refused_before_inflating() -> None:
    bomb = documents.zip_bomb_docx(expanded_bytes=128 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    with pytest.raises(UnsupportedMedia, match="would expand to"):
        inspect_file("bomb.docx", bomb, **LIMITS)
    # Under a generous total, the compression ratio still gives it away.
    with pytest.raises(UnsupportedMedia, match="looks like a zip bomb"):
        inspect_file("bomb.docx", bomb, max_expanded_bytes=1 << 40, max_compression_ratio=200)


def test_the_media_type_names_the_format_when_the_name_does_not() -> None:
    assert format_for("download", "application/pdf; charset=binary").name == "pdf"
    assert format_for("page", "text/html; charset=utf-8").name == "html"
    assert format_for("guide.MD").name == "md"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("report 2026 (final).pdf", "report 2026 (final).pdf"),
        ("bad\x00name\n.pdf", "badname.pdf"),
        ("résumé.docx", "résumé.docx"),
        ("a;rm -rf $HOME.md", "a_rm -rf _HOME.md"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_file_names_are_made_safe(given: str, expected: str) -> None:
    assert safe_filename(given) == expected


@pytest.mark.parametrize("given", ["", "..", "../", "/", "...", "\x00\x01"])
def test_file_names_with_nothing_usable_are_refused(given: str) -> None:
    with pytest.raises(UnsupportedMedia, match="nothing usable"):
        safe_filename(given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("guides/setup.md", "guides/setup.md"),
        ("./docs//ops/disk.md", "docs/ops/disk.md"),
        ("docs\\windows\\notes.txt", "docs/windows/notes.txt"),
        ("a;b/c d.md", "a_b/c d.md"),
    ],
)
def test_upload_sources_keep_their_folders_made_safe(given: str, expected: str) -> None:
    assert upload_source(given) == expected


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("/etc/passwd", "must be a relative path"),
        ("\\\\host\\share\\a.md", "must be a relative path"),
        ("docs/../../etc/passwd", "may not contain '..'"),
        ("./", "must be a relative path"),
        ("docs/\x00\x01/a.md", "nothing usable"),
        ("a/" * 600 + "b.md", "longer than 1024"),
    ],
)
def test_upload_sources_outside_or_empty_are_refused(given: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        upload_source(given)


def test_a_docx_whose_xml_declares_a_doctype_is_refused_with_the_reason() -> None:
    original = zipfile.ZipFile(io.BytesIO(documents.make("docx")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in original.infolist():
            data = original.read(member)
            if member.filename == "word/document.xml":  # as some generators write it
                declaration, _, rest = data.partition(b"?>")
                data = declaration + b'?>\n<!DOCTYPE w:document [<!ENTITY x "y">]>' + rest
            archive.writestr(member, data)
    with pytest.raises(UnsupportedMedia, match=r"declares a DOCTYPE in word/document\.xml"):
        inspect_file("minutes.docx", out.getvalue(), **LIMITS)
