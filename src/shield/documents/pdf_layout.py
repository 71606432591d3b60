"""A PDF's structure without layout models: its lines as the PDF lays them out (pdfplumber, on
pdfminer), sorted into headings, paragraphs, list items and tables, then handed to Docling as a
document of its own, so that chunks carry heading paths and tables stay tables.

- Headings: the PDF's outline (bookmarks) where it has one, else lines set apart by their font:
  larger than the body text (a level per size, largest first), or bold or italic throughout and
  short, standing alone. Nested by level.
- Paragraphs: lines joined across line breaks and hyphenation, until a gap, a change of font
  or indentation, a heading or a list item.
- Lists: lines that start with a bullet (any bullet glyph, a dash, a symbol font's mark) or a
  number or letter and a dot or bracket; their indented continuation lines belong to them.
- Running headers and footers (the same line, numbers aside, at the top or bottom of most pages)
  and page numbers are dropped.
- Tables: pdfplumber's table finder where ruling lines draw them, and runs of lines whose cells
  stand in aligned columns where none do (`pdf_tables`), as Markdown tables; their words are not
  read again as text.
- The title: the PDF's own (its metadata) when it is not a file name, else its first heading.
"""

from __future__ import annotations

import io
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from statistics import median
from typing import Any

import pdfplumber
import pypdfium2
from docling_core.types.doc.base import BoundingBox, CoordOrigin, Size
from docling_core.types.doc.common.reference import ProvenanceItem
from docling_core.types.doc.document import DoclingDocument
from docling_core.types.doc.items.table.table_data import TableCell, TableData
from docling_core.types.doc.labels import DocItemLabel
from PIL import Image

from shield.documents.ocr import OCR_DPI, OcrFailed, OcrLine, OcrOptions, read_page
from shield.documents.pdf_lines import BULLET, NUMBERED, Block, Line, page_lines
from shield.documents.pdf_tables import Table, aligned_tables, placed, ruled_tables

#: Words a line may have and still be a heading.
HEADING_MAX_WORDS = 18
#: How much larger than the body text a heading's font is, at least.
HEADING_SIZE_RATIO = 1.08
#: The largest picture of a page read at all (larger ones are scaled down to
#: `OcrOptions.max_pixels` before OCR): a page at about 1,200 dpi.
MAX_PICTURE_PIXELS = 150_000_000
#: Characters of text a scanned page may carry besides its picture (a stamp, a page number).
SCAN_TEXT_CHARS = 40
#: The share of the page at its top and bottom where running headers and footers stand.
MARGIN_SHARE = 0.09

_PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[ivxlc]{1,6}$", re.I)
_ENDS_SENTENCE = re.compile(r"[.,;:]$")
_SECTION_NUMBER = re.compile(r"^\s*(chapter\s+|section\s+)?[\dA-Z]{0,2}(\.\d+)*\.?\s+", re.I)


def _is_margin_line(line: Line, height: float) -> bool:
    return line.top < height * MARGIN_SHARE or line.bottom > height * (1 - MARGIN_SHARE)


def _furniture(pages: list[list[Line]], heights: list[float]) -> set[int]:
    """The ids of running headers, footers and page numbers: lines in a page's margin that are a
    page number, or whose text (numbers aside) recurs in the margins of half the pages or more
    (three at least)."""

    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", line.text.lower()).strip()

    counts: Counter[str] = Counter()
    for lines, height in zip(pages, heights, strict=True):
        counts.update({key(line) for line in lines if _is_margin_line(line, height)})
    recurring = {text for text, n in counts.items() if n >= 3 and n >= 0.5 * len(pages)}
    dropped = set()
    for lines, height in zip(pages, heights, strict=True):
        furniture = {
            id(line)
            for line in lines
            if _is_margin_line(line, height)
            and (key(line) in recurring or _PAGE_NUMBER.match(line.text.strip()))
        }
        if len(furniture) < len(lines):  # a page of nothing else: its text, not its frame
            dropped |= furniture
    return dropped


def _outline(data: bytes) -> list[tuple[int, int, str]]:
    """The PDF's bookmarks: (level from 1, page from 1, or 0 if unknown, title)."""
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        return []
    try:
        found = []
        for bookmark in document.get_toc(max_depth=6):
            title = " ".join(bookmark.get_title().split())
            destination = bookmark.get_dest()
            index = destination.get_index() if destination is not None else None
            if title:
                found.append((bookmark.level + 1, (index + 1) if index is not None else 0, title))
        return found
    finally:
        document.close()


def _normal(text: str) -> str:
    """A heading's words, without its number (an outline may number it, or not)."""
    return " ".join(re.findall(r"\w+", _SECTION_NUMBER.sub("", text.lower())))


class _Headings:
    """Which lines are headings, and at which level."""

    def __init__(self, lines: list[Line], outline: list[tuple[int, int, str]]) -> None:
        weights: Counter[float] = Counter()
        fonts: Counter[str] = Counter()
        for line in lines:
            weights[line.size] += len(line.text)
            fonts[line.font] += len(line.text)
        self.body = weights.most_common(1)[0][0] if weights else 10.0
        self.body_font = fonts.most_common(1)[0][0] if fonts else ""
        self.outline = {(page, _normal(title)): level for level, page, title in outline}
        self.outline_titles = {_normal(title): level for level, _, title in outline}
        larger = sorted({line.size for line in lines if self._larger(line)}, reverse=True)
        self.levels = {size: number for number, size in enumerate(larger[:5], 1)}
        self.styled_level = len(self.levels) + 1

    def _larger(self, line: Line) -> bool:
        """Set larger than the body text, short, with letters: a heading by its size."""
        words = line.text.split()
        return (
            line.size >= self.body * HEADING_SIZE_RATIO
            and 0 < len(words) <= HEADING_MAX_WORDS
            and any(c.isalpha() for c in line.text)
            and not BULLET.match(line.text)
        )

    def _styled(self, line: Line, alone: bool) -> bool:
        """Bold or italic throughout at the body's size, alone, short, not ending like part
        of a sentence: a heading by its weight."""
        words = line.text.split()
        return (
            alone
            and line.styled
            and line.font != self.body_font
            and 0 < len(words) <= HEADING_MAX_WORDS
            and any(c.isalpha() for c in line.text)
            and not _ENDS_SENTENCE.search(line.text)
            and not BULLET.match(line.text)
        )

    def level(self, line: Line, alone: bool) -> int:
        """The line's heading level; 0 if it is not a heading."""
        if self.outline:  # the author's own headings: where the outline says, else anywhere
            text = _normal(line.text)
            return self.outline.get((line.page, text)) or self.outline_titles.get(text, 0)
        if self._larger(line):
            return self.levels.get(line.size, self.styled_level)
        return self.styled_level if self._styled(line, alone) else 0


def _blocks(pages: list[list[Line | Block]], headings: _Headings) -> Iterator[Block]:
    """Lines into blocks (tables are blocks already), page by page in reading order."""
    for page_no, items in enumerate(pages, 1):
        builder = _Builder(page_no, headings)
        for item in items:
            if isinstance(item, Block):
                yield from builder.close()
                builder.previous = None
                yield item
            else:
                yield from builder.take(item)
        yield from builder.close()


class _Builder:
    """The block a page's lines are going into, and when one ends."""

    def __init__(self, page: int, headings: _Headings) -> None:
        self.page = page
        self.headings = headings
        self.block: Block | None = None
        self.previous: Line | None = None

    def close(self) -> Iterator[Block]:
        if self.block:
            yield self.block
        self.block = None

    def _start(self, kind: str, line: Line, level: int = 0) -> Iterator[Block]:
        yield from self.close()
        self.block = Block(kind, [line], level=level, page=self.page)

    def take(self, line: Line) -> Iterator[Block]:
        previous, block = self.previous, self.block
        self.previous = line
        gap = line.top - previous.bottom if previous else 1e9
        broke = previous is None or gap > 0.9 * line.height or gap < -line.height
        # A line of its own: after a gap, or after a sentence's end.
        alone = broke or (previous is not None and previous.text.rstrip()[-1:] in ".!?:")
        level = self.headings.level(line, alone=alone)
        if level:
            if block and block.kind == "heading" and block.level == level and not broke:
                block.lines.append(line)  # a heading set on two lines
            else:
                yield from self._start("heading", line, level)
        elif BULLET.match(line.text) or NUMBERED.match(line.text):
            yield from self._start("item", line)
        elif block and not broke and _continues(block, line):
            block.lines.append(line)
        else:
            yield from self._start("text", line)


def _with_sections(blocks: list[Block]) -> list[Block]:
    """The blocks, a heading with nothing under it (the next block a heading of its level or
    above, or none) made text: passages carry a heading only in the path of what is under it,
    so its words would be lost."""
    for block, after in zip(blocks, [*blocks[1:], None], strict=True):
        if block.kind == "heading" and (
            after is None or (after.kind == "heading" and after.level <= block.level)
        ):
            block.kind = "text"
    return blocks


def _continues(block: Block, line: Line) -> bool:
    """Whether the line goes on with the paragraph or list item above it: the same size, and
    indented under a list item's marker."""
    last = block.lines[-1]
    if block.kind == "heading" or abs(line.size - last.size) >= 0.6:
        return False
    return block.kind == "text" or line.x0 > block.lines[0].x0


def _prov(block: Block, height: float) -> ProvenanceItem:
    if block.lines:
        left = min(line.x0 for line in block.lines)
        right = max(line.x1 for line in block.lines)
        top = min(line.top for line in block.lines)
        bottom = max(line.bottom for line in block.lines)
    else:
        left, top, right, bottom = block.bbox
    box = BoundingBox(l=left, t=top, r=right, b=bottom, coord_origin=CoordOrigin.TOPLEFT)
    return ProvenanceItem(page_no=block.page, bbox=box, charspan=(0, len(block.text)))


def _table(rows: list[list[str]]) -> TableData:
    width = max(len(row) for row in rows)
    cells = [
        TableCell(
            text=text,
            start_row_offset_idx=r,
            end_row_offset_idx=r + 1,
            start_col_offset_idx=c,
            end_col_offset_idx=c + 1,
            column_header=r == 0,
        )
        for r, row in enumerate(rows)
        for c, text in enumerate(row + [""] * (width - len(row)))
    ]
    return TableData(num_rows=len(rows), num_cols=width, table_cells=cells)


def _title(metadata: dict[str, Any], name: str) -> str | None:
    """The PDF's own title, unless it is a file's name or a program's placeholder."""
    title = " ".join(str(metadata.get("Title") or "").split())
    stem = name.rsplit(".", 1)[0].lower()
    if not title or title.lower() in (stem, "untitled") or re.search(r"\.\w{2,4}$", title):
        return None
    if title.lower().startswith(("microsoft word", "microsoft powerpoint")):
        return None
    return title[:512]


class TooManyPages(Exception):
    """A PDF longer than a document may be."""


@dataclass(frozen=True)
class PdfReading:
    document: DoclingDocument
    title: str | None  # the PDF's own, from its metadata
    ocr_pages: int = 0  # pages read by OCR


def _too_many(name: str, pages: int, max_pages: int) -> TooManyPages:
    return TooManyPages(
        f"{name} has {pages} pages, exceeding the max_num_pages limit of {max_pages} "
        "(SHIELD_MAX_DOCUMENT_PAGES)"
    )


def _from_ocr(found: list[OcrLine], page_no: int) -> list[Line]:
    """OCR'd lines as lines of a page: a line much taller than the page's usual one is set
    larger (a heading, likely); the others all at one size, since a scan's line heights vary
    with the letters in them."""
    usual = median([line.bottom - line.top for line in found]) if found else 1.0
    lines = []
    for line in found:
        tall = (line.bottom - line.top) / max(usual, 0.1)
        size = round(10.0 * tall) if tall >= 1.4 else 10.0
        lines.append(Line(line.text, page_no, line.x0, line.x1, line.top, line.bottom,
                          float(size), "ocr", styled=False))  # fmt: skip
    return lines


def read_pdf(data: bytes, name: str, max_pages: int, ocr: OcrOptions | None = None) -> PdfReading:
    """The PDF as a Docling document of headings, paragraphs, lists and tables, and its own
    title; TooManyPages if it has more than `max_pages`. A page with no text layer (a scan) is
    read by OCR when `ocr` is given."""
    outline = _outline(data)
    scanned = 0
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        if len(pdf.pages) > max_pages:
            raise _too_many(name, len(pdf.pages), max_pages)
        sizes = [(float(page.width), float(page.height)) for page in pdf.pages]
        tables = [ruled_tables(page) for page in pdf.pages]
        pages = []
        for number, (page, found) in enumerate(zip(pdf.pages, tables, strict=True), 1):
            lines = page_lines(page, number, [box for box, _ in found])
            if ocr is not None and _scanned(page, lines):
                picture, dpi = _drawn(data, number - 1, ocr.max_pixels)
                read = read_page(picture, dpi, ocr)
                lines = _from_ocr(read.lines, number)
                sizes[number - 1] = (read.width, read.height)  # as it reads, turned upright
                scanned += 1
            pages.append(lines)
        title = _title(pdf.metadata or {}, name) or _display_title(pages)
    document = _assemble(name, pages, tables, sizes, outline)
    return PdfReading(document, title, scanned)


def _scanned(page: Any, lines: list[Line]) -> bool:
    """A page that is a picture: pictures cover most of it, and its text layer, if any, is a
    stamp or a page number at most (the picture holds that too, and OCR reads it)."""
    if sum(len(line.text) for line in lines) >= SCAN_TEXT_CHARS:
        return False
    area = float(page.width) * float(page.height) or 1.0
    covered = sum(
        max(0.0, float(i["x1"]) - float(i["x0"])) * max(0.0, float(i["bottom"]) - float(i["top"]))
        for i in page.images
    )
    return covered >= 0.5 * area


def _display_title(pages: list[list[Line]]) -> str | None:
    """The line set largest on the first page with text, if it stands out from the rest
    (half again as large as the body, short): a title page's or a paper's title."""
    lines = [line for page in pages for line in page]
    first = next((page for page in pages if page), [])
    if not first:
        return None
    body = Counter(line.size for line in lines for _ in line.text).most_common(1)[0][0]
    largest = max(first, key=lambda line: line.size)
    words = largest.text.split()
    if largest.size >= 1.5 * body and 0 < len(words) <= HEADING_MAX_WORDS:
        return " ".join(words)[:512]
    return None


def _drawn(data: bytes, index: int, max_pixels: int) -> tuple[Image.Image, float]:
    """A page of the PDF drawn as a picture for OCR, and its resolution: OCR_DPI, or less for
    a page so large that it would pass `max_pixels`."""
    document = pypdfium2.PdfDocument(data)
    try:
        page = document[index]
        width, height = page.get_size()
        dpi = min(float(OCR_DPI), 72 * (max_pixels / max(width * height, 1.0)) ** 0.5)
        image: Image.Image = page.render(scale=dpi / 72).to_pil()
        return image, dpi
    finally:
        document.close()


def read_image(data: bytes, name: str, max_pages: int, ocr: OcrOptions) -> PdfReading:
    """A picture of pages (PNG, JPEG, a TIFF of one or more) read by OCR."""
    try:
        with warnings.catch_warnings():  # its size is checked below, against Shield's limit
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(data))
    except (OSError, Image.DecompressionBombError) as exc:
        raise OcrFailed(f"{name} could not be read as an image: {exc}") from None
    if picture.width * picture.height > MAX_PICTURE_PIXELS:
        raise OcrFailed(
            f"{name} is a picture of {picture.width}x{picture.height} pixels; Shield reads "
            f"pictures of at most {MAX_PICTURE_PIXELS // 1_000_000} million pixels"
        )
    frames = getattr(picture, "n_frames", 1)
    if frames > max_pages:
        raise _too_many(name, frames, max_pages)
    pages, sizes = [], []
    dpi = float((picture.info.get("dpi") or (OCR_DPI, OCR_DPI))[0]) or OCR_DPI
    for index in range(frames):
        picture.seek(index)
        frame = picture.copy()
        read = read_page(frame, dpi, ocr)
        sizes.append((read.width, read.height))
        pages.append(_from_ocr(read.lines, index + 1))
    document = _assemble(name, pages, [[] for _ in pages], sizes, [])
    return PdfReading(document, None, frames)


def _assemble(
    name: str,
    pages: list[list[Line]],
    ruled: list[list[Table]],
    sizes: list[tuple[float, float]],
    outline: list[tuple[int, int, str]],
) -> DoclingDocument:
    dropped = _furniture(pages, [height for _, height in sizes])
    pages = [[line for line in lines if id(line) not in dropped] for lines in pages]
    read = [
        placed(aligned_tables(lines), tables, number)
        for number, (lines, tables) in enumerate(zip(pages, ruled, strict=True), 1)
    ]
    headings = _Headings([i for items in read for i in items if isinstance(i, Line)], outline)
    document = DoclingDocument(name=name.rsplit(".", 1)[0] or name)
    for number, (width, height) in enumerate(sizes, 1):
        document.add_page(page_no=number, size=Size(width=width, height=height))
    items = None
    for block in _with_sections(list(_blocks(read, headings))):
        prov = _prov(block, sizes[block.page - 1][1])
        if block.kind != "item":
            items = None
        if block.kind == "heading":
            document.add_heading(text=block.text, level=block.level, prov=prov)
        elif block.kind == "table":
            document.add_table(data=_table(block.rows), prov=prov)
        elif block.kind == "item":
            if items is None:
                items = document.add_list_group()
            text = block.text
            numbered = NUMBERED.match(text)
            marker = numbered.group(1) if numbered else "-"
            text = (NUMBERED if numbered else BULLET).sub("", text, count=1)
            document.add_list_item(
                text=text, enumerated=bool(numbered), marker=marker, prov=prov, parent=items
            )
        else:
            document.add_text(label=DocItemLabel.TEXT, text=block.text, prov=prov)
    return document
