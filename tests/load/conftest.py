from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.untraced import without_coverage


@pytest.fixture(scope="package", autouse=True)
def untraced() -> Iterator[None]:
    """No coverage tracer here: these tests are about timings (support/untraced.py)."""
    with without_coverage():
        yield
