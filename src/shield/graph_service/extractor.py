"""The offline extractor: entities and relations from classical NLP, no model, no LLM.

Entities are the names a text uses (runs of capitalised words, not counting the first word of a
sentence unless it recurs capitalised elsewhere) and its key phrases (YAKE, a statistical
keyword extractor). Entities that appear in the same sentence are related, in a chain in the
order first seen, and that sentence describes the relation. Questions are read the same way, so
a question's names and phrases are the keywords a graph query looks for, with no LLM to extract
them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

import yake

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n{2,}")
_APOSTROPHES = "'\u2019"  # straight and typographic
_NAME = re.compile(
    rf"\b[A-Z][\w{_APOSTROPHES}-]*(?:\s+(?:of|de|da|van|von|the)?\s*[A-Z][\w{_APOSTROPHES}-]*)*"
)
_STOP_NAMES = frozenset(
    {
        "The",
        "A",
        "An",
        "This",
        "That",
        "These",
        "Those",
        "It",
        "He",
        "She",
        "They",
        "We",
        "I",
        "You",
        "In",
        "On",
        "At",
        "For",
        "If",
        "When",
        "Who",
        "What",
        "Which",
        "Where",
        "How",
        "Why",
        "Is",
        "Are",
        "Does",
        "Do",
    }
)
MAX_DESCRIPTION_CHARS = 600


@dataclass
class Entity:
    name: str
    kind: str  # name | concept
    description: str


@dataclass
class Relation:
    source: str
    target: str
    description: str
    keywords: str = "appear together"


@dataclass
class Extraction:
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _names(sentence: str) -> list[str]:
    found = []
    for match in _NAME.finditer(sentence):
        words = match.group(0).split()
        while words and words[0] in _STOP_NAMES:  # "The Albatross" -> "Albatross"
            words = words[1:]
        name = " ".join(words).strip(f" {_APOSTROPHES}-")
        if len(name) > 1 and name not in _STOP_NAMES:
            found.append(name)
    return found


def _overlaps(phrase: str, name_words: set[str]) -> bool:
    return any(word in name_words for word in phrase.split() if word[:1].isupper())


class OfflineExtractor:
    def __init__(self, phrases_per_chunk: int = 8, max_ngram: int = 3) -> None:
        self._keywords = yake.KeywordExtractor(
            lan="en", n=max_ngram, top=phrases_per_chunk, dedupLim=0.7
        )

    def phrases(self, text: str) -> list[str]:
        return [phrase for phrase, _score in self._keywords.extract_keywords(text)]

    def extract(self, text: str) -> Extraction:
        parts = sentences(text)
        names: dict[str, str] = {}  # lower-case key -> the spelling first seen
        mentions: dict[str, list[int]] = {}
        for index, sentence in enumerate(parts):
            for name in _names(sentence):
                key = name.lower()
                names.setdefault(key, name)
                mentions.setdefault(key, []).append(index)
        name_words = {w for n in names.values() for w in n.split()}
        for phrase in self.phrases(text):
            key = phrase.lower()
            if key in names or _overlaps(phrase, name_words):
                continue  # a name already covers it, or it cuts one in half
            indexes = [i for i, s in enumerate(parts) if key in s.lower()]
            if indexes:
                names[key] = phrase
                mentions[key] = indexes
        result = Extraction()
        for key, name in names.items():
            kind = "name" if name[:1].isupper() else "concept"
            described = " ".join(parts[i] for i in sorted(set(mentions[key]))[:3])
            result.entities.append(Entity(name, kind, described[:MAX_DESCRIPTION_CHARS]))
        for index, sentence in enumerate(parts):
            present = [k for k in names if index in mentions[k]]
            # Neighbours in a chain, not every pair: a sentence of n entities gives n - 1
            # relations, not n(n - 1)/2, and every entity of it stays reachable from the others.
            for a, b in itertools.pairwise(present):
                if a in b or b in a:
                    continue
                result.relations.append(
                    Relation(names[a], names[b], sentence[:MAX_DESCRIPTION_CHARS])
                )
        return result

    def query_keywords(self, query: str) -> tuple[list[str], list[str]]:
        """(high-level, low-level) keywords of a question: its phrases, and its names."""
        low = list(dict.fromkeys(_names(query)))
        name_words = {w for n in low for w in n.split()}
        high = [p for p in self.phrases(query) if not _overlaps(p, name_words)]
        if not low:
            low = high[:3]
        return high or low, low
