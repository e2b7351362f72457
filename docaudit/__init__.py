"""docaudit: find the documents a RAG index would answer from that are wrong about time."""

__version__ = "0.1.0"
