"""Comparable facts in sentences, and whether two of them contradict each other. Pure, no model.

A fact is a value (a quantity with its unit, money, a percentage, a duration, a date, a version,
a command, a flag, a config value, a URL host, an email) plus the words around it that say what
it describes. Two facts conflict when they are of the same kind and unit, describe the same
thing (their subject words overlap), and state different values, unless either statement is
scoped to another time or version ("in 2019 the limit was 100", "v2 allows 500").
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

HEAD_WORDS = 3
NUMBER_WORDS = {
    "zero": 0, "one": 1, "a single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "sixty": 60, "ninety": 90, "hundred": 100,
}  # fmt: skip
UNITS = {
    "%": "percent", "percent": "percent", "per cent": "percent",
    "ms": "ms", "millisecond": "ms", "second": "second", "sec": "second", "minute": "minute", "min": "minute",
    "hour": "hour", "hr": "hour", "day": "day", "business day": "business day", "week": "week", "month": "month",
    "year": "year", "kb": "kb", "mb": "mb", "gb": "gb", "tb": "tb", "request": "request", "req": "request",
    "call": "call", "user": "user", "seat": "seat", "item": "item", "result": "result", "retry": "retry",
    "attempt": "attempt", "approval": "approval", "review": "review", "reviewer": "reviewer", "character": "character",
    "token": "token", "connection": "connection", "replica": "replica", "node": "node", "pod": "pod",
    "core": "core", "license": "license", "member": "member", "file": "file", "page": "page", "time": "time",
}  # fmt: skip
STOPWORDS = set(
    "a an the and or of to in on at for by with from is are be been was were will can may must should do does "
    "this that these those it its as per each any all your our their you we they up after before within into "
    "than then there here when which who what how not no only also more most less just every".split()
)
SCOPE = re.compile(
    r"\b(in|until|before|since|as of|prior to|through|during|back in)\s+(19|20)\d\d\b|\b(19|20)\d\d\b(?!-\d)|"
    r"\bv\d+(\.\d+)*\b|\bversion\s+\d|\b(previously|formerly|used to|no longer|legacy|old|deprecated|"
    r"was|were|had been|originally|historically)\b",
    re.IGNORECASE,
)
REMOVAL_PHRASE = re.compile(r"\b(was|were|has been|have been)\s+(removed|dropped|deleted|deprecated)\b", re.I)
REMOVAL = re.compile(
    r"\b(removed|dropped|deleted|no longer (supported|available|exists?)|is gone|was deprecated)\b", re.I
)
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'(\[])|\n\s*\n|\n\s*[-*+]\s+|\n#+\s+")
CODE = re.compile(r"`([^`\n]+)`")
URL = re.compile(r"https?://([a-z0-9.-]+)(/[^\s)`'\"<>]*)?", re.IGNORECASE)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)\b")
FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]+)\b")
MONEY = re.compile(
    r"(?:([$€£])\s?(\d[\d,]*(?:\.\d+)?)|\b(\d[\d,]*(?:\.\d+)?)\s?(usd|eur|gbp|dollars|euros)\b)"
    r"(?:(?:\s+per\s+\w+)?\s+(?:per|a|an|each|every|/)\s*(month|year|week|day|hour))?",
    re.I,
)
SECONDS = {"ms": 0.001, "second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
           "month": 2592000, "year": 31536000}  # fmt: skip
QUANTITY = re.compile(
    r"\b(\d[\d,]*(?:\.\d+)?|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\s*(?:-\s*)?"
    r"((?:[a-z]+\s){0,2}?)("
    + "|".join(sorted((re.escape(u) for u in UNITS), key=len, reverse=True))
    + r")(?:e?s)?(?![a-z])"
    r"(?:\s*(?:per|/|a|an|every)\s*(second|minute|hour|day|week|month|year|user|seat|client|key|ip))?",
    re.IGNORECASE,
)
CONFIG = re.compile(r"`?\b([a-z][a-z0-9]*(?:[_.][a-z0-9]+)+)\b`?\s*(?:=|:|to)\s*`?([\w.:/-]+)`?", re.IGNORECASE)


@dataclass(frozen=True)
class Fact:
    kind: str  # quantity | money | date | version | command | flag-removed | flag | config | url | email
    unit: str  # what the value counts, for quantities; the key, for config values; "" otherwise
    value: str
    subject: frozenset[str]  # content words around the value
    sentence: str
    scoped: bool  # the statement is tied to another time or version
    names: frozenset[str] = frozenset()  # capitalised words inside the sentence: products, plans, teams
    head: frozenset[str] = frozenset()  # the sentence's first content words: what it is about
    shown: str = ""  # the value as the sentence writes it ("14 days"; `value` is normalised, in seconds)


def sentences(text: str) -> list[str]:
    parts = SENTENCE.split(text)
    return [" ".join(p.split()) for p in parts if p and len(p.split()) >= 3]


def _ordered_words(text: str) -> dict[str, None]:
    words = re.findall(r"[a-z][a-z0-9]+", URL.sub(" ", EMAIL.sub(" ", CODE.sub(" ", text))).lower())
    return dict.fromkeys(
        w.rstrip("s") if len(w) > 3 else w for w in words if w not in STOPWORDS and w not in NUMBER_WORDS
    )


def _words(text: str) -> frozenset[str]:
    return frozenset(_ordered_words(text))


def _names(sentence: str) -> frozenset[str]:
    words = re.findall(r"[A-Za-z][\w-]*", sentence)
    return frozenset(w.lower() for w in words[1:] if w[0].isupper() and not w.isupper())


def _number(token: str) -> str:
    token = token.lower().strip()
    if token in NUMBER_WORDS:
        return str(NUMBER_WORDS[token])
    value = float(token.replace(",", ""))
    return str(int(value)) if value.is_integer() else str(value)


@functools.lru_cache(maxsize=4096)
def extract(text: str) -> tuple[Fact, ...]:
    """Facts in a text. Cached: one passage meets many others across probes."""
    facts: list[Fact] = []
    for sentence in sentences(text):
        values = _values(sentence)
        if not values:
            continue  # most sentences state no value: what they are about is not worth working out
        # "was removed" states the present; a flag named --legacy-x is no time scope; a value is not
        # its own scope ("2000 requests per minute" names no year)
        rest = sentence
        for _, _, _, (start, end) in values:
            rest = rest[:start] + " " * (end - start) + rest[end:]
        scoped = bool(SCOPE.search(REMOVAL_PHRASE.sub("removed", CODE.sub(" ", rest))))
        names = _names(sentence)
        head = frozenset(list(_ordered_words(sentence))[:HEAD_WORDS])
        for kind, unit, value, (start, end) in values:
            context = sentence[:start] + " " + sentence[end:]
            if kind == "command":
                context += " " + " ".join(value.split()[1:])  # the subcommand says what the command does
            shown = sentence[start:end].strip(" `")
            facts.append(Fact(kind, unit, value, _words(context), sentence, scoped, names, head, shown))
    return tuple(facts)


def _values(sentence: str) -> list[tuple[str, str, str, tuple[int, int]]]:
    """(kind, unit, value, span) of every value the sentence states."""
    values = _money(sentence)
    values += _quantities(sentence, taken=[span for *_, span in values])
    values += [("date", "", m.group(1), m.span()) for m in DATE.finditer(sentence)]
    values += [("config", m.group(1).lower(), m.group(2).lower(), m.span()) for m in CONFIG.finditer(sentence)]
    values += [("url", "", m.group(1).lower(), m.span()) for m in URL.finditer(sentence)]
    values += [("email", "", m.group(0).lower(), m.span()) for m in EMAIL.finditer(sentence)]
    for m in CODE.finditer(sentence):
        code = m.group(1).strip()
        if re.match(r"^[a-z][\w.-]*\s+[a-z]", code) and not CONFIG.fullmatch(code):
            values.append(("command", "", code, m.span()))
    removed = bool(REMOVAL.search(sentence)) if "--" in sentence else False
    for m in FLAG.finditer(sentence):
        values.append(("flag-removed" if removed else "flag", m.group(1), m.group(1), m.span()))
    return values


def _money(sentence: str) -> list[tuple[str, str, str, tuple[int, int]]]:
    values = []
    for m in MONEY.finditer(sentence):
        amount = m.group(2) or m.group(3)
        currency = (m.group(1) or m.group(4) or "").lower()
        period = f"/{m.group(5).lower()}" if m.group(5) else ""
        values.append(("money", currency + period, _number(amount), m.span()))
    return values


def _quantities(sentence: str, taken: list[tuple[int, int]]) -> list[tuple[str, str, str, tuple[int, int]]]:
    """Numbers with a unit, outside the spans already `taken` (an amount of money)."""
    values = []
    for m in QUANTITY.finditer(sentence):
        if any(a <= m.start() < b for a, b in taken):
            continue
        unit, value = UNITS[m.group(3).lower()], _number(m.group(1))
        if unit in SECONDS:  # 30 minutes and half an hour compare; 2 hours and 30 minutes differ
            unit, value = "duration", _number(str(float(value) * SECONDS[unit]))
        if m.group(4):
            unit += "/" + m.group(4).lower()
        values.append(("quantity", unit, value, m.span()))
    return values


class FactBook:
    """The facts of every passage one audit has met, by a digest of its text.

    A passage comes back in later batches of probes. extract's LRU cache forgot it more often the
    larger the workspace (2.7x the extractions at twice the docs in bench/scale.py); this remembers
    each passage for the audit, at 16 bytes plus its facts, and is dropped with the audit.
    """

    def __init__(self) -> None:
        self._known: dict[bytes, tuple[Fact, ...]] = {}

    def __call__(self, text: str) -> tuple[Fact, ...]:
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = extract.__wrapped__(text)
        return found


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def contradicts(a: Fact, b: Fact, min_overlap: float = 0.5) -> bool:
    """Same kind of value about the same thing, different values, neither scoped elsewhere in time."""
    if a.scoped or b.scoped:
        return False
    if {a.kind, b.kind} == {"flag", "flag-removed"}:
        return a.unit == b.unit  # one doc documents the flag, the other says it was removed
    if a.kind != b.kind or a.unit != b.unit or a.value == b.value or a.kind in ("flag", "flag-removed"):
        return False
    if a.kind == "command":
        tail_a, tail_b = a.value.split()[1:], b.value.split()[1:]
        if tail_a != tail_b or a.value.split()[0] == b.value.split()[0]:
            return False  # only the same subcommand through a different binary counts (etcdctl vs etcdutl)
    if a.kind == "config":
        return True  # the key itself says what it describes
    if a.names - b.names and b.names - a.names:
        return False  # "the Pro plan" and "the Team plan": two things, two prices
    if a.head - b.head and b.head - a.head:
        return False  # "Session tokens expire..." and "Refresh tokens expire...": two subjects
    return _overlap(a.subject, b.subject) >= min_overlap


def conflicts(
    text_a: str, text_b: str, facts_of: Callable[[str], tuple[Fact, ...]] = extract
) -> list[tuple[Fact, Fact]]:
    """Pairs of contradicting facts between two texts, one per value pair.

    A sentence that states both values ("4GB RAM and 20GB of disk") contradicts neither: the two
    values are two things it describes, whichever of them the other text's sentence is matched to.
    """
    found, seen = [], set()
    facts_a, facts_b = facts_of(text_a), facts_of(text_b)
    stated: dict[str, set[tuple[str, str, str]]] = {}
    for fact in facts_a + facts_b:
        stated.setdefault(fact.sentence, set()).add((fact.kind, fact.unit, fact.value))
    for fa in facts_a:
        for fb in facts_b:
            key = (fa.kind, fa.unit, fa.value, fb.value)
            both = fa.value != fb.value and (
                (fa.kind, fa.unit, fb.value) in stated[fa.sentence]
                or (fb.kind, fb.unit, fa.value) in stated[fb.sentence]
            )
            if key not in seen and not both and contradicts(fa, fb):
                seen.add(key)
                found.append((fa, fb))
    return found
