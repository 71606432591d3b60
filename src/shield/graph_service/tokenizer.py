"""A tokenizer for LightRAG that needs no download and gives back exactly the text it was given.

LightRAG counts tokens to size its context and sometimes decodes what it encoded. Its default
(tiktoken) downloads an encoding at run time; the embedding model's WordPiece tokenizer works
offline but lower-cases and re-spaces text on decode. This one packs three characters into each
token: counts land near a real subword tokenizer's (about 3-4 characters per token for English),
and decoding is exact.
"""

from __future__ import annotations

from typing import Any

_BITS = 21  # every Unicode code point fits
_MASK = (1 << _BITS) - 1
_PER_TOKEN = 3


class PackedCharTokenizer:
    """Stateless, so safe from several threads and cheap to deep-copy (LightRAG does both)."""

    def encode(self, content: str) -> list[int]:
        tokens = []
        for start in range(0, len(content), _PER_TOKEN):
            token = 0
            for offset, char in enumerate(content[start : start + _PER_TOKEN]):
                token |= (ord(char) + 1) << (_BITS * offset)  # +1: 0 marks "no character"
            tokens.append(token)
        return tokens

    def decode(self, tokens: list[int]) -> str:
        chars = []
        for token in tokens:
            for offset in range(_PER_TOKEN):
                code = (token >> (_BITS * offset)) & _MASK
                if code:
                    chars.append(chr(code - 1))
        return "".join(chars)

    def __deepcopy__(self, memo: dict[int, Any]) -> PackedCharTokenizer:
        return self
