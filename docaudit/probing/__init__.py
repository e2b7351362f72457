"""Probes and what retrieval answers them with: probe files and generated probes (`probes`), a probe's
results per doc (`ranking`), docaudit's own retriever (`own`) and the retrieval under audit, a user's
retriever or an existing collection (`retrievers`). May import the index and below; never the rules.
"""
