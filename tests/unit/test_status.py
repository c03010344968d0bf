"""``link_status`` reads a bounded part of the history, whatever its length (issue 12, item 3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repolink.workflow import history as get_status
from repolink.workflow.history import link_status

pytestmark = pytest.mark.unit

#: the pending connection of the sample task payload, as NotifyPendingHandshake is given it
CONNECTION = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "notify_pending_handshake.json").read_text()
)["connection"]
CODEARTIFACT = {
    "status": "succeeded",
    "domain": "acme",
    "domainArn": "arn:aws:codeartifact:us-east-1:123456789012:domain/acme",
    "repositories": [{"name": "r", "arn": "arn:aws:codeartifact:us-east-1:123456789012:repository/acme/r"}],
}
REQUEST = {"connection": {}, "proton": {"repositories": [{}]}, "codeartifact": {}}


class History:
    """A history answered as GetExecutionHistory does: pages, either order, with or without data."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = [e | {"id": n} for n, e in enumerate(events, start=1)]
        self.calls: list[tuple[bool, bool, int]] = []
        self.read_with_data = 0

    def __call__(
        self, *, newest_first: bool, with_data: bool, page_size: int
    ) -> Iterator[list[dict[str, Any]]]:
        ordered = list(reversed(self.events)) if newest_first else self.events
        for start in range(0, len(ordered), page_size):
            self.calls.append((newest_first, with_data, page_size))
            page = ordered[start : start + page_size]
            if with_data:
                self.read_with_data += len(page)
            else:
                page = [
                    {
                        k: {x: y for x, y in v.items() if x not in ("input", "output")}
                        if isinstance(v, dict)
                        else v
                        for k, v in e.items()
                    }
                    for e in page
                ]
            yield page


def entered(name: str, state: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "StateEntered",
        "stateEnteredEventDetails": {"name": name, "input": json.dumps(state or {})},
    }


def exited(name: str, state: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "StateExited",
        "stateExitedEventDetails": {"name": name, "output": json.dumps(state or {})},
    }


def waiting(checks: int, *, codeartifact_after: int = 1, nested: bool = True) -> list[dict[str, Any]]:
    """A pending onboarding after ``checks`` handshake checks (9 events each); its branches keep
    their results under ``result`` (``nested``), as the workflow does, or at the top, as it did."""

    def state(results: dict[str, Any]) -> dict[str, Any]:
        return {"requestId": "rl-x", "request": REQUEST} | ({"result": results} if nested else results)

    events = [
        {"type": "ExecutionStarted", "executionStartedEventDetails": {"input": "{}"}},
        entered(get_status.PARALLEL),
        entered("Create or reuse the connection"),
        exited("Create or reuse the connection", state({"handshake": {"connection": CONNECTION}})),
        entered(get_status.CODEARTIFACT_STEP),
    ]
    for n in range(checks):
        if n == codeartifact_after:
            provisioned = state({"codeartifact": {"result": CODEARTIFACT}})
            events.append(exited(get_status.CODEARTIFACT_STEP, provisioned))
        events += [
            entered("Wait before checking the handshake"),
            exited("Wait before checking the handshake"),
            entered("Check the handshake"),
            {"type": "TaskScheduled"},
            {"type": "TaskStarted"},
            {"type": "TaskSucceeded"},
            exited("Check the handshake", state({"handshake": {"connection": CONNECTION | {"attempt": n}}})),
            entered("Is the handshake complete?"),
            exited("Is the handshake complete?"),
        ]
    return [*events, entered("Wait before checking the handshake")]


def running() -> dict[str, Any]:
    return {"status": "RUNNING", "input": json.dumps({"request": REQUEST})}


@pytest.mark.parametrize("nested", [True, False])
@pytest.mark.parametrize("checks", [10, 400, 5_000])
def test_a_pending_onboarding_is_read_in_the_same_few_calls_however_long_it_waited(
    checks: int, nested: bool
) -> None:
    history = History(waiting(checks, nested=nested))
    answer = link_status("rl-x", running(), history)
    assert answer.status == "running" and answer.step == "Wait before checking the handshake"
    assert answer.connection_status == "PENDING" and answer.console_url == CONNECTION["consoleUrl"]
    assert sorted(r.type for r in answer.resources) == [
        "codeartifact:domain",
        "codeartifact:repository",
        "codeconnections:connection",
    ]
    # one newest page with data, one oldest page without, the events up to CodeArtifact's exit
    assert history.calls == [
        (True, True, get_status.NEWEST_PAGE),
        (False, False, get_status.LOCATE_PAGE),
        (False, True, 15),
    ]
    assert history.read_with_data == get_status.NEWEST_PAGE + 15


def test_codeartifact_ending_late_is_not_read_while_running() -> None:
    # its exit beyond the oldest OLDEST_EVENTS: listed once the onboarding ends, not read now
    history = History(waiting(400, codeartifact_after=20))
    answer = link_status("rl-x", running(), history)
    assert [r.type for r in answer.resources] == ["codeconnections:connection"]
    assert history.read_with_data == get_status.NEWEST_PAGE


def test_a_failed_onboarding_is_read_from_its_outcome() -> None:
    detail = {
        "status": "failed",
        "error": "HandshakeTimedOut",
        "cause": "still PENDING after 72h",
        "connection": CONNECTION,
        "connectionDeleted": True,
        "codeartifact": CODEARTIFACT,
        "protonRepositories": [],
    }
    events = [
        *waiting(5_000),
        exited(get_status.PARALLEL, {"branches": [{"handshake": {"connection": CONNECTION}}]}),
        entered(get_status.OUTCOME_STEP),
        {"type": "TaskSucceeded"},
        exited(get_status.OUTCOME_STEP, {"outcome": {"detail": detail}}),
        entered("Did the onboarding succeed?"),
        exited("Did the onboarding succeed?"),
        entered("Onboarding failed"),
        {"type": "ExecutionFailed"},
    ]
    history = History(events)
    execution = {"status": "FAILED", "error": "RepositoryLinkFailed", "cause": "See the event"}
    answer = link_status("rl-x", execution, history)
    assert (answer.step, answer.error, answer.cause) == (
        "Onboarding failed",
        "HandshakeTimedOut",
        detail["cause"],
    )
    assert "codeconnections:connection" not in {r.type for r in answer.resources}
    assert history.calls == [(True, True, get_status.NEWEST_PAGE)]


def test_a_succeeded_onboarding_is_read_from_its_output() -> None:
    detail = {
        "status": "succeeded",
        "connection": CONNECTION | {"status": "AVAILABLE"},
        "codeartifact": CODEARTIFACT,
        "protonRepositories": [
            {"name": "acme/t", "arn": "arn:aws:proton:us-east-1:123456789012:repository/t"}
        ],
    }
    history = History([*waiting(5_000), entered("Onboarding complete"), {"type": "ExecutionSucceeded"}])
    answer = link_status("rl-x", {"status": "SUCCEEDED", "output": json.dumps(detail)}, history)
    assert answer.step == "Onboarding complete" and answer.connection_status == "AVAILABLE"
    assert answer.console_url is None
    assert sorted(r.type for r in answer.resources) == [
        "codeartifact:domain",
        "codeartifact:repository",
        "codeconnections:connection",
        "proton:repository",
    ]
    assert history.calls == [(True, False, get_status.STEP_PAGE)] and history.read_with_data == 0
