"""Is a document current? Pure: f(docs, doc vectors, config, now) -> a verdict with reasons per doc.

Dates alone are not trusted (a mass edit touches old pages, an upload keeps a local mtime),
so the verdict combines explicit markers, version lineage among docs on the same topic, a
declared current version, and the age policy, and keeps every reason that fired.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from docaudit.config import Config
from docaudit.records import Doc, Release

from . import sites
from .families import current_twins
from .lineage import in_series, is_number, lineage, release_key, version_of
from .verdict import AGING, CURRENT, DEPRECATED, SUPERSEDED, Currency


def assess(
    docs: Mapping[str, Doc],
    vectors: Mapping[str, Any] | None,
    config: Config,
    now: datetime,
) -> dict[str, Currency]:
    """Currency of every doc, keyed like `docs`."""
    by_name = _names(docs)
    versions = {key: version_of(doc) for key, doc in docs.items()}
    releases = {key: _release_of(doc, config) for key, doc in docs.items()}
    result: dict[str, Currency] = {}
    for key, doc in docs.items():
        max_age, policy = config.age_policy_for(doc.path or doc.id)
        age = (now - doc.last_modified).days if doc.last_modified else None
        result[key] = Currency(CURRENT, version=versions[key], age_days=age, max_age_days=max_age, age_policy=policy)
        _read_markers(key, doc, docs, by_name, result[key])
    _replaced(docs, by_name, result)
    _site_versions(docs, releases, result)
    lineage(docs, vectors, versions, releases, config, result)
    for key, doc in docs.items():
        _judge_age(doc, releases[key], config, result[key])
    return result


def _names(docs: Mapping[str, Doc]) -> dict[tuple[str, str, str], str]:
    """(source, space, path / id / alias) -> doc key, and ("", "", web address) -> doc key."""
    by_name: dict[tuple[str, str, str], str] = {}
    for key, doc in docs.items():
        for name in (doc.path, doc.id, *(m.value for m in doc.markers if m.kind == "alias")):
            if name:
                by_name.setdefault((doc.source, doc.space, name), key)
        if doc.url:  # a notice in one tool may link to its successor in another
            by_name.setdefault(("", "", _url_key(doc.url)), key)
    return by_name


def _read_markers(
    key: str, doc: Doc, docs: Mapping[str, Doc], by_name: Mapping[tuple[str, str, str], str], currency: Currency
) -> None:
    """What the doc says of itself: deprecated, archived, superseded by another."""
    for marker in doc.markers:
        if marker.kind in ("deprecated", "archived"):
            currency.status = DEPRECATED
            what = "marked" if marker.value.lower() in ("true", "yes") else f'says "{marker.value}"'
            currency.reasons.append(f"{marker.kind}: {what} ({marker.source})")
        elif marker.kind == "superseded_by":
            target = _resolve(by_name, docs, doc, marker.value)
            if target == key:
                continue
            if currency.status != DEPRECATED:
                currency.status = SUPERSEDED
            currency.superseded_by = currency.superseded_by or target
            if target:
                currency.reasons.append(f"superseded by {marker.value} ({marker.source})")
            else:
                currency.reasons.append(f"superseded by {marker.value}, which is not indexed ({marker.source})")


def _judge_age(doc: Doc, release: Release | None, config: Config, currency: Currency) -> None:
    """Past its age policy, a current doc is aging, unless something says it is current whatever its age."""
    if currency.age_days is None or currency.age_days <= currency.max_age_days:
        return
    explicit = _explicitly_current(doc, release, config)
    if explicit and currency.status == CURRENT:
        currency.reasons.append(f"{explicit}: its age ({currency.age_days} days) does not count")
        return
    edited = doc.last_modified.date().isoformat() if doc.last_modified else "?"
    policy = (
        f"policy: {currency.max_age_days} days, {currency.age_policy}"
        if currency.age_policy
        else f"default {currency.max_age_days} days; no age policy is set, so age alone raises no finding"
    )
    currency.reasons.append(f"last edited {edited}, {currency.age_days} days ago ({policy})")
    if currency.status == CURRENT:
        currency.status = AGING


def _resolve(by_name: Mapping[tuple[str, str, str], str], docs: Mapping[str, Doc], doc: Doc, name: str) -> str | None:
    """A successor named by path, id, doc key, number (`Superseded-By: 8101`) or web address, as a doc key."""
    if name in docs:
        return name
    found = by_name.get((doc.source, doc.space, name))
    if found is None and name.isdigit():
        found = by_name.get((doc.source, doc.space, str(int(name))))
    if found is None and "://" in name:
        found = by_name.get(("", "", _url_key(name)))
    return found


def _url_key(url: str) -> str:
    """A web address as links to one page differ: scheme, case of the host, query, fragment, final slash."""
    parts = urlsplit(url.strip())
    return parts.netloc.lower().removeprefix("www.") + parts.path.rstrip("/")


def _replaced(docs: Mapping[str, Doc], by_name: Mapping, result: dict[str, Currency]) -> None:
    """`Replaces: 8100` on a doc names its predecessor: that one is superseded, unless it says it is current."""
    for key, doc in docs.items():
        for marker in doc.markers:
            if marker.kind != "replaces":
                continue
            old = _resolve(by_name, docs, doc, marker.value)
            if old is None or old == key or docs[old].marker("current") or result[old].superseded_by:
                continue
            state = result[old]
            if state.status == CURRENT:
                state.status = SUPERSEDED
            state.superseded_by = key
            state.reasons.append(f"replaced by {doc.title or doc.path} ({marker.source} of {doc.path or doc.id})")


def _explicitly_current(doc: Doc, release: Release | None, config: Config) -> str:
    """Why a doc is current whatever its age: the site calls its version current or a preview, it says so,
    or it is a dated record (a postmortem, a design doc) that is history, not guidance."""
    if release and release.status in (sites.CURRENT, sites.PREVIEW):
        return f"the site's {release.status} version"
    if in_series(doc.path or doc.id, config.series):
        return "a dated record (series)"
    marker = doc.marker("current")
    if marker:
        return f"explicitly current ({marker.source})"
    return ""


def _release_of(doc: Doc, config: Config) -> Release | None:
    """The doc's site version, re-judged against `current_version` when the config sets one."""
    release = doc.release
    if release is None or not config.current_version or not is_number(release.label):
        return release
    current = config.current_version.strip().lstrip("vV")
    if not is_number(current) or release.status == sites.ARCHIVED:
        return release
    mine, theirs = release_key(release.label), release_key(current)
    status = sites.CURRENT if mine == theirs else sites.PREVIEW if mine > theirs else sites.OLDER
    return Release(
        release.label, status, f"current_version = {config.current_version} (config)", release.inner, release.site
    )


def _site_versions(
    docs: Mapping[str, Doc], releases: Mapping[str, Release | None], result: dict[str, Currency]
) -> None:
    """Pages of an older version are superseded by their twin in the current one (see `families`);
    a preview version supersedes nothing and is never stale."""
    twins = current_twins(docs, releases)
    for key, release in releases.items():
        if release is not None and release.status == sites.PREVIEW:
            result[key].reasons.append(f"preview version {release.label}: supersedes nothing ({release.source})")
        elif release is not None and release.status == sites.CURRENT:
            result[key].reasons.append(f"current version {release.label} ({release.source})")
        if release is None or release.status not in (sites.OLDER, sites.ARCHIVED):
            continue
        state = result[key]
        twin, how = twins.get(key, ("", ""))
        if state.status == CURRENT:
            state.status = SUPERSEDED
        if twin and not state.superseded_by:
            state.superseded_by = twin
            state.reasons.append(f"{release.source}; the current page is {docs[twin].path}{f' ({how})' if how else ''}")
        else:
            state.reasons.append(f"{release.source}; no page at the same path in the current version")
