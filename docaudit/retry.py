"""One retry policy for every API connector: bounded attempts, jittered exponential backoff,
and the server's Retry-After when it gives one (tenacity does the looping)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

T = TypeVar("T")
MAX_WAIT_SECONDS = 60.0  # a Retry-After longer than this is a cap, not a plan


def _sleep(seconds: float) -> None:
    """Every wait goes through here, so tests can see which waits were chosen without taking them."""
    time.sleep(seconds)


class GaveUp(Exception):
    """Every attempt failed with a retryable error; `last` is the final one."""

    def __init__(self, last: BaseException, attempts: int) -> None:
        super().__init__(str(last))
        self.last = last
        self.attempts = attempts

    def crawl_line(self, subject: str, problem: str) -> str:
        """One line for a crawl's API call that gave up: what, how often, why, and that a rerun resumes."""
        return (
            f"{subject} failed after {self.attempts} attempts ({problem}); "
            "run the crawl again to pick up where it stopped"
        )


def with_retries(
    call: Callable[[], T],
    *,
    retryable: Callable[[BaseException], bool],
    retry_after: Callable[[BaseException], float | None],
    max_retries: int,
    first_wait: float,
) -> T:
    """`call()`, again after a retryable error, at most `max_retries` more times; then `GaveUp`.

    Errors that are not retryable propagate at once, unchanged.
    """
    jitter = wait_random_exponential(multiplier=first_wait, max=30.0)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        hinted = retry_after(error) if error is not None else None
        return min(hinted, MAX_WAIT_SECONDS) if hinted is not None else jitter(state)

    retrying = Retrying(
        stop=stop_after_attempt(max_retries + 1),
        retry=retry_if_exception(retryable),
        wait=wait,
        sleep=_sleep,
        reraise=True,
    )
    try:
        return retrying(call)
    except Exception as exc:
        if retryable(exc):
            raise GaveUp(exc, retrying.statistics.get("attempt_number", max_retries + 1)) from None
        raise


class RetryableAnswer(Exception):
    """An HTTP answer worth asking again (429, 5xx); `response` is that answer."""

    def __init__(self, response: Any) -> None:
        super().__init__(str(response.status_code))
        self.response = response


def http_with_retries(
    send: Callable[[], Any], *, retry_status: Callable[[int], bool], max_retries: int, first_wait: float
) -> Any:
    """`send()` (an httpx request), again on a status `retry_status` accepts (after its Retry-After) or on
    a transport error (httpx's timeouts and dropped connections); then `GaveUp`, whose `last` is a
    `RetryableAnswer` or the transport error. Any other answer is returned for the caller to judge."""
    import httpx

    def once() -> Any:
        response = send()
        if retry_status(response.status_code):
            raise RetryableAnswer(response)
        return response

    return with_retries(
        once,
        retryable=lambda exc: isinstance(exc, (RetryableAnswer, httpx.TransportError)),
        retry_after=lambda exc: (
            retry_after_seconds(exc.response.headers.get("retry-after")) if isinstance(exc, RetryableAnswer) else None
        ),
        max_retries=max_retries,
        first_wait=first_wait,
    )


class Pacer:
    """At most `per_second` calls on average (0: no limit), kept client-side before a service has to say 429."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._last: float | None = None
        self._clock, self._sleep = clock, sleep

    def wait(self) -> None:
        if self.interval:
            if self._last is not None:
                wait = self._last + self.interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last = self._clock()


def transport_problem(exc: BaseException) -> str:
    """A connection-level failure in a few words (httpx's and httplib2's exception names alike)."""
    name = type(exc).__name__
    if "Timeout" in name:
        return "timed out"
    if "Connect" in name:
        return "could not connect"
    return f"connection failed: {name}"


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds (the HTTP-date form counts from now)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime
        from time import time

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time())
        except (TypeError, ValueError):
            return None
