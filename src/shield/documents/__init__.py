"""Documents: identity, chunking, and the index that keeps them in the vector store."""
