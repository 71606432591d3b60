"""The knowledge graph as shield-api uses it: the client of shield-lightrag, the backlog of
documents waiting for it, and the vectors it is sent. The service itself is
`shield.graph_service`, which shield-api never imports."""
