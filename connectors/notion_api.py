"""Notion's HTTP side: the real notion-client, paced client-side and retried by one policy that covers
429 (honouring Retry-After), 5xx, 529 and timeouts for every call, POSTs included; errors explained in
one line that names the setting or the permission to fix."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

from docaudit.errors import ApiError, DocauditError
from docaudit.retry import GaveUp, Pacer, retry_after_seconds, transport_problem, with_retries

DEFAULT_BASE_URL = "https://api.notion.com"
API_VERSIONS = ("2022-06-28", "2025-09-03")


PAGE_SIZE = 100


RETRYABLE_STATUS = {429, 500, 502, 503, 504, 529}


@dataclass
class NotionSettings:
    """`[notion]`: where the API is and how hard to lean on it. The token itself lives in `token_env`."""

    token_env: str = "NOTION_TOKEN"
    base_url: str = ""  # default: $NOTION_BASE_URL, else https://api.notion.com
    api_version: str = "2025-09-03"  # or 2022-06-28 (databases instead of data sources): one of API_VERSIONS
    owner_property: str = "Owner"  # a people property naming the owner; else the page's creator
    requests_per_second: float = 3.0  # Notion's documented average limit
    max_retries: int = 5  # per request, for 429, 5xx, 529 and timeouts
    retry_wait_seconds: float = 1.0  # first backoff; doubles with jitter, capped at 30 s
    timeout_seconds: float = 30.0
    max_depth: int = 12  # nested blocks below this are not fetched
    edit_overlap_minutes: int = 2  # Notion rounds edit times to the minute: re-read pages this close to a crawl

    def problems(self) -> Iterator[tuple[str, str]]:
        """(setting, message) for each value the loader should refuse, naming its line."""
        if self.api_version not in API_VERSIONS:
            yield "api_version", f"'notion.api_version' must be one of {', '.join(API_VERSIONS)}"


class NotionError(ApiError):
    """An API answer that retrying will not fix; `status` is the HTTP status."""


class NotionApi:
    """One notion-client per crawl, paced and retried; `calls` counts requests sent."""

    def __init__(self, settings: NotionSettings) -> None:
        from notion_client import Client

        token = os.environ.get(settings.token_env, "").strip()
        if not token:
            raise DocauditError(
                f"Notion: no token: set {settings.token_env} to an integration token "
                "(or name another variable with token_env under [notion])"
            )
        self.settings = settings
        self.base_url = (settings.base_url or os.environ.get("NOTION_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        logger = logging.getLogger("docaudit.notion")
        logger.addHandler(logging.NullHandler())
        logger.propagate = False
        self.client = Client(
            auth=token,
            base_url=self.base_url,
            notion_version=settings.api_version,
            timeout_ms=int(settings.timeout_seconds * 1000),
            retry=False,
            logger=logger,
        )
        self.pacer = Pacer(settings.requests_per_second)
        self.calls = 0

    def close(self) -> None:
        self.client.close()

    def request(self, method: str, path: str, body: dict | None = None, query: dict | None = None) -> dict:
        from notion_client.errors import APIResponseError, HTTPResponseError

        def once() -> dict:
            self.pacer.wait()
            self.calls += 1
            return self.client.request(path=path, method=method, body=body, query=query)

        try:
            return with_retries(
                once,
                retryable=_retryable,
                retry_after=_retry_after,
                max_retries=self.settings.max_retries,
                first_wait=self.settings.retry_wait_seconds,
            )
        except GaveUp as exc:
            status = getattr(exc.last, "status", None)
            what = f"{status} {_code(exc.last)}" if status else transport_problem(exc.last)
            raise NotionError(exc.crawl_line(f"Notion: {method} /v1/{path}", what), status) from None
        except (APIResponseError, HTTPResponseError) as exc:
            raise self._explain(method, path, exc.status, _code(exc), exc) from None

    def _explain(self, method: str, path: str, status: int | None, code: str, exc: Exception) -> NotionError:
        if status in (401, 403):
            return NotionError(
                f"Notion: {status} {code}: set {self.settings.token_env} to a valid "
                "integration token, and share the pages with that integration",
                status,
            )
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return NotionError(f"Notion: {method} /v1/{path}: {status} {code}: {message}", status)

    def paginate(self, method: str, path: str, body: dict | None = None) -> Iterator[dict]:
        cursor = None
        while True:
            if method == "GET":
                query = {"page_size": PAGE_SIZE, **({"start_cursor": cursor} if cursor else {})}
                page = self.request(method, path, query=query)
            else:
                page = self.request(
                    method,
                    path,
                    body={**(body or {}), "page_size": PAGE_SIZE, **({"start_cursor": cursor} if cursor else {})},
                )
            yield from page.get("results", [])
            cursor = page.get("next_cursor")
            if not page.get("has_more") or not cursor:
                return


def _retryable(exc: BaseException) -> bool:
    import httpx
    from notion_client.errors import RequestTimeoutError

    return (
        isinstance(exc, (RequestTimeoutError, httpx.TransportError)) or getattr(exc, "status", None) in RETRYABLE_STATUS
    )


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(exc, "headers", None)
    return retry_after_seconds(headers.get("retry-after")) if headers is not None else None


def _code(exc: BaseException) -> str:
    code = getattr(exc, "code", "")
    return str(getattr(code, "value", code))  # an enum member or a plain string
