"""AWS's limits, held by the deployed ASL on the local engine, which enforces them as AWS does:
256 KiB per state, 25,000 history events per execution, 256 KiB per EventBridge entry."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from repolink.models.api import MAX_BODY_BYTES
from repolink.models.validation import validate_request
from repolink.workflow.backoff import (
    EVENTS_OUTSIDE_THE_WAIT,
    EVENTS_PER_CHECK,
    HISTORY_EVENTS_QUOTA,
    MAX_CHECKS,
    longest_timeout_hours,
)
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.limits import STATE_BYTES_MAX, largest_payload, largest_request
from repolink_local.patches import history_quota
from repolink_local.standins import HandshakePolicy, StandIns

pytestmark = pytest.mark.statemachine

CHECK = "Check the handshake"


def run(
    request: dict[str, Any], handshake: HandshakePolicy, parameters: dict[str, str] | None = None
) -> tuple[ExecutionResult, StandIns]:
    body = validate_request(request).wire()
    standins = StandIns(handshake=handshake)
    with LocalEngine(standins, parameters=parameters) as engine:
        return engine.run(request_id_of(body), body, deadline_seconds=300), standins


def test_the_largest_request_the_api_accepts_fits_every_state_and_the_result_event() -> None:
    # Given the request that makes the states largest, at the API's size limit (100 Proton
    # repositories, as many CodeArtifact repositories with every upstream as fit, long names)
    request = largest_request()
    assert MAX_BODY_BYTES - 200 < len(json.dumps(request, separators=(",", ":")).encode()) <= MAX_BODY_BYTES
    # When it runs to the end
    result, _ = run(request, HandshakePolicy("after", 1))
    # Then it succeeds and the completion event lists every repository
    assert result.status == "SUCCEEDED", result.history[-1]
    (done,) = result.events_of("RepositoryLinkCompleted")
    assert len(done["codeartifact"]["repositories"]) == len(request["codeartifact"]["repositories"])
    assert len(done["protonRepositories"]) == 100
    # and no state came near Step Functions' limit (what the budget in docs/performance.md says)
    largest, where = largest_payload(result.history)
    assert largest < 0.75 * STATE_BYTES_MAX, where
    # and everything outside the wait fits the history budget the accept check relies on
    checks = result.states_entered.count(CHECK)
    assert len(result.history) - EVENTS_PER_CHECK * checks <= EVENTS_OUTSIDE_THE_WAIT


def test_the_history_quota_fails_the_execution_as_aws_does_and_no_catch_sees_it(
    onboarding_request: dict[str, Any],
) -> None:
    body = validate_request(onboarding_request).wire()
    with LocalEngine(StandIns(handshake=HandshakePolicy("after", 2))) as engine, history_quota(limit=40):
        result = engine.run(request_id_of(body), body, deadline_seconds=60)
    # event 40 would have been an ordinary one: it is ExecutionFailed instead, and nothing follows
    assert result.status == "FAILED"
    assert len(result.history) == 40
    assert result.history[-1]["type"] == "ExecutionFailed"
    assert (
        "maximum number of history events (40)" in result.history[-1]["executionFailedEventDetails"]["cause"]
    )
    assert "Onboarding failed" not in result.states_entered  # the workflow's own Catch never ran
    assert result.events_of("RepositoryLinkFailed") == []


@pytest.mark.slow  # about 2,400 handshake checks: run without the coverage tracer
def test_the_longest_wait_a_dev_deployment_accepts_runs_to_its_end_within_the_quota() -> None:
    # Given the dev profile's PollCapSeconds=120 and the longest handshake timeout it accepts
    hours = longest_timeout_hours(base=15, cap=120, upper=168)
    request = {
        "connection": {"service": "codeconnections", "name": "acme-github", "provider": "GitHub"},
        "handshakeTimeoutHours": hours,
        "cleanupOnTimeout": True,
    }
    # When nobody ever completes the handshake
    result, standins = run(request, HandshakePolicy("never", 0), {"PollCapSeconds": "120"})
    # Then the execution ends through the workflow's own timeout and cleanup, inside the quota
    assert result.status == "FAILED"
    assert result.history[-1]["type"] == "ExecutionFailed"
    assert result.history[-1]["executionFailedEventDetails"]["error"] == "RepositoryLinkFailed"
    (failed,) = result.events_of("RepositoryLinkFailed")
    assert failed["error"] == "HandshakeTimedOut" and failed["connectionDeleted"] is True
    assert standins.connections.list() == []
    assert len(result.history) < HISTORY_EVENTS_QUOTA
    assert result.states_entered.count(CHECK) <= MAX_CHECKS


def test_an_eventbridge_entry_over_256_kib_is_refused_as_aws_refuses_it() -> None:
    with LocalEngine(StandIns()) as engine:
        events = boto3.client("events")
        entry = {"Source": "repolink", "DetailType": "x", "EventBusName": engine.bus_name}
        events.put_events(Entries=[{**entry, "Detail": json.dumps({"a": "b" * (256 * 1024 - 40)})}])
        with pytest.raises(ClientError) as refused:
            events.put_events(Entries=[{**entry, "Detail": json.dumps({"a": "b" * 256 * 1024})}])
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_a_lambda_request_over_6_mb_is_refused_as_lambda_refuses_it() -> None:
    from repolink_local.patches import LambdaServiceError

    with LocalEngine(StandIns()) as engine:
        api = next(n for n, f in engine.functions.items() if f.handler.endswith("api.handler"))
        event = {"httpMethod": "POST", "path": "/links", "body": "x" * (6 * 1024 * 1024)}
        with pytest.raises(LambdaServiceError) as refused:
            engine.invoke(api, event)
        assert refused.value.error_type == "RequestEntityTooLargeException"
        assert engine.executions() == []


@pytest.mark.slow  # about 2,400 checks of the host and the handshake together
def test_a_host_wait_then_a_handshake_wait_fit_the_quota_of_one_wait() -> None:
    # Given the dev profile's cap and the longest timeout it accepts, a host a person sets up
    # after 60% of it, and a handshake that would take as long again
    hours = longest_timeout_hours(base=15, cap=120, upper=168)
    request = {
        "connection": {
            "service": "codeconnections",
            "name": "acme-ghes",
            "provider": "GitHubEnterpriseServer",
            "host": {"name": "acme-ghes", "providerEndpoint": "https://ghe.example.com"},
        },
        "handshakeTimeoutHours": hours,
        "cleanupOnTimeout": True,
    }
    late = HandshakePolicy("at", seconds=0.6 * hours * 3600)
    result, standins = run(request, late, {"PollCapSeconds": "120"})
    # Then the handshake times out at the one deadline, through cleanup, inside the quota: the two
    # waits together took no more checks than one wait may
    (failed,) = result.events_of("RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("Handshake", "HandshakeTimedOut")
    assert failed["connectionDeleted"] is True
    assert sum(result.waits) == hours * 3600
    host_checks = result.states_entered.count("Check the host setup")
    assert host_checks > 0
    assert host_checks + result.states_entered.count(CHECK) <= MAX_CHECKS
    assert len(result.history) < HISTORY_EVENTS_QUOTA
    assert len(standins.connections.hosts) == 1  # set up: kept for the retry
