"""An evaluation set the graph tests generate themselves: documents stating facts about invented
people, places and things, and questions whose answer is one named entity."""

from __future__ import annotations

from dataclasses import dataclass

FIRST = ["Marta", "Ivo", "Selka", "Borin", "Tamsin", "Oderic", "Nyla", "Caspar", "Verena", "Joss"]
LAST = [
    "Kovac",
    "Rensk",
    "Aldmoor",
    "Quillfen",
    "Dravik",
    "Osterlund",
    "Penhallow",
    "Brask",
    "Thornquist",
    "Varga",
]
#: Names enough for thousands of invented people (the graph benchmarks' and tests').
GIVEN_NAMES = [
    "Ana",
    "Milo",
    "Ida",
    "Bram",
    "Ulla",
    "Odile",
    "Corin",
    "Tamsin",
    "Selka",
    "Ivo",
    "Nyla",
    "Joss",
    "Marta",
    "Caspar",
    "Verena",
    "Oderic",
    "Felix",
    "Greta",
    "Hugo",
    "Lena",
    "Rowan",
    "Edda",
    "Piet",
    "Sabine",
    "Teodor",
    "Wilma",
    "Yannick",
    "Zora",
]
FAMILY_NAMES = [
    "Voss",
    "Brandt",
    "Kern",
    "Oakes",
    "Marr",
    "Ferrant",
    "Vale",
    "Dravik",
    "Aldmoor",
    "Rensk",
    "Penhallow",
    "Varga",
    "Kovac",
    "Brask",
    "Thornquist",
    "Osterlund",
    "Lind",
    "Moor",
    "Falk",
    "Stroud",
    "Quill",
    "Harrow",
    "Ness",
    "Birch",
]
PLACES = [
    "Port Elira",
    "Cape Dorn",
    "Vell Island",
    "Harrowgate",
    "Miren Bay",
    "Oskfjord",
    "Lantern Point",
    "Greyhaven",
    "Saltmere",
    "Brinmouth",
    "Korrin Vale",
    "Estwold",
    "Ashby Reach",
    "Tollgard",
    "Whitcombe",
    "Dunmarrow",
    "Felwick",
    "Caddon Ford",
    "Orlen Heath",
    "Skarra",
]
ORGS = [
    "Tidewatch Guild",
    "Northlight Cooperative",
    "Emberline Foundry",
    "Saltwind Society",
    "Gullrock Trust",
    "Heronsgate Mill",
    "Ironbell Forge",
    "Larkspur Institute",
    "Mossbank Union",
    "Quayside Assembly",
]
VESSELS = [
    "Albatross",
    "Kestrel",
    "Sea Lantern",
    "Wavecrest",
    "Stormpetrel",
    "Tern",
    "Driftwood",
    "Halcyon",
    "Corsair",
    "Moonraker",
]
ROLES = [
    "harbour master",
    "lighthouse keeper",
    "ferry captain",
    "mayor",
    "chief engineer",
    "head librarian",
    "fire warden",
    "customs officer",
    "port surgeon",
    "bridge keeper",
]


@dataclass(frozen=True)
class Question:
    text: str
    expected: str


def build(documents: int = 10) -> tuple[dict[str, str], list[Question]]:
    """`documents` documents (source -> text), three facts each, and one question per fact."""
    texts: dict[str, str] = {}
    questions: list[Question] = []
    for i in range(documents):
        person = f"{FIRST[i]} {LAST[i]}"
        founder = f"{FIRST[(i + 3) % 10]} {LAST[(i + 7) % 10]}"
        place, town_a, town_b = PLACES[i], PLACES[(i + 10) % 20], PLACES[(i + 5) % 20]
        org, vessel, role = ORGS[i], VESSELS[i], ROLES[i]
        texts[f"gazette-{i}.md"] = (
            f"# Gazette {i}\n\n"
            f"{person} is the {role} of {place}. "
            f"The {org} was founded by {founder} in {1890 + i}. "
            f"The ferry {vessel} sails between {town_a} and {town_b} every morning.\n"
        )
        questions += [
            Question(f"Who is the {role} of {place}?", person),
            Question(f"Who founded the {org}?", founder),
            Question(f"Which ferry sails between {town_a} and {town_b}?", vessel),
        ]
    return texts, questions
