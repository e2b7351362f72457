"""The index: crawled docs, their chunks and vectors in Chroma.

Owns the store (`store`: reads, searches, the commit protocol and the sweep), a crawl's records into it
(`sync`), the embedding model and its backends (`embedder`, `cpu`, `onnx_backend`, `endpoint`) and the
MinHash signatures that find copies (`duplicates`). May import the records, config and currency below
it; never probing, rules, the audit or anything that reports.
"""
