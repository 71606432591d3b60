"""The graph's backlog on a real Redis: one entry per document, its latest version or its
deletion; an entry settles only for the ticket that was worked on; retries wait, failures stay."""

from __future__ import annotations

import time

from redis import Redis

from shield.graph.backlog import DUE, WAITING, GraphBacklog


def test_a_document_waits_once_whatever_happens_to_it_meanwhile(redis_client: Redis) -> None:
    backlog = GraphBacklog(redis_client)
    first = backlog.put("docs", "a", "hash-1")
    time.sleep(0.01)
    second = backlog.put("docs", "a", "hash-2")
    assert second.since == first.since  # it has waited since the first time
    [due] = backlog.due(10)
    assert (due.operation, due.version, due.ticket) == ("put", "hash-2", second.ticket)

    assert not backlog.stored(first)  # the graph took an older version: the newer one waits
    assert backlog.waiting()[0] == 1
    assert backlog.stored(second)
    entry = backlog.state("docs", "a")
    assert entry is not None
    assert (entry.state, entry.error) == ("stored", None)
    assert backlog.waiting() == (0, 0.0)
    assert backlog.due(10) == []


def test_a_deletion_replaces_a_waiting_put_and_leaves_nothing_once_done(
    redis_client: Redis,
) -> None:
    backlog = GraphBacklog(redis_client)
    backlog.put("docs", "a", "hash-1")
    deletion = backlog.delete("docs", "a")
    [due] = backlog.due(10)
    assert due.operation == "delete"
    assert backlog.stored(deletion)
    assert backlog.state("docs", "a") is None
    assert redis_client.zcard(DUE) == redis_client.zcard(WAITING) == 0


def test_a_refused_document_is_retried_later_then_given_up_with_its_reason(
    redis_client: Redis,
) -> None:
    backlog = GraphBacklog(redis_client)
    entry = backlog.put("docs", "a", "hash-1")
    assert backlog.failed(entry, "LightRAG could not insert a", time.time() + 60)
    assert backlog.due(10) == []  # not due before its retry time
    [later] = backlog.due(10, now=time.time() + 61)
    assert (later.attempts, later.state, later.error) == (
        1,
        "pending",
        "LightRAG could not insert a",
    )
    assert backlog.failed(later, "still broken", None)
    gone = backlog.state("docs", "a")
    assert gone is not None
    assert (gone.state, gone.attempts, gone.error) == (
        "failed",
        2,
        "still broken",
    )
    assert backlog.waiting()[0] == 0


def test_an_unreachable_graph_postpones_without_counting_an_attempt(redis_client: Redis) -> None:
    backlog = GraphBacklog(redis_client)
    entry = backlog.put("docs", "a", "hash-1")
    assert backlog.postpone(entry, time.time() + 30)
    assert backlog.due(10) == []
    [later] = backlog.due(10, now=time.time() + 31)
    assert later.attempts == 0
    count, oldest = backlog.waiting()
    assert count == 1
    assert oldest >= 0


def test_states_are_read_for_many_documents_at_once(redis_client: Redis) -> None:
    backlog = GraphBacklog(redis_client)
    backlog.put("docs", "a", "h")
    backlog.put("other", "b", "h")
    states = backlog.states("docs", ["a", "b", "c"])
    assert list(states) == ["a"]
    assert states["a"].state == "pending"
    assert backlog.states("docs", []) == {}
