"""An OpenAI-compatible embeddings endpoint (`POST {base_url}/embeddings`: OpenAI, Azure OpenAI's v1 API,
TEI, vLLM, Ollama, infinity) as the embedding of docaudit's index and probes.

The key is read from the environment variable the config names, sent in one header and never written
anywhere: errors name the variable, never its value, and the index records the endpoint without it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from docaudit.errors import DocauditError
from docaudit.retry import GaveUp, retry_after_seconds, with_retries

if TYPE_CHECKING:
    import numpy as np

    from docaudit.config import RetrievalSettings

MAX_INPUTS = 2048  # the most inputs one request may carry (OpenAI's reference)


class _Retryable(Exception):
    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


class EndpointEmbedder:
    """Embeds through an OpenAI-compatible `/embeddings` endpoint, in batches, retrying 429, 5xx and
    timeouts with backoff (the server's Retry-After when it gives one)."""

    def __init__(self, settings: RetrievalSettings) -> None:
        if not settings.model:
            raise DocauditError("[retrieval] base_url is set but model is not: name the endpoint's embedding model")
        self.settings = settings
        # Azure's classic endpoints carry `?api-version=...`: the path grows, the query stays.
        parts = urlsplit(settings.base_url)
        self.url = urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/embeddings"))
        # What built the index: the endpoint without credentials or query, and the model.
        self.name = f"{_public(settings.base_url)}#{settings.model}"
        self.batch_size = max(1, min(settings.batch_size, MAX_INPUTS))
        self._client: Any = None

    def _key(self) -> str:
        env = self.settings.api_key_env
        if not env:
            return ""
        key = os.environ.get(env, "")
        if not key:
            raise DocauditError(f"[retrieval] api_key_env names {env}, which is not set: export {env}=<your key>")
        return key

    def _headers(self) -> dict[str, str]:
        key = self._key()
        if not key:
            return {}
        header = self.settings.api_key_header
        return {header: key if header.lower() != "authorization" else f"Bearer {key}"}

    def encode(self, texts: list[str], batch_size: int | None = None) -> np.ndarray:
        import numpy as np

        size = max(1, min(batch_size or self.batch_size, MAX_INPUTS))
        rows: list[list[float]] = []
        for start in range(0, len(texts), size):
            rows.extend(self._batch(texts[start : start + size]))
        vectors = np.asarray(rows, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1.0, norms)  # cosine space, whatever the service returns

    def _batch(self, texts: list[str]) -> list[list[float]]:
        import httpx

        if self._client is None:
            self._client = httpx.Client(timeout=self.settings.timeout_seconds)
        # An empty string is refused by the API; a space embeds as nothing in particular.
        inputs = [t if t.strip() else " " for t in texts]
        body = {"model": self.settings.model, "input": inputs, "encoding_format": "float"}
        headers = self._headers()

        def call() -> list[list[float]]:
            try:
                response = self._client.post(self.url, json=body, headers=headers)
            except httpx.TimeoutException:
                raise _Retryable("timed out") from None
            except httpx.TransportError as exc:
                raise _Retryable(type(exc).__name__) from None
            self._check(response, headers)
            return _vectors(response, len(texts), self.settings.base_url)

        try:
            return with_retries(
                call,
                retryable=lambda exc: isinstance(exc, _Retryable),
                retry_after=lambda exc: getattr(exc, "retry_after", None),
                max_retries=self.settings.max_retries,
                first_wait=self.settings.retry_wait_seconds,
            )
        except GaveUp as exc:
            raise DocauditError(
                f"embeddings endpoint {_public(self.settings.base_url)}: {exc.last} after {exc.attempts} attempts"
            ) from None

    def _check(self, response: Any, headers: dict[str, str]) -> None:
        """Retryable statuses raise _Retryable; a refused key or another error, one line without the key."""
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Retryable(f"HTTP {status}", retry_after_seconds(response.headers.get("retry-after")))
        where = _public(self.settings.base_url)
        if status in (401, 403):
            env = self.settings.api_key_env or "api_key_env"
            raise DocauditError(
                f"embeddings endpoint {where} refused the key (HTTP {status}): check the variable {env} names"
            )
        if status != 200:
            said = _message(response)
            for secret in {*headers.values(), self._key()}:
                if secret:  # a server may quote what it was sent
                    said = said.replace(secret, "***").replace(secret.removeprefix("Bearer "), "***")
            raise DocauditError(f"embeddings endpoint {where} answered HTTP {status}: {said}")


def _vectors(response: Any, expected: int, base_url: str) -> list[list[float]]:
    try:
        data = sorted(response.json()["data"], key=lambda row: row["index"])
        vectors = [list(map(float, row["embedding"])) for row in data]
    except (ValueError, KeyError, TypeError):
        raise DocauditError(
            f"embeddings endpoint {_public(base_url)} answered something other than embeddings"
        ) from None
    if len(vectors) != expected:
        raise DocauditError(
            f"embeddings endpoint {_public(base_url)} returned {len(vectors)} vectors for {expected} texts"
        )
    return vectors


def _message(response: Any) -> str:
    try:
        error = response.json().get("error")
        text = error.get("message") if isinstance(error, dict) else str(error or "")
    except (ValueError, AttributeError):
        text = response.text
    return " ".join(str(text).split())[:200] or "no message"


def _public(url: str) -> str:
    """The URL without user, password, query or fragment: what may be printed and recorded."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
