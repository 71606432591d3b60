"""The knowledge graph: shield-lightrag (LightRAG) and its clients."""

from shield.graph.offline import forbid_runtime_installs

try:  # present where shield-lightrag runs: disarm it before LightRAG is ever imported
    import pipmaster
except ImportError:  # pragma: no cover - hosts without the lightrag extra
    pass
else:
    forbid_runtime_installs(pipmaster)
