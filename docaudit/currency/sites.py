"""A docs site's own statement of its versions: which folder is current, which is a preview, which are old.

The reading comes from what the site says of itself, strongest first:
1. `[versions]` in docaudit's config (the user's correction);
2. what the site declares explicitly: a latest/stable/current param, Docusaurus `lastVersion`, a mike
   `latest` alias, a `latest`/`current` symlink;
3. the generator's default: Docusaurus's versions.json order, a Hugo list of versions newest first,
   a list of unreleased versions;
4. what a version folder's index page says ("2.20 (latest)", `draft: true`, a DRAFT `page_warning`);
5. the numeric order of release-like folders (1.10 > 1.9), and names (`next`, `master`, `dev`) for previews.
Every status carries the `file:line` and words that decided it, so a wrong reading shows at once.
`read_versions` is static: no index, no model, only the files' paths and a few small config files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from docaudit.config import VersionSettings
from docaudit.records import Release

from . import docusaurus, site_claims, site_configs, site_tree
from .site_model import (  # noqa: F401 - the statuses and release order are read from here
    ARCHIVED,
    CURRENT,
    DEFAULT,
    EXPLICIT,
    OLDER,
    ORDER,
    OVERRIDE,
    PAGE,
    PREVIEW,
    Reading,
    VersionFolder,
    cite,
    release_key,
    same_release,
)
from .site_tree import under


@dataclass
class Site:
    """The reading, as the crawl asks it: which release a file belongs to."""

    folders: dict[str, Release] = field(default_factory=dict)  # folder path -> release (inner path empty)
    reading: Reading = field(default_factory=Reading)

    def locate(self, rel: str) -> Release | None:
        """The release a file belongs to, with its path inside the version folder."""
        best = ""
        for folder in self.folders:
            if rel.startswith(folder + "/") and len(folder) > len(best):
                best = folder
        if not best:
            return None
        return replace(self.folders[best], inner=rel[len(best) + 1 :])


def read_site(
    root: Path, files: list[str], read_meta: Callable[[str], dict], settings: VersionSettings | None = None
) -> Site:
    """The site's versions as releases for the crawl. `read_meta(rel)` gives a file's frontmatter."""
    reading = read_versions(root, files, read_meta, settings)
    site = Site(reading=reading)
    for f in reading.folders:
        site.folders[f.folder] = Release(f.label, f.status, f.why, "", f.track, f.authority > ORDER)
    return site


def read_versions(
    root: Path, files: list[str], read_meta: Callable[[str], dict], settings: VersionSettings | None = None
) -> Reading:
    """How the site at `root` declares its versions. `files` are paths relative to root."""
    reading = Reading(generator=site_configs.generator(root, files))
    claimed: list[str] = []  # folders a generator reader owns: the tree walk leaves them alone
    for found in docusaurus.read(root, files):
        reading.folders.extend(found.folders)
        claimed.extend(found.roots)
        reading.generator = "docusaurus" if reading.generator == "none" else reading.generator
    pages = site_tree.pages_of(files, claimed)  # read once: the tree walk and the unversioned list share it
    tree = site_tree.find(pages)
    claims = site_claims.collect(root, files, tree, read_meta)
    reading.aliases = claims.aliases
    for folders in tree.tracks.values():
        resolve_track(folders[0].track, folders, claims)
    declares = any(f.authority > ORDER for f in reading.folders) or any(
        f.authority > ORDER for fs in tree.tracks.values() for f in fs
    )
    for track, folders in tree.tracks.items():
        if declares and all(f.authority == ORDER and f.pages <= 1 for f in folders):
            # A site that declares its versions, and troubleshooting/2.17/x.md, 2.18/x.md that nothing
            # declares: numbered snippets, not versions of the docs.
            reading.notes.append(f"{track}: one page per numbered folder, not declared: not read as versions")
            continue
        reading.folders.extend(folders)
    if settings is not None:
        apply_overrides(reading, settings)
    reading.unversioned = site_tree.unversioned(pages, [f.folder for f in reading.folders], claimed)
    return reading


def resolve_track(track: str, folders: list[VersionFolder], claims: site_claims.Claims) -> None:
    """Statuses for the folders of one track, from the claims about them (see `site_claims.Claims`)."""
    current, how, authority = _choose_current(track, folders, claims)
    for f in folders:
        if f is current:
            f.status, f.why, f.authority = CURRENT, how, authority
            continue
        preview = claims.preview_of(f)
        archived = claims.archived_of(f)
        kind = claims.kinds.get(f.folder)
        if kind == "alias-name" and current and not preview:  # a real latest/ folder: a copy of the current
            f.status, f.why, f.authority = CURRENT, f"the folder name {f.label!r}: a copy of the current", authority
            f.label = current.label
        elif kind == "mirror" and not preview:
            f.status, f.authority = PREVIEW, ORDER
            f.why = "mirrors the version folders, and the site does not say which version it is: read as unreleased"
        elif preview:
            f.status, f.why, f.authority = PREVIEW, preview[0], preview[1]
        elif current and _newer(f.label, current.label):
            f.status, f.why = PREVIEW, f"newer than the current {current.label} ({cite(how)}): not yet released"
            f.authority = authority
        elif archived:
            f.status, f.why, f.authority = ARCHIVED, archived[0], archived[1]
        elif current:
            f.status, f.why, f.authority = OLDER, f"older than the current {current.label} ({cite(how)})", authority
        else:
            f.status, f.why = PREVIEW, "no released version found in this track"


def _newer(label: str, than: str) -> bool:
    mine, theirs = release_key(label), release_key(than)
    return bool(mine and theirs and mine > theirs)


def _choose_current(
    track: str, folders: list[VersionFolder], claims: site_claims.Claims
) -> tuple[VersionFolder | None, str, int]:
    chosen = claims.explicit_current(track, folders)
    if chosen:
        return chosen[0], chosen[1], EXPLICIT
    chosen = claims.listed_current(track, folders)
    if chosen:
        return chosen[0], chosen[1], DEFAULT
    chosen = claims.page_current(folders)
    if chosen:
        return chosen[0], chosen[1], PAGE
    # By order alone, the newest release: not a pre-release (3.0.0-rc1), a preview or an archived one.
    final = [f for f in folders if release_key(f.label)[-1:] == (1,) and not claims.preview_of(f)]
    released = [f for f in final if not claims.archived_of(f)] or final
    if not released:
        return None, "", ORDER
    newest = max(released, key=lambda f: release_key(f.label))
    return newest, "the newest release-like folder; the site declares no current version", ORDER


def apply_overrides(reading: Reading, settings: VersionSettings) -> None:
    """`[versions]` in docaudit's config: current, previews, archived (labels or folders), folders to ignore."""
    ignore = [p.strip("/") for p in settings.ignore]
    reading.folders = [f for f in reading.folders if not any(under(f.folder, p) for p in ignore)]
    where = "docaudit config [versions]"

    def named(f: VersionFolder, value: str) -> bool:
        value = value.strip().strip("/")
        return under(f.folder, value) if "/" in value or value == f.folder else same_release(f.label, value)

    current = settings.current
    for folders in reading.tracks().values():
        new = next((f for f in folders if current and named(f, current)), None)
        if new is None:
            continue
        for f in folders:
            if f is new:
                f.status, f.why, f.authority = CURRENT, f"{where} current = {current!r}", OVERRIDE
            elif f.status == CURRENT or (
                f.status == PREVIEW and not _newer(f.label, new.label) and release_key(f.label)
            ):
                f.status = PREVIEW if _newer(f.label, new.label) else OLDER
                f.why, f.authority = f"{where} current = {current!r}", OVERRIDE
            elif f.status in (OLDER, ARCHIVED) and _newer(f.label, new.label):
                f.status, f.why, f.authority = PREVIEW, f"newer than {where} current = {current!r}", OVERRIDE
    for key, status in (("previews", PREVIEW), ("archived", ARCHIVED)):
        for value in getattr(settings, key):
            for f in reading.folders:
                if named(f, str(value)):
                    f.status, f.why, f.authority = status, f"{where} {key} has {value!r}", OVERRIDE
