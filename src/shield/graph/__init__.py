"""The knowledge graph: shield-lightrag (LightRAG) and its clients."""
