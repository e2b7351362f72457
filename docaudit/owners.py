"""Who a doc's owner is across sources: one person, however each source names them.

Pure: the alias map and fallbacks come from config, the owners from the docs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from docaudit.config import Config
from docaudit.records import Doc, Finding, Owner


@dataclass(frozen=True)
class Person:
    key: str  # the canonical address: an email when one is known
    name: str
    email: str

    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name and self.email else self.name or self.email or self.key


class Identities:
    """`aliases`: canonical email -> the other names, emails and source ids (`notion:<user id>`) it goes by.
    `fallback_owners`: `source` or `source:path prefix` -> who gets the digest items of unowned docs."""

    def __init__(self, config: Config) -> None:
        self._alias: dict[str, str] = {}
        for canonical, others in config.aliases.items():
            self._alias[canonical.lower()] = canonical.lower()
            for other in others:
                self._alias[other.strip().lower()] = canonical.lower()
        self._fallbacks = sorted(config.fallback_owners.items(), key=lambda kv: -len(kv[0]))
        self._names: dict[str, str] = {}

    def person(self, owner: Owner) -> Person:
        candidates = [owner.id, owner.email, owner.name]
        key = next((self._alias[c.lower()] for c in candidates if c and c.lower() in self._alias), "")
        key = key or (owner.email or owner.name or owner.id).lower()
        email = key if "@" in key else owner.email
        if owner.name and key not in self._names:
            self._names[key] = owner.name
        return Person(key, self._names.get(key, owner.name), email)

    def _known(self, owner: Owner | None) -> bool:
        """An owner someone can be told about: a name, an email, or a source id `aliases` maps."""
        return bool(owner and (owner.email or owner.name or (owner.id and owner.id.lower() in self._alias)))

    def owner_of(self, doc: Doc) -> Person | None:
        """The doc's owner as one person, else the fallback for its source or folder, else nobody."""
        if doc.owner is not None and self._known(doc.owner):
            return self.person(doc.owner)
        fallback = self._fallback(doc)
        if fallback is None:
            return None
        prefix, who = fallback
        return self.person(Owner(email=who, via=f"fallback_owners {prefix}") if "@" in who else Owner(name=who))

    def fallback_for(self, doc: Doc) -> str:
        """The `fallback_owners` key that sends this doc to someone because nobody owns it; "" when it has
        an owner, or no fallback applies."""
        fallback = None if self._known(doc.owner) else self._fallback(doc)
        return fallback[0] if fallback else ""

    def _fallback(self, doc: Doc) -> tuple[str, str] | None:
        """(key, who) of the longest `fallback_owners` key that covers the doc's source and path."""
        for prefix, who in self._fallbacks:
            source, _, path = prefix.partition(":")
            if doc.source == source and (doc.path or doc.id).startswith(path):
                return prefix, who
        return None


def owners_for(findings: Iterable[Finding], config: Config) -> dict[str, str]:
    """Doc key -> the owner its findings go to, for every doc a finding names: what reports show."""
    identities = Identities(config)
    return {d.key: owner_label(identities.owner_of(d)) for f in findings for d in (f.doc, *f.related)}


def owner_label(person: Person | None) -> str:
    """The owner as reports and digests name them: one label per person, whatever the source called them."""
    return person.label() if person else NOBODY


NOBODY = "(no owner)"


def can_read(person: Person, doc: Doc) -> bool:
    """Whether the source says this person may read the doc. A source that says nothing says yes."""
    if not doc.permissions:
        return True
    email = person.email.lower()
    domain = email.rpartition("@")[2]
    for permission in doc.permissions:
        kind, _, who = permission.partition(":")
        who = who.lower()
        if kind == "anyone" or (kind == "user" and who == email) or (kind == "domain" and who == domain):
            return True
    # A group's members are not known here: not shown, rather than shown to the wrong person.
    return bool(doc.owner and doc.owner.email.lower() == email)
