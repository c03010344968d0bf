"""A recheck wakes the wait on a person (issue 25): the real ASL on moto's interpreter, the callback
waits on the virtual clock, each recheck a POST /links/{id}/recheck at a virtual time."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from repolink.models.validation import validate_request
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

#: another team's account, which the deployment admits
OTHER_ACCOUNT = "210987654321"

CHECK, CHECK_HOST = "Check the handshake", "Check the host setup"
WAIT, WAIT_HOST = "Wait before checking the handshake", "Wait before checking the host"
#: when the person finishes, in virtual seconds after the connection (or host) is created: far
#: from any check of the schedule (15 s doubling to the 300 s cap: checks at ..., 1,658, 1,958 s)
DONE_AT = 1_800.0


def run(
    request: dict[str, Any],
    handshake: HandshakePolicy,
    rechecks: list[tuple[float, str]],
    faults: tuple[FaultRule, ...] = (),
) -> tuple[ExecutionResult, StandIns, list[list[tuple[int, Any]]]]:
    """Run ``request``; each recheck ``(seconds after the start, caller account)`` is a POST at that
    virtual time. Returns the result, the stand-ins, and each recheck's answers."""
    body = validate_request(request).wire()
    standins = StandIns(handshake=handshake, faults=faults)
    parameters = {**SAMPLE_PARAMETERS, "AllowedAccountIds": OTHER_ACCOUNT}
    with LocalEngine(standins, parameters=parameters) as engine:
        request_id = request_id_of(body)
        start = engine.clock.now()
        answers = [
            engine.recheck_at(start + after, request_id, caller_account=caller) for after, caller in rechecks
        ]
        result = engine.run(request_id, body, deadline_seconds=120)
    return result, standins, answers


def woken_waits(result: ExecutionResult) -> int:
    """The callback waits a recheck ended (the others timed out)."""
    return sum(
        1 for e in result.history if e["type"] == "TaskSucceeded" and "invoke.waitForTaskToken" in str(e)
    )


@pytest.fixture
def sample(sample_event: Any) -> dict[str, Any]:
    return copy.deepcopy(sample_event("onboarding.json"))


def test_a_recheck_right_after_completion_ends_the_wait_within_5_virtual_seconds(sample: dict) -> None:
    # Given a person who finishes the handshake at DONE_AT, and asks for a recheck then
    result, standins, (answers,) = run(
        sample, HandshakePolicy("at", seconds=DONE_AT), [(DONE_AT, "123456789012")]
    )
    # Then the recheck woke the wait, and the check that followed saw the handshake done
    assert answers == [
        (202, {"requestId": result.output["requestId"], "waiting": "Handshake", "woken": True})
    ]
    assert result.status == "SUCCEEDED"
    (connection,) = standins.connections.list()
    assert connection.handshake_done_clock is not None and connection.seen_available_clock is not None
    assert connection.seen_available_clock - connection.handshake_done_clock <= 5
    assert woken_waits(result) == 1


def test_a_recheck_whose_wake_answer_is_lost_wakes_the_wait_once(sample: dict) -> None:
    # Given a recheck at completion whose SendTaskSuccess takes effect but whose answer is lost
    # (the SDK sends it again, and AWS refuses the token it has just closed)
    lost = FaultRule("LostResponse", "stepfunctions:SendTaskSuccess", 1.0, times=1)
    result, standins, (answers,) = run(
        sample, HandshakePolicy("at", seconds=DONE_AT), [(DONE_AT, "123456789012")], (lost,)
    )
    # Then the recheck is answered 202, the wait was woken once, and the check saw the handshake
    assert standins.faults_injected, "the answer was not lost"
    assert [code for code, _ in answers] == [202]
    assert result.status == "SUCCEEDED" and woken_waits(result) == 1
    (connection,) = standins.connections.list()
    assert connection.seen_available_clock - connection.handshake_done_clock <= 5  # type: ignore[operator]


def test_without_a_recheck_the_same_handshake_is_seen_at_the_next_check(sample: dict) -> None:
    # the anchor of the test above: the schedule alone sees it minutes later
    result, standins, _ = run(sample, HandshakePolicy("at", seconds=DONE_AT), [])
    (connection,) = standins.connections.list()
    assert result.status == "SUCCEEDED"
    assert connection.seen_available_clock - connection.handshake_done_clock > 60  # type: ignore[operator]
    assert woken_waits(result) == 0


def test_a_recheck_before_completion_leads_to_one_check_then_the_normal_backoff(sample: dict) -> None:
    # Given a recheck 600 s before the person finishes
    baseline, _, _ = run(sample, HandshakePolicy("at", seconds=DONE_AT), [])
    result, _, (answers,) = run(
        sample, HandshakePolicy("at", seconds=DONE_AT), [(DONE_AT - 600, "123456789012")]
    )
    # Then it woke the wait: one more check, which saw the handshake pending
    assert [code for code, _ in answers] == [202] and answers[0][1]["woken"] is True
    assert result.states_entered.count(CHECK) == baseline.states_entered.count(CHECK) + 1
    # and the waits after it follow the schedule: each the next delay of the backoff, not shorter
    polls = [
        (e["stateExitedEventDetails"]["output"])
        for e in result.history
        if e.get("stateExitedEventDetails", {}).get("name") == CHECK
    ]
    assert len(polls) >= 2
    assert result.status == "SUCCEEDED"
    assert woken_waits(result) == 1


def test_a_flood_of_100_rechecks_costs_at_most_one_check_per_10_seconds(sample: dict) -> None:
    # Given a client that loops on recheck: 100 POSTs, one every 0.5 virtual seconds (50 s)
    baseline, _, _ = run(sample, HandshakePolicy("at", seconds=DONE_AT), [])
    flood = [(DONE_AT - 900 + 0.5 * i, "123456789012") for i in range(100)]
    result, _, answers = run(sample, HandshakePolicy("at", seconds=DONE_AT), flood)
    # Then every one is answered 202, and at most one in 10 seconds woke the wait
    assert [code for ((code, _),) in answers] == [202] * 100
    woken = sum(1 for ((_, body),) in answers if body["woken"])
    assert 1 <= woken <= 1 + 50 // 10
    assert woken_waits(result) == woken
    extra_checks = result.states_entered.count(CHECK) - baseline.states_entered.count(CHECK)
    assert extra_checks <= 1 + 50 // 10
    assert result.status == "SUCCEEDED"


def test_a_recheck_of_a_finished_onboarding_answers_409_naming_its_state(sample: dict) -> None:
    body = validate_request(sample).wire()
    with LocalEngine(StandIns(handshake=HandshakePolicy("after", 1)), parameters=SAMPLE_PARAMETERS) as engine:
        result = engine.run(request_id_of(body), body, deadline_seconds=60)
        assert result.status == "SUCCEEDED"
        code, _, answer = engine.api("POST", f"/links/{request_id_of(body)}/recheck")
        # and an id nobody onboarded is 404
        unknown = "rl-" + "0" * 40
        missing, _, _ = engine.api("POST", f"/links/{unknown}/recheck")
        checks = engine.lambda_invocations["CheckConnectionFunction"]
    assert code == 409 and "succeeded" in answer["message"]
    assert answer["errors"] == [{"field": "status", "message": "is succeeded"}]
    assert missing == 404
    assert checks == result.states_entered.count(CHECK)  # the refusals started nothing


def test_another_teams_recheck_answers_404_and_wakes_nothing(sample: dict) -> None:
    baseline, _, _ = run(sample, HandshakePolicy("at", seconds=DONE_AT), [])
    result, _, (answers,) = run(sample, HandshakePolicy("at", seconds=DONE_AT), [(DONE_AT, OTHER_ACCOUNT)])
    assert [code for code, _ in answers] == [404]
    assert woken_waits(result) == 0
    assert result.states_entered.count(CHECK) == baseline.states_entered.count(CHECK)


def test_a_host_setup_is_woken_the_same_way(sample_event: Any) -> None:
    # Given a host a person sets up at DONE_AT, who asks for a recheck then
    host_request = copy.deepcopy(sample_event("onboarding-host.json"))
    result, standins, (answers,) = run(
        host_request, HandshakePolicy("at", seconds=DONE_AT), [(DONE_AT, "123456789012")]
    )
    # Then the host's wait was woken, and the connection was made on it at once
    assert [(code, body["waiting"], body["woken"]) for code, body in answers] == [(202, "HostSetup", True)]
    (host,) = standins.connections.hosts.values()
    (connection,) = standins.connections.list()
    assert host.status == "AVAILABLE"
    assert connection.created_clock - host.created_clock <= DONE_AT + 5
    assert woken_waits(result) == 1
    assert result.states_entered.count(CHECK_HOST) >= 1
