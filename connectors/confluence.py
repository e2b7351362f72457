"""Confluence: every current or archived page of some spaces, with owners, edit times, labels and
notice macros. Cloud's REST v2 where the site has it, the v1 REST API (Data Center) otherwise.

Each crawl lists the spaces' pages without their bodies (250 a request on v2, 100 on v1) and
asks one CQL search for the pages that carry a marker label. A page is read only when its stamp
(version number, status, owner, marker labels) differs from the one it was indexed with, its
body fetched with up to 249 others in one request; pages missing from the listing (deleted,
trashed, moved out, now a draft) leave the index. The listing is what makes deletions visible:
neither API reports a purged page by date, so a modified-since query alone would keep deleted
pages forever. Bodies are not taken with the listing (which would save a request per 250 pages
on a first crawl) because paths and page links need the whole listing first, and holding every
body of a big space until then costs memory in proportion to the space.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from connectors import CrawlState
from docaudit.config import Config
from docaudit.currency.banners import find_banners
from docaudit.errors import DocauditError
from docaudit.records import Doc, Gone, Marker, Owner, Skipped, to_utc

from .confluence_api import (
    ConfluenceApi,
    ConfluenceError,
    ConfluenceSettings,
    Page,
    page_from_v1,
    page_from_v2,
    results_of,
    storage_of,
    user_id,
)
from .confluence_storage import markdown, plain, to_text

KIND = "confluence"
SETTINGS = ConfluenceSettings
V2_PAGE_SIZE = 250  # the v2 maximum
V1_PAGE_SIZE = 100
V2_IDS_PER_REQUEST = 250  # `GET /pages?id=...` takes up to 250 ids
V1_IDS_PER_REQUEST = 100  # CQL `id in (...)`: a URL of a few KB
USERS_PER_REQUEST = 100
V1_EXPAND = "version,history,ancestors"
LISTED = ("current", "archived")  # the statuses indexed
# Bump when the text a page gives changes (a better storage reader): every page is then read again once.
READER = 1
MENTION = re.compile(r'ri:account-id="([^"]+)"')


def space_for(target: str) -> str:
    """The target is a space key (or several, or `*` for every space): its docs share a space in the index."""
    return "all-spaces" if target.strip() == "*" else target


def crawl(target: str, config: Config, state: CrawlState) -> Iterator[Doc | Skipped | Gone]:
    settings = config.section(KIND)
    assert isinstance(settings, ConfluenceSettings)
    api = ConfluenceApi(settings)
    try:
        yield from _Crawl(api, target, config, settings, state).run()
    finally:
        api.close()


class _Crawl:
    def __init__(
        self, api: ConfluenceApi, target: str, config: Config, settings: ConfluenceSettings, state: CrawlState
    ) -> None:
        self.api = api
        # None: every space the account can see; else the keys asked for.
        self.wanted = None if target.strip() == "*" else [key.strip() for key in target.split(",")]
        if self.wanted is not None and not all(re.fullmatch(r"[^\s\",*]+", key) for key in self.wanted):
            raise DocauditError(f"Confluence: '{target}' is not a space key (e.g. ENG; ENG,OPS for two; * for all)")
        self.space = state.space or space_for(target)
        self.state = state
        cursor = state.cursor or {}
        self.flavour = settings.api if settings.api != "auto" else cursor.get("api", "auto")
        # --full, or pages read by an older reader: ignore the stamps and read every page again.
        self.stamps = {} if state.full or cursor.get("reader") != READER else state.versions
        self.users: dict[str, dict | None] = {}
        self.titles: dict[str, tuple[str, str]] = {}  # page id -> (title, parent id)
        self.homepages: set[str] = set()
        self.keys: list[str] = []  # the spaces crawled
        self.by_title: dict[tuple[str, str], str] = {}  # (space key, title) -> page id
        self.key_of: dict[str, str] = {}  # page id -> space key
        markers = config.markers
        self.deprecated_labels = {v.lower() for v in [*settings.deprecated_labels, *markers.deprecated_values]}
        self.current_labels = {v.lower() for v in markers.current_values} - self.deprecated_labels

    def run(self) -> Iterator[Doc | Skipped | Gone]:
        spaces = self._spaces()
        listed: dict[str, Page] = {}
        for space in spaces:
            for page in self._listing(space):
                page.space_key = space["key"]
                listed.setdefault(page.id, page)  # a page listed twice (a list that moved under us) counts once
        for page in listed.values():
            self.titles[page.id] = (page.title, page.parent)
        self.by_title = {(page.space_key, page.title): page.id for page in listed.values()}  # unique in a space
        self.key_of = {page.id: page.space_key for page in listed.values()}
        for page_id, labels in self._marker_labels().items():
            if page_id in listed:
                listed[page_id].labels = labels
        changed = [page for page in listed.values() if self.stamps.get(page.id) != _stamp(page)]
        self.state.unchanged += len(listed) - len(changed)
        # Bodies a batch at a time: memory stays flat on a big space, and a crawl that dies keeps what it read.
        size = V2_IDS_PER_REQUEST if self.flavour == "v2" else V1_IDS_PER_REQUEST
        for start in range(0, len(changed), size):
            batch = changed[start : start + size]
            bodies = self._bodies([page.id for page in batch])
            for page in batch:
                page.body = bodies.get(page.id)
            self._resolve_users(batch)
            for page in batch:
                if page.body is None:
                    yield Skipped(KIND, self.space, page.title or page.id, "no storage body in the API's answer")
                else:
                    yield self._doc(page)
                page.body = None
        for page_id in sorted(set(self.state.known) - set(listed)):
            yield Gone(KIND, self.space, page_id)
        self.state.next_cursor = {"api": self.flavour, "spaces": self.keys, "pages": len(listed), "reader": READER}

    # --- what the space holds -------------------------------------------------------------

    def _spaces(self) -> list[dict]:
        """The spaces to crawl, as {key, id}; `*` means every current global space the account sees."""
        found: list[dict] = []
        if self.flavour in ("auto", "v2"):
            params = {"limit": V2_PAGE_SIZE, "status": "current"}
            params.update({"keys": ",".join(self.wanted)} if self.wanted else {"type": "global"})
            first = self.api.get("api/v2/spaces", params, missing_ok=self.flavour == "auto")
            if first is not None:
                self.flavour = "v2"
                for space in self.api.cursor_walk("api/v2/spaces", params, first):
                    self.homepages.add(str(space.get("homepageId") or ""))
                    found.append({"key": space.get("key", ""), "id": str(space.get("id", ""))})
            else:
                self.flavour = "v1"
        if self.flavour == "v1":
            listing: Iterable[dict | None]
            if self.wanted is None:
                listing = self.api.offset_walk(
                    "rest/api/space", {"type": "global", "status": "current", "expand": "homepage", "limit": 100}
                )
            else:
                listing = (
                    self.api.get(f"rest/api/space/{k}", {"expand": "homepage"}, missing_ok=True) for k in self.wanted
                )
            for entry in listing:
                if isinstance(entry, dict):
                    self.homepages.add(str((entry.get("homepage") or {}).get("id") or ""))
                    found.append({"key": entry.get("key", ""), "id": str(entry.get("id", ""))})
        missing = [key for key in self.wanted or [] if key not in {s["key"] for s in found}]
        if missing or not found:
            raise DocauditError(
                f"Confluence: no space with key {', '.join(missing) or '(any)'} is visible to this account "
                "(check the key's case, and that the account may view the space)"
            )
        self.keys = sorted(s["key"] for s in found)
        return found

    def _listing(self, space: dict) -> Iterator[Page]:
        """Every current and archived page of a space, without bodies (never a trashed page or a draft,
        whatever the answer holds)."""
        if self.flavour == "v2":
            params = {"status": "current,archived", "limit": V2_PAGE_SIZE}
            pages = (page_from_v2(raw) for raw in self.api.cursor_walk(f"api/v2/spaces/{space['id']}/pages", params))
            yield from (page for page in pages if page and page.status in LISTED)
            return
        for status in LISTED:
            params = {"spaceKey": space["key"], "type": "page", "status": status, "expand": V1_EXPAND}
            try:
                for raw in self.api.offset_walk("rest/api/content", {**params, "limit": V1_PAGE_SIZE}):
                    page = page_from_v1(raw)
                    if page and page.status in LISTED:
                        yield page
            except ConfluenceError as exc:
                if status == "archived" and exc.status == 400:
                    return  # an older Data Center without archived pages
                raise

    def _marker_labels(self) -> dict[str, list[str]]:
        """Page id -> its marker labels, from one CQL search (labels do not change a page's version)."""
        wanted = sorted(self.deprecated_labels | self.current_labels)
        if not wanted:
            return {}
        names = ",".join(_cql_string(label) for label in wanted)
        spaces = ",".join(_cql_string(key) for key in self.keys)
        cql = f"space in ({spaces}) and type = page and label in ({names})"
        found: dict[str, list[str]] = {}
        for raw in self.api.search_walk({"cql": cql, "expand": "metadata.labels", "limit": V1_PAGE_SIZE}):
            labels = ((raw.get("metadata") or {}).get("labels") or {}).get("results") or []
            names_on = sorted({str(label.get("name", "")).lower() for label in labels} & set(wanted))
            if names_on:
                found[str(raw.get("id"))] = names_on
        return found

    def _bodies(self, ids: list[str]) -> dict[str, str]:
        """The storage bodies of one batch of pages, in one request (more if the API pages the answer)."""
        if self.flavour == "v2":
            params = {"id": ",".join(ids), "body-format": "storage", "status": "current,archived"}
            pages = self.api.cursor_walk("api/v2/pages", {**params, "limit": V2_PAGE_SIZE})
        else:
            cql = f"id in ({','.join(ids)})"
            pages = self.api.search_walk({"cql": cql, "expand": "body.storage", "limit": V1_PAGE_SIZE})
        out: dict[str, str] = {}
        for raw in pages:
            body = storage_of(raw)
            if body is not None:
                out.setdefault(str(raw.get("id")), body)
        return out

    # --- people ------------------------------------------------------------------------

    def _resolve_users(self, pages: list[Page]) -> None:
        """v2 names people by account id: look the new ones up in bulk through v1's users API."""
        refs = {ref for page in pages for ref in (page.owner, page.editor, page.creator) if isinstance(ref, str)}
        refs |= {found for page in pages for found in MENTION.findall(page.body or "")}
        ids = sorted(refs - {""} - set(self.users))
        for start in range(0, len(ids), USERS_PER_REQUEST):
            batch = ids[start : start + USERS_PER_REQUEST]
            try:
                found = self.api.get("rest/api/user/bulk", [("accountId", i) for i in batch]) or {}
            except ConfluenceError as exc:
                if exc.status not in (403, 404):
                    raise
                found = {}  # the users API is closed to this account: keep the ids for `aliases`
            for user in results_of(found):
                self.users[str(user.get("accountId"))] = user
            for account in batch:
                self.users.setdefault(account, None)

    def _owner(self, page: Page) -> tuple[Owner | None, str]:
        """The page owner; an app account (a migration bot) is nobody: then the last human editor, the creator."""
        why: list[str] = []
        kept = ""
        seen: set[str] = set()
        for via, ref in (("owner", page.owner), ("last editor", page.editor), ("creator", page.creator)):
            user = self.users.get(ref) if isinstance(ref, str) else ref
            ident = ref if isinstance(ref, str) else user_id(ref or {})
            if not ref or ident in seen:
                continue
            seen.add(ident)
            if user is None:
                why.append(f"the {via} ({ident}) is not known to the users API")
                kept = kept or ident
                continue
            name = " ".join(str(user.get("displayName") or user.get("publicName") or "").split())
            if user.get("accountType") == "app":
                why.append(f"the {via}, {name or 'an app'}, is an app account")
                continue
            email = str(user.get("email") or "")
            if name or email:
                return Owner(name=name, email=email, via=f"Confluence {via}", id=f"confluence:{ident}"), ""
        if kept:  # kept by id, so that `aliases` and `fallback_owners` can route it
            return Owner(via="Confluence owner", id=f"confluence:{kept}"), "no owner: " + "; ".join(why)
        return None, "no owner: " + ("; ".join(why) or "the page names no person")

    def _mention(self, ref: str) -> str:
        user = self.users.get(ref)
        return str((user or {}).get("displayName") or "")

    # --- one page -----------------------------------------------------------------------

    def _doc(self, page: Page) -> Doc:
        title = " ".join(page.title.split()) or "Untitled"

        def page_id(link_title: str, space_key: str) -> str:
            return self.by_title.get((space_key or page.space_key, link_title), "")

        linked = f"# {title}\n\n" + to_text(page.body or "", page_id, self._mention)
        markers = [self._plain_marker(m) for m in find_banners("", markdown(linked))]
        if page.status == "archived":
            markers.append(Marker("archived", "true", "Confluence page status archived"))
        for label in page.labels:
            if label in self.deprecated_labels:
                markers.append(Marker("archived" if label == "archived" else "deprecated", label, "Confluence label"))
            elif label in self.current_labels:
                markers.append(Marker("current", label, "Confluence label"))
        owner, no_owner = self._owner(page)
        text = plain(linked)
        return Doc(
            source=KIND,
            space=self.space,
            id=page.id,
            title=title,
            text=text,
            path=self._path(page),
            url=(self.api.web_base or self.api.base.rstrip("/")) + page.webui
            if page.webui.startswith("/")
            else page.webui,
            owner=owner,
            last_modified=to_utc(page.modified),
            created=to_utc(page.created),
            markers=markers,
            headings=[line.lstrip("#").strip() for line in text.splitlines() if re.match(r"#{2,3} ", line)],
            notes=[no_owner] if no_owner else [],
            unowned_reason=no_owner.removeprefix("no owner: "),
            version=_stamp(page),
        )

    def _plain_marker(self, marker: Marker) -> Marker:
        """A banner's successor link names a page of this space by its path (readable, and resolvable
        as a doc's path), any other by its URL; its quote reads as plain text."""
        if marker.kind == "superseded_by":
            target = marker.value.removeprefix("confluence:")
            if target in self.titles:
                title, parent = self.titles[target]
                space_key = self.key_of.get(target, "")
                target = self._path(Page(target, title, "", parent, None, None, 0, "", "", "", "", None, [], space_key))
            return Marker(marker.kind, target, marker.source)
        return Marker(marker.kind, _unlinked(marker.value).lstrip("> "), marker.source)

    def _path(self, page: Page) -> str:
        """Space key / ancestors below the space's home page / title."""
        parts = [" ".join(page.title.split()) or "Untitled"]
        parent, seen = page.parent, {page.id}
        while parent and parent not in seen and parent not in self.homepages and parent in self.titles:
            seen.add(parent)
            title, parent = self.titles[parent]
            parts.append(" ".join(title.split()) or "Untitled")
        return "/".join([page.space_key, *reversed(parts)])


def _stamp(page: Page) -> str:
    """What the index compares: a new version, archiving, a new owner or a marker label re-reads the page."""
    owner = page.owner if isinstance(page.owner, str) else user_id(page.owner or {})
    return f"v{page.number};{page.status};{owner};{','.join(page.labels)}"


def _cql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unlinked(quote: str) -> str:
    """A notice's line as read: Markdown links as their text."""
    return re.sub(r"\[([^\[\]]*)\]\([^()\s]*\)", r"\1", quote)
