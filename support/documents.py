"""Documents of every supported format, written by the tests themselves: real text, a title,
headings and a table, each about its own subject so a search can tell them apart."""

from __future__ import annotations

import html
import io
import zipfile
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


def filename(fmt: str, stem: str | None = None) -> str:
    return f"{stem or fmt + '-sample'}.{EXTENSIONS.get(fmt, fmt)}"


def make(fmt: str, *, extra: str = "", pages: int = 2) -> bytes:
    """A document in `fmt` about its subject; `extra` adds a sentence (a new version)."""
    subject = SUBJECTS[fmt]
    body = f"{subject.sentence} {extra}".strip()
    return _WRITERS[fmt](subject, body, pages)


def _pdf(subject: Subject, body: str, pages: int) -> bytes:
    pdf = FPDF()
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 20)
        pdf.cell(text=subject.title if page == 0 else f"{subject.title}, part {page + 1}")
        pdf.ln(14)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text=body if page == 0 else f"Page {page + 1} continues the notes.")
        pdf.ln(4)
        if page == 0:
            with pdf.table() as table:
                for row in (("Item", "Value"), *subject.rows):
                    cells = table.row()
                    for value in row:
                        cells.cell(value)
    return bytes(pdf.output())


def _docx(subject: Subject, body: str, _pages: int) -> bytes:
    document = docx.Document()
    document.add_heading(subject.title, 0)
    document.add_heading("Overview", 1)
    document.add_paragraph(body)
    document.add_heading("Details", 1)
    table = document.add_table(rows=0, cols=2)
    for row in (("Item", "Value"), *subject.rows):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = row
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pptx(subject: Subject, body: str, _pages: int) -> bytes:
    deck = pptx.Presentation()
    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = subject.title
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Overview"
    slide.placeholders[1].text = body
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Details"
    rows = (("Item", "Value"), *subject.rows)
    shape = slide.shapes.add_table(len(rows), 2, Inches(1), Inches(2), Inches(6), Inches(2))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            shape.table.cell(r, c).text = value
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _xlsx(subject: Subject, body: str, _pages: int) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Inventory"
    sheet.append(["Item", "Value"])
    for row in subject.rows:
        sheet.append(list(row))
    sheet.append(["Note", body])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table_html(subject: Subject) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in subject.rows
    )
    return f"<table><tr><th>Item</th><th>Value</th></tr>{rows}</table>"


def _html(subject: Subject, body: str, _pages: int) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{subject.title}</title></head>"
        f"<body><h1>{subject.title}</h1><h2>Overview</h2><p>{html.escape(body)}</p>"
        f"<h2>Details</h2>{_table_html(subject)}</body></html>"
    ).encode()


def _md(subject: Subject, body: str, _pages: int) -> bytes:
    rows = "\n".join(f"| {a} | {b} |" for a, b in subject.rows)
    return (
        f"# {subject.title}\n\n## Overview\n\n{body}\n\n## Details\n\n"
        f"| Item | Value |\n| --- | --- |\n{rows}\n"
    ).encode()


def _asciidoc(subject: Subject, body: str, _pages: int) -> bytes:
    rows = "\n".join(f"|{a} |{b}" for a, b in subject.rows)
    return (
        f"= {subject.title}\n\n== Overview\n\n{body}\n\n== Details\n\n"
        f"|===\n|Item |Value\n\n{rows}\n|===\n"
    ).encode()


def _txt(subject: Subject, body: str, _pages: int) -> bytes:
    rows = "\n".join(f"{a}: {b}" for a, b in subject.rows)
    return f"{subject.title}\n\nOverview\n\n{body}\n\nDetails\n\n{rows}\n".encode()


def _csv(subject: Subject, body: str, _pages: int) -> bytes:
    rows = "\n".join(f"{a},{b}" for a, b in subject.rows)
    return f"place,crop\n{rows}\nnote,{body}\n".encode()


_WRITERS = {
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
