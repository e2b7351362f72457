"""Digests per owner and their delivery: what each owner is told (`digest`, with `identity` for one
owner across sources), email files and the outbox (`mail`), Slack and Teams (`chat`, `slack`, `teams`)
and a run end to end (`delivery`, which the CLI calls). May import the rules and below.
"""
