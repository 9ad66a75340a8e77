"""Loading, chunking, embedding, the Chroma store and hybrid search."""
