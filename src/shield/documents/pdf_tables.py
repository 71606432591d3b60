"""Tables on a PDF's pages, as rows of cells: drawn by ruling lines (pdfplumber's table finder),
or set out in aligned columns without any (Shield's own reading of the lines' wide spaces).

A table without ruling lines is a run of lines, two at least, each of two cells or more (words
set apart by a wide space, `CELL_GAP_EM`), whose cells stand in the same columns. Around that run:
- lines of a single cell between its rows are a row of their own, or, set close under a row, the
  rest of a cell that did not fit on one line;
- lines of a single cell just above it, in two columns at least, are its header (a PDF often
  writes a header cell by cell, a cell on two lines);
- a line that crosses from one column into another ends it (a paragraph, not a cell).
Runs of prose (two page columns read across), of code (aligned by spaces), lists (a wide
space after each bullet) and tables of contents (dot leaders) are not tables.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

from shield.documents.pdf_lines import BULLET, Block, Box, Cell, Line

#: Lines looked at, at most, for the rows of one table.
MAX_ROWS = 500
#: How far apart, in line heights, two rows of a table may stand.
ROW_GAP_LINES = 2.5
#: How far below the lowest line so far, in line heights, a line may stand and still be looked
#: at for a table's rows: a cell's lines may come before or after its row's other cells.
REACH_LINES = 6
#: Header lines read above a table's rows, at most, per column.
HEADER_LINES_PER_COLUMN = 3
#: A table's columns whose cells all run to this many words (median) or more are prose.
PROSE_WORDS = 6
#: How much a line's font size may differ from the table's and still be one of its rows.
SIZE_TOLERANCE = 1.5

# Fonts of fixed width (code), by their names: Courier, Nimbus Mono, TeX's typewriter (CMTT10).
_MONOSPACE = re.compile(
    r"(?i:mono|courier|consol|code|typewriter|fixed|menlo|cousine)|Mon[A-Z]|TT\d"
)

# A list's or a section's number: 3, 3., 3), (c), iv., 2.1, A.1.
_MARK = re.compile(r"\(?([\dA-Za-z]{1,3}|[ivxIVX]{1,5})(\.\d{1,3})*[.)]?")
_LEADER = re.compile(r"(\. ?){4}|…{2}|_{6}")

Table = tuple[Box, list[list[str]]]


def ruled_tables(page: Any) -> list[Table]:
    """The page's ruled tables: their box and their rows of cells (two columns at least)."""
    found = []
    for table in page.find_tables():
        rows = [
            [" ".join((cell or "").split()) for cell in row]
            for row in table.extract()
            if any((cell or "").strip() for cell in row)
        ]
        if rows and max(len(row) for row in rows) >= 2 and len(rows) >= 2:
            found.append((tuple(table.bbox), rows))
    return found


def placed(items: list[Line | Block], tables: list[Table], page: int) -> list[Line | Block]:
    """The page's ruled tables put among its lines and blocks: each before the first that
    stands below its top."""
    out: list[Line | Block] = []
    pending = sorted(tables, key=lambda table: table[0][1])
    for item in items:
        top = item.top if isinstance(item, Line) else item.bbox[1]
        while pending and pending[0][0][1] <= top:
            box, rows = pending.pop(0)
            out.append(Block("table", rows=rows, bbox=box, page=page))
        out.append(item)
    out += [Block("table", rows=rows, bbox=box, page=page) for box, rows in pending]
    return out


@dataclass(frozen=True)
class _Column:
    x0: float
    x1: float


@dataclass(frozen=True)
class _Row:
    """The lines that stand side by side on one row of a table (a PDF may write a row's cells
    as lines of their own, in any order), as one line of all their cells."""

    line: Line
    members: tuple[Line, ...]

    @staticmethod
    def of(members: list[Line]) -> _Row:
        members = sorted(members, key=lambda line: line.x0)
        first = members[0]
        line = Line(
            text=" ".join(member.text for member in members),
            page=first.page,
            x0=min(member.x0 for member in members),
            x1=max(member.x1 for member in members),
            top=min(member.top for member in members),
            bottom=max(member.bottom for member in members),
            size=first.size,
            font=first.font,
            styled=all(member.styled for member in members),
            cells=[c for m in members for c in (m.cells or [Cell(m.text, m.x0, m.x1)])],
        )
        return _Row(line, tuple(members))


def aligned_tables(lines: list[Line]) -> list[Line | Block]:
    """The lines, with the runs of them that are tables without ruling lines made tables."""
    out: list[Line | Block] = []
    pending = lines
    index = 0
    while index < len(pending):
        found = _table_at(pending, index)
        if found is None:
            out.append(pending[index])
            index += 1
            continue
        header, reach, block, taken = found
        del out[len(out) - header :]  # its header lines, already passed as lines
        out.append(block)
        # The lines in its reach that are not its own are read on (another table, perhaps).
        rest = [line for line in pending[index : index + reach] if id(line) not in taken]
        pending, index = rest + pending[index + reach :], 0
    return out


def _multi(line: Line) -> bool:
    return len(line.cells) >= 2 and not _MONOSPACE.search(line.font)


def _near(line: Line, above: Line) -> bool:
    """`line` stands under `above`, as the next row of a table may."""
    gap = line.top - above.bottom
    return -0.5 * line.height <= gap <= ROW_GAP_LINES * line.height


def _reach(lines: list[Line], start: int) -> list[Line]:
    """The lines from lines[start] on that may be rows of a table starting there: in the order
    the text flows, while they stand below its top and near the lowest so far."""
    first = lines[start]
    reach, bottom = [first], first.bottom
    for line in lines[start + 1 : start + MAX_ROWS]:
        if abs(line.size - first.size) > SIZE_TOLERANCE or line.top < first.top - first.height / 2:
            break
        if line.top - bottom > REACH_LINES * line.height:
            break
        reach.append(line)
        bottom = max(bottom, line.bottom)
    return reach


def _physical(reach: list[Line]) -> list[_Row]:
    """The lines as rows, top to bottom: lines side by side on one baseline are one row."""
    groups: list[list[Line]] = []
    for line in sorted(reach, key=lambda line: (line.top, line.x0)):
        last = groups[-1] if groups else []
        if (
            last
            and abs(line.top - last[0].top) < 0.5 * line.height
            and not any(line.x0 < member.x1 and member.x0 < line.x1 for member in last)
        ):
            last.append(line)
        else:
            groups.append([line])
    return [_Row.of(group) for group in groups]


def _table_at(lines: list[Line], start: int) -> tuple[int, int, Block, set[int]] | None:
    """The table whose first row of cells is lines[start]: how many lines before it are its
    header, how many from `start` on were looked at, the table, and the ids of its lines.
    None if no table starts there."""
    first = lines[start]
    if not _multi(first):
        return None
    reach = _reach(lines, start)
    run: list[_Row] = []
    columns: list[_Column] | None = None
    for row in _physical(reach):
        if run and not _near(row.line, run[-1].line):
            break
        if _multi(row.line):
            found = _columns([r.line for r in run if _multi(r.line)] + [row.line])
            if found is None:
                break
            columns = found
        elif columns is None or _column_of(row.line, columns) is None:
            break
        run.append(row)
    if columns is None:
        return None
    cut = next(
        (
            i
            for i, row in enumerate(run)
            if not _multi(row.line) and _column_of(row.line, columns) is None
        ),
        len(run),
    )
    run = run[:cut]
    # A single cell after the last row of cells is the rest of it only when set close under it.
    while len(run) > 1 and not _multi(run[-1].line) and not _tight(run[-1].line, run[-2].line):
        run.pop()
    if sum(1 for row in run if _multi(row.line)) < 2:
        return None
    header = _header(lines[:start], first, columns)
    table = _rows(header, run, columns)
    if len(table) < 3 or _prose(table) or _list(table):
        return None
    involved = [*header, *(line for row in run for line in row.members)]
    box = (
        min(line.x0 for line in involved),
        min(line.top for line in involved),
        max(line.x1 for line in involved),
        max(line.bottom for line in involved),
    )
    block = Block("table", rows=table, bbox=box, page=first.page)
    return len(header), len(reach), block, {id(line) for line in involved}


def _columns(rows: list[Line]) -> list[_Column] | None:
    """The columns the rows' cells stand in (spans of x that cells overlap), if every row has
    at most one cell in each and there are two at least."""
    spans = sorted((cell.x0, cell.x1) for line in rows for cell in line.cells)
    columns: list[list[float]] = []
    for x0, x1 in spans:
        if columns and x0 <= columns[-1][1]:
            columns[-1][1] = max(columns[-1][1], x1)
        else:
            columns.append([x0, x1])
    found = [_Column(x0, x1) for x0, x1 in columns]
    for line in rows:
        used = [_span_columns(cell.x0, cell.x1, found) for cell in line.cells]
        if any(len(span) != 1 for span in used) or len({s[0] for s in used}) < len(used):
            return None
    return found if len(found) >= 2 else None


def _span_columns(x0: float, x1: float, columns: Sequence[_Column]) -> list[int]:
    return [i for i, column in enumerate(columns) if x0 <= column.x1 and x1 >= column.x0]


def _column_of(line: Line, columns: Sequence[_Column]) -> int | None:
    """The one column a line of a single cell stands in: the one whose span, widened halfway
    into the gaps beside it (an em left of the first), holds it; else, a line in a gap, the
    nearest. None if it reaches further (a paragraph's line, not a cell's)."""
    for index, column in enumerate(columns):
        left = columns[index - 1].x1 if index else column.x0 - 2 * line.size
        right = columns[index + 1].x0 if index + 1 < len(columns) else float("inf")
        if (column.x0 + left) / 2 <= line.x0 and line.x1 <= (column.x1 + right) / 2:
            return index
    return None


def _tight(line: Line, above: Line) -> bool:
    """Set close under the line above, as a cell's next line is (closer than rows are)."""
    return line.top - above.bottom <= 0.5 * line.height


def _header(before: list[Line], first: Line, columns: list[_Column]) -> list[Line]:
    """The single-cell lines just before the first row that are its header: each in one
    column, above the row, together standing near it (each near the one under it), in two
    columns at least."""
    fitting: list[Line] = []  # the lines before the first row that fit its columns
    for line in reversed(before[-HEADER_LINES_PER_COLUMN * len(columns) :]):
        if _multi(line) or abs(line.size - first.size) > SIZE_TOLERANCE:
            break
        if _column_of(line, columns) is None or line.top >= first.top:
            break
        fitting.insert(0, line)
    near, edge = set(), first.top  # the lines stacked up from the row, each near the next
    for line in sorted(fitting, key=lambda line: -line.bottom):
        if edge - line.bottom > ROW_GAP_LINES * line.height:
            break
        near.add(id(line))
        edge = min(edge, line.top)
    header: list[Line] = []
    for line in reversed(fitting):  # those of them that come last in the text's flow
        if id(line) not in near:
            break
        header.insert(0, line)
    if len({_column_of(line, columns) for line in header}) < 2:
        return []
    return header


def _rows(header: list[Line], run: list[_Row], columns: list[_Column]) -> list[list[str]]:
    """The table's rows of cells: the header's lines as one row, then a row for each row of
    two cells or more, with the lines of a single cell that belong to it (`_owners`)."""
    table: list[list[str]] = []
    if header:
        cells = [""] * len(columns)
        for line in sorted(header, key=lambda line: (line.top, line.x0)):
            column = _column_of(line, columns)
            assert column is not None
            cells[column] = f"{cells[column]} {line.text}".strip()
        table.append(cells)
    owners = _owners(run, columns)
    at: dict[int, list[str]] = {}  # a run's row index: its table row
    for index, row in enumerate(run):
        owner = owners[index]
        if owner not in at:
            at[owner] = [""] * len(columns)
            table.append(at[owner])
        cells = at[owner]
        for cell in row.line.cells:
            column = _span_columns(cell.x0, cell.x1, columns)[0]
            cells[column] = f"{cells[column]} {cell.text}".strip()
    return table


def _owners(run: list[_Row], columns: list[_Column]) -> list[int]:
    """For each row of the run, the index of the row it belongs to: itself for a row of two
    cells or more; for a single cell, the row whose cell it goes on with.

    Where the table centres its cells in their rows (each row of cells with as many lines of a
    single cell above it as below, the ones above full to the column's edge, as a cell's first
    lines are), a line above a row is its own. Else a line goes on with the row it stands closer
    to, the row above when as close; but a line in the first column is a row of its own (a
    group's name) unless clearly closer to the row above."""
    anchors = [i for i, row in enumerate(run) if _multi(row.line)]
    centred = _centred(run, anchors, columns)
    if centred is not None:
        return centred
    owners: list[int] = []
    for index, row in enumerate(run):
        line = row.line
        column = _column_of(line, columns)
        if _multi(line) or column is None:
            owners.append(index)
            continue
        above = line.top - run[index - 1].line.bottom
        below = run[index + 1].line.top - line.bottom if index + 1 < len(run) else float("inf")
        later = next((i for i in anchors if i > index), None)
        if column == 0 and above >= below - 0.2 * line.height:
            owners.append(index)
        elif (below < above or owners[-1] > index - 1) and later is not None:
            owners.append(later)  # with the row below (as the line above it did)
        else:
            owners.append(owners[-1])
    return owners


def _centred(run: list[_Row], anchors: list[int], columns: list[_Column]) -> list[int] | None:
    """The rows' owners if the table centres its cells, else None (see `_owners`)."""
    owners = list(range(len(run)))
    below = len(run) - 1 - anchors[-1]  # lines under the last row of cells
    for upper, lower in reversed(list(itertools.pairwise(anchors))):
        above = below  # lines above `lower` that are its own, as many as under it
        between = lower - upper - 1
        if above > between:
            return None
        for index in range(lower - above, lower):
            owners[index] = lower
        below = between - above
        for index in range(upper + 1, upper + 1 + below):
            owners[index] = upper
    for index in range(anchors[-1] + 1, len(run)):
        owners[index] = anchors[-1]
    if below != 0 or owners == _top_aligned(run, anchors):
        return None  # the first row has lines under it but none above; or nothing centred
    for index, owner in enumerate(owners):
        if owner > index:  # above its row: a first line, full to its column's edge
            column = _column_of(run[index].line, columns)
            edge = columns[column].x1 if column is not None else 0.0
            width = edge - (columns[column].x0 if column is not None else 0.0)
            if run[index].line.x1 < edge - 0.15 * width:
                return None
    return owners


def _top_aligned(run: list[_Row], anchors: list[int]) -> list[int]:
    return [max(a for a in anchors if a <= index) for index in range(len(run))]


def _mark(cell: str) -> bool:
    """A bullet, a check box, a list's or a section's number: no cell of a table's own."""
    text = cell.strip()
    return bool(BULLET.fullmatch(text) or _MARK.fullmatch(text)) or (
        len(text) == 1 and not text.isalnum()
    )


def _worded(table: list[list[str]]) -> list[int]:
    """The table's columns that hold words, not only marks or nothing."""
    return [c for c in range(len(table[0])) if any(row[c] and not _mark(row[c]) for row in table)]


def _list(table: list[list[str]]) -> bool:
    """A column of words beside marks only (a list set with a wide space after its bullets or
    check boxes), or a table of contents (its dot leaders)."""
    return len(_worded(table)) < 2 or any(_LEADER.search(cell) for row in table for cell in row)


def _prose(table: list[list[str]]) -> bool:
    """Every column of words runs long: lines of prose set side by side, not a table."""
    widths = [median([len(row[c].split()) for row in table if row[c]]) for c in _worded(table)]
    return min(widths) >= PROSE_WORDS
