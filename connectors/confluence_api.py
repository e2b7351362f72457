"""Confluence's HTTP side and its page records: Cloud's REST v2 (`/api/v2`) and the v1 REST API
(`/rest/api`, the one Data Center has), over httpx, paced and retried by docaudit's one policy (429
with Retry-After, 5xx, timeouts). Errors come out as one line naming the setting or variable to fix;
the token never appears in one. Payloads are read defensively: a field of the wrong type is absent.

httpx rather than atlassian-python-api: that client is built around v1, retries on its own terms
and would add requests and oauthlib for what is a handful of GETs here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from docaudit.errors import ApiError, DocauditError
from docaudit.retry import GaveUp, Pacer, RetryableAnswer, http_with_retries, transport_problem

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
API_FLAVOURS = ("auto", "v2", "v1")


@dataclass
class ConfluenceSettings:
    """`[confluence]`: which site, whose credentials, how hard to lean on it. The token lives in `token_env`."""

    base_url: str = ""  # https://acme.atlassian.net/wiki, or a Data Center base URL; default $CONFLUENCE_BASE_URL
    email: str = ""  # Cloud: the account the API token belongs to (Basic auth); default $CONFLUENCE_EMAIL
    token_env: str = "CONFLUENCE_API_TOKEN"  # with no email: a personal access token or OAuth token, sent as Bearer
    api: str = "auto"  # auto (v2 where the site has it, else v1) | v2 (Cloud) | v1 (Data Center)
    # Labels that mark a page deprecated ("archived" marks it archived); [markers] deprecated_values count too.
    deprecated_labels: list[str] = field(default_factory=lambda: ["deprecated", "obsolete", "archived", "outdated"])
    requests_per_second: float = 10.0
    max_retries: int = 5  # per request, for 429, 5xx and timeouts
    retry_wait_seconds: float = 1.0  # first backoff; doubles with jitter, capped at 30 s
    timeout_seconds: float = 30.0


@dataclass
class Page:
    """One page as both APIs describe it; `body` is filled in when it is fetched."""

    id: str
    title: str
    status: str
    parent: str
    created: str | None
    modified: str | None
    number: int
    owner: Any  # an account id (v2) or a user object (v1)
    creator: Any
    editor: Any
    webui: str
    body: str | None
    labels: list[str] = field(default_factory=list)
    space_key: str = ""


def page_from_v2(raw: Any) -> Page | None:
    """A v2 page; None for an entry with no id."""
    raw = _dict(raw)
    version = _dict(raw.get("version"))
    parent = raw.get("parentId") if raw.get("parentType", "page") == "page" else None
    if not _text(raw.get("id")):
        return None
    return Page(
        id=_text(raw.get("id")),
        title=_text(raw.get("title")),
        status=_text(raw.get("status")) or "current",
        parent=_text(parent),
        created=_text(raw.get("createdAt")) or None,
        modified=_text(version.get("createdAt")) or _text(raw.get("createdAt")) or None,
        number=_int(version.get("number")),
        owner=_text(raw.get("ownerId")),
        creator=_text(raw.get("authorId")),
        editor=_text(version.get("authorId")),
        webui=_text(_dict(raw.get("_links")).get("webui")),
        body=None,
    )


def page_from_v1(raw: Any) -> Page | None:
    """A v1 content entry; None for one with no id."""
    raw = _dict(raw)
    version, history = _dict(raw.get("version")), _dict(raw.get("history"))
    ancestors = (
        [a for a in raw.get("ancestors") or [] if isinstance(a, dict)] if isinstance(raw.get("ancestors"), list) else []
    )
    if not _text(raw.get("id")):
        return None
    creator = _dict(history.get("createdBy"))
    return Page(
        id=_text(raw.get("id")),
        title=_text(raw.get("title")),
        status=_text(raw.get("status")) or "current",
        parent=_text(ancestors[-1].get("id")) if ancestors else "",
        created=_text(history.get("createdDate")) or None,
        modified=_text(version.get("when")) or _text(history.get("createdDate")) or None,
        number=_int(version.get("number")),
        owner=creator,
        creator=creator,
        editor=_dict(version.get("by")),
        webui=_text(_dict(raw.get("_links")).get("webui")),
        body=None,
    )


def storage_of(raw: Any) -> str | None:
    value = _dict(_dict(_dict(raw).get("body")).get("storage")).get("value")
    return value if isinstance(value, str) else None


def user_id(user: dict) -> str:
    return _text(user.get("accountId") or user.get("userKey") or user.get("username"))


def results_of(answer: dict) -> list[dict]:
    """A list answer's entries; anything that is not an object is not an entry."""
    results = answer.get("results")
    return [entry for entry in results if isinstance(entry, dict)] if isinstance(results, list) else []


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """A string or number field as text; anything else (a list, an object, null) as absent."""
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0


class ConfluenceError(ApiError):
    """An answer that retrying will not fix; `status` is the HTTP status."""


class ConfluenceApi:
    """One httpx client per crawl; `calls` counts requests sent, retries included."""

    def __init__(self, settings: ConfluenceSettings) -> None:
        if settings.api not in API_FLAVOURS:
            raise DocauditError(f"Confluence: api = '{settings.api}' under [confluence]: use auto, v2 or v1")
        base = (settings.base_url or os.environ.get("CONFLUENCE_BASE_URL", "")).strip().rstrip("/")
        if not base:
            raise DocauditError(
                "Confluence: no site: set base_url under [confluence] (e.g. https://acme.atlassian.net/wiki) "
                "or CONFLUENCE_BASE_URL"
            )
        token = os.environ.get(settings.token_env, "").strip()
        if not token:
            raise DocauditError(
                f"Confluence: no token: set {settings.token_env} to an API token (with email under [confluence] "
                "or CONFLUENCE_EMAIL) or a personal access token (or name another variable with token_env)"
            )
        self.settings = settings
        self.base = base + "/"
        self.email = (settings.email or os.environ.get("CONFLUENCE_EMAIL", "")).strip()
        auth = httpx.BasicAuth(self.email, token) if self.email else None
        headers = {"Accept": "application/json"}
        if not self.email:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.Client(auth=auth, headers=headers, timeout=settings.timeout_seconds)
        self.pacer = Pacer(settings.requests_per_second)
        self.calls = 0
        self.next_link = ""  # the Link header's rel="next" of the last answer, when it had one
        self.web_base = ""  # the site's address for people (`_links.base`): behind a gateway it is not `base`

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, params: dict | list | None = None, *, missing_ok: bool = False) -> dict | None:
        """GET a path under the base URL."""
        url = urljoin(self.base, path.lstrip("/"))

        def once() -> httpx.Response:
            self.pacer.wait()
            self.calls += 1
            return self.client.get(url, params=params)

        shown = urlsplit(url).path
        try:
            response = http_with_retries(
                once,
                retry_status=RETRYABLE_STATUS.__contains__,
                max_retries=self.settings.max_retries,
                first_wait=self.settings.retry_wait_seconds,
            )
        except GaveUp as exc:
            last = exc.last
            status = last.response.status_code if isinstance(last, RetryableAnswer) else None
            what = str(status) if status else transport_problem(last)
            raise ConfluenceError(exc.crawl_line(f"Confluence: GET {shown}", what), status) from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise self._explain(shown, response)
        self.next_link = response.links.get("next", {}).get("url", "")
        try:
            body = response.json()
        except ValueError:
            raise ConfluenceError(f"Confluence: GET {shown}: the answer is not JSON (is base_url right?)") from None
        if not isinstance(body, dict):
            raise ConfluenceError(f"Confluence: GET {shown}: the answer is not a JSON object (is base_url right?)")
        if not self.web_base:
            self.web_base = _text(_dict(body.get("_links")).get("base")).rstrip("/")
        return body

    def cursor_walk(self, path: str, params: dict, first: dict | None = None) -> Iterator[dict]:
        """v2 lists: follow `_links.next` (or the `Link` header's next) until there is none. `first`:
        the first page, when the caller already has it."""
        page = first if first is not None else self.get(path, params) or {}
        followed: set[str] = set()
        while True:
            yield from results_of(page)
            following = _under_base(_dict(page.get("_links")).get("next") or self.next_link)
            if not following or following in followed:
                return
            followed.add(following)
            page = self.get(following) or {}

    def search_walk(self, params: dict) -> Iterator[dict]:
        """v1 CQL search: follow `_links.next` (a cursor on Cloud, an offset on Data Center)."""
        page = self.get("rest/api/content/search", params) or {}
        followed: set[str] = set()
        while True:
            yield from results_of(page)
            following = _under_base(_dict(page.get("_links")).get("next") or "")
            if not following or following in followed:
                return
            followed.add(following)
            page = self.get(following) or {}

    def offset_walk(self, path: str, params: dict) -> Iterator[dict]:
        """v1 lists: `start`/`limit`; `_links.next` says whether there is more (relative to the base URL)."""
        start = 0
        while True:
            page = self.get(path, {**params, "start": start}) or {}
            results = listed if isinstance(listed := page.get("results"), list) else []
            yield from (entry for entry in results if isinstance(entry, dict))
            if not _dict(page.get("_links")).get("next") or not results:
                return
            start += len(results)

    def _explain(self, path: str, response: httpx.Response) -> ConfluenceError:
        status = response.status_code
        if status == 401:
            who = (
                f"the API token in {self.settings.token_env} for {self.email}"
                if self.email
                else f"the personal access token in {self.settings.token_env} (for Cloud, also set email under "
                "[confluence] or CONFLUENCE_EMAIL)"
            )
            return ConfluenceError(f"Confluence: 401 on GET {path}: {who} was not accepted", status)
        if status == 403:
            return ConfluenceError(
                f"Confluence: 403 on GET {path}: the account behind {self.settings.token_env} may not read this; "
                "grant it the space's View permission",
                status,
            )
        return ConfluenceError(f"Confluence: GET {path}: {status} {_message(response)}", status)


def _under_base(link: str) -> str:
    """A next link as a path under the base URL, from its `api/v2/` or `rest/api/` on: Cloud writes
    v2 links from the site root (`/wiki/api/v2/...`) and v1 links from the base; through a gateway
    (api.atlassian.com/ex/confluence/<cloud id>/wiki) neither root is ours. A link that names
    neither API is not followed, so no link can take the credentials to another host."""
    for api in ("api/v2/", "rest/api/"):
        at = link.find(api)
        if at >= 0:
            return link[at:]
    return ""


def _message(response: httpx.Response) -> str:
    """The first line of the error the API gave (v2: errors[].title; v1: message), else the reason."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            text = str(errors[0].get("title") or errors[0].get("detail") or "")
        else:
            text = str(body.get("message") or "")
        if text:
            return text.splitlines()[0][:200]
    return response.reason_phrase
