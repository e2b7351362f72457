"""Drive's HTTP side: google-api-python-client with its bundled discovery document, credentials from a
service-account or authorized-user file, and one retry policy (`docaudit.retry`) for what Drive calls
retryable (429, 5xx, 403 rate limits) and timeouts."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from docaudit.errors import DocauditError
from docaudit.retry import GaveUp, retry_after_seconds, with_retries

SCOPES = ["https://www.googleapis.com/auth/drive.readonly"]


RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}


@dataclass
class DriveSettings:
    """`[gdrive]`: which credentials, which part of Drive, how to read it. No secret is a setting."""

    # A service-account JSON or an authorized-user token file; default $GOOGLE_APPLICATION_CREDENTIALS.
    credentials: str = ""
    subject: str = ""  # a user the service account acts for (domain-wide delegation)
    api_endpoint: str = ""  # default: $GDRIVE_API_ENDPOINT, else Google's
    folders: list[str] = field(default_factory=list)  # folder ids to crawl, recursively; empty: everything visible
    drive_id: str = ""  # one shared drive only
    shared_drives: bool = True  # with no drive_id or folders: include every shared drive the account can see
    export_sheets: bool = False  # Sheets as CSV
    max_export_bytes: int = 10_000_000  # Drive refuses to export more; uploads larger than this are skipped too
    archive_folders: list[str] = field(default_factory=lambda: ["archive", "archived", "old", "deprecated", "obsolete"])
    max_retries: int = 5
    retry_wait_seconds: float = 1.0
    timeout_seconds: float = 60.0


class DriveError(DocauditError):
    def __init__(self, message: str, status: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class DriveApi:
    """The Drive v3 service on one authorized connection, with every call retried the same way."""

    def __init__(self, settings: DriveSettings) -> None:
        # The client logs each HTTP error it hands back ("Encountered 403 Forbidden ..."); docaudit reports
        # what matters in its own words, so those lines stay off the user's terminal.
        for name in ("googleapiclient.http", "googleapiclient.discovery_cache", "google.auth"):
            logging.getLogger(name).setLevel(logging.ERROR)
        import google_auth_httplib2
        import httplib2
        from googleapiclient.discovery import build

        self.settings = settings
        credentials = _credentials(settings)
        http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=settings.timeout_seconds))
        endpoint = settings.api_endpoint or os.environ.get("GDRIVE_API_ENDPOINT", "")
        self.service = build(
            "drive",
            "v3",
            http=http,
            client_options={"api_endpoint": endpoint} if endpoint else None,
            static_discovery=True,
            cache_discovery=False,
        )
        self.calls = 0

    def execute(self, request: Any, what: str) -> Any:
        from googleapiclient.errors import HttpError

        def once() -> Any:
            self.calls += 1
            return request.execute()

        try:
            return with_retries(
                once,
                retryable=_retryable,
                retry_after=_retry_after,
                max_retries=self.settings.max_retries,
                first_wait=self.settings.retry_wait_seconds,
            )
        except GaveUp as exc:
            status = _status(exc.last)
            problem = f"{status} {_reason(exc.last)}".strip() if status else type(exc.last).__name__
            raise DriveError(exc.crawl_line(f"Google Drive: {what}", problem), status) from None
        except HttpError as exc:
            status, reason = _status(exc), _reason(exc)
            if status == 401:
                raise DriveError(f"Google Drive: 401 {reason}: {_CREDENTIALS_HELP}", status, reason) from None
            raise DriveError(f"Google Drive: {what}: {status} {reason}", status, reason) from None
        except Exception as exc:
            from google.auth.exceptions import RefreshError, TransportError

            if isinstance(exc, (RefreshError, TransportError)):
                detail = exc.args[0] if exc.args and isinstance(exc.args[0], str) else type(exc).__name__
                raise DriveError(
                    f"Google Drive: the credentials were refused ({detail[:80]}): {_CREDENTIALS_HELP}"
                ) from None
            raise

    def pages(self, method: Any, what: str, key: str, **params: Any) -> Iterator[dict]:
        """Every item of a paginated list, to the end (the last page may be empty)."""
        token = None
        while True:
            page = self.execute(method(**params, **({"pageToken": token} if token else {})), what)
            yield from page.get(key, [])
            token = page.get("nextPageToken")
            if not token:
                return


_CREDENTIALS_HELP = (
    "set GOOGLE_APPLICATION_CREDENTIALS (or credentials under [gdrive]) to a service-account JSON "
    "or an OAuth authorized-user token file"
)


def _credentials(settings: DriveSettings) -> Any:
    path = settings.credentials or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if not path:
        raise DocauditError(f"Google Drive: no credentials: {_CREDENTIALS_HELP}")
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problem = "not found" if isinstance(exc, FileNotFoundError) else "not readable JSON"
        raise DocauditError(f"Google Drive: credentials file {path} is {problem}: {_CREDENTIALS_HELP}") from None
    try:
        if isinstance(info, dict) and info.get("type") == "service_account":
            from google.oauth2 import service_account

            return service_account.Credentials.from_service_account_info(
                info, scopes=SCOPES, subject=settings.subject or None
            )
        if (
            isinstance(info, dict)
            and info.get("type", "authorized_user") == "authorized_user"
            and "refresh_token" in info
        ):
            from google.oauth2.credentials import Credentials

            return Credentials.from_authorized_user_info(info, scopes=SCOPES)
    except (ValueError, KeyError) as exc:
        missing = str(exc).split("\n")[0][:80]
        raise DocauditError(
            f"Google Drive: credentials file {path} is incomplete ({missing}): {_CREDENTIALS_HELP}"
        ) from None
    raise DocauditError(f"Google Drive: credentials file {path} is neither kind: {_CREDENTIALS_HELP}")


def _status(exc: BaseException) -> int | None:
    resp = getattr(exc, "resp", None)
    return int(resp.status) if resp is not None else None


def _reason(exc: BaseException) -> str:
    try:
        error = json.loads(exc.content.decode("utf-8"))["error"]  # type: ignore[attr-defined]
        return (error.get("errors") or [{}])[0].get("reason") or error.get("status", "")
    except (AttributeError, ValueError, KeyError, TypeError):
        return ""


def _retryable(exc: BaseException) -> bool:
    status = _status(exc)
    if status is not None:
        return status == 429 or status >= 500 or (status == 403 and _reason(exc) in RATE_LIMIT_REASONS)
    return isinstance(exc, (TimeoutError, ConnectionError))


def _retry_after(exc: BaseException) -> float | None:
    resp = getattr(exc, "resp", None)
    return retry_after_seconds(resp.get("retry-after")) if resp is not None else None
