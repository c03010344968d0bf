"""GET /links/{id} after 30 and 72 hours of waiting for the handshake (issue 12, item 3).

The real ASL runs on the virtual clock at the deployment's default poll cap (PollCapSeconds=300:
a check every 5 minutes, ~108 history events an hour), so a 72-hour wait is ~7,800 events. GET
must still name the right step, the connection and every resource, reading a bounded part of
that history: the GetExecutionHistory calls the API function makes are counted on its client.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from repolink.workflow import history as get_status
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.measure import HOUR, HistoryReads, PausingClock, get_counted
from repolink_local.patches import execution_history
from repolink_local.standins import HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = [pytest.mark.statemachine, pytest.mark.slow]

#: GetExecutionHistory calls a GET may make, and the events it may read (history.py's bound)
MAX_HISTORY_CALLS = get_status.NEWEST_PAGES + 2
MAX_EVENTS_WITH_DATA = get_status.NEWEST_PAGES * get_status.NEWEST_PAGE + get_status.OLDEST_EVENTS
MAX_EVENTS_WITHOUT_DATA = get_status.LOCATE_PAGE
#: GetExecutionHistory response bytes a GET of the sample request may read (measured ~0.1-0.3 MB)
MAX_BYTES = 1_000_000
#: the generic cause of the Fail state: GET names the real one
GENERIC_CAUSE = "See the RepositoryLinkFailed event"
WAIT = "Wait before checking the handshake"


def assert_bounded(reads: HistoryReads, *, finished: bool = False) -> None:
    # a finished onboarding's GET also looks for its first change (ID-change-1, none here) and
    # reads its offboarding's execution (history.py's bound)
    assert reads.calls["DescribeExecution"] == (3 if finished else 1)
    assert 1 <= reads.calls["GetExecutionHistory"] <= MAX_HISTORY_CALLS
    assert reads.with_data <= MAX_EVENTS_WITH_DATA
    assert reads.without_data <= MAX_EVENTS_WITHOUT_DATA
    assert reads.bytes <= MAX_BYTES
    for request in reads.requests:  # never the whole history: small pages, the data only where needed
        with_data = request.get("includeExecutionData", True)
        assert request["maxResults"] <= (
            max(get_status.NEWEST_PAGE, get_status.OLDEST_EVENTS) if with_data else get_status.LOCATE_PAGE
        )


def history_size(engine: LocalEngine, arn: str) -> tuple[int, int]:
    """(events, bytes) of the whole history with data: what reading it all would cost (read from
    moto's backend: every page through the API would cost the test more than the GETs do)."""
    events = execution_history(engine.account, engine.region, arn)
    return len(events), len(json.dumps(events, default=str))


@pytest.fixture
def request_body(sample_event: Any) -> dict[str, Any]:
    from repolink.models.validation import validate_request

    return validate_request(copy.deepcopy(sample_event("onboarding.json"))).wire()


def kinds(answer: dict[str, Any]) -> list[str]:
    return sorted(r["type"] for r in answer["resources"])


def assert_pending(answer: dict[str, Any], reads: HistoryReads) -> None:
    # running, waiting for the pending handshake, with the link a person needs
    assert answer["status"] == "running" and answer["step"] == WAIT, answer
    assert answer["connectionStatus"] == "PENDING"
    assert "codesuite/settings" in answer["consoleUrl"]
    # listing what exists so far: the connection and CodeArtifact (done in the first minutes)
    assert kinds(answer) == [
        "codeartifact:domain",
        "codeartifact:repository",
        "codeartifact:repository",
        "codeconnections:connection",
    ]
    assert_bounded(reads)


def assert_succeeded(answer: dict[str, Any], reads: HistoryReads, result: ExecutionResult) -> None:
    # the last step, the available connection and every resource, the repository link's too
    assert answer["status"] == "succeeded" and answer["step"] == "Onboarding complete", answer
    assert answer["connectionStatus"] == "AVAILABLE" and answer["consoleUrl"] is None
    assert kinds(answer) == [
        "codeartifact:domain",
        "codeartifact:repository",
        "codeartifact:repository",
        "codeconnections:connection",
        "codeconnections:repository-link",
    ]
    assert result.output is not None
    assert {r["arn"] for r in answer["resources"]} == set(result.output["arns"])
    # from DescribeExecution's output and the last few events, without their data
    assert_bounded(reads, finished=True)
    assert reads.requests == [
        {
            "executionArn": result.execution_arn,
            "maxResults": get_status.STEP_PAGE,
            "reverseOrder": True,
            "includeExecutionData": False,
        }
    ]


def test_get_at_30_and_72_hours_pending_then_after_completing_at_72(request_body: dict[str, Any]) -> None:
    # Given a one-week timeout, and a person who completes the handshake after 72 hours
    body = request_body | {"handshakeTimeoutHours": 168}
    request_id = request_id_of(body)
    clock = PausingClock(30 * HOUR, 72 * HOUR)
    standins = StandIns(handshake=HandshakePolicy("at", seconds=72 * HOUR + 600))
    with LocalEngine(standins, clock=clock, log_level="WARNING", parameters=SAMPLE_PARAMETERS) as engine:
        arn = engine.start(request_id, body)
        asked: dict[int, tuple[dict[str, Any], HistoryReads, int, int]] = {}
        try:
            for hours in (30, 72):
                # When GET is asked while it waits, after `hours`
                assert clock.reached() >= hours
                answer, reads = get_counted(engine, request_id)
                asked[hours] = (answer, reads, *history_size(engine, arn))
                clock.resume()
        finally:
            clock.resume(for_good=True)
        result = engine.wait(arn, deadline_seconds=240)
        answer, reads = get_counted(engine, request_id)
    for hours, (pending, pending_reads, events, size) in asked.items():
        # Then it is pending, read from a bounded part of a long history
        assert_pending(pending, pending_reads)
        assert events >= 100 * hours and pending_reads.bytes * 20 < size, (events, size, pending_reads.bytes)
    # and once the handshake completed, after the 72 hours, it succeeded with everything linked
    assert result.status == "SUCCEEDED" and sum(result.waits) >= 72 * HOUR
    assert_succeeded(answer, reads, result)


def test_get_after_completing_at_30_hours(request_body: dict[str, Any]) -> None:
    body = request_body | {"handshakeTimeoutHours": 168}
    request_id = request_id_of(body)
    standins = StandIns(handshake=HandshakePolicy("at", seconds=30 * HOUR))
    with LocalEngine(standins, log_level="WARNING", parameters=SAMPLE_PARAMETERS) as engine:
        result = engine.run(request_id, body, deadline_seconds=240)
        answer, reads = get_counted(engine, request_id)
    assert result.status == "SUCCEEDED" and sum(result.waits) >= 30 * HOUR
    assert len(result.history) >= 100 * 30
    assert_succeeded(answer, reads, result)


@pytest.mark.parametrize("hours", [30, 72])
def test_get_after_the_handshake_times_out_and_the_connection_is_deleted(
    request_body: dict[str, Any], hours: int
) -> None:
    # Given nobody completes the handshake within `hours`, and cleanup was asked
    body = request_body | {"handshakeTimeoutHours": hours, "cleanupOnTimeout": True}
    request_id = request_id_of(body)
    never = StandIns(handshake=HandshakePolicy("never"))
    with LocalEngine(never, log_level="WARNING", parameters=SAMPLE_PARAMETERS) as engine:
        result = engine.run(request_id, body, deadline_seconds=240)
        answer, reads = get_counted(engine, request_id)
    assert result.status == "FAILED" and "Delete the pending connection" in result.states_entered
    assert len(result.history) >= 100 * hours
    failed = result.events_of("RepositoryLinkFailed")[0]
    # Then GET names the real error and cause, not the Fail state's generic ones
    assert answer["status"] == "failed" and answer["step"] == "Onboarding failed"
    assert answer["error"] == "HandshakeTimedOut" and answer["cause"] == failed["cause"]
    assert GENERIC_CAUSE not in answer["cause"]
    # and no longer lists the deleted connection, only what remains
    assert kinds(answer) == ["codeartifact:domain", "codeartifact:repository", "codeartifact:repository"]
    assert answer["connectionArn"] == failed["connection"]["arn"]
    # from the newest page of the history
    assert_bounded(reads, finished=True)
    assert reads.calls["GetExecutionHistory"] == 1


def test_get_while_a_host_waits_then_its_handshake_waits_then_after_both(sample_event: Any) -> None:
    # Given a request that sets up a host (with CodeArtifact beside it), a person who sets the
    # host up after 20 hours and completes the connection's handshake 20 hours after that
    from repolink.models.validation import validate_request

    request = copy.deepcopy(sample_event("onboarding-host.json"))
    request["codeartifact"] = copy.deepcopy(sample_event("onboarding.json"))["codeartifact"]
    body = validate_request(request).wire() | {"handshakeTimeoutHours": 168}
    request_id = request_id_of(body)
    clock = PausingClock(10 * HOUR, 30 * HOUR)
    standins = StandIns(handshake=HandshakePolicy("at", seconds=20 * HOUR))
    with LocalEngine(standins, clock=clock, log_level="WARNING", parameters=SAMPLE_PARAMETERS) as engine:
        arn = engine.start(request_id, body)
        asked: list[tuple[dict[str, Any], HistoryReads]] = []
        try:
            for hours in (10, 30):
                assert clock.reached() >= hours
                asked.append(get_counted(engine, request_id))
                clock.resume()
        finally:
            clock.resume(for_good=True)
        result = engine.wait(arn, deadline_seconds=240)
        answer, reads = get_counted(engine, request_id)
    (host,) = standins.connections.hosts.values()
    (at_10, reads_10), (at_30, reads_30) = asked
    # Then at 10 hours it waits for the host: its status and its console page, no connection yet
    assert at_10["status"] == "running" and at_10["step"] == "Wait before checking the host", at_10
    assert at_10["hostStatus"] == "PENDING" and at_10["hostArn"] == host.arn
    assert at_10["connectionStatus"] is None
    assert f"/hosts/{host.arn.rsplit('/', 1)[-1]}" in at_10["consoleUrl"]
    assert "codeconnections:host" in kinds(at_10)
    assert_bounded(reads_10)
    # at 30 hours it waits for the handshake: the connection's page, the host set up
    assert at_30["status"] == "running" and at_30["step"] == WAIT, at_30
    assert at_30["connectionStatus"] == "PENDING" and at_30["hostStatus"] == "AVAILABLE"
    assert "/connections/" in at_30["consoleUrl"]
    assert {"codeconnections:host", "codeconnections:connection"} <= set(kinds(at_30))
    assert_bounded(reads_30)
    # and after both, it succeeded, listing the host with everything else, in one history
    assert result.status == "SUCCEEDED" and sum(result.waits) >= 40 * HOUR
    assert answer["status"] == "succeeded" and answer["hostArn"] == host.arn
    assert {r["arn"] for r in answer["resources"]} == set(result.output["arns"])
    assert host.arn in result.output["arns"]
    assert_bounded(reads, finished=True)
