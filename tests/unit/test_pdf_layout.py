"""PDFs read as a person reads them, without layout models: headings by font and by outline,
nested; paragraphs whole across line breaks and hyphenation; lists; ruled tables as tables;
running headers, footers and page numbers gone; the title the PDF gives itself. Each PDF is
written here by fpdf2, so its structure is known."""

from __future__ import annotations

from fpdf import FPDF

from shield.documents.conversion import ConvertedDocument, ConvertOptions
from shield.documents.convert import convert

BODY = (
    "The keeper climbs the tower at dusk and lights the lamp. He checks the fuel, trims the "
    "wick and polishes the lens until the beam is clean. In fog the horn sounds every thirty "
    "seconds, and the log records each hour of it."
)


def _report(outline: bool = False) -> bytes:
    pdf = FPDF()
    pdf.set_title("Lighthouse keeping")
    pdf.set_auto_page_break(True, margin=25)

    def frame() -> None:  # the running header and footer of every page
        pdf.set_auto_page_break(False)
        pdf.set_font("Helvetica", size=8)
        pdf.set_xy(10, 8)
        pdf.cell(0, 5, "Coastal Service - internal manual")
        pdf.set_xy(10, 285)
        pdf.cell(0, 5, f"Page {pdf.page_no()}")
        pdf.set_xy(10, 25)
        pdf.set_auto_page_break(True, margin=25)

    def heading(text: str, size: int, level: int) -> None:
        if outline:  # set like the body text: only the outline says it is a heading
            pdf.start_section(text, level=level)
            size = 11
        pdf.set_font("Helvetica", "" if outline else "B", size)
        pdf.multi_cell(0, size / 2, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def paragraph(text: str) -> None:
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    for chapter in ("The lamp", "The horn", "The log"):
        pdf.add_page()
        frame()
        heading(chapter, 18, 0)
        paragraph(BODY)
        heading(f"Daily care of {chapter.lower()[4:]}", 14, 1)
        paragraph(BODY + " Every keeper signs the page when the watch ends.")
        pdf.set_font("Helvetica", size=11)
        for item in ("Check the fuel level", "Trim the wick", "Polish the lens"):
            pdf.cell(0, 6, f"\xb7 {item}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        with pdf.table(col_widths=(40, 60)) as table:
            for row in (("Task", "Interval"), ("Fuel check", "Every evening"),
                        ("Lens polish", "Every morning")):  # fmt: skip
                cells = table.row()
                for text in row:
                    cells.cell(text)
        pdf.ln(4)
        paragraph("An inter-\nnational signal code is kept beside the log.")
    return bytes(pdf.output())


def _read(data: bytes) -> ConvertedDocument:
    return convert(data, "manual.pdf", "pdf", ConvertOptions())


def test_headings_nest_by_font_size_and_reach_the_passages_under_them() -> None:
    converted = _read(_report())
    paths = [c.headings for c in converted.chunks]
    assert ["The lamp", "Daily care of lamp"] in paths
    assert ["The log", "Daily care of log"] in paths
    assert any(path == ["The horn"] for path in paths)


def test_the_outline_decides_the_headings_where_the_pdf_has_one() -> None:
    converted = _read(_report(outline=True))
    assert ["The horn", "Daily care of horn"] in [c.headings for c in converted.chunks]


def test_the_title_is_the_pdfs_own() -> None:
    assert _read(_report()).title == "Lighthouse keeping"


def test_a_ruled_table_stays_a_table_of_rows() -> None:
    text = "\n".join(c.text for c in _read(_report()).chunks)
    assert "| Fuel check | Every evening |" in text.replace("  ", " ")
    assert text.count("Lens polish") == 3  # once a page: its words are not read twice


def test_a_heading_with_nothing_under_it_keeps_its_words() -> None:
    pdf = FPDF()
    pdf.add_page()
    for text, size in (("Lamp room", 16), ("Empty section", 14), ("Watch rota", 14)):
        pdf.set_font("Helvetica", "B", size)
        pdf.cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        if text != "Empty section":
            pdf.set_font("Helvetica", size=11)
            pdf.multi_cell(0, 6, BODY, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(5)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 9, "Closing heading", new_x="LMARGIN", new_y="NEXT")
    converted = _read(bytes(pdf.output()))
    text = "\n".join(c.text for c in converted.chunks)
    assert "Empty section" in text
    assert "Closing heading" in text
    assert ["Lamp room", "Watch rota"] in [c.headings for c in converted.chunks]


def test_paragraphs_are_whole_and_lists_are_lists() -> None:
    text = "\n".join(c.text for c in _read(_report()).chunks)
    assert "polishes the lens until the beam is clean" in text  # across a line break
    assert "An international signal code" in text  # across a hyphenated break
    assert "- Check the fuel level" in text
    assert "\xb7" not in text


def test_running_headers_footers_and_page_numbers_are_dropped() -> None:
    text = "\n".join(c.text for c in _read(_report()).chunks)
    assert "Coastal Service" not in text
    assert "Page 2" not in text
    assert "The keeper climbs the tower" in text
