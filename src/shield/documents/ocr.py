"""Reading a page that is only a picture (a scan, a photo) with Tesseract, Debian's OCR engine,
offline: the page is turned upright first (Tesseract's own orientation detection), then read
into lines with their place and height, which `shield.documents.pdf_layout` sorts into
headings, paragraphs and lists as it does a PDF's text.

Each page is read by the `tesseract` command with a deadline of its own; an image larger than
`OcrOptions.max_pixels` is scaled down to it first, so that no page can hold a worker for long.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from statistics import median

from PIL import Image

#: The resolution a PDF page is drawn at to be read: Tesseract reads best from about 200 dpi.
OCR_DPI = 200
_ROTATE = re.compile(r"^Rotate:\s*(\d+)", re.M)


class OcrFailed(Exception):
    """A page could not be read (no Tesseract, a language missing, past its deadline)."""


@dataclass(frozen=True)
class OcrOptions:
    languages: str = "eng"  # Tesseract's: eng, eng+deu, ...
    page_seconds: float = 60.0
    max_pixels: int = 40_000_000  # about an A3 page at 400 dpi


@dataclass(frozen=True)
class OcrLine:
    """A line read from a page, in points from the page's top left."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float


def _tesseract() -> str:
    found = shutil.which("tesseract")
    if found is None:
        raise OcrFailed("Tesseract is not installed (Debian: apt install tesseract-ocr)")
    return found


@cache
def unavailable(languages: str) -> str | None:
    """Why pages cannot be read here (no `tesseract`, a language not installed), or None."""
    try:
        command = _tesseract()
    except OcrFailed as exc:
        return str(exc)
    listed = subprocess.run(  # noqa: S603 - a fixed argument list
        [command, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
    ).stdout.split()
    missing = [lang for lang in languages.split("+") if lang not in listed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
        return f"the OCR language(s) {', '.join(missing)} are not installed ({packages})"
    return None


def _run(image: Image.Image, arguments: list[str], options: OcrOptions) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    try:
        done = subprocess.run(  # noqa: S603 - our arguments; the page comes on stdin
            [_tesseract(), "stdin", "stdout", *arguments],
            input=buffer.getvalue(),
            capture_output=True,
            timeout=options.page_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise OcrFailed(
            f"a page took longer than {options.page_seconds:g} s to read by OCR "
            "(SHIELD_OCR_PAGE_SECONDS)"
        ) from None
    except OSError as exc:
        raise OcrFailed(f"Tesseract could not be run: {exc}") from None
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no reason"]
        raise OcrFailed(f"Tesseract failed: {reason[0][:300]}")
    return done.stdout.decode(errors="replace")


def _upright(image: Image.Image, options: OcrOptions) -> Image.Image:
    """The page turned back if it was put in sideways or upside down (too little text to
    tell: as it is)."""
    try:
        found = _ROTATE.search(_run(image, ["--psm", "0"], options))
    except OcrFailed:
        return image
    degrees = int(found.group(1)) if found else 0
    return image.rotate(-degrees, expand=True) if degrees in (90, 180, 270) else image


def within_pixels(image: Image.Image, options: OcrOptions) -> Image.Image:
    pixels = image.width * image.height
    if pixels <= options.max_pixels:
        return image
    scale = (options.max_pixels / pixels) ** 0.5
    return image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))


@dataclass(frozen=True)
class OcrPage:
    lines: list[OcrLine]
    width: float  # of the page upright, in points
    height: float


def read_page(image: Image.Image, dpi: float, options: OcrOptions) -> OcrPage:
    """The page's lines in reading order, in points (1/72 inch) at `dpi`, and its size once
    turned upright."""
    if problem := unavailable(options.languages):
        raise OcrFailed(f"pages without text cannot be read: {problem}")
    scaled = within_pixels(image.convert("L"), options)
    points = 72.0 / dpi * (image.width / scaled.width)  # a pixel of the page as read
    image = _upright(scaled, options)
    table = _run(image, ["-l", options.languages, "--psm", "3", "tsv"], options)
    words: dict[tuple[int, int, int], list[dict[str, str]]] = defaultdict(list)
    for row in csv.DictReader(io.StringIO(table), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row.get("level") == "5" and (row.get("text") or "").strip():
            words[(int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))].append(row)
    lines = []
    for key in sorted(words):
        line = words[key]
        left = min(int(w["left"]) for w in line)
        right = max(int(w["left"]) + int(w["width"]) for w in line)
        heights = [int(w["height"]) for w in line]
        top = median(int(w["top"]) for w in line)
        lines.append(
            OcrLine(
                text=" ".join(w["text"].strip() for w in line),
                x0=left * points,
                x1=right * points,
                top=top * points,
                bottom=(top + median(heights)) * points,
            )
        )
    return OcrPage(lines, image.width * points, image.height * points)
