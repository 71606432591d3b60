"""Runs a suite without the coverage tracer, in the test process and in every process it starts.

The fault and load suites are about timings (heartbeats, breakers, latency under 100 users), and
a tracer slows every Python process it runs in: they measure the services as they run in
production, and the other suites measure their coverage."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import coverage
import pytest


@contextmanager
def without_coverage() -> Iterator[None]:
    active = coverage.Coverage.current()
    with pytest.MonkeyPatch.context() as patch:
        # What coverage's subprocess patch hands to the processes a test starts.
        patch.delenv("COVERAGE_PROCESS_CONFIG", raising=False)
        if active is not None:
            active.stop()
        try:
            yield
        finally:
            if active is not None:
                active.start()
