"""A document's text put back together from its passages, in order.

A converted file's passages each begin with their heading path, a line per heading (what gets
embedded, so that a passage says which section it is in). Put back together, each heading
stands once, as a Markdown heading at its depth, where the path changes, and each passage's
own text follows.

Passages overlap (the chunker repeats the end of one at the start of the next, SHIELD_CHUNK_OVERLAP
tokens): each overlap is kept once. The chunker also trims the whitespace between passages, which
comes back as a blank line; a passage that starts with closing punctuation (the chunker cut just
before a full stop) had none to trim, and is joined on as it is.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_OVERLAP_CHARS = 4096  # more than any overlap the chunker's settings allow
MIN_OVERLAP_CHARS = 8
CLOSING_PUNCTUATION = tuple(".,;:!?)]}")


def _overlap(before: str, after: str) -> int:
    """The length of the longest end of `before` that `after` starts with (at least
    MIN_OVERLAP_CHARS of it: a shorter match is as likely chance as overlap)."""
    tail = before[-MAX_OVERLAP_CHARS:]
    probe = after[:MIN_OVERLAP_CHARS]
    if len(probe) < MIN_OVERLAP_CHARS:
        return 0
    start = tail.find(probe)
    while start != -1:  # the earliest start is the longest overlap
        if after.startswith(tail[start:]):
            return len(tail) - start
        start = tail.find(probe, start + 1)
    return 0


def reassemble(passages: list[str]) -> str:
    text = ""
    for passage in passages:
        if not text:
            text = passage
            continue
        shared = _overlap(text, passage)
        if shared:
            text += passage[shared:]
        elif passage.startswith(CLOSING_PUNCTUATION):
            text += passage
        else:
            text += "\n\n" + passage
    return text


def own_text(text: str, headings: Sequence[str]) -> str:
    """A passage without the heading path the chunker put in front of it."""
    lines = text.split("\n")
    if headings and lines[: len(headings)] == list(headings):
        return "\n".join(lines[len(headings) :])
    return text


def reassemble_document(passages: Sequence[tuple[str, Sequence[str]]]) -> str:
    """The whole text from (text, heading path) passages: each heading once, as a Markdown
    heading, where the path changes; the passages under it joined as `reassemble` joins them."""
    parts: list[str] = []
    path: list[str] = []
    group: list[str] = []
    for text, headings in passages:
        if list(headings) != path:
            if group:
                parts.append(reassemble(group))
                group = []
            shared = 0
            while shared < min(len(path), len(headings)) and path[shared] == headings[shared]:
                shared += 1
            parts += [
                f"{'#' * (depth + 1)} {headings[depth]}" for depth in range(shared, len(headings))
            ]
            path = list(headings)
        if own := own_text(text, headings).strip():
            group.append(own)
    if group:
        parts.append(reassemble(group))
    return "\n\n".join(parts)
