"""Retrieval that follows the graph: from the entities a question names, along their relations
one and two hops, to the passages that hold what was reached.

A passage scores for each relation on those paths that was found in it, more for a relation
nearer the question's entities, less for one that leaves an entity joined to many others (a
word like "granary" joins every granary of the collection: it says little about which one).
So "Who built the granary that Ana Voss keeps?" reaches, from Ana Voss, the granary and Tarn
Ford (the passage that says she keeps it), then from Tarn Ford its builder: the passage that
holds both Tarn Ford's granary and its builder scores twice, another town's granary once.
Built on LightRAG's own graph storage (nodes, edges, each edge's chunk ids), not a second graph.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from lightrag.constants import GRAPH_FIELD_SEP

#: Relations followed from one entity, at most (an entity joined to more is a hub).
MAX_EDGES = 200
#: Relations followed in all, at most: a question's cost stays bounded on any graph. The
#: entities joined to fewest others are followed first: they say most about the question.
MAX_FOLLOWED = 2000


@dataclass
class Trail:
    """What led to a passage: the relations on the way, each as (source, target)."""

    score: float = 0.0
    relations: list[tuple[str, str]] = field(default_factory=list)


async def _edges(graph: Any, node: str) -> list[tuple[str, str]]:
    return list(await graph.get_node_edges(node) or [])[:MAX_EDGES]


def _chunk_ids(record: dict[str, Any] | None) -> list[str]:
    return [i for i in str((record or {}).get("source_id", "")).split(GRAPH_FIELD_SEP) if i]


async def edge_between(graph: Any, source: str, target: str) -> dict[str, Any] | None:
    """The relation joining two entities, in whichever direction the graph keeps it."""
    edge = await graph.get_edge(source, target) or await graph.get_edge(target, source)
    return dict(edge) if edge else None


async def _credit(
    graph: Any, trails: dict[str, Trail], source: str, target: str, weight: float
) -> None:
    """Each passage the relation was found in scores `weight`, and records the relation."""
    for chunk_id in _chunk_ids(await edge_between(graph, source, target)):
        trail = trails[chunk_id]
        trail.score += weight
        trail.relations.append((source, target))


async def seeds(graph: Any, names: list[str]) -> list[str]:
    """The question's names that are entities of the graph, as the graph spells them."""
    found = []
    for name in names:
        for spelling in dict.fromkeys([name, name.title(), name.lower()]):
            if await graph.has_node(spelling):
                found.append(spelling)
                break
    return found


async def follow(graph: Any, start: list[str], hops: int = 2) -> dict[str, Trail]:
    """Chunk id -> how it was reached, from the `start` entities along `hops` relations."""
    reached: dict[str, int] = {name: 0 for name in start}
    frontier = list(start)
    paths: dict[str, Trail] = defaultdict(Trail)
    seen: set[frozenset[str]] = set()
    followed = 0
    for hop in range(1, hops + 1):
        following = []
        by_degree = [(len(await _edges(graph, node)), node) for node in frontier]
        for _, node in sorted(by_degree):
            if followed >= MAX_FOLLOWED:
                break
            edges = await _edges(graph, node)
            followed += len(edges)
            spread = 1.0 + math.log(1 + len(edges))  # a hub's relations say less each
            for source, target in edges:
                key = frozenset((source, target))
                if key in seen:
                    continue
                seen.add(key)
                other = target if source == node else source
                await _credit(graph, paths, source, target, 1.0 / (hop * spread))
                if other not in reached:
                    reached[other] = hop
                    following.append(other)
        frontier = following
    return dict(paths)


#: The most connected entities an overview of the graph starts from.
CENTRAL_ENTITIES = 20


async def central(graph: Any, top: int = CENTRAL_ENTITIES) -> dict[str, Trail]:
    """Chunk id -> the central relations it holds: those of the graph's most connected
    entities, a relation between two of them counting twice. What a collection is about, for a
    question that names nothing in it."""
    hubs = list(await graph.get_popular_labels(top) or [])
    central_names = set(hubs)
    trails: dict[str, Trail] = defaultdict(Trail)
    seen: set[frozenset[str]] = set()
    for node in hubs:
        for source, target in await _edges(graph, node):
            key = frozenset((source, target))
            if key in seen:
                continue
            seen.add(key)
            weight = 2.0 if {source, target} <= central_names else 1.0
            await _credit(graph, trails, source, target, weight)
    return dict(trails)
