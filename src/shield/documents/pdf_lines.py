"""A PDF page's lines of text as the PDF lays them out (pdfplumber, on pdfminer), and the blocks
(headings, paragraphs, list items, tables) they are sorted into."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import median
from typing import Any

#: The least space between two words of a line that sets them apart as cells of a table row, in
#: ems of the line's font: far wider than a space between words, even in justified text.
CELL_GAP_EM = 0.8
#: How much the spaces of a justified line differ at most, in points: a writer stretches each
#: alike (a table's gaps follow its columns' widths).
JUSTIFIED_SPREAD = 1.0

# Bullets: the usual glyphs, dashes (hyphen, en and em), an asterisk, a symbol font's marks.
BULLET = re.compile(r"^([•●▪◦‣∙·○■□➢➤►▶✓✔*\-\u2013\u2014]|[\uf000-\uf8ff])\s*")
NUMBERED = re.compile(r"^(\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|[ivxIVX]{1,4}[.)])\s+")
_SUBSET = re.compile(r"^[A-Z]{6}\+")
_STYLE = re.compile(r"bold|black|heavy|semibold|demi|italic|oblique", re.I)

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass(frozen=True)
class Cell:
    """Words of a line set apart from the rest by a wide space: a table's cell, perhaps."""

    text: str
    x0: float
    x1: float


@dataclass
class Line:
    text: str
    page: int  # from 1
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    font: str  # the font of most of its characters, without its subset prefix
    styled: bool  # bold or italic throughout
    cells: list[Cell] = field(default_factory=list)  # set apart by CELL_GAP_EM; [] if unknown

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


@dataclass
class Block:
    """A heading, a paragraph, a list item or a table, in reading order."""

    kind: str  # heading, text, item, table
    lines: list[Line] = field(default_factory=list)
    level: int = 0  # a heading's
    rows: list[list[str]] = field(default_factory=list)  # a table's
    bbox: Box = (0.0, 0.0, 0.0, 0.0)
    page: int = 0

    @property
    def text(self) -> str:
        return joined(line.text for line in self.lines)


def joined(texts: Iterable[str]) -> str:
    """Lines as one paragraph: a word hyphenated across a break is made whole again."""
    out = ""
    for given in texts:
        text = given.strip()
        if not out:
            out = text
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha() and text[:1].islower():
            out = out[:-1] + text
        else:
            out += " " + text
    return out


def _font(name: str) -> str:
    return _SUBSET.sub("", name)


def _cells(words: list[dict[str, Any]], size: float) -> list[Cell]:
    """The line's words in runs set apart by CELL_GAP_EM; one run if the line is justified
    (every word set apart, by spaces all alike: a cell's or a narrow column's line)."""
    runs: list[list[dict[str, Any]]] = []
    for word in words:
        if runs and word["x0"] - runs[-1][-1]["x1"] < CELL_GAP_EM * size:
            runs[-1].append(word)
        else:
            runs.append([word])
    gaps = [b["x0"] - a["x1"] for a, b in itertools.pairwise(words)]
    if len(runs) == len(words) >= 3 and max(gaps) - min(gaps) < JUSTIFIED_SPREAD:
        runs = [words]
    return [Cell(" ".join(w["text"] for w in run), run[0]["x0"], run[-1]["x1"]) for run in runs]


def page_lines(page: Any, page_no: int, skip: list[Box]) -> list[Line]:
    """The page's lines in the order its text flows (so columns stay apart), without the words
    inside `skip` (ruled tables)."""
    words = page.extract_words(
        use_text_flow=True, x_tolerance=1.5, extra_attrs=["fontname", "size"]
    )
    lines: list[Line] = []
    current: list[dict[str, Any]] = []

    def close() -> None:
        if not current:
            return
        chars = Counter[str]()
        sizes: list[float] = []
        for word in current:
            chars[_font(word["fontname"])] += len(word["text"])
            sizes += [float(word["size"])] * len(word["text"])
        size = round(median(sizes), 1)
        lines.append(
            Line(
                text=" ".join(w["text"] for w in current),
                page=page_no,
                x0=min(w["x0"] for w in current),
                x1=max(w["x1"] for w in current),
                top=min(w["top"] for w in current),
                bottom=max(w["bottom"] for w in current),
                size=size,
                font=chars.most_common(1)[0][0],
                styled=all(_STYLE.search(w["fontname"]) for w in current),
                cells=_cells(current, size),
            )
        )
        current.clear()

    for word in words:
        middle = ((word["x0"] + word["x1"]) / 2, (word["top"] + word["bottom"]) / 2)
        if any(
            x0 <= middle[0] <= x1 and top <= middle[1] <= bottom for x0, top, x1, bottom in skip
        ):
            continue
        if current:
            last = current[-1]
            same_row = abs(word["top"] - last["top"]) < 0.5 * float(last["size"])
            onwards = word["x0"] >= last["x1"] - 1.0
            if not (same_row and onwards):
                close()
        current.append(word)
    close()
    return lines
