"""The one retry policy of the API connectors, with the waits it chooses recorded instead of slept."""

from __future__ import annotations

import pytest

from docaudit.retry import MAX_WAIT_SECONDS, GaveUp, Pacer, retry_after_seconds, with_retries


class Flaky(Exception):
    def __init__(self, retry_after: str | None = None) -> None:
        super().__init__("flaky")
        self.retry_after = retry_after


def policy(call, max_retries=3):
    return with_retries(
        call,
        retryable=lambda exc: isinstance(exc, Flaky),
        retry_after=lambda exc: retry_after_seconds(getattr(exc, "retry_after", None)),
        max_retries=max_retries,
        first_wait=0.5,
    )


def failing(*errors):
    calls = []

    def call():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return "done"

    return call, calls


def test_retry_after_is_the_wait_and_a_long_one_is_capped(waits):
    call, calls = failing(Flaky("7"), Flaky("3600"), Flaky())
    assert policy(call) == "done" and len(calls) == 4
    assert waits[:2] == [7.0, MAX_WAIT_SECONDS]
    assert 0 <= waits[2] <= 0.5 * 2**2  # no hint: jittered exponential backoff


def test_gives_up_after_the_bound_and_says_how_many_attempts(waits):
    call, calls = failing(*[Flaky()] * 10)
    with pytest.raises(GaveUp) as error:
        policy(call, max_retries=2)
    assert (error.value.attempts, len(calls), len(waits)) == (3, 3, 2)
    assert isinstance(error.value.last, Flaky)


def test_an_error_that_is_not_retryable_propagates_at_once(waits):
    call, calls = failing(ValueError("bad request"))
    with pytest.raises(ValueError):
        policy(call)
    assert (len(calls), waits) == (1, [])


def test_retry_after_forms():
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("") is None and retry_after_seconds("soon") is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # an HTTP date in the past: go now


def test_the_pacer_spaces_calls_by_its_interval_on_an_injected_clock():
    """Three a second: a burst of calls waits a third of a second between each; calls already that far
    apart wait nothing; 0 means no limit."""
    now, slept = [100.0], []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    pacer = Pacer(3.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        pacer.wait()
    assert slept == [0.333333, 0.333333, 0.333333]  # the first call goes at once
    now[0] += 0.2  # a call 0.2 s after the last waits the rest of the interval
    pacer.wait()
    now[0] += 5.0
    pacer.wait()
    assert slept[3:] == [0.133333]
    free = Pacer(0, clock=lambda: now[0], sleep=sleep)
    free.wait(), free.wait()
    assert len(slept) == 4
