"""Pages without text read by OCR (Debian's Tesseract, offline): a scanned PDF, one of its pages
put in sideways, a photo of a page; and what cannot be read is refused with the reason."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from fpdf import FPDF
from PIL import Image

from shield.documents.conversion import ConvertOptions
from shield.documents.convert import ConversionFailed, convert

PAGES = (
    ("Harbour rules", "Ships enter the harbour at slow speed and keep to the marked channel."),
    ("Mooring", "Every vessel is moored fore and aft with lines checked twice a day."),
)


def _text_pdf() -> bytes:
    pdf = FPDF()
    for heading, body in PAGES:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 22)
        pdf.cell(0, 14, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 7, (body + " ") * 3, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _pictures(turned: int | None = None) -> list[Image.Image]:
    source = pypdfium2.PdfDocument(_text_pdf())
    pictures = [source[i].render(scale=150 / 72).to_pil() for i in range(len(source))]
    if turned is not None:
        pictures[turned] = pictures[turned].rotate(90, expand=True)
    return pictures


def _scanned_pdf(turned: int | None = None, stamp: bool = False) -> bytes:
    """The PDF as a scanner makes it: a picture a page, no text layer (or, with `stamp`, a
    scanning service's stamp as text on each page)."""
    out = FPDF(unit="pt")
    for picture in _pictures(turned):
        width, height = picture.width * 72 / 150, picture.height * 72 / 150
        out.add_page(format=(width, height))
        out.image(picture, x=0, y=0, w=width, h=height)
        if stamp:
            out.set_font("Helvetica", size=6)
            out.text(x=10, y=height - 10, text="Scanned 2026-12-01")
    return bytes(out.output())


def _png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", dpi=(150, 150))
    return buffer.getvalue()


def test_a_scanned_pdf_is_read_page_by_page_even_a_page_put_in_sideways() -> None:
    converted = convert(_scanned_pdf(turned=1), "scan.pdf", "pdf", ConvertOptions())
    text = " ".join(c.text for c in converted.chunks)
    assert converted.ocr_pages == 2
    assert "marked channel" in text
    assert "moored fore and aft" in text  # the sideways page, turned back
    # A line set twice as large as the others is a heading, as in a text PDF.
    assert ["Harbour rules"] in [c.headings for c in converted.chunks]
    assert {p for c in converted.chunks for p in c.pages} == {1, 2}


def test_a_photo_of_a_page_is_read() -> None:
    converted = convert(_png(_pictures()[0]), "page.png", "png", ConvertOptions())
    assert converted.ocr_pages == 1
    assert "keep to the marked channel" in " ".join(c.text for c in converted.chunks)


def test_pictures_are_refused_with_the_reason_when_ocr_is_off_or_they_are_too_large() -> None:
    with pytest.raises(ConversionFailed, match="OCR is off"):
        convert(_png(_pictures()[0]), "page.png", "png", ConvertOptions(ocr_languages=""))
    huge = io.BytesIO()
    Image.new("L", (13_000, 12_000), 255).save(huge, format="PNG")
    with pytest.raises(ConversionFailed, match="million pixels"):
        convert(huge.getvalue(), "huge.png", "png", ConvertOptions())


def test_a_language_that_is_not_installed_is_named() -> None:
    with pytest.raises(
        ConversionFailed, match=r"language\(s\) xyz are not installed \(tesseract-ocr-xyz\)"
    ):
        convert(_png(_pictures()[0]), "page.png", "png", ConvertOptions(ocr_languages="xyz"))


def test_a_scan_with_a_stamp_of_text_on_each_page_is_still_read_by_ocr() -> None:
    converted = convert(_scanned_pdf(stamp=True), "stamped.pdf", "pdf", ConvertOptions())
    assert converted.ocr_pages == 2
    assert "keep to the marked channel" in " ".join(c.text for c in converted.chunks)
