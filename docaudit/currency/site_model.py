"""The records of a site's version reading: a version folder, its status and why, and the labels' order."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CURRENT, PREVIEW, OLDER, ARCHIVED = "current", "preview", "older", "archived"
# How strongly the site said it: a reading decided at a higher level is never undone by a lower one.
OVERRIDE, EXPLICIT, DEFAULT, PAGE, ORDER = 5, 4, 3, 2, 0

_NUMBERS = re.compile(r"\d+")
_PRERELEASE = re.compile(r"\d(?:[-._]?)(a|b|alpha|beta|rc|pre|dev)\.?\d*$", re.IGNORECASE)


def release_key(label: str) -> tuple[int, ...]:
    """A label's place in release order: 1.10 > 1.9, v2.3 < 3.1, 11.x = 11; a pre-release sorts below its
    release (2.14.0b1 < 2.14.0). Labels without a number give ()."""
    text = re.sub(r"^(?:version|release)[-_]?", "", label.strip(), flags=re.IGNORECASE)
    m = re.fullmatch(r"v?(\d+(?:[._]\d+)*)(?:[._-]?x)?(?:[-._]?(?:a|b|alpha|beta|rc|pre|dev)\.?\d*)?", text, re.I)
    if not m:
        return ()
    parts = [int(p) for p in _NUMBERS.findall(m.group(1))][:4]
    parts += [0] * (4 - len(parts))
    return (*parts, 0 if _PRERELEASE.search(text) else 1)


def same_release(a: str, b: str) -> bool:
    ka, kb = release_key(a), release_key(b)
    return ka == kb if ka and kb else a.strip().lower() == b.strip().lower()


@dataclass
class VersionFolder:
    folder: str  # relative to the site's root, POSIX
    label: str
    track: str  # folders of one track are versions of each other; a site can version products apart
    status: str = ""
    why: str = ""
    authority: int = ORDER
    pages: int = 0

    def to_dict(self) -> dict:
        return {"folder": self.folder, "label": self.label, "status": self.status, "why": self.why}


@dataclass
class Reading:
    """How docaudit reads one site's versions."""

    generator: str = "none"
    folders: list[VersionFolder] = field(default_factory=list)
    unversioned: list[str] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)  # `latest` symlink -> the folder it names
    notes: list[str] = field(default_factory=list)

    def tracks(self) -> dict[str, list[VersionFolder]]:
        out: dict[str, list[VersionFolder]] = {}
        for f in self.folders:
            out.setdefault(f.track, []).append(f)
        return out

    def main_current(self) -> VersionFolder | None:
        """The current version of the site's main track: the one with the most pages."""
        tracks = sorted(self.tracks().values(), key=lambda fs: (-sum(f.pages for f in fs), fs[0].track))
        for folders in tracks:
            current = next((f for f in folders if f.status == CURRENT), None)
            if current:
                return current
        return None

    def to_json(self) -> dict:
        current = self.main_current()
        return {
            "generator": self.generator,
            "current": current.label if current else None,
            "current_folder": current.folder if current else None,
            "versions": [f.to_dict() for f in _ordered(self.folders)],
            "unversioned": self.unversioned,
        }

    def summary(self) -> str:
        """One line: what is current and why, what is a preview and why, how many are older."""
        if not self.folders:
            return "; ".join(self.notes) or "no version folders"
        parts, tracks = [], self.tracks()
        for track, folders in sorted(tracks.items()):
            prefix = f"{track}: " if len(tracks) > 1 else ""
            for f in folders:
                if f.status == CURRENT:
                    parts.append(f"{prefix}current {f.label} ({_first_reason(f.why)})")
            for f in folders:
                if f.status == PREVIEW:
                    parts.append(f"{prefix}{f.label} preview ({_first_reason(f.why)})")
            old = sum(f.status in (OLDER, ARCHIVED) for f in folders)
            if old:
                parts.append(f"{prefix}{old} older")
        return ("" if self.generator == "none" else f"{self.generator}: ") + "; ".join(parts)


def _first_reason(why: str) -> str:
    return why.split("; ")[0]


def _ordered(folders: list[VersionFolder]) -> list[VersionFolder]:
    rank = {CURRENT: 0, PREVIEW: 1, OLDER: 2, ARCHIVED: 3}
    return sorted(folders, key=lambda f: (f.track, rank.get(f.status, 4), [-k for k in release_key(f.label)], f.folder))


def cite(why: str) -> str:
    """The `file:line` a reason rests on, else the reason: what the older versions' rows repeat."""
    m = re.match(r"(\S+:\d+)\s", why)
    return m.group(1) if m else why


@dataclass
class Claim:
    label: str
    why: str
    folder: str = ""  # when the claim names a folder (a symlink) rather than a label
    tokens: frozenset[str] = frozenset()  # the words of the key, to tell which track a list is for


@dataclass
class Said:
    """What a site's files say of its versions, before it is matched to folders."""

    currents: list[Claim] = field(default_factory=list)  # explicit: latest/stable/current params, aliases
    lists: list[list[Claim]] = field(default_factory=list)  # released versions, newest first
    previews: list[Claim] = field(default_factory=list)
