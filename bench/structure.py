"""How much of a PDF's structure a conversion keeps, against a Markdown ground truth: the words,
the headings (does the passage under a heading carry it in its heading path?), the table rows
(do a row's cells stand in order on one line?). With `pdftotext -layout` as the baseline, in the
same run, and the seconds per page each takes.

Two sets: a folder of PDFs beside their ground truth (`src/*.pdf`, `groundtruth/*.md`: Docling's
test PDFs, say), and PDFs written here by fpdf2 from known documents (headings by font size and
weight, paragraphs, tables with and without ruling lines; their Markdown is the truth), one of
them also as a scan (its pages rendered to images, one turned 90 degrees), so that no figure
rests on five files alone.

    python -m bench.structure [DATASET_DIR] [--generated 4] [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import median, save
from shield.documents.conversion import ConvertOptions
from shield.documents.convert import ConversionFailed, convert, warm_up

_WORD = re.compile(r"[a-z0-9]+")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}")


def words(text: str) -> Counter[str]:
    return Counter(_WORD.findall(text.lower()))


def _normal(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Truth:
    words: Counter[str]
    headings: list[str]
    table_rows: list[list[str]]


def ground_truth(markdown: str) -> Truth:
    headings = [_normal(line.lstrip("#")) for line in markdown.splitlines() if line.startswith("#")]
    rows = []
    for line in markdown.splitlines():
        if line.strip().startswith("|") and not _TABLE_SEPARATOR.match(line.strip()):
            # Cells of words only: marks (*, a check box read as "y") cannot be told apart.
            cells = [_normal(cell) for cell in line.strip().strip("|").split("|")]
            cells = [cell for cell in cells if any(len(w) > 1 for w in cell.split())]
            if len(cells) >= 2:
                rows.append(cells)
    return Truth(words(markdown), [h for h in headings if h], rows)


@dataclass(frozen=True)
class Reading:
    """What a conversion gives: its passages' texts and each passage's heading path."""

    texts: list[str]
    heading_paths: list[list[str]]
    pages: int
    seconds: float


def word_recall(truth: Truth, reading: Reading) -> float:
    found = words("\n".join(reading.texts))
    total = sum(truth.words.values())
    return sum(min(n, found[w]) for w, n in truth.words.items()) / total if total else 1.0


def heading_share(truth: Truth, reading: Reading) -> float | None:
    if not truth.headings:
        return None
    carried = {_normal(h) for path in reading.heading_paths for h in path}
    return sum(1 for h in truth.headings if h in carried) / len(truth.headings)


def _in_order(cells: list[str], line: str) -> bool:
    at = 0
    for cell in cells:
        at = line.find(cell, at)
        if at < 0:
            return False
        at += len(cell)
    return True


def table_row_share(truth: Truth, reading: Reading) -> float | None:
    if not truth.table_rows:
        return None
    lines = [_normal(line) for text in reading.texts for line in text.splitlines()]
    kept = sum(1 for cells in truth.table_rows if any(_in_order(cells, line) for line in lines))
    return kept / len(truth.table_rows)


def shield_reading(pdf: Path, options: ConvertOptions) -> Reading:
    start = time.perf_counter()
    try:
        converted = convert(pdf.read_bytes(), pdf.name, "pdf", options)
    except ConversionFailed:
        return Reading([], [], 0, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    return Reading(
        [c.text for c in converted.chunks],
        [c.headings for c in converted.chunks],
        converted.pages,
        seconds,
    )


def pdftotext_reading(pdf: Path) -> Reading:
    start = time.perf_counter()
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    seconds = time.perf_counter() - start
    pages = max(1, out.count("\f"))
    return Reading([out], [], pages, seconds)


def score(truth: Truth, reading: Reading) -> dict[str, Any]:
    return {
        "words": round(word_recall(truth, reading), 3),
        "headings": heading_share(truth, reading),
        "table_rows": table_row_share(truth, reading),
        "seconds_per_page": reading.seconds / reading.pages if reading.pages else None,
    }


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 3) if present else None


def scanned(pdf: bytes, turned_page: int = 1) -> bytes:
    """The PDF as a scanner makes it: each page an image (150 dpi), no text layer; page
    `turned_page` (from 0) turned 90 degrees, as a page put in sideways."""
    import pypdfium2
    from fpdf import FPDF

    source = pypdfium2.PdfDocument(pdf)
    out = FPDF(unit="pt")
    for index in range(len(source)):
        image = source[index].render(scale=150 / 72).to_pil()
        if index == turned_page:
            image = image.rotate(90, expand=True)
        width, height = image.size[0] * 72 / 150, image.size[1] * 72 / 150
        out.add_page(format=(width, height))
        out.image(image, x=0, y=0, w=width, h=height)
    return bytes(out.output())


def generated_set(folder: Path, documents: int) -> Path:
    """`documents` PDFs of known structure in folder/src, their Markdown in folder/groundtruth,
    and the first again as a scan."""
    from bench.common import corpus
    from bench.documents import document
    from support.documents import write

    (folder / "src").mkdir(parents=True)
    (folder / "groundtruth").mkdir()
    texts = corpus(documents * 8 * 3)
    for number in range(documents):
        known = document(texts, 8, number * 8 * 3)
        pdf = write("pdf", known)
        (folder / "src" / f"written-{number}.pdf").write_bytes(pdf)
        (folder / "groundtruth" / f"written-{number}.md").write_bytes(write("md", known))
        if number == 0:
            (folder / "src" / "scanned-0.pdf").write_bytes(scanned(pdf))
            (folder / "groundtruth" / "scanned-0.md").write_bytes(write("md", known))
    return folder


def measure(dataset: Path, options: ConvertOptions, rounds: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"pdfs": {}}
    for pdf in sorted((dataset / "src").glob("*.pdf")):
        truth = ground_truth((dataset / "groundtruth" / f"{pdf.stem}.md").read_text())
        readings = [shield_reading(pdf, options) for _ in range(rounds)]
        shield = readings[-1]
        shield = Reading(
            shield.texts, shield.heading_paths, shield.pages, median([r.seconds for r in readings])
        )
        baseline = pdftotext_reading(pdf)
        figures["pdfs"][pdf.name] = {
            "shield": score(truth, shield),
            "pdftotext": score(truth, baseline),
            "headings_in_truth": len(truth.headings),
            "table_rows_in_truth": len(truth.table_rows),
        }
    for name in ("shield", "pdftotext"):
        rows = [f[name] for f in figures["pdfs"].values()]
        figures[name] = {
            key: _mean([row[key] for row in rows])
            for key in ("words", "headings", "table_rows", "seconds_per_page")
        }
    print(f"{'PDF':36} {'':10} {'words':>6} {'heads':>6} {'tables':>6} {'s/page':>7}")
    for pdf, row in figures["pdfs"].items():
        for name in ("shield", "pdftotext"):
            print(f"{pdf:36} {name:10} {_cells(row[name])}")
    for name in ("shield", "pdftotext"):
        print(f"{'overall (mean of the PDFs)':36} {name:10} {_cells(figures[name])}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dataset", type=Path, nargs="?", help="src/*.pdf and groundtruth/*.md")
    parser.add_argument("--generated", type=int, default=4, help="PDFs written by fpdf2.")
    parser.add_argument("--rounds", type=int, default=3, help="Conversions timed per PDF.")
    args = parser.parse_args()
    options = ConvertOptions()
    warm_up(options)
    results: dict[str, Any] = {}
    if args.dataset is not None:
        print(f"== {args.dataset.name}")
        results["dataset"] = measure(args.dataset, options, args.rounds)
    if args.generated:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"\n== {args.generated} PDFs written by fpdf2, one also scanned")
            written = generated_set(Path(tmp), args.generated)
            results["generated"] = measure(written, options, args.rounds)
    save("pdf-structure", results)


def _cells(row: dict[str, Any]) -> str:
    def cell(value: float | None, width: int = 6, digits: int = 2) -> str:
        return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"

    return (
        f"{cell(row['words'])} {cell(row['headings'])} {cell(row['table_rows'])} "
        f"{cell(row['seconds_per_page'], 7, 3)}"
    )


if __name__ == "__main__":
    main()
