"""A long, varied document: enough chunks that embedding takes several seconds."""

from __future__ import annotations

import random

WORDS = [
    "reactor",
    "valve",
    "pressure",
    "gauge",
    "turbine",
    "coolant",
    "bearing",
    "rotor",
    "housing",
    "flange",
    "sensor",
    "relay",
    "circuit",
    "breaker",
    "transformer",
    "inverter",
    "battery",
    "cell",
    "module",
    "firmware",
    "register",
    "buffer",
    "cache",
    "queue",
    "worker",
    "scheduler",
    "kernel",
    "thread",
    "socket",
    "packet",
    "router",
    "switch",
    "gateway",
    "tunnel",
    "proxy",
]


def big_document(paragraphs: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts = []
    for i in range(paragraphs):
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))).capitalize() + "."
            for _ in range(rng.randint(3, 6))
        ]
        parts.append(f"## Section {i}\n\n" + " ".join(sentences))
    return "\n\n".join(parts)
