"""Notion: every page the integration can see, with owners, edit times and verification.

Discovery is `search` with the object filter, newest edit first. An incremental crawl stops
at the saved cursor minus an overlap (Notion rounds edit times to the minute); a page whose
edit time matches the one it was indexed with is not fetched again. `--full` re-lists
everything, reads every database's rows too (search may miss some) and drops pages that are
gone, trashed or no longer shared.

Requests go through `notion_api.NotionApi`: paced client-side and retried there, not in
notion-client, so that one policy covers 429, 5xx, 529 and timeouts for every call.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

from connectors import CrawlState
from docaudit.config import Config
from docaudit.currency.banners import find_banners
from docaudit.records import Doc, Gone, Marker, Owner, Skipped, iso, required_utc, to_utc

from .notion_api import PAGE_SIZE, NotionApi, NotionError, NotionSettings  # noqa: F401 - NotionApi, NotionError: re-exported
from .notion_text import TEXT_BLOCKS, UNKNOWN, leaf_line, page_title, parent_database, parent_id, plain, rich, text_line

KIND = "notion"
SETTINGS = NotionSettings
STATUS_MARKERS = re.compile(r"\b(deprecated|archived|obsolete|superseded|retired)\b", re.IGNORECASE)
NOTION_LINK = re.compile(r"\[([^\]]*)\]\(notion:[^)]+\)")


def space_for(target: str) -> str:
    """The target names the workspace: docs from one workspace share a space."""
    return target


def crawl(target: str, config: Config, state: CrawlState) -> Iterator[Doc | Skipped | Gone]:
    settings = config.section(KIND)
    api = NotionApi(settings)
    try:
        yield from _Crawl(api, target, config, state).run()
    finally:
        api.close()


class _Crawl:
    def __init__(self, api: NotionApi, target: str, config: Config, state: CrawlState) -> None:
        self.api = api
        self.config = config
        self.settings = config.section(KIND)
        self.space = state.space or space_for(target)
        self.state = state
        cursor = state.cursor or {}
        self.full = state.full or not cursor or cursor.get("api_version") != self.settings.api_version
        self.titles: dict[str, list] = dict(cursor.get("titles") or {})  # id -> [title, parent id]
        self.edited_through = to_utc(cursor.get("edited_through"))
        self.users: dict[str, dict | None] = {}
        self.users_forbidden = False
        self.new_style = self.settings.api_version >= "2025"

    def run(self) -> Iterator[Doc | Skipped | Gone]:
        listed = self._listed()
        for page in listed.values():
            self.titles[page["id"]] = [page_title(page), parent_id(page)]
        newest = max((required_utc(p["last_edited_time"]) for p in listed.values()), default=None)
        for page in listed.values():
            if page.get("in_trash") or page.get("archived") or page.get("is_archived"):
                self.titles.pop(page["id"], None)
                yield Gone(KIND, self.space, page["id"])
                continue
            if self.state.versions.get(page["id"]) == page["last_edited_time"]:
                self.state.unchanged += 1
                continue  # indexed at this edit time, after that minute had passed: unchanged
            yield from self._page(page)
        if self.full:
            for page_id in sorted(set(self.state.known) - set(listed)):
                self.titles.pop(page_id, None)
                yield Gone(KIND, self.space, page_id)
        through = max(filter(None, [newest, self.edited_through]), default=None)
        self.state.next_cursor = {
            "api_version": self.settings.api_version,
            "edited_through": iso(through),
            "titles": self.titles,
        }

    def _listed(self) -> dict[str, dict]:
        """Pages edited since the cursor (all of them on a full crawl, database rows included), by id."""
        containers = self._containers()
        since = None
        if not self.full and self.edited_through:
            since = self.edited_through - timedelta(minutes=self.settings.edit_overlap_minutes)
        listed: dict[str, dict] = {}
        newest_first = {"timestamp": "last_edited_time", "direction": "descending"}
        for page in self.api.paginate(
            "POST", "search", {"filter": {"property": "object", "value": "page"}, "sort": newest_first}
        ):
            if since and required_utc(page["last_edited_time"]) < since:
                break  # sorted newest first: everything from here on is older than the last crawl
            listed[page["id"]] = page
        if self.full:
            query = "data_sources/{}/query" if self.new_style else "databases/{}/query"
            for container in containers:
                for page in self.api.paginate("POST", query.format(container["id"]), {}):
                    listed.setdefault(page["id"], page)
        return listed

    def _containers(self) -> list[dict]:
        """Databases (2022-06-28) or data sources (2025-09-03): few, listed whole every crawl for breadcrumbs."""
        value = "data_source" if self.new_style else "database"
        found = list(self.api.paginate("POST", "search", {"filter": {"property": "object", "value": value}}))
        for container in found:
            title = plain(container.get("title"))
            if self.new_style:
                parent = parent_id({"parent": container.get("database_parent") or {}})
                database_id = (container.get("parent") or {}).get("database_id")
                if database_id:
                    self.titles[database_id] = [title, parent]
            else:
                parent = parent_id(container)
            self.titles[container["id"]] = [title, parent]
        return [c for c in found if not (c.get("in_trash") or c.get("archived"))]

    # --- one page ---------------------------------------------------------------------

    def _page(self, page: dict) -> Iterator[Doc | Skipped | Gone]:
        page_id = page["id"]
        title = " ".join((page_title(page) or "Untitled").split())
        unknown: list[tuple[str, str]] = []
        lines = [f"# {title}", ""]
        lines += self._property_lines(page)
        try:
            lines += self._blocks(page_id, 0, {page_id}, unknown)
        except NotionError as exc:
            if exc.status != 404:
                raise
            yield Gone(KIND, self.space, page_id)  # trashed or unshared since it was listed
            return
        for block_id, kind in unknown:
            yield Skipped(KIND, self.space, f"{title} (block {block_id})", f"unsupported Notion block '{kind}'")
        linked = "\n".join(lines).strip() + "\n"
        markers = [_plain_marker(m) for m in find_banners("", linked)]
        markers += self._property_markers(page)
        database = parent_database(page)
        if database:
            # A row: its "Name: value" lines are facts about this row, never a conflict with another row's.
            markers.append(Marker("database", database, "Notion database row"))
            markers += [
                Marker("property", name, "Notion database row")
                for name, prop in (page.get("properties") or {}).items()
                if prop.get("type") != "title"
            ]
        text = NOTION_LINK.sub(r"\1", linked)
        edited = to_utc(page["last_edited_time"])
        owner, no_owner = self._owner(page)
        notes = [no_owner] if no_owner else []
        if unknown:
            notes.append(f"{len(unknown)} unsupported blocks skipped")
        settled = edited and datetime.now(timezone.utc) - edited > timedelta(minutes=self.settings.edit_overlap_minutes)
        yield Doc(
            source=KIND,
            space=self.space,
            id=page_id,
            title=title,
            text=text,
            path=self._breadcrumb(page_id),
            url=page.get("url", ""),
            owner=owner,
            last_modified=edited,
            created=to_utc(page.get("created_time")),
            markers=markers,
            headings=[NOTION_LINK.sub(r"\1", line.lstrip("#").strip()) for line in lines if re.match(r"#{2,3} ", line)],
            notes=notes,
            unowned_reason=no_owner.removeprefix("no owner: "),
            # Within the edit-time overlap another edit can share this minute: no stamp, read again next time.
            version=page["last_edited_time"] if settled else "",
        )

    def _blocks(self, block_id: str, depth: int, visited: set[str], unknown: list) -> list[str]:
        if depth >= self.settings.max_depth:
            return []
        lines: list[str] = []
        indent = "  " * depth
        for block in self.api.paginate("GET", f"blocks/{block_id}/children"):
            line, children_of = self._block(block, indent)
            if line is UNKNOWN:
                unknown.append((block["id"], block.get("type", "")))
                continue
            if line is not None:
                lines.append(line)
            if children_of and children_of not in visited:  # a synced block pointing back at its page stops here
                visited.add(children_of)
                lines += self._blocks(children_of, depth + 1, visited, unknown)
        return lines

    def _block(self, block: dict, indent: str) -> tuple[str | None, str | None]:
        """A block's own line (None: it has none; UNKNOWN: a type with neither text nor children), and
        the block whose children are read under it."""
        kind = block.get("type", "")
        data = block.get(kind) or {}
        children_of = block["id"] if block.get("has_children") else None
        if kind in TEXT_BLOCKS:
            return text_line(kind, data, indent), children_of
        if kind == "synced_block":
            return None, (data.get("synced_from") or {}).get("block_id") or children_of
        if kind in ("child_page", "child_database"):  # a page or database of its own, crawled on its own
            if kind == "child_page":
                return f"{indent}[{data.get('title', 'Untitled')}](notion:{block['id']})", None
            return f"{indent}{data.get('title', 'Untitled database')}", None
        if kind == "link_to_page":
            target = data.get(data.get("type", ""), "")
            title = (self.titles.get(target) or ["a linked page"])[0]
            return f"{indent}[{title}](notion:{target})", children_of
        line = leaf_line(kind, data, indent)
        if line is UNKNOWN and children_of:
            return None, children_of  # an unknown container: its children still count
        return line, children_of

    def _property_lines(self, page: dict) -> list[str]:
        """Database rows carry their facts in properties: render them as text so they are searchable."""
        lines = []
        for name, prop in (page.get("properties") or {}).items():
            kind = prop.get("type")
            if kind in ("title", "verification", "created_time", "last_edited_time", "created_by", "last_edited_by"):
                continue
            value = self._property_text(prop)
            if value:
                lines.append(f"{name}: {value}")
        return lines + [""] if lines else []

    def _property_text(self, prop: dict) -> str:
        kind = prop.get("type", "")
        value = prop.get(kind)
        if kind in ("rich_text",):
            return rich(value)
        if kind in ("select", "status"):
            return (value or {}).get("name", "")
        if kind == "multi_select":
            return ", ".join(v.get("name", "") for v in value or [])
        if kind == "people":
            return ", ".join(filter(None, (self._person(p).name for p in value or [])))
        if kind == "date":
            return " to ".join(filter(None, [(value or {}).get("start"), (value or {}).get("end")]))
        if kind in ("number", "url", "email", "phone_number"):
            return "" if value is None else str(value)
        if kind == "checkbox":
            return "yes" if value else "no"
        if kind == "formula":
            inner = value or {}
            return str(inner.get(inner.get("type", ""), "") or "")
        if kind == "unique_id":
            return f"{(value or {}).get('prefix') or ''}-{(value or {}).get('number')}".lstrip("-")
        return ""

    def _property_markers(self, page: dict) -> list[Marker]:
        markers = []
        for name, prop in (page.get("properties") or {}).items():
            kind = prop.get("type")
            if kind == "verification":
                verification = prop.get("verification") or {}
                end = ((verification.get("date") or {}).get("end")) or None
                if verification.get("state") in ("verified", "expired") and end:
                    by = self._person(verification["verified_by"]).label() if verification.get("verified_by") else ""
                    source = f"Notion verification{' by ' + by if by else ''}"
                    markers.append(Marker("review_by", required_utc(end).date().isoformat(), source))
            elif kind in ("select", "status"):
                value = (prop.get(kind) or {}).get("name", "")
                match = STATUS_MARKERS.search(value)
                if match:
                    archived = match.group(1).lower() == "archived"
                    markers.append(Marker("archived" if archived else "deprecated", value, f"Notion property {name}"))
        return markers

    def _owner(self, page: dict) -> tuple[Owner | None, str]:
        """The owner, else why there is none (for the missing-owner finding)."""
        name = self.settings.owner_property
        prop = (page.get("properties") or {}).get(name)
        why = [f"no {name} property" if prop is None else f"{name} names no person"]
        if prop and prop.get("type") == "people":
            for person in prop.get("people") or []:
                owner = self._person(person, f"Notion property {name}")
                if owner.name or owner.email:
                    return owner, ""
        creator = page.get("created_by")
        unknown_id = None
        if creator:
            owner = self._person(creator, "created_by")
            if owner.name or owner.email:
                return owner, ""
            user = self.users.get(creator.get("id", "")) or creator
            if user.get("type") == "bot":
                why.append(f"the creator, {user.get('name') or 'an integration'}, is a bot")
            else:
                why.append("the creator is not known to the users API")
                unknown_id = owner.id
        editor = page.get("last_edited_by")
        if editor and editor.get("id") != (creator or {}).get("id"):
            owner = self._person(editor, "last_edited_by")
            if owner.name or owner.email:
                return owner, ""
        if unknown_id:  # kept by id, so that `aliases` and `fallback_owners` can route it
            return Owner(via="created_by", id=unknown_id), "no owner: " + "; ".join(why)
        return None, "no owner: " + "; ".join(why)

    def _person(self, ref: dict, via: str = "") -> Owner:
        """A user reference as an owner: resolved once per crawl through the users API; bots are nobody."""
        user_id = ref.get("id", "")
        if "type" not in ref and user_id not in self.users and not self.users_forbidden:
            self.users[user_id] = self._fetch_user(user_id)
        user = ref if "type" in ref else self.users.get(user_id)
        if user is None:
            if self.users_forbidden:
                return Owner(name=f"Notion user {user_id[:8]}", via=via, id=f"notion:{user_id}")
            return Owner(via=via, id=f"notion:{user_id}" if user_id else "")
        if user.get("type") == "bot":
            return Owner(via=via)
        return Owner(user.get("name") or "", (user.get("person") or {}).get("email", ""), via, f"notion:{user_id}")

    def _fetch_user(self, user_id: str) -> dict | None:
        try:
            return self.api.request("GET", f"users/{user_id}")
        except NotionError as exc:
            if exc.status == 403:  # the integration may not read user information: owners stay ids
                self.users_forbidden = True
            elif exc.status != 404:  # 404: a user who left the workspace
                raise
            return None

    def _breadcrumb(self, page_id: str) -> str:
        names, seen = [], set()
        current = page_id
        while current and current in self.titles and current not in seen:
            seen.add(current)
            title, parent = self.titles[current]
            names.append((title or "Untitled").replace("/", "-"))
            current = parent
        return "/".join(reversed(names))


def _plain_marker(marker: Marker) -> Marker:
    """A banner's quote without link syntax; a successor link as the page id."""
    if marker.kind == "superseded_by":
        return Marker(marker.kind, marker.value.removeprefix("notion:"), marker.source)
    return Marker(marker.kind, NOTION_LINK.sub(r"\1", marker.value), marker.source)
