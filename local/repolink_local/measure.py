"""Instruments the tests and the bench scripts share to measure a workflow on the local engine.

- :class:`PausingClock` holds the workflow in a Wait state once given amounts of virtual time have
  passed, so that GET is asked of an onboarding still waiting (after 30 hours, after 72).
- :func:`counted` counts the Step Functions calls of the API function's client, and the events and
  bytes they answered: what a GET reads of a long history; :func:`get_counted` asks one GET so.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from repolink_local.patches import VirtualClock

if TYPE_CHECKING:
    from repolink_local.engine import LocalEngine

HOUR = 3600


class PausingClock(VirtualClock):
    """The virtual clock, holding the workflow in a Wait state once each of ``pauses`` (seconds
    waited) is reached, until :meth:`resume`: GET is asked of an onboarding still waiting."""

    def __init__(self, *pauses: float) -> None:
        super().__init__()
        self._started = self.now()
        self._pauses = sorted(pauses)
        self.paused = threading.Event()
        self._resumed = threading.Event()
        self._closed = False

    def wait(self, seconds: float) -> None:
        super().wait(seconds)
        if self._pauses and self.now() - self._started >= self._pauses[0] and not self._closed:
            self._pauses.pop(0)
            self._resumed.clear()
            self.paused.set()
            self._resumed.wait(timeout=300)

    def reached(self) -> float:
        """Block until the workflow pauses; the hours waited so far."""
        assert self.paused.wait(timeout=240), "the workflow never reached the pause"
        self.paused.clear()
        return (self.now() - self._started) / HOUR

    def resume(self, *, for_good: bool = False) -> None:
        self._closed = self._closed or for_good
        self._resumed.set()


class HistoryReads:
    """Every GetExecutionHistory call the API function's client makes, and the bytes answered."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.bytes = 0
        #: events answered with their data, and without
        self.with_data = self.without_data = 0
        self.requests: list[dict[str, Any]] = []

    def before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.requests.append(dict(params))

    def after(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        self.bytes += len(http_response.content)
        if model.name == "GetExecutionHistory":
            counted = len(parsed.get("events", []))
            if self.requests[-1].get("includeExecutionData", True):
                self.with_data += counted
            else:
                self.without_data += counted


@contextmanager
def counted() -> Iterator[HistoryReads]:
    from repolink.adapters.aws import client

    reads = HistoryReads()
    events = client("stepfunctions").meta.events
    events.register("provide-client-params.sfn.GetExecutionHistory", reads.before)
    events.register("after-call.sfn", reads.after)
    try:
        yield reads
    finally:
        events.unregister("provide-client-params.sfn.GetExecutionHistory", reads.before)
        events.unregister("after-call.sfn", reads.after)


def get_counted(engine: LocalEngine, request_id: str) -> tuple[dict[str, Any], HistoryReads]:
    """``GET /links/{request_id}``'s answer, which must be a 200, and the reads it made."""
    with counted() as reads:
        code, _, answer = engine.api("GET", f"/links/{request_id}")
    assert code == 200, answer
    return answer, reads
