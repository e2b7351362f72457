"""Google Drive: My Drive and shared drives, exported to text, with owners and who can read.

The first crawl (and `--full`) takes a changes start token, then lists every file in scope
with an explicit fields mask, 1000 a page. Later crawls read the changes feed from the saved
token: a change that did not touch the content (a view, a permission change) is not exported
again, because the stamp compared is modifiedTime plus md5Checksum, not the version, which
moves with any change. Removed and trashed files leave the index.

Calls go through `gdrive_api.DriveApi` (google-api-python-client, retried by `docaudit.retry`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from connectors import CrawlState
from docaudit.config import Config
from docaudit.currency.banners import find_banners
from docaudit.records import Doc, Gone, Marker, Owner, Skipped, Touched, to_utc
from docaudit.text import html_to_text, title_and_headings

from .gdrive_api import DriveApi, DriveError, DriveSettings  # noqa: F401 - DriveError: re-exported
from .gdrive_files import DOCX, Unreadable, extract, library_warnings

KIND = "gdrive"
SETTINGS = DriveSettings
FOLDER = "application/vnd.google-apps.folder"
SHORTCUT = "application/vnd.google-apps.shortcut"
GOOGLE_DOC = "application/vnd.google-apps.document"
GOOGLE_SLIDES = "application/vnd.google-apps.presentation"
GOOGLE_SHEET = "application/vnd.google-apps.spreadsheet"
UPLOADED_TABLES = ("text/csv", "text/tab-separated-values")  # read like Sheets, with export_sheets
UPLOADED_TEXT = {"text/markdown", "text/x-markdown", "text/plain", "text/html", "application/pdf", DOCX}
FILE_FIELDS = (
    "id,name,mimeType,parents,driveId,webViewLink,createdTime,modifiedTime,version,md5Checksum,size,trashed,"
    "owners(displayName,emailAddress),lastModifyingUser(displayName,emailAddress),"
    "permissions(type,role,emailAddress,domain),shortcutDetails(targetId,targetMimeType)"
)
PARENTS_PER_QUERY = 40  # `'a' in parents or ...`: Drive's query length limit leaves room for about this many


def space_for(target: str) -> str:
    """The target names the drive: docs from one crawl target share a space."""
    return target


def crawl(target: str, config: Config, state: CrawlState) -> Iterator[Doc | Skipped | Gone | Touched]:
    api = DriveApi(config.section(KIND))
    yield from _Crawl(api, target, config, state).run()


class _Crawl:
    def __init__(self, api: DriveApi, target: str, config: Config, state: CrawlState) -> None:
        self.api = api
        self.settings = config.section(KIND)
        self.config = config
        self.space = state.space or space_for(target)
        self.state = state
        cursor = state.cursor or {}
        self.scope = {"folders": sorted(self.settings.folders), "drive_id": self.settings.drive_id}
        self.full = state.full or not cursor.get("page_token") or cursor.get("scope") != self.scope
        self.folders: dict[str, list] = {} if self.full else dict(cursor.get("folders") or {})  # id -> [name, parent]
        self.page_token = cursor.get("page_token")
        self.seen: set[str] = set()
        self.warnings: dict[str, list[str]] = {}  # file id -> what a reader library logged about it

    def _common(self) -> dict:
        params: dict[str, Any] = {"supportsAllDrives": True}
        if self.settings.drive_id:
            params.update(driveId=self.settings.drive_id, includeItemsFromAllDrives=True)
        elif self.settings.shared_drives or self.settings.folders:
            params["includeItemsFromAllDrives"] = True
        return params

    def run(self) -> Iterator[Doc | Skipped | Gone | Touched]:
        files = self.api.service.files()
        if self.full:
            start = self.api.execute(
                self.api.service.changes().getStartPageToken(**_only(self._common(), "supportsAllDrives", "driveId")),
                "changes.getStartPageToken",
            )["startPageToken"]  # before listing, so what changes while we list is in the next feed
            listed = list(self._list_all(files))
            yield from self._files(listed)
            for gone in sorted(set(self.state.known) - self.seen):
                yield Gone(KIND, self.space, gone)
            next_token = start
        else:
            updated, removed, next_token = self._changes()
            for file in updated.values():
                if file["mimeType"] == FOLDER:
                    self.folders[file["id"]] = [file["name"], (file.get("parents") or [None])[0]]
            in_scope = [f for f in updated.values() if self._in_scope(f)]
            out_of_scope = {f["id"] for f in updated.values() if not self._in_scope(f)}
            for file_id in sorted((removed | out_of_scope) & set(self.state.known)):
                yield Gone(KIND, self.space, file_id)
            for file_id in removed:
                self.folders.pop(file_id, None)
            yield from self._files(in_scope)
        self.state.next_cursor = {"page_token": next_token, "scope": self.scope, "folders": self.folders}

    def _changes(self) -> tuple[dict[str, dict], set[str], str]:
        """Files changed since the saved token (the last change of a file wins), removed ones, the next token."""
        updated: dict[str, dict] = {}
        removed: set[str] = set()
        token = self.page_token
        while True:
            page = self.api.execute(
                self.api.service.changes().list(
                    pageToken=token,
                    pageSize=1000,
                    spaces="drive",
                    fields=f"nextPageToken,newStartPageToken,changes(fileId,removed,file({FILE_FIELDS}))",
                    **self._common(),
                ),
                "changes.list",
            )
            for change in page.get("changes", []):
                file = change.get("file")
                if change.get("removed") or not file or file.get("trashed"):
                    removed.add(change["fileId"])
                    updated.pop(change["fileId"], None)
                else:
                    updated[change["fileId"]] = file
                    removed.discard(change["fileId"])
            if page.get("newStartPageToken"):
                return updated, removed, page["newStartPageToken"]
            token = page.get("nextPageToken")
            if not token:  # neither token: keep the old one and read the same changes again next time
                return updated, removed, self.page_token or ""

    def _list_all(self, files: Any) -> Iterator[dict]:
        fields = f"nextPageToken,files({FILE_FIELDS})"
        if self.settings.shared_drives or self.settings.drive_id:  # shared drives' names start their files' paths
            for drive in self.api.pages(
                self.api.service.drives().list,
                "drives.list",
                "drives",
                pageSize=100,
                fields="nextPageToken,drives(id,name)",
            ):
                self.folders[drive["id"]] = [drive["name"], None]
        if not self.settings.folders:
            corpora = "drive" if self.settings.drive_id else ("allDrives" if self.settings.shared_drives else "user")
            for file in self.api.pages(
                files.list,
                "files.list",
                "files",
                q="trashed = false",
                corpora=corpora,
                pageSize=1000,
                fields=fields,
                **self._common(),
            ):
                if file["mimeType"] == FOLDER:
                    self.folders[file["id"]] = [file["name"], (file.get("parents") or [None])[0]]
                yield file
            return
        for folder_id in self.settings.folders:  # the roots themselves, for their names in paths
            root = self.api.execute(
                files.get(fileId=folder_id, fields=FILE_FIELDS, supportsAllDrives=True), "files.get"
            )
            self.folders[folder_id] = [root["name"], None]
        frontier = list(self.settings.folders)
        while frontier:
            batch, frontier = frontier[:PARENTS_PER_QUERY], frontier[PARENTS_PER_QUERY:]
            parents = " or ".join(f"'{folder}' in parents" for folder in batch)
            corpora = "drive" if self.settings.drive_id else "allDrives"  # Drive wants driveId with corpora=drive only
            for file in self.api.pages(
                files.list,
                "files.list",
                "files",
                q=f"trashed = false and ({parents})",
                corpora=corpora,
                pageSize=1000,
                fields=fields,
                **self._common(),
            ):
                if file["mimeType"] == FOLDER and file["id"] not in self.folders:
                    self.folders[file["id"]] = [file["name"], (file.get("parents") or [None])[0]]
                    frontier.append(file["id"])
                yield file

    def _in_scope(self, file: dict) -> bool:
        if self.settings.drive_id and file.get("driveId") != self.settings.drive_id:
            return False
        if not self.settings.folders:
            return bool(self.settings.shared_drives or self.settings.drive_id or not file.get("driveId"))
        roots = set(self.settings.folders)
        current, steps = (file.get("parents") or [None])[0], 0
        while current and steps < 100:
            if current in roots:
                return True
            current, steps = (self.folders.get(current) or [None, None])[1], steps + 1
        return False

    def _files(self, listed: list[dict]) -> Iterator[Doc | Skipped | Gone | Touched]:
        """Files first; then shortcuts whose target was not among them (a target counts once, under its own path)."""
        files = self.api.service.files()
        for file in listed:
            if file["mimeType"] not in (FOLDER, SHORTCUT) and file["id"] not in self.seen:
                self.seen.add(file["id"])
                yield from self._file(file)
        for shortcut in listed:
            target_id = (
                (shortcut.get("shortcutDetails") or {}).get("targetId") if shortcut["mimeType"] == SHORTCUT else None
            )
            if not target_id or target_id in self.seen:
                continue
            try:
                file = self.api.execute(
                    files.get(fileId=target_id, fields=FILE_FIELDS, supportsAllDrives=True), "files.get"
                )
            except DriveError as exc:
                if exc.status == 404:  # a shortcut to something this account cannot open
                    continue
                raise
            if file.get("trashed") or file["mimeType"] in (FOLDER, SHORTCUT):
                continue
            self.seen.add(file["id"])
            yield from self._file(file)

    def _file(self, file: dict) -> Iterator[Doc | Skipped | Touched]:
        mime = file["mimeType"]
        readable = mime in (GOOGLE_DOC, GOOGLE_SLIDES) or (
            mime in (GOOGLE_SHEET, *UPLOADED_TABLES) and self.settings.export_sheets
        )
        if not readable and mime not in UPLOADED_TEXT:
            return  # images, archives, forms: not documents
        stamp = f"{file.get('modifiedTime', '')}|{file.get('md5Checksum', '')}"
        path = self._path(file)
        if self.state.versions.get(file["id"]) == stamp:
            # Same content; who owns and who may read it can still have changed (a permission change).
            owner, _ = _owner(file)
            changes = {"owner": owner, "permissions": _permissions(file), "path": path, "title": _title(file)}
            yield Touched(KIND, self.space, file["id"], {**changes, "url": file.get("webViewLink", "")})
            return
        size = int(file.get("size") or 0)
        if size > self.settings.max_export_bytes:
            yield Skipped(KIND, self.space, path, f"too large ({size} bytes)")
            return
        try:
            text, suffix = self._content(file)
        except DriveError as exc:
            if exc.reason == "exportSizeLimitExceeded":
                yield Skipped(KIND, self.space, path, "too large to export (over 10 MB)")
                return
            if exc.status == 404:
                return  # gone between listing and reading
            raise
        except Unreadable as exc:
            yield Skipped(KIND, self.space, path, str(exc))
            return
        yield self._doc(file, path, text, suffix, stamp)

    def _content(self, file: dict) -> tuple[str, str]:
        files = self.api.service.files()
        mime = file["mimeType"]
        if mime == GOOGLE_DOC:
            try:
                data = self.api.execute(files.export(fileId=file["id"], mimeType="text/markdown"), "files.export")
                return data.decode("utf-8"), ".md"
            except DriveError as exc:
                if exc.status != 400:  # 400: this Drive cannot export Markdown; plain text it can
                    raise
            return self.api.execute(files.export(fileId=file["id"], mimeType="text/plain"), "files.export").decode(
                "utf-8"
            ), ".txt"
        if mime == GOOGLE_SLIDES:
            return self.api.execute(files.export(fileId=file["id"], mimeType="text/plain"), "files.export").decode(
                "utf-8"
            ), ".txt"
        if mime == GOOGLE_SHEET:
            return self.api.execute(files.export(fileId=file["id"], mimeType="text/csv"), "files.export").decode(
                "utf-8"
            ), ".csv"
        data = self.api.execute(files.get_media(fileId=file["id"], supportsAllDrives=True), "files.get_media")
        with library_warnings() as warnings:
            text = extract(data, mime)
        if warnings:
            self.warnings[file["id"]] = warnings
        suffixes = {"text/html": ".html", "text/markdown": ".md", "text/x-markdown": ".md", "text/csv": ".csv"}
        return text, suffixes.get(mime, ".txt")

    def _doc(self, file: dict, path: str, text: str, suffix: str, stamp: str) -> Doc:
        notes: list[str] = []
        warned = self.warnings.pop(file["id"], [])
        if warned:
            notes.append(f"{len(warned)} reader warning(s): " + "; ".join(sorted(set(warned)))[:300])
        if suffix == ".html":
            body, _, headings = html_to_text(text)
        else:
            body = text
            _, headings = title_and_headings(suffix, text)
        created, modified = to_utc(file.get("createdTime")), to_utc(file.get("modifiedTime"))
        if created and modified and modified < created:
            notes.append("modifiedTime is earlier than createdTime (an upload keeps the file's own time)")
        owner, why = _owner(file)
        if why:
            notes.append(why)
        markers = find_banners("", body)
        folders = path.split("/")[:-1]
        for folder in folders:
            if re.match(rf"^({'|'.join(map(re.escape, self.settings.archive_folders))})\b", folder, re.IGNORECASE):
                markers.append(Marker("archived", folder, f"Drive folder {'/'.join(folders)}"))
                break
        return Doc(
            source=KIND,
            space=self.space,
            id=file["id"],
            title=_title(file),
            text=body,
            path=path,
            url=file.get("webViewLink", ""),
            owner=owner,
            last_modified=modified,
            created=created,
            markers=markers,
            headings=headings,
            notes=notes,
            unowned_reason=why.removeprefix("no owner: "),
            permissions=_permissions(file),
            version=stamp,
        )

    def _path(self, file: dict) -> str:
        names, current, seen = [file["name"].replace("/", "-")], (file.get("parents") or [None])[0], set()
        while current and current in self.folders and current not in seen:
            seen.add(current)
            name, parent = self.folders[current]
            names.append(name.replace("/", "-"))
            current = parent
        return "/".join(reversed(names))


def _title(file: dict) -> str:
    """The file's name on one line, without the extension an upload carries."""
    name = " ".join(file["name"].split()) or "Untitled"
    if not file["mimeType"].startswith("application/vnd.google-apps"):
        stem, dot, extension = name.rpartition(".")
        if dot and stem and len(extension) <= 5:
            return stem
    return name


def _owner(file: dict) -> tuple[Owner | None, str]:
    """The owner, else why there is none: shared-drive files have no owners, editors can be anonymous."""
    for person in file.get("owners") or []:
        if person.get("emailAddress"):
            return Owner(person.get("displayName", ""), person["emailAddress"], "Drive owner"), ""
    if "owners" not in file and "lastModifyingUser" not in file:
        return None, "no owner: Drive returned no owner fields for this file"
    editor = file.get("lastModifyingUser") or {}
    if editor.get("emailAddress"):
        return Owner(editor.get("displayName", ""), editor["emailAddress"], "last modifying user (shared drive)"), ""
    return None, "no owner: a shared-drive file whose last editor is anonymous"


def _permissions(file: dict) -> list[str]:
    """Who can read it, as `user:a@x`, `group:g@x`, `domain:x`, `anyone`: kept for redacting digests."""
    found = []
    for permission in file.get("permissions") or []:
        kind = permission.get("type", "")
        who = permission.get("emailAddress") or permission.get("domain") or ""
        found.append(f"{kind}:{who}" if who else kind)
    return sorted(found)


def _only(params: dict, *keys: str) -> dict:
    return {k: v for k, v in params.items() if k in keys}
