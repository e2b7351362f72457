"""Digests per owner and their delivery: what each owner is told (`digest`; one owner across sources is
`docaudit.owners`), email files and the outbox (`mail`), Slack and Teams (`chat`, `slack`, `teams`)
and a run end to end (`delivery`, which the CLI calls). May import the rules and below.
"""
