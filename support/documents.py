"""Documents of every supported format, written here rather than kept as files: one model (a
title, sections of paragraphs and a table) and a writer per format. The tests' samples are each
about their own subject, so a search can tell them apart; the benchmarks write long ones."""

from __future__ import annotations

import html
import io
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import docx
import openpyxl
import pptx
from fpdf import FPDF
from pptx.util import Inches

FORMATS = ("pdf", "docx", "pptx", "xlsx", "html", "md", "asciidoc", "txt", "csv")
EXTENSIONS = {"asciidoc": "adoc"}


@dataclass(frozen=True)
class Subject:
    title: str
    sentence: str  # says something distinctive: what a search for `query` should find
    query: str
    rows: tuple[tuple[str, str], ...]


SUBJECTS = {
    "pdf": Subject(
        "Lighthouse maintenance",
        "The lighthouse keeper replaces the Fresnel lens gasket every spring before storms.",
        "who replaces the Fresnel lens gasket in the lighthouse",
        (("Lens", "Fresnel"), ("Interval", "yearly")),
    ),
    "docx": Subject(
        "Beekeeping handbook",
        "Beekeepers inspect each hive for the queen and for varroa mites every nine days.",
        "inspecting beehives for varroa mites and the queen",
        (("Hive", "Langstroth"), ("Check", "nine days")),
    ),
    "pptx": Subject(
        "Quarterly sales review",
        "Revenue from alpine ski rentals grew by eighteen percent in the third quarter.",
        "growth of ski rental revenue in the third quarter",
        (("Region", "Alps"), ("Growth", "18%")),
    ),
    "xlsx": Subject(
        "Telescope inventory",
        "The refracting telescope with an apochromatic objective stays in dome two.",
        "apochromatic refracting telescope location in the dome",
        (("Telescope", "apochromatic refractor in dome two"), ("Mount", "equatorial")),
    ),
    "html": Subject(
        "Sourdough baking",
        "Feed the sourdough starter with rye flour twelve hours before mixing the dough.",
        "when to feed the sourdough starter with rye flour",
        (("Flour", "rye"), ("Hydration", "75%")),
    ),
    "md": Subject(
        "Glacier survey",
        "Surveyors measured the glacier tongue retreating forty metres since the last survey.",
        "how far the glacier tongue retreated",
        (("Glacier", "Rhone"), ("Retreat", "40 m")),
    ),
    "asciidoc": Subject(
        "Violin restoration",
        "The luthier reglued the violin's spruce top with warm hide glue and clamps.",
        "regluing a violin spruce top with hide glue",
        (("Wood", "spruce"), ("Glue", "hide")),
    ),
    "txt": Subject(
        "Tidal power notes",
        "The tidal turbine in the estuary produces most power during spring tides.",
        "tidal turbine power in the estuary during spring tides",
        (("Site", "estuary"), ("Peak", "spring tides")),
    ),
    "csv": Subject(
        "Orchard harvest",
        "harvest of heirloom apples from the north orchard",
        "heirloom apple harvest in the north orchard",
        (("north orchard", "heirloom apples 420 kg"), ("south orchard", "pears 310 kg")),
    ),
}


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    rows: tuple[tuple[str, str], ...] = ()  # a two-column table, its first row the header
    new_page: bool = False  # in a PDF, the section starts a page
    ruled: bool = True  # in a PDF, the table's lines are drawn (else its columns only align)


@dataclass(frozen=True)
class Document:
    """What every writer below renders in its format: a title, then sections."""

    title: str
    sections: tuple[Section, ...]


def filename(fmt: str, stem: str | None = None) -> str:
    return f"{stem or fmt + '-sample'}.{EXTENSIONS.get(fmt, fmt)}"


def make(fmt: str, *, extra: str = "", pages: int = 2) -> bytes:
    """A document in `fmt` about its subject; `extra` adds a sentence (a new version). A PDF
    has `pages` pages."""
    subject = SUBJECTS[fmt]
    body = f"{subject.sentence} {extra}".strip()
    sections = [Section("Overview", (body,)), Section("Details", rows=(HEADER, *subject.rows))]
    if fmt == "pdf":
        sections += [
            Section(
                f"{subject.title}, part {page}", (f"Page {page} continues the notes.",), (), True
            )
            for page in range(2, pages + 1)
        ]
    return write(fmt, Document(subject.title, tuple(sections)))


def write(fmt: str, document: Document) -> bytes:
    return WRITERS[fmt](document)


HEADER = ("Item", "Value")


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")  # the PDF core fonts' charset


def _pdf(document: Document) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(text=_latin(document.title))
    pdf.ln(14)
    for section in document.sections:
        if section.new_page:
            pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 8, text=_latin(section.heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        for paragraph in section.paragraphs:
            # Wrapped beforehand: a paragraph may hold a URL longer than a line.
            text = textwrap.fill(_latin(paragraph), 90)
            pdf.multi_cell(0, 6, text=text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        if section.rows:
            with pdf.table(borders_layout="ALL" if section.ruled else "NONE") as table:
                for row in section.rows:
                    cells = table.row()
                    for value in row:
                        cells.cell(_latin(value))
    return bytes(pdf.output())


def _docx(document: Document) -> bytes:
    out = docx.Document()
    out.add_heading(document.title, 0)
    for section in document.sections:
        out.add_heading(section.heading, 1)
        for paragraph in section.paragraphs:
            out.add_paragraph(paragraph)
        if section.rows:
            table = out.add_table(rows=0, cols=2)
            for row in section.rows:
                cells = table.add_row().cells
                cells[0].text, cells[1].text = row
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _pptx(document: Document) -> bytes:
    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[0]).shapes.title.text = document.title
    for section in document.sections:
        # A slide per section: title and text, or a title-only slide that holds the table.
        slide = deck.slides.add_slide(deck.slide_layouts[1 if section.paragraphs else 5])
        slide.shapes.title.text = section.heading
        if section.paragraphs:
            slide.placeholders[1].text = "\n".join(section.paragraphs)
        if section.rows:
            top = Inches(5) if section.paragraphs else Inches(2)
            shape = slide.shapes.add_table(
                len(section.rows), 2, Inches(1), top, Inches(6), Inches(2)
            )
            for r, row in enumerate(section.rows):
                for c, value in enumerate(row):
                    shape.table.cell(r, c).text = value
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()


def _xlsx(document: Document) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Notes"
    for section in document.sections:
        for row in section.rows:
            sheet.append(list(row))
        for paragraph in section.paragraphs:
            sheet.append([section.heading, paragraph])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _table_html(rows: tuple[tuple[str, str], ...]) -> str:
    def row(cell: str, values: tuple[str, str]) -> str:
        return "<tr>" + "".join(f"<{cell}>{html.escape(v)}</{cell}>" for v in values) + "</tr>"

    header, *body = rows
    return "<table>" + row("th", header) + "".join(row("td", r) for r in body) + "</table>"


def _html(document: Document) -> bytes:
    title = html.escape(document.title)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"]
    parts.append(f"<body><h1>{title}</h1>")
    for section in document.sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in section.paragraphs)
        if section.rows:
            parts.append(_table_html(section.rows))
    return ("".join(parts) + "</body></html>").encode()


def _md(document: Document) -> bytes:
    parts = [f"# {document.title}\n"]
    for section in document.sections:
        parts.append(f"## {section.heading}\n")
        parts.extend(f"{p}\n" for p in section.paragraphs)
        if section.rows:
            (first, second), *body = section.rows
            rows = "".join(f"| {a} | {b} |\n" for a, b in body)
            parts.append(f"| {first} | {second} |\n| --- | --- |\n{rows}")
    return "\n".join(parts).encode()


def _asciidoc(document: Document) -> bytes:
    parts = [f"= {document.title}\n"]
    for section in document.sections:
        parts.append(f"== {section.heading}\n")
        parts.extend(f"{p}\n" for p in section.paragraphs)
        if section.rows:
            (first, second), *body = section.rows
            rows = "".join(f"|{a} |{b}\n" for a, b in body)
            parts.append(f"|===\n|{first} |{second}\n\n{rows}|===\n")
    return "\n".join(parts).encode()


def _txt(document: Document) -> bytes:
    parts = [document.title]
    for section in document.sections:
        parts.append(section.heading)
        parts.extend(section.paragraphs)
        if section.rows:
            parts.append("\n".join(f"{a}: {b}" for a, b in section.rows[1:]))
    return ("\n\n".join(parts) + "\n").encode()


def _csv(document: Document) -> bytes:
    rows = [row for section in document.sections for row in section.rows]
    notes = [(s.heading, p) for s in document.sections for p in s.paragraphs]
    return "".join(f"{a},{b}\n" for a, b in rows + notes).encode()


WRITERS: dict[str, Callable[[Document], bytes]] = {
    "pdf": _pdf,
    "docx": _docx,
    "pptx": _pptx,
    "xlsx": _xlsx,
    "html": _html,
    "md": _md,
    "asciidoc": _asciidoc,
    "txt": _txt,
    "csv": _csv,
}


def zip_bomb_docx(expanded_bytes: int = 600 * 1024 * 1024) -> bytes:
    """A DOCX whose document part inflates from a few hundred kilobytes to `expanded_bytes`."""
    out = io.BytesIO()
    real = zipfile.ZipFile(io.BytesIO(make("docx")))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for item in real.infolist():
            if item.filename != "word/document.xml":
                bomb.writestr(item, real.read(item))
        with bomb.open("word/document.xml", "w", force_zip64=True) as part:
            block = b"\0" * (1024 * 1024)
            for _ in range(expanded_bytes // len(block)):
                part.write(block)
    return out.getvalue()
