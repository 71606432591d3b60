"""shield-lightrag: the knowledge graph service (LightRAG), which alone owns the graph's state.
What shield-api uses of the graph (client, backlog, vectors) is `shield.graph`."""

from shield.graph_service.offline import forbid_runtime_installs

try:  # present where shield-lightrag runs: disarm it before LightRAG is ever imported
    import pipmaster
except ImportError:  # pragma: no cover - hosts without the lightrag extra
    pass
else:
    forbid_runtime_installs(pipmaster)
