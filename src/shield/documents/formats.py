"""The file formats Shield reads, and the checks a file passes before anything parses it.

A file's format is claimed by its name (or a URL's Content-Type) and must be confirmed by its
bytes: a PDF starts with `%PDF-`, an Office file is a ZIP holding the right part, a text format is
UTF-8 without NUL bytes, every byte of it. Office files are ZIP archives, so their declared
uncompressed size and compression ratio are checked before any decompression (a zip bomb never
gets inflated).
This module has no heavy dependencies: shield-api runs it on uploads before queueing them.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype

from shield.errors import UnsupportedMedia

MAX_ARCHIVE_MEMBERS = 10_000
MAX_FILENAME_CHARS = 200
MAX_SOURCE_PATH_CHARS = 1024


@dataclass(frozen=True)
class Format:
    name: str  # the Docling input format it maps to
    extensions: tuple[str, ...]
    media_types: tuple[str, ...]
    text: bool  # UTF-8 text, or a binary format recognised by its signature


FORMATS: tuple[Format, ...] = (
    Format("pdf", ("pdf",), ("application/pdf",), text=False),
    Format(
        "docx",
        ("docx",),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
        text=False,
    ),
    Format(
        "pptx",
        ("pptx",),
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation",),
        text=False,
    ),
    Format(
        "xlsx",
        ("xlsx",),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
        text=False,
    ),
    Format("html", ("html", "htm", "xhtml"), ("text/html", "application/xhtml+xml"), text=True),
    Format("md", ("md", "markdown"), ("text/markdown", "text/x-markdown"), text=True),
    Format("asciidoc", ("adoc", "asciidoc", "asc"), ("text/asciidoc", "text/x-asciidoc"), True),
    Format("txt", ("txt", "text", "log"), ("text/plain",), text=True),
    Format("csv", ("csv",), ("text/csv",), text=True),
    # Pictures of pages (scans, photos), read by OCR.
    Format("png", ("png",), ("image/png",), text=False),
    Format("jpeg", ("jpg", "jpeg"), ("image/jpeg",), text=False),
    Format("tiff", ("tif", "tiff"), ("image/tiff",), text=False),
)
BY_EXTENSION = {ext: fmt for fmt in FORMATS for ext in fmt.extensions}
BY_MEDIA_TYPE = {media: fmt for fmt in FORMATS for media in fmt.media_types}
SUPPORTED = ", ".join(sorted(BY_EXTENSION))

# What the bytes of each binary format look like to `filetype`.
_SIGNATURE_EXTENSIONS = {
    "pdf": "pdf", "docx": "docx", "pptx": "pptx", "xlsx": "xlsx",
    "png": "png", "jpeg": "jpg", "tiff": "tif",
}  # fmt: skip
_OOXML_PART = {"docx": "word/", "pptx": "ppt/", "xlsx": "xl/"}


_XML_PROLOG_BYTES = 4096  # where an XML part's DOCTYPE would stand, before its root element


def safe_filename(name: str) -> str:
    """A file name that is safe to show, store and use as a document's source.

    Keeps only the last path component (`../../etc/passwd` -> `passwd`), drops control
    characters and anything outside letters, digits and `._- ()`, and refuses what is left empty.
    """
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[\x00-\x1f\x7f]", "", base)
    base = re.sub(r"[^\w.\- ()]", "_", base).strip(" .")
    if not base or set(base) <= {"_", "."}:
        raise UnsupportedMedia(f"the file name {name!r} has nothing usable in it; rename the file")
    if len(base) > MAX_FILENAME_CHARS:
        stem, dot, ext = base.rpartition(".")
        keep = MAX_FILENAME_CHARS - len(ext) - 1
        base = f"{stem[:keep]}.{ext}" if dot and len(ext) <= 10 else base[:MAX_FILENAME_CHARS]
    return base


def upload_source(path: str) -> str:
    """An uploaded file's source given as a relative path (`guides/setup.md`): each part made
    safe like a file name; ValueError for an absolute path, `..` or an empty one."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if path.startswith(("/", "\\")) or not parts:
        raise ValueError(f"{path!r} must be a relative path such as guides/setup.md")
    if ".." in parts:
        raise ValueError(f"{path!r} may not contain '..'")
    try:
        safe = "/".join(safe_filename(part) for part in parts)
    except UnsupportedMedia as exc:
        raise ValueError(exc.message) from None
    if len(safe) > MAX_SOURCE_PATH_CHARS:
        raise ValueError(f"the path is longer than {MAX_SOURCE_PATH_CHARS} characters")
    return safe


def format_for(name: str, media_type: str | None = None) -> Format:
    """The format a file claims: by its extension, else by its media type."""
    ext = PurePosixPath(name).suffix.lower().lstrip(".")
    if ext in BY_EXTENSION:
        return BY_EXTENSION[ext]
    media = (media_type or "").split(";", 1)[0].strip().lower()
    if media in BY_MEDIA_TYPE:
        return BY_MEDIA_TYPE[media]
    shown = f".{ext}" if ext else "no extension"
    raise UnsupportedMedia(
        f"{name!r} ({shown}) is not a format Shield reads; supported extensions: {SUPPORTED}"
    )


def check_content(fmt: Format, data: bytes, name: str) -> None:
    """Refuse bytes that are not what `fmt` claims (415)."""
    if not data:
        raise UnsupportedMedia(f"{name!r} is empty")
    if fmt.text:
        _check_text(data, name, fmt)
        return
    kind = filetype.guess_extension(data[:8192])
    expected = _SIGNATURE_EXTENSIONS[fmt.name]
    if kind != expected and not (fmt.name in _OOXML_PART and kind == "zip"):
        seen = f"looks like {kind}" if kind else "is not recognisable"
        raise UnsupportedMedia(f"{name!r} claims to be {fmt.name.upper()} but its content {seen}")
    if fmt.name in _OOXML_PART:
        _check_ooxml(fmt, data, name)


def _check_text(data: bytes, name: str, fmt: Format) -> None:
    """The whole file, not a sample: a NUL or a broken character anywhere would be stored
    mangled. Both checks run at memory speed (about 20 ms for 50 MB)."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise UnsupportedMedia(
            f"{name!r} claims to be {fmt.name} text but contains binary data "
            f"(a NUL byte at byte {nul}); text files must be UTF-8 without NUL bytes",
            offset=nul,
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsupportedMedia(
            f"{name!r} is not UTF-8 text (an invalid byte at byte {exc.start}); save it as UTF-8 "
            "and try again",
            offset=exc.start,
        ) from None


def check_archive(data: bytes, name: str, max_uncompressed: int, max_ratio: int) -> None:
    """Refuse a ZIP-based file whose content would inflate beyond the limits (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsupportedMedia(f"{name!r} is a damaged archive: {exc}") from None
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise UnsupportedMedia(
            f"{name!r} holds {len(members)} parts; at most {MAX_ARCHIVE_MEMBERS}"
        )
    total = sum(member.file_size for member in members)
    if total > max_uncompressed:
        raise UnsupportedMedia(
            f"{name!r} would expand to {total} bytes; the limit is {max_uncompressed} "
            "(SHIELD_MAX_EXPANDED_BYTES)"
        )
    for member in members:
        if member.compress_size and member.file_size / member.compress_size > max_ratio:
            raise UnsupportedMedia(
                f"{name!r} has a part compressed {member.file_size // member.compress_size}:1 "
                f"(limit {max_ratio}:1); it looks like a zip bomb"
            )


def _check_ooxml(fmt: Format, data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnsupportedMedia(f"{name!r} is a damaged {fmt.name.upper()} file: {exc}") from None
    part = _OOXML_PART[fmt.name]
    if "[Content_Types].xml" not in names or not any(n.startswith(part) for n in names):
        raise UnsupportedMedia(f"{name!r} is a ZIP archive but not a {fmt.name.upper()} document")


def inspect_file(
    name: str,
    data: bytes,
    *,
    media_type: str | None = None,
    max_expanded_bytes: int,
    max_compression_ratio: int,
) -> Format:
    """Every check a file passes before conversion; answers its confirmed format."""
    fmt = format_for(name, media_type)
    check_content(fmt, data, name)
    if fmt.name in _OOXML_PART:
        check_archive(data, name, max_expanded_bytes, max_compression_ratio)
        _check_no_doctype(data, name)
    return fmt


def _check_no_doctype(data: bytes, name: str) -> None:
    """Refuse an Office document whose XML declares a DOCTYPE: office programs never write one,
    the parsers fail on it with messages nobody can act on, and it is how XML pulls in other
    files. The declaration stands before the root element, so each part's head is enough."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.infolist():
            if not member.filename.endswith((".xml", ".rels")):
                continue
            with archive.open(member) as part:
                head = part.read(_XML_PROLOG_BYTES)
            if b"<!doctype" in head.lower():
                raise UnsupportedMedia(
                    f"{name!r} declares a DOCTYPE in {member.filename}, which office programs "
                    "never write; Shield does not read XML with one. Save the document again "
                    "from Word or LibreOffice, then upload it."
                )
