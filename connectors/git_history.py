"""What git says about each doc file: its last real edit and who made it (one `git log` pass over the
repo, mass edits and `.git-blame-ignore-revs` left out), and who owns it by CODEOWNERS or Prow OWNERS."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pathspec
import yaml

from docaudit.config import Config
from docaudit.records import Owner, to_utc
from docaudit.yamlfile import safe_load

CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """git in `root`, file names unquoted and undecodable bytes kept, never raising on a git error."""
    return subprocess.run(
        ["git", "-c", "core.quotepath=off", "-C", str(root), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="surrogateescape",
        check=False,
    )


def git_toplevel(root: Path) -> Path | None:
    try:
        out = run_git(root, "rev-parse", "--show-toplevel")
    except FileNotFoundError:  # no git on this machine: a plain folder
        return None
    return Path(out.stdout.strip()).resolve() if out.returncode == 0 else None


def head(root: Path) -> str | None:
    out = run_git(root, "rev-parse", "HEAD")
    return out.stdout.strip() if out.returncode == 0 else None


# ssh://git@host:22/owner/repo.git, https://user:token@host/owner/repo(.git); scp-like git@host:owner/repo.git
# (no port there: `host:0/repo` is the repository 0/repo)
REMOTE = (
    re.compile(r"^[a-z+]+://(?:[^@/]+@)?(?P<host>[^:/@]+)(?::\d+)?/(?P<repo>[^?#]+?)(?:\.git)?/?$"),
    re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/@]+):(?!//)(?P<repo>[^?#]+?)(?:\.git)?/?$"),
)


def web_base(remote: str) -> str:
    """The web page of a GitHub or GitLab remote's files, ready for `{ref}/{path}`; "" for any other host.
    Credentials in the remote never reach it."""
    match = next((m for pattern in REMOTE if (m := pattern.match(remote.strip()))), None)
    if not match or ".." in match["repo"]:
        return ""
    host, repo = match["host"].lower(), match["repo"].strip("/")
    if host == "github.com" or host.startswith("github."):
        return f"https://{host}/{repo}/blob/"
    if "gitlab" in host:
        return f"https://{host}/{repo}/-/blob/"
    return ""


def web_links(root: Path, repo: Path) -> str:
    """`web_base` of origin at the checked-out branch (the commit when detached), plus the folder's path
    inside the repository: prefix a doc's path to link to it. "" when origin is not GitHub or GitLab."""
    base = web_base(run_git(root, "config", "--get", "remote.origin.url").stdout)
    if not base:
        return ""
    branch = run_git(root, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    ref = branch or head(root)
    if not ref:
        return ""
    inside = root.relative_to(repo).as_posix()
    return base + quote(ref, safe="/") + "/" + ("" if inside == "." else quote(inside, safe="/") + "/")


@dataclass
class FileHistory:
    last_modified: datetime | None
    author: Owner | None
    created: datetime
    creator: Owner | None
    ignored: list[str] = field(default_factory=list)  # mass edits passed over


def history(root: Path, repo: Path, doc_files: list[str], config: Config) -> dict[str, FileHistory]:
    """Newest meaningful commit and first commit of every file, from one `git log`."""
    out = run_git(
        root,
        "log",
        "--no-renames",
        "--use-mailmap",
        "-z",  # NUL-delimited: an author name or file name can hold any other byte git allows
        "--format=%x00%H%x00%at%x00%aN%x00%aE",
        "--name-only",
        "--relative",
        "--",
        ".",
    )
    if out.returncode != 0:  # e.g. a repo with no commits yet
        return {}
    wanted = set(doc_files)
    ignore_revs = _ignore_revs(repo)
    threshold = max(config.mass_edit_min_files, config.mass_edit_fraction * len(doc_files))
    history: dict[str, FileHistory] = {}
    for sha, timestamp, name, email, names in _commits(out.stdout):
        touched = [n for n in names if n in wanted]
        when = to_utc(int(timestamp))
        mass = sha in ignore_revs or len(touched) >= threshold
        for rel in touched:  # newest commit first
            entry = history.setdefault(rel, FileHistory(None, None, when, None))
            entry.created, entry.creator = when, Owner(name, email, "creator")
            if entry.last_modified is None:
                if mass:
                    entry.ignored.append(f"{sha[:10]} {when:%Y-%m-%d}")
                else:
                    entry.last_modified, entry.author = when, Owner(name, email, "last committer")
    for entry in history.values():
        if entry.last_modified is None:  # only mass edits ever touched it: its creation is its content date
            entry.last_modified, entry.author = entry.created, entry.creator
            entry.ignored = entry.ignored[:-1]
    return history


def _commits(output: str) -> Iterator[tuple[str, str, str, str, list[str]]]:
    """(sha, timestamp, author name, author email, file names) per commit of `git log -z` with the format
    `%x00%H%x00%at%x00%aN%x00%aE`: each commit opens with an empty field, which no file name can be."""
    fields = output.split("\0")
    i = 0
    while i + 4 < len(fields):
        if fields[i] != "":
            i += 1
            continue
        sha, timestamp, name, email = fields[i + 1 : i + 5]
        i += 5
        names: list[str] = []
        while i < len(fields) and fields[i] != "":
            names.append(fields[i].removeprefix("\n") if not names else fields[i])
            i += 1
        if timestamp.isdigit():
            yield sha, timestamp, name, email, names


def _ignore_revs(repo: Path) -> set[str]:
    path = repo / ".git-blame-ignore-revs"
    if not path.is_file():
        return set()
    revs = set()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            revs.add(line)
    return {r for r in revs if len(r) == 40}


def codeowners(root: Path) -> list[tuple[pathspec.PathSpec, list[str], str]]:
    for place in CODEOWNERS_PLACES:
        path = root / place
        if path.is_file():
            rules = []
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                pattern, *owners = line.split()
                spec = pathspec.PathSpec.from_lines("gitignore", [pattern])
                rules.append((spec, owners, f"{place}:{number}"))
            return rules
    return []


def codeowner_for(rel: str, rules: list[tuple[pathspec.PathSpec, list[str], str]]) -> tuple[Owner | None, str]:
    """(owner, the CODEOWNERS line that decided) — a matching line with no owners means unowned."""
    for spec, owners, where in reversed(rules):  # last match wins
        if spec.match_file(rel):
            if not owners:
                return None, where
            first = owners[0]
            email = first if "@" in first and not first.startswith("@") else ""
            return Owner(" ".join(owners) if not email else "", email, f"CODEOWNERS ({where})"), where
    return None, ""


def is_ignored_author(owner: Owner, config: Config) -> bool:
    who = f"{owner.name} <{owner.email}>".lower()
    return any(part.lower() in who for part in config.ignore_authors)


def owners_files(root: Path, files: list[str]) -> dict[str, tuple[list[str], str]]:
    """Folder -> (people, file) from Prow-style OWNERS files: approvers, else reviewers."""
    found = {}
    for rel in files:
        if PurePosixPath(rel).name != "OWNERS":
            continue
        try:
            data = safe_load((root / rel).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        if not isinstance(data, dict):
            continue
        for key in ("approvers", "reviewers"):
            people = data.get(key)
            if isinstance(people, list) and any(isinstance(p, str) for p in people):
                folder = str(PurePosixPath(rel).parent)
                found[folder] = ([str(p) for p in people if isinstance(p, str)], f"{rel} {key}")
                break
    return found


def owners_file_for(rel: str, owners_files: dict[str, tuple[list[str], str]]) -> Owner | None:
    """The nearest OWNERS file above the doc wins."""
    parent = PurePosixPath(rel).parent
    for folder in [parent, *parent.parents]:
        entry = owners_files.get(str(folder))
        if entry:
            people, where = entry
            return Owner(people[0], "", where)
    return None
