"""The real ASL, run on moto's interpreter, asserting on the execution history."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest

from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

CHECK = "Check the handshake"
#: the tags an earlier onboarding of this account put on the connection it created
EARLIER_ONBOARDING = [
    {"Key": "repolink:request-id", "Value": "rl-earlier"},
    {"Key": "repolink:owner-account", "Value": "123456789012"},
]
WAIT = "Wait before checking the handshake"


def failed_tasks(result: ExecutionResult) -> list[tuple[str, str]]:
    """(error, cause) of every TaskFailed / LambdaFunctionFailed event, in order."""
    found = []
    for event in result.history:
        for key in ("taskFailedEventDetails", "lambdaFunctionFailedEventDetails"):
            if key in event:
                found.append((event[key].get("error", ""), event[key].get("cause", "")))
    return found


def only(result: ExecutionResult, detail_type: str) -> dict[str, Any]:
    details = result.events_of(detail_type)
    assert len(details) == 1, f"expected one {detail_type}, got {[e['detail-type'] for e in result.events]}"
    return details[0]


def test_happy_path_links_everything_and_reports_every_arn(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given a full request, When the handshake completes after 2 checks
    result, _ = run_onboarding(onboarding_request, handshake=HandshakePolicy("after", 2))
    # Then the execution succeeds through every step, in order
    assert result.status == "SUCCEEDED"
    states = result.states_entered
    for earlier, later in [
        ("Create or reuse the connection", "Announce the pending handshake"),
        ("Announce the pending handshake", WAIT),
        (CHECK, "Link the Git sync repositories"),
        ("Link the Git sync repositories", "Report the outcome"),
    ]:
        assert states.index(earlier) < states.index(later)
    assert states.count(CHECK) == 2
    assert "Delete the pending connection" not in states
    # and the person was told where to finish the handshake
    pending = only(result, "ConnectionPendingHandshake")
    assert pending["consoleUrl"].startswith("https://us-east-1.console.aws.amazon.com/codesuite/settings/")
    # and the completion event carries every ARN
    done = only(result, "RepositoryLinkCompleted")
    kinds = sorted(arn.split(":")[2] for arn in done["arns"])
    # the connection and the repository link
    assert kinds == ["codeartifact", "codeartifact", "codeartifact", "codeconnections", "codeconnections"]
    assert [r["name"] for r in done["codeartifact"]["repositories"]] == ["pypi-store", "team-python"]
    assert done["codeartifact"]["repositories"][0]["externalConnection"] == "public:pypi"
    assert result.output is not None and result.output["status"] == "succeeded"


def test_handshake_error_fails_with_the_cause_and_keeps_codeartifact(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    result, _ = run_onboarding(onboarding_request, handshake=HandshakePolicy("error"))
    assert result.status == "FAILED"
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("Handshake", "HandshakeFailed")
    assert "ERROR" in failed["cause"]
    assert failed["codeartifact"]["status"] == "succeeded"
    assert "Link the Git sync repositories" not in result.states_entered


@pytest.mark.parametrize("cleanup", [True, False])
def test_timeout_fails_and_cleans_up_only_when_asked(
    run_onboarding: Any, onboarding_request: dict, cleanup: bool
) -> None:
    # Given nobody ever completes the handshake and a 1-hour timeout
    onboarding_request |= {"handshakeTimeoutHours": 1, "cleanupOnTimeout": cleanup}
    result, standins = run_onboarding(onboarding_request, handshake=HandshakePolicy("never"))
    # Then it fails as HandshakeTimedOut after exactly one hour of (virtual) waiting
    assert result.status == "FAILED"
    failed = only(result, "RepositoryLinkFailed")
    assert failed["error"] == "HandshakeTimedOut"
    assert sum(result.waits) == 3600
    # and at most 60 transitions were spent per hour waited
    assert result.states_entered.count(WAIT) * 3 <= 60
    arn = failed["connection"]["arn"]
    remaining = {c.arn for c in standins.connections.list()}
    if cleanup:
        assert "Delete the pending connection" in result.states_entered
        assert arn not in remaining and failed["connectionDeleted"] is True
    else:
        assert "Delete the pending connection" not in result.states_entered
        assert arn in remaining and failed["connectionDeleted"] is False


def test_a_handshake_error_deletes_our_connection_when_cleanup_was_asked(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    onboarding_request |= {"cleanupOnTimeout": True}
    result, standins = run_onboarding(onboarding_request, handshake=HandshakePolicy("error"))
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("Handshake", "HandshakeFailed")
    assert "Delete the pending connection" in result.states_entered
    assert standins.connections.list() == [] and failed["connectionDeleted"] is True


def test_a_check_that_cannot_read_the_connection_reports_the_cleanup_it_could_not_do(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given the role may no longer read connections (a permanent error, not retried)
    onboarding_request |= {"cleanupOnTimeout": True}
    denied = FaultRule("AccessDeniedException", "codeconnections:GetConnection", 1.0)
    result, standins = run_onboarding(onboarding_request, handshake=HandshakePolicy("never"), faults=[denied])
    failed = only(result, "RepositoryLinkFailed")
    # Then the check step is named with its cause, CodeArtifact's success is listed, and cleanup
    # was tried: it re-reads the status before deleting (never deletes blind), so it too fails
    # and is listed, leaving the connection for a person, as the failure event says
    assert (failed["step"], failed["error"]) == ("CheckConnection", "AwsAccessDenied")
    assert "AccessDeniedException" in failed["cause"]
    assert failed["codeartifact"]["status"] == "succeeded"
    steps = [f["step"] for f in failed["failures"]]
    assert steps == ["CheckConnection", "DeleteConnection"]
    assert [c.status for c in standins.connections.list()] == ["PENDING"]


def test_a_reused_connection_is_never_deleted(run_onboarding: Any, onboarding_request: dict) -> None:
    # Given a pending connection that existed before this onboarding, with the requested name
    holder: dict[str, str] = {}

    def prepare(standins: StandIns) -> None:
        import boto3

        holder["arn"] = boto3.client("codeconnections").create_connection(
            ConnectionName="acme-github", ProviderType="GitHub", Tags=EARLIER_ONBOARDING
        )["ConnectionArn"]

    onboarding_request |= {"handshakeTimeoutHours": 1, "cleanupOnTimeout": True}
    # When nobody completes the handshake
    result, standins = run_onboarding(onboarding_request, handshake=HandshakePolicy("never"), prepare=prepare)
    # Then it times out, and cleanup was asked for, but the connection is not ours: it is kept
    assert result.status == "FAILED"
    failed = only(result, "RepositoryLinkFailed")
    assert failed["connection"]["arn"] == holder["arn"] and failed["connection"]["created"] is False
    assert "Delete the pending connection" not in result.states_entered
    assert holder["arn"] in {c.arn for c in standins.connections.list()}
    assert failed["connectionDeleted"] is False


def test_reuse_of_an_available_connection_skips_the_wait(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    def prepare(standins: StandIns) -> None:
        import boto3

        arn = boto3.client("codestar-connections").create_connection(
            ConnectionName="acme-github", ProviderType="GitHub", Tags=EARLIER_ONBOARDING
        )["ConnectionArn"]
        standins.connections.set_status(arn, "AVAILABLE")

    result, standins = run_onboarding(onboarding_request, prepare=prepare)
    assert result.status == "SUCCEEDED"
    assert WAIT not in result.states_entered and not result.events_of("ConnectionPendingHandshake")
    done = only(result, "RepositoryLinkCompleted")
    assert done["connection"]["created"] is False
    assert len(standins.connections.list()) == 1


def test_codeartifact_finishes_during_the_handshake_wait(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    result, _ = run_onboarding(onboarding_request, handshake=HandshakePolicy("after", 4))
    assert result.status == "SUCCEEDED"
    entered = [e for e in result.history if "stateEnteredEventDetails" in e]
    names = [e["stateEnteredEventDetails"]["name"] for e in entered]
    provisioned = next(
        e["id"]
        for e in result.history
        if e.get("stateExitedEventDetails", {}).get("name") == "Provision CodeArtifact"
    )
    last_check = max(e["id"] for e in entered if e["stateEnteredEventDetails"]["name"] == CHECK)
    assert provisioned < last_check, names


def test_codeartifact_alone_needs_no_connection_and_no_wait(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    del onboarding_request["connection"], onboarding_request["gitSync"]
    result, standins = run_onboarding(onboarding_request)
    assert result.status == "SUCCEEDED"
    assert WAIT not in result.states_entered and "Create or reuse the connection" not in result.states_entered
    assert standins.connections.list() == []


def test_throttling_is_retried_with_backoff_and_jitter(run_onboarding: Any, onboarding_request: dict) -> None:
    # Given CodeArtifact throttles every CreateRepository call for a while
    faults = [FaultRule("ThrottlingException", "codeartifact:CreateRepository", 1.0, times=8)]
    result, standins = run_onboarding(onboarding_request, faults=faults)
    # Then botocore's retries and the state machine's Retry absorb it, and it succeeds
    assert result.status == "SUCCEEDED"
    assert "TransientAwsError" in {error for error, _ in failed_tasks(result)}
    assert result.retry_sleeps, "the state machine's Retry slept between attempts"
    assert all(0 <= s <= 300 for s in result.retry_sleeps)  # FULL jitter, capped by MaxDelaySeconds
    done = only(result, "RepositoryLinkCompleted")
    assert len(done["codeartifact"]["repositories"]) == 2
    assert standins.calls["codeartifact:CreateRepository"] >= 8 + 2


def test_proton_failure_after_codeartifact_succeeded_reports_what_succeeded(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # a deployment that keeps the Proton target (ProtonTarget=enabled), asked for Proton only
    onboarding_request.pop("gitSync")
    onboarding_request["proton"] = {"repositories": [{"name": "acme/proton-templates"}]}
    faults = [FaultRule("AccessDeniedException", "proton:CreateRepository", 1.0)]
    enabled = {**SAMPLE_PARAMETERS, "ProtonTarget": "enabled"}
    result, _ = run_onboarding(onboarding_request, faults=faults, parameters=enabled)
    assert result.status == "FAILED"
    failed = only(result, "RepositoryLinkFailed")
    assert failed["step"] == "Proton.LinkRepository:acme/proton-templates"
    assert failed["error"] == "AwsAccessDenied"
    assert "AccessDeniedException" in failed["cause"]
    assert failed["codeartifact"]["status"] == "succeeded"
    assert {a.split(":")[2] for a in failed["arns"]} == {"codeconnections", "codeartifact"}


def test_another_teams_connection_is_never_used_even_past_accept(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given a connection of that name that another team's onboarding created
    def prepare(standins: StandIns) -> None:
        import boto3

        theirs = [
            {"Key": "repolink:request-id", "Value": "rl-theirs"},
            {"Key": "repolink:owner-account", "Value": "210987654321"},
        ]
        arn = boto3.client("codeconnections").create_connection(
            ConnectionName="acme-github", ProviderType="GitHub", Tags=theirs
        )["ConnectionArn"]
        standins.connections.set_status(arn, "AVAILABLE")

    # When the workflow runs (as if accept had been passed: the task checks again)
    result, standins = run_onboarding(onboarding_request, prepare=prepare)
    # Then it fails at the connection, links nothing through it and creates no second one
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("CreateConnection", "ConnectionNotOwned")
    assert "AVAILABLE" not in failed["cause"]
    assert "Link the Git sync repositories" not in result.states_entered
    assert len(standins.connections.list()) == 1


def _on(service: str, request: dict[str, Any]) -> dict[str, Any]:
    """The request with its connection on ``service`` (App Runner takes GITHUB and links nothing)."""
    if service == "apprunner":
        request.pop("gitSync")
        request["connection"] = {"service": "apprunner", "name": "acme-github", "provider": "GITHUB"}
    return request


@pytest.mark.parametrize("service", ["codeconnections", "apprunner"])
def test_a_connection_created_but_whose_answer_was_lost_is_adopted(
    run_onboarding: Any, onboarding_request: dict, service: str
) -> None:
    # Given CreateConnection takes effect and its answer is lost: the SDK retries it, and the
    # retry is refused because the name is now in use
    lost = FaultRule("LostResponse", f"{service}:CreateConnection", 1.0, times=1)
    result, standins = run_onboarding(_on(service, onboarding_request), faults=[lost])
    assert standins.faults_injected == {f"{service}:CreateConnection:LostResponse": 1}
    assert result.api_calls[f"{service}:CreateConnection"] == 2, "the SDK sent it again"
    # Then there is one connection, this onboarding's (its ownership tag), adopted as created
    [connection] = standins.connections.list()
    assert connection.tags["repolink:request-id"] == result.execution_arn.rsplit(":", 1)[-1]
    assert result.status == "SUCCEEDED"
    done = only(result, "RepositoryLinkCompleted")
    assert done["connection"]["arn"] == connection.arn
    assert done["connection"]["created"] is True
    assert failed_tasks(result) == [], "no task failed: the SDK's retry absorbed the lost answer"


@pytest.mark.parametrize("service", ["codeconnections", "apprunner"])
def test_an_adopted_connection_is_cleaned_up_on_timeout(
    run_onboarding: Any, onboarding_request: dict, service: str
) -> None:
    # Given a connection whose creation answer was lost, and nobody completes its handshake
    onboarding_request |= {"handshakeTimeoutHours": 1, "cleanupOnTimeout": True}
    lost = FaultRule("LostResponse", f"{service}:CreateConnection", 1.0, times=1)
    result, standins = run_onboarding(
        _on(service, onboarding_request), handshake=HandshakePolicy("never"), faults=[lost]
    )
    # Then the onboarding times out and deletes the connection it adopted: nothing is left
    failed = only(result, "RepositoryLinkFailed")
    assert failed["error"] == "HandshakeTimedOut"
    assert failed["connection"]["created"] is True
    assert failed["connectionDeleted"] is True
    assert standins.connections.list() == []


def test_a_connection_another_team_holds_by_that_name_is_not_adopted(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given another team's onboarding creates the name between this one's lookup and its create
    # (played here by a stand-in that creates it just before our CreateConnection is served)
    def prepare(standins: StandIns) -> None:
        serve = standins._apis["codeconnections"].CreateConnection

        def raced(params: dict[str, Any]) -> dict[str, Any]:
            if not standins.connections.list():
                theirs = {"Key": "repolink:owner-account", "Value": "210987654321"}
                serve(params | {"Tags": [{"Key": "repolink:request-id", "Value": "rl-theirs"}, theirs]})
            return serve(params)

        standins._apis["codeconnections"].CreateConnection = raced

    result, standins = run_onboarding(onboarding_request, prepare=prepare)
    # Then it is not adopted: the onboarding fails naming the field, and theirs is untouched
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("CreateConnection", "ConnectionNotOwned")
    assert "connection.name" in failed["cause"]
    [theirs] = standins.connections.list()
    assert theirs.tags["repolink:request-id"] == "rl-theirs"


def test_an_engine_closed_as_soon_as_an_onboarding_starts_leaves_no_thread_running(
    sample: dict[str, Any],
) -> None:
    """The engine stops what still runs when it closes, even an execution whose definition is
    still being parsed: none of its threads goes on calling handlers in the next engine's world
    (a leftover thread once cached a client without credentials for the next test)."""
    before = set(threading.enumerate())
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the engine warns of threads it left
        with LocalEngine(
            StandIns(handshake=HandshakePolicy("never")), parameters=SAMPLE_PARAMETERS
        ) as engine:
            engine.start(request_id_of(sample), sample)
    assert [t.name for t in set(threading.enumerate()) - before if t.is_alive()] == []
