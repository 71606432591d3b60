"""A document's text put back together from its passages, in order.

Passages overlap (the chunker repeats the end of one at the start of the next, SHIELD_CHUNK_OVERLAP
tokens): each overlap is kept once. The chunker also trims the whitespace between passages, which
comes back as a blank line; a passage that starts with closing punctuation (the chunker cut just
before a full stop) had none to trim, and is joined on as it is.
"""

from __future__ import annotations

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
