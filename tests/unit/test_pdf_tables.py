"""Tables in PDFs without ruling lines: set out in aligned columns, read as tables of rows; a cell
on several lines stays one cell; a header written cell by cell is one row; prose, lists, tables
of contents and code, whose lines also have wide spaces, stay text. PDFs written by fpdf2 and
printed by Chromium from HTML."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from fpdf import FPDF

from shield.documents.conversion import ConvertedDocument, ConvertOptions
from shield.documents.convert import convert

HARBOUR = (
    ("Vessel", "Arrivals", "Departures", "Tonnage"),
    ("Fishing boats", "1,204", "1,198", "18,450"),
    ("Ferries", "730", "731", "96,000"),
    ("Cargo ships", "88", "87", "412,300"),
)
PROSE = (
    "The harbour master keeps a record of every vessel that enters and leaves the harbour, "
    "and the figures below are the totals for the season as they stood in October."
)


def _read(data: bytes) -> ConvertedDocument:
    return convert(data, "harbour.pdf", "pdf", ConvertOptions())


def _text(data: bytes) -> str:
    return "\n".join(chunk.text for chunk in _read(data).chunks)


def _rows(text: str) -> list[list[str]]:
    """The Markdown tables' rows, as their cells, separator rows left out."""
    return [
        [" ".join(cell.split()) for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|") and not re.fullmatch(r"[|\-: ]+", line)
    ]


def _pdf() -> FPDF:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    return pdf


def _paragraph(pdf: FPDF, text: str = PROSE) -> None:
    pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def test_a_table_without_ruling_lines_is_a_table_of_rows() -> None:
    pdf = _pdf()
    _paragraph(pdf)
    with pdf.table(borders_layout="NONE", text_align="LEFT", width=150) as table:
        for row in HARBOUR:
            cells = table.row()
            for text in row:
                cells.cell(text)
    pdf.ln(4)
    _paragraph(pdf, "Dredging of the inner basin is planned for the spring.")
    text = _text(bytes(pdf.output()))
    assert _rows(text) == [list(row) for row in HARBOUR]
    assert text.count("Cargo ships") == 1  # its words are not read again as text
    assert "the figures below are the totals" in text
    assert "Dredging of the inner basin" in text


def test_a_cell_on_several_lines_stays_one_cell() -> None:
    pdf = _pdf()
    _paragraph(pdf)
    rows = (
        ("Berth", "Length", "Notes"),
        ("North quay", "240 m", "Deep water, cranes for containers and a covered shed for grain"),
        ("South quay", "180 m", "Ferries only"),
        ("Inner basin", "95 m", "Yachts and fishing boats, at high water only"),
    )
    # Centred in their rows (fpdf2's default), the other cells beside a note's middle line.
    with pdf.table(borders_layout="NONE", col_widths=(40, 30, 45), width=115) as table:
        for row in rows:
            cells = table.row()
            for text in row:
                cells.cell(text)
    assert _rows(_text(bytes(pdf.output()))) == [list(row) for row in rows]


def test_a_header_written_cell_by_cell_on_two_lines_is_one_row() -> None:
    pdf = _pdf()
    _paragraph(pdf, "Are legal aid services provided to these groups? Select all that apply.")
    top = pdf.get_y() + 4
    # The header's cells, each where it stands, one of them on two lines.
    for x, y, text in ((120, top, "State funded"), (122, top + 5, "legal aid"), (160, top, "CSOs")):
        pdf.text(x, y, text)
    for number, group in enumerate(("Children", "Women", "The elderly", "Migrants")):
        y = top + 14 + 8 * number
        pdf.text(20, y, group)
        pdf.text(130, y, "yes")
        pdf.text(163, y, "no")
    assert _rows(_text(bytes(pdf.output()))) == [
        ["", "State funded legal aid", "CSOs"],
        ["Children", "yes", "no"],
        ["Women", "yes", "no"],
        ["The elderly", "yes", "no"],
        ["Migrants", "yes", "no"],
    ]


def test_prose_lists_contents_and_code_are_not_tables() -> None:
    pdf = _pdf()
    _paragraph(pdf)
    for item in ("Check the fuel level before the watch", "Trim the wick", "Polish the lens"):
        pdf.cell(12, 6, "\x95")  # a bullet, then a wide space
        pdf.cell(0, 6, item, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for number, (title, page) in enumerate((("The lamp", 3), ("The horn", 9), ("The log", 14))):
        pdf.cell(15, 6, f"{number + 1}.")
        pdf.cell(120, 6, title + " " + ". " * 30)
        pdf.cell(0, 6, str(page), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Courier", size=10)
    code = ("x = 1          # the first", "total = x + 2  # the sum", "print(total)   # shown")
    for line in code:
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    text = _text(bytes(pdf.output()))
    assert _rows(text) == []
    for words in ("Trim the wick", "The horn", "total = x + 2", "# the sum"):
        assert words in " ".join(text.split())


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # scripts/bootstrap.sh installs it


def test_a_table_printed_by_a_browser_from_html_is_a_table(tmp_path: Path) -> None:
    notes = "Deep water; cranes for containers and a covered shed for grain"
    page = tmp_path / "harbour.html"
    page.write_text(
        # Cells apart by their padding, as styled tables are (bare ones stand a space apart,
        # which no reading of the words' spaces can tell from a space between words).
        "<html><body style='font: 11pt sans-serif'><h1>Harbour report</h1>"
        "<style>td, th { padding: 2px 12px 2px 0 }</style>"
        f"<p>{PROSE}</p><table>"
        "<tr><th align=left>Berth</th><th align=left>Length</th><th align=left>Notes</th></tr>"
        f"<tr><td>North quay</td><td>240 m</td><td style='width: 12em'>{notes}</td></tr>"
        "<tr><td>South quay</td><td>180 m</td><td>Ferries only</td></tr>"
        "<tr><td>Inner basin</td><td>95 m</td><td>Yachts</td></tr>"
        "</table><p>Dredging of the inner basin is planned for the spring.</p></body></html>"
    )
    printed = tmp_path / "harbour.pdf"
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--no-pdf-header-footer", f"--print-to-pdf={printed}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    text = _text(printed.read_bytes())
    assert _rows(text) == [
        ["Berth", "Length", "Notes"],
        ["North quay", "240 m", notes],
        ["South quay", "180 m", "Ferries only"],
        ["Inner basin", "95 m", "Yachts"],
    ]
