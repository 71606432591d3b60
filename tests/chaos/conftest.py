# The end-to-end fixtures: shield-api in a thread of the test process and a worker process.
from tests.e2e.conftest import api, worker

__all__ = ["api", "worker"]
