"""Docs in a git repository or a plain folder: Markdown, MDX, reStructuredText, text, AsciiDoc, HTML.

Dates and authors come from one `git log` pass over the whole repo; a plain folder falls
back to file modification times. Commits that touch a large share of the docs at once
(mass edits: a footer fix, a reformat) and commits in `.git-blame-ignore-revs` do not count
as edits, because they would make every old page look fresh.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from connectors import CrawlState
from docaudit.config import Config
from docaudit.currency.headers import owner_from_text, read_header
from docaudit.currency.sites import Reading, Site, read_site
from docaudit.errors import DocauditError
from docaudit.records import Doc, Gone, Owner, Skipped, to_utc
from docaudit.text import decodable, html_to_text, title_and_headings

from . import git_history
from .git_frontmatter import cascades_of, frontmatter_of, ignores, page_markers, split_frontmatter
from .git_history import FileHistory, run_git  # noqa: F401 - run_git: re-exported for the gate

KIND = "git"
EXTENSIONS = {".md", ".mdx", ".markdown", ".rst", ".txt", ".adoc", ".asciidoc", ".html", ".htm"}
SKIP_DIRS = {".git", "node_modules", ".docaudit", ".venv", "venv", "__pycache__"}


def space_for(target: str) -> str:
    """Docs from one folder share a space: the folder's name (see `owns_space` when two folders share it)."""
    return Path(target).resolve().name


def identity(target: str) -> str:
    """What the folder is, wherever it is checked out: the repository's remote and the path inside it,
    else its absolute path."""
    root = Path(target).resolve()
    repo = git_history.git_toplevel(root)
    if repo:
        remote = run_git(root, "config", "--get", "remote.origin.url").stdout.strip()
        if remote:
            remote = re.sub(r"//[^/@]*@", "//", remote)  # never a token from an https remote
            return f"{remote}#{root.relative_to(repo).as_posix()}"
    return str(root)


def owns_space(target: str, cursor: dict | None, known: dict[str, str]) -> bool:
    """Whether the docs the index holds under this folder's name are this folder's.

    A cursor names the folder it came from. An index written before cursors did is judged by its
    docs: most of them must be files of this folder.
    """
    if cursor and cursor.get("identity"):
        return cursor["identity"] == identity(target)
    if not known:
        return True
    root = Path(target).resolve()
    present = sum((root / doc_id).is_file() for doc_id in known)
    return present * 2 >= len(known)


def distinct_space(target: str) -> str:
    """The folder's name with a short hash of its identity: two folders named docs/ stay apart."""
    digest = hashlib.sha1(identity(target).encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{space_for(target)}@{digest}"


def crawl(target: str, config: Config, state: CrawlState) -> Iterator[Doc | Skipped | Gone]:
    root = Path(target).resolve()
    if not root.is_dir():
        raise DocauditError(f"{target}: not a folder")
    space = state.space or space_for(target)
    repo = git_history.git_toplevel(root)
    files = _list_files(root, repo)
    doc_files = [f for f in files if PurePosixPath(f).suffix.lower() in EXTENSIONS]
    history = git_history.history(root, repo, doc_files, config) if repo else {}
    codeowners = git_history.codeowners(root)
    owners_files = git_history.owners_files(root, files)
    links = git_history.web_links(root, repo) if repo else ""
    # Index pages are read for their cascades and for what they say of their version: once.
    frontmatter = functools.cache(lambda rel: frontmatter_of(root, rel))
    cascades = cascades_of(doc_files, frontmatter)
    try:
        site = read_site(root, files, frontmatter, config.versions)
    except Exception as exc:  # an input nobody foresaw costs the version reading, never the crawl
        site = Site(reading=Reading(notes=[f"versions not read ({type(exc).__name__}: {str(exc)[:120]})"]))
    seen: set[str] = set()
    for rel in doc_files:
        seen.add(rel)
        if _undecodable_name(rel):
            yield Skipped(KIND, space, decodable(rel), "file name is not valid UTF-8")
            continue
        text, problem = _read(root, rel, config)
        if problem:
            yield Skipped(KIND, space, rel, problem)
            continue
        try:
            doc = _build_doc(space, rel, text, root, history.get(rel), codeowners, owners_files, cascades, config)
        except Exception as exc:  # one odd file is a counted skip, never the end of the crawl
            yield Skipped(KIND, space, rel, f"could not be read ({type(exc).__name__}: {str(exc)[:120]})")
            continue
        doc.release = site.locate(rel)
        if links:
            doc.url = links + quote(rel, safe="/")
        yield doc
    for gone in sorted(set(state.known) - seen):
        yield Gone(KIND, space, gone)
    state.next_cursor = {
        "head": git_history.head(root) if repo else None,
        "identity": identity(target),
    }
    if site.reading.folders or site.reading.notes:
        state.next_cursor["versions"] = site.reading.summary()


def site_of(target: str, config: Config) -> Site:
    """How the folder's docs site declares its versions, read statically (`docaudit versions`)."""
    root = Path(target).resolve()
    if not root.is_dir():
        raise DocauditError(f"{target}: not a folder")
    files = _list_files(root, git_history.git_toplevel(root))
    return read_site(root, files, functools.cache(lambda rel: frontmatter_of(root, rel)), config.versions)


# --- listing and reading -------------------------------------------------------------


def _list_files(root: Path, repo: Path | None) -> list[str]:
    """Paths relative to root, POSIX style. In git: tracked and untracked-but-not-ignored files."""
    if repo:
        out = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
        if out.returncode != 0:
            raise DocauditError(f"{root}: git ls-files failed: {out.stderr.strip()}")
        names = {n for n in out.stdout.split("\0") if n}
        inside = _Inside(root)
        return sorted(n for n in names if inside(n))
    found = []
    inside = _Inside(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in filenames:
            rel = (Path(dirpath) / name).relative_to(root).as_posix()
            if inside(rel):
                found.append(rel)
    return sorted(found)


class _Inside:
    """Whether a path is a regular file really under root: no symlink, and no folder on the way that leads
    outside. Each folder is resolved once, not once per file in it (10,000 resolves cost seconds)."""

    def __init__(self, root: Path) -> None:
        self.root, self.base = root, str(root)
        self.folders: dict[str, bool] = {}

    def __call__(self, rel: str) -> bool:
        folder = rel.rpartition("/")[0]
        try:
            if not stat.S_ISREG(os.lstat(os.path.join(self.base, rel)).st_mode):  # a symlink is no regular file
                return False
            if folder not in self.folders:
                self.folders[folder] = (self.root / folder).resolve().is_relative_to(self.root)
            return self.folders[folder]
        except (OSError, ValueError):
            return False


def _undecodable_name(rel: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _read(root: Path, rel: str, config: Config) -> tuple[str, str]:
    """(decoded text, "") or ("", why the file is skipped)."""
    path = root / rel
    try:
        size = path.stat().st_size
        if size > config.max_file_bytes:
            return "", f"huge file ({size:,} bytes > max_file_bytes {config.max_file_bytes:,})"
        data = path.read_bytes()
    except OSError as exc:
        return "", f"unreadable ({exc.strerror or exc})"
    if b"\0" in data:
        return "", "binary file"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        return "", f"not valid UTF-8 (byte {exc.start})"


def _build_doc(
    space: str,
    rel: str,
    text: str,
    root: Path,
    history: FileHistory | None,
    codeowners: list,
    owners_files: dict[str, tuple[list[str], str]],
    cascades: dict,
    config: Config,
) -> Doc:
    body, title, headings, meta, header, notes = _content(rel, text)
    fields = {**header, **meta}
    markers, owner_value = page_markers(rel, fields, meta, header, body, cascades, config)
    markers += ignores(meta, text)
    owner, unowned_because = _owner_of(rel, owner_value, meta, fields, codeowners, owners_files, config)
    if history:
        last_modified, created = history.last_modified, history.created
        if history.ignored:
            notes.append("mass edits not counted as edits: " + ", ".join(history.ignored))
        if owner is None and history.author:
            if git_history.is_ignored_author(history.author, config):
                unowned_because.append(
                    f"the last committer, {history.author.label()}, is not a person (ignore_authors)"
                )
            else:
                owner = history.author
    else:
        last_modified, created = to_utc((root / rel).stat().st_mtime), None
        notes.append("dated by file modification time (not in git history)")
    unowned = ""
    if owner is None:
        unowned = "no frontmatter owner; " + "; ".join(unowned_because)
        notes.append(f"no owner: {unowned}")
    title = str(fields.get("title") or title or PurePosixPath(rel).stem.replace("-", " ").replace("_", " "))
    return Doc(
        source=KIND,
        space=space,
        id=rel,
        title=" ".join(title.split()),
        text=body,
        path=rel,
        owner=owner,
        last_modified=last_modified,
        created=created,
        markers=markers,
        headings=headings,
        notes=notes,
        unowned_reason=unowned,
    )


def _content(rel: str, text: str) -> tuple[str, str, list[str], dict, dict, list[str]]:
    """(body, title, headings, frontmatter, header fields, notes) of a file's text."""
    suffix = PurePosixPath(rel).suffix.lower()
    notes: list[str] = []
    meta: dict = {}
    body = text
    if suffix in (".md", ".mdx", ".markdown"):
        meta, body, problem = split_frontmatter(text)
        if problem:
            notes.append(problem)
    header: dict = {}
    if not meta and suffix not in (".html", ".htm"):
        header = read_header(body)  # RFC-822-style `Status: Final` lines, or reST :field: lists, at the top
    if suffix in (".html", ".htm"):
        body, title, headings = html_to_text(text)
    else:
        title, headings = title_and_headings(suffix, body)
    return body, title, headings, meta, header, notes


def _owner_of(
    rel: str,
    owner_value: object,
    meta: dict,
    fields: dict,
    codeowners: list,
    owners_files: dict[str, tuple[list[str], str]],
    config: Config,
) -> tuple[Owner | None, list[str]]:
    """The owner a page names, else CODEOWNERS, else Prow OWNERS, else its author field; and, while none
    is found, why each place gave no one (the last committer is tried by the caller)."""
    if owner_value:
        owner = owner_from_text(str(owner_value), "frontmatter" if "owner" in meta else "header")
        if owner is not None:
            return owner, []
    unowned_because = []
    owner, line = git_history.codeowner_for(rel, codeowners)
    if owner is not None:
        return owner, []
    unowned_because.append(f"CODEOWNERS ({line}) assigns no one" if line else "no CODEOWNERS line matches")
    if owners_files:
        owner = git_history.owners_file_for(rel, owners_files)
        if owner is not None:
            return owner, unowned_because
        unowned_because.append("no OWNERS file above it names an approver or reviewer")
    author_value = fields.get(config.markers.owner_field.lower())
    if author_value:
        owner = owner_from_text(str(author_value), f"{config.markers.owner_field} field")
    return owner, unowned_because
