"""The offline extractor: entities and relations from classical NLP, no model, no LLM.

Entities are the names a text uses (runs of capitalised words, not counting the first word of a
sentence unless it recurs capitalised elsewhere) and its key phrases (YAKE, a statistical
keyword extractor), kept only when they name something (`is_thing`: no function words, modal
verbs, shouted common words, path or URL fragments, letters; a phrase of three words or more
only when the text uses it again; possessives, and plurals whose singular the text uses too,
merged). Entities that appear in the same sentence are related, in
a chain (its names in the order it names them, then its phrases), and that sentence describes
the relation. Questions are read the same way, so a question's names and phrases are
the keywords a graph query looks for, with no LLM to extract them.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

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
#: Key phrases of this many words or more are kept only where the text uses them twice or
#: more: YAKE's longer phrases are often pieces of a clause ("contained words identical").
LONG_PHRASE = 3


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


@cache
def stopwords() -> frozenset[str]:
    """English function words, modal verbs and the like: YAKE's own list (574 words)."""
    listed = resources.files("yake.core") / "StopwordsList" / "stopwords_en.txt"
    return frozenset(w.strip().lower() for w in listed.read_text("utf-8").split() if w.strip())


_POSSESSIVE = re.compile(rf"[{_APOSTROPHES}]s$")
_FRAGMENT = re.compile(r"[/\\=<>{}@#|_]|://|\.\w")  # a path, a URL, code: not a thing's name


def _names(sentence: str) -> list[tuple[str, bool]]:
    """The names of a sentence, each with whether it opens the sentence."""
    found = []
    for match in _NAME.finditer(sentence):
        words = match.group(0).split()
        initial = match.start() == 0
        while words and words[0] in _STOP_NAMES:  # "The Albatross" -> "Albatross"
            words = words[1:]
            initial = False
        while words and words[-1] in _STOP_NAMES:  # "Ferries The" -> "Ferries"
            words = words[:-1]
        name = _POSSESSIVE.sub("", " ".join(words)).strip(f" {_APOSTROPHES}-")
        if len(name) > 1 and name not in _STOP_NAMES:
            found.append((name, initial))
    return found


def is_thing(name: str, text: str, only_opening: bool = False) -> bool:
    """Whether a name or phrase found in `text` names something: not a function word or a
    modal verb, not a common word shouted in capitals ("NOTE" where "note" is written too),
    not a fragment of a path, URL or code, not a letter, and not a single word seen only at
    the start of sentences (where every word is capitalised)."""
    words = name.split()
    stop = stopwords()
    if len(name) < 2 or not any(c.isalpha() for c in name) or _FRAGMENT.search(name):
        return False
    if all(w.lower().strip(_APOSTROPHES) in stop for w in words):
        return False
    if len(words) == 1:
        word = words[0]
        if only_opening or (len(word) < 3 and not word.isupper()):
            return False
        if word.isupper() and re.search(rf"\b{re.escape(word.lower())}\b", text):
            return False
    return True


def _uses(text: str, key: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(key)}(?!\w)", text.lower()))


def singulars(key: str) -> list[str]:
    """What `key` would be if its last word were a regular plural: "harbour stores" ->
    "harbour store", "ferries" -> "ferry", "boxes" -> "box"."""
    head, _, last = key.rpartition(" ")
    forms = []
    if last.endswith("ies") and len(last) > 4:
        forms.append(last[:-3] + "y")
    if last.endswith("es") and len(last) > 3:
        forms.append(last[:-2])
    if last.endswith("s") and len(last) > 2:
        forms.append(last[:-1])
    return [f"{head} {form}" if head else form for form in forms]


def _merge_plurals(names: dict[str, str], mentions: dict[str, list[int]]) -> None:
    """A plural and its singular, both in the text, are one entity under the singular. Only
    forms both seen are merged: a word that merely ends in s ("lens", "Wales") stays itself."""
    for key in list(names):
        singular = next((form for form in singulars(key) if form in names), None)
        if singular is not None:
            mentions[singular] = sorted({*mentions[singular], *mentions.pop(key)})
            del names[key]


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
        opening_only: dict[str, bool] = {}
        for index, sentence in enumerate(parts):
            for name, opening in _names(sentence):
                key = name.lower()
                names.setdefault(key, name)
                mentions.setdefault(key, []).append(index)
                opening_only[key] = opening_only.get(key, True) and opening
        for key in [k for k in names if not is_thing(names[k], text, opening_only[k])]:
            del names[key], mentions[key]
        proper = set(names)
        name_words = {w for n in names.values() for w in n.split()}
        for phrase in self.phrases(text):
            key = phrase.lower()
            if key in names or _overlaps(phrase, name_words) or not is_thing(phrase, text):
                continue  # a name already covers it, it cuts one in half, or names nothing
            if len(phrase.split()) >= LONG_PHRASE and _uses(text, key) < 2:
                continue  # a long phrase said once is most often a piece of a clause
            indexes = [i for i, s in enumerate(parts) if key in s.lower()]
            if indexes:
                names[key] = phrase
                mentions[key] = indexes
        _merge_plurals(names, mentions)
        result = Extraction()
        for key, name in names.items():
            kind = "name" if name[:1].isupper() else "concept"
            described = " ".join(parts[i] for i in sorted(set(mentions[key]))[:3])
            result.entities.append(Entity(name, kind, described[:MAX_DESCRIPTION_CHARS]))
        for index, sentence in enumerate(parts):
            # Neighbours in a chain, not every pair: a sentence of n entities gives n - 1
            # relations, not n(n - 1)/2, and every entity of it stays reachable from the others.
            # Its names come first, in the order it names them (a name is related to the next
            # name, not to a phrase between them), then its phrases.
            lowered = sentence.lower()
            present = sorted(
                (k for k in names if index in mentions[k]),
                key=lambda k: (k not in proper, lowered.find(k)),
            )
            for a, b in itertools.pairwise(present):
                if a in b or b in a:
                    continue
                result.relations.append(
                    Relation(names[a], names[b], sentence[:MAX_DESCRIPTION_CHARS])
                )
        return result

    def query_keywords(self, query: str) -> tuple[list[str], list[str]]:
        """(high-level, low-level) keywords of a question: its phrases, and its names."""
        low = list(dict.fromkeys(name for name, _ in _names(query) if is_thing(name, query)))
        name_words = {w for n in low for w in n.split()}
        high = [p for p in self.phrases(query) if not _overlaps(p, name_words)]
        if not low:
            low = high[:3]
        return high or low, low
