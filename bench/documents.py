"""Documents: seconds per document and per page for each format (Docling, offline), and
documents -> searchable chunks per second end to end (upload -> convert -> chunk -> embed ->
store) against the raw throughput of the same embedding model on the same chunk texts, measured
in the same run.

    python -m bench.documents [--sections 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import html
import io
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pptx
from fpdf import FPDF

from bench.common import Platform, corpus, median, save
from shield.documents.convert import ConvertOptions, convert, warm_up
from shield.embeddings.local import LocalEmbedder

Section = tuple[str, list[str], list[tuple[str, str]]]  # heading, paragraphs, table rows
EXTENSIONS = {"asciidoc": "adoc"}


def sections(texts: list[str], count: int, offset: int) -> list[Section]:
    out: list[Section] = []
    for i in range(count):
        paras = texts[offset + i * 3 : offset + i * 3 + 3]
        rows = [(f"key {i}.{r}", " ".join(paras[r].split()[:4])) for r in range(3)]
        out.append((f"Section {i + 1}: {' '.join(paras[0].split()[:5])}", paras, rows))
    return out


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")  # the PDF core fonts' charset


def _pdf(doc: list[Section]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    for heading, paras, rows in doc:
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 8, text=_latin(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        for para in paras:
            # Wrapped beforehand: the corpus has URLs longer than a line.
            text = textwrap.fill(_latin(para), 90)
            pdf.multi_cell(0, 5, text=text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
        with pdf.table() as table:
            for row in rows:
                cells = table.row()
                for value in row:
                    cells.cell(_latin(value))
    return bytes(pdf.output())


def _docx(doc: list[Section]) -> bytes:
    document = docx.Document()
    for heading, paras, rows in doc:
        document.add_heading(heading, 1)
        for para in paras:
            document.add_paragraph(para)
        table = document.add_table(rows=0, cols=2)
        for row in rows:
            cells = table.add_row().cells
            cells[0].text, cells[1].text = row
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pptx(doc: list[Section]) -> bytes:
    deck = pptx.Presentation()
    for heading, paras, _rows in doc:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = heading
        slide.placeholders[1].text = "\n".join(paras)
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def _xlsx(doc: list[Section]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Section", "Key", "Value", "Text"])
    for heading, paras, rows in doc:
        for (key, value), para in zip(rows, paras, strict=True):
            sheet.append([heading, key, value, para])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _html(doc: list[Section]) -> bytes:
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>"]
    for heading, paras, rows in doc:
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        parts.extend(f"<p>{html.escape(p)}</p>" for p in paras)
        cells = "".join(
            f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in rows
        )
        parts.append(f"<table>{cells}</table>")
    return ("".join(parts) + "</body></html>").encode()


def _md(doc: list[Section]) -> bytes:
    parts = []
    for heading, paras, rows in doc:
        table = "\n".join(f"| {a} | {b} |" for a, b in rows)
        parts.append(
            f"## {heading}\n\n" + "\n\n".join(paras) + f"\n\n| K | V |\n|---|---|\n{table}\n"
        )
    return "\n".join(parts).encode()


def _asciidoc(doc: list[Section]) -> bytes:
    parts = []
    for heading, paras, rows in doc:
        table = "\n".join(f"|{a} |{b}" for a, b in rows)
        parts.append(
            f"== {heading}\n\n" + "\n\n".join(paras) + f"\n\n|===\n|K |V\n\n{table}\n|===\n"
        )
    return "\n".join(parts).encode()


def _txt(doc: list[Section]) -> bytes:
    return "\n\n".join(f"{h}\n\n" + "\n\n".join(p) for h, p, _ in doc).encode()


WRITERS: dict[str, Callable[[list[Section]], bytes]] = {
    "pdf": _pdf,
    "docx": _docx,
    "pptx": _pptx,
    "xlsx": _xlsx,
    "html": _html,
    "md": _md,
    "asciidoc": _asciidoc,
    "txt": _txt,
}


def conversion_figures(
    files: dict[str, bytes], rounds: int, options: ConvertOptions
) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    for fmt, data in files.items():
        name = f"bench.{EXTENSIONS.get(fmt, fmt)}"
        times, result = [], None
        for _ in range(rounds):
            start = time.perf_counter()
            result = convert(data, name, fmt, options)
            times.append(time.perf_counter() - start)
        assert result is not None
        seconds = median(times)
        figures[fmt] = {
            "bytes": len(data),
            "pages": result.pages,
            "chunks": len(result.chunks),
            "seconds_per_document": seconds,
            "seconds_per_page": seconds / result.pages if result.pages else None,
        }
        per_page = f"{seconds / result.pages * 1000:7.1f}" if result.pages else "      -"
        print(
            f"{fmt:9} {len(data):>9} B {result.pages:>4} pages {len(result.chunks):>4} chunks "
            f"{seconds * 1000:8.1f} ms/doc {per_page} ms/page"
        )
    return figures


def pipeline_rate(
    platform: Platform, files: dict[str, bytes], collection: str
) -> tuple[float, int]:
    with platform.client() as client:
        start = time.perf_counter()
        job_ids = []
        for fmt, data in files.items():
            response = client.post(
                "/ingest-async/upload",
                files={"file": (f"{collection}.{EXTENSIONS.get(fmt, fmt)}", data)},
                data={"collection": collection},
            )
            assert response.status_code == 202, response.text
            job_ids.append(response.json()["job_id"])
        chunks = 0
        for job_id in job_ids:
            while (state := client.get(f"/jobs/{job_id}").json())["status"] not in (
                "succeeded",
                "failed",
            ):
                time.sleep(0.05)
            assert state["status"] == "succeeded", state
            chunks += state["result"]["chunks"]
        elapsed = time.perf_counter() - start
    return chunks / elapsed, chunks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sections", type=int, default=40, help="sections per document")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = corpus((args.rounds + 2) * len(WRITERS) * args.sections * 3)
    options = ConvertOptions()
    warm_up(options)

    def file_set(round_no: int) -> dict[str, bytes]:
        base = round_no * len(WRITERS) * args.sections * 3
        return {
            fmt: write(sections(texts, args.sections, base + i * args.sections * 3))
            for i, (fmt, write) in enumerate(WRITERS.items())
        }

    print(
        f"conversion, one document of {args.sections} sections per format (median of {args.rounds})"
    )
    formats = conversion_figures(file_set(0), args.rounds, options)

    embedder = LocalEmbedder()
    platform = Platform(
        Path(tempfile.mkdtemp()) / "documents-bench", workers=1, SHIELD_EMBEDDING_CACHE_SIZE="0"
    )
    pipeline, raw = [], []
    try:
        pipeline_rate(platform, file_set(args.rounds + 1), "warmup")  # the converter starts
        for round_no in range(1, args.rounds + 1):
            files = file_set(round_no)
            rate, chunks = pipeline_rate(platform, files, f"round{round_no}")
            pipeline.append(rate)
            chunk_texts = [
                c.text
                for fmt, data in files.items()
                for c in convert(data, f"x.{EXTENSIONS.get(fmt, fmt)}", fmt, options).chunks
            ]
            start = time.perf_counter()
            embedder.embed(chunk_texts)
            raw.append(len(chunk_texts) / (time.perf_counter() - start))
            print(f"round {round_no}: {chunks} chunks, pipeline {rate:.1f}/s, raw {raw[-1]:.1f}/s")
    finally:
        platform.stop()
    figures: dict[str, Any] = {
        "sections_per_document": args.sections,
        "formats": formats,
        "pipeline_chunks_per_s": median(pipeline),
        "raw_embedding_chunks_per_s": median(raw),
        "ratio": median([p / r for p, r in zip(pipeline, raw, strict=True)]),
    }
    print(
        f"\nsearchable chunks/s {figures['pipeline_chunks_per_s']:.1f}, raw embedding "
        f"{figures['raw_embedding_chunks_per_s']:.1f}/s, ratio {figures['ratio']:.2f} (median)"
    )
    save("documents", figures)


if __name__ == "__main__":
    main()
