"""Every onboarding ends with a true result event, even when the step that reports it cannot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from repolink.models.validation import validate_request
from repolink_local.deployment import request_id_of
from repolink_local.engine import LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns

pytestmark = pytest.mark.statemachine

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_when_the_report_step_fails_for_good_the_workflow_itself_publishes_the_failure(
    onboarding_request: dict[str, Any],
) -> None:
    # the report function may not put events (a broken deployment): its step fails for good
    body = validate_request(onboarding_request).wire()
    revoked = frozenset({("ReportOutcomeFunctionRole", "events:PutEvents")})
    with LocalEngine(StandIns(handshake=HandshakePolicy("after", 1)), revoked=revoked) as engine:
        result = engine.run(request_id_of(body), body, deadline_seconds=60)
    assert result.status == "FAILED"
    assert "Publish that reporting failed" in result.states_entered
    (failed,) = result.events_of("RepositoryLinkFailed")
    assert failed["requestId"] == request_id_of(body)
    assert failed["step"] == "ReportOutcome" and "AccessDenied" in failed["cause"]
    assert failed["failures"] == [
        {"step": "ReportOutcome", "error": failed["error"], "cause": failed["cause"]}
    ]
    assert result.events_of("RepositoryLinkCompleted") == []
    # and it is a RepositoryLinkFailed event as the published schema describes it
    (event,) = [e for e in result.events if e["detail-type"] == "RepositoryLinkFailed"]
    jsonschema.validate(event, json.loads((SCHEMAS / "RepositoryLinkFailed.json").read_text()))


def test_codeartifact_throttled_past_every_retry_fails_naming_the_call_and_keeps_what_was_done(
    run_onboarding: Any, onboarding_request: dict[str, Any]
) -> None:
    # every CreateRepository is throttled: botocore's retries, then the state machine's, run out
    throttled = [FaultRule("ThrottlingException", "codeartifact:CreateRepository", 1.0)]
    result, standins = run_onboarding(onboarding_request, faults=throttled)
    (failed,) = result.events_of("RepositoryLinkFailed")
    # the failure names the call that was throttled, not just the step
    assert failed["step"] == "CodeArtifact.CreateRepository:pypi-store"
    assert failed["error"] == "TransientAwsError" and "ThrottlingException" in failed["cause"]
    # and says what exists: the domain this onboarding made on its first attempt, as its own
    # (the ownership tag says so, though every later attempt found it existing)
    domain = failed["codeartifact"]["domainArn"]
    assert domain and domain in failed["arns"]
    assert failed["codeartifact"]["domainCreated"] is True
    assert standins.codeartifact.domains  # it is really there
    # the step ran as often as the state machine allows, the last attempt reporting instead of throwing
    assert result.states_entered.count("Provision CodeArtifact") == 1
    assert result.lambda_invocations["ProvisionCodeArtifactFunction"] == 9


def test_a_repository_whose_creation_answer_was_lost_is_reported_as_created(
    run_onboarding: Any, onboarding_request: dict[str, Any]
) -> None:
    # the first CreateRepository takes effect but its answer is lost: the retry meets "exists"
    lost = [FaultRule("LostResponse", "codeartifact:CreateRepository", 1.0, times=1)]
    result, standins = run_onboarding(onboarding_request, faults=lost)
    (done,) = result.events_of("RepositoryLinkCompleted")
    outcomes = {r["name"]: r["outcome"] for r in done["codeartifact"]["repositories"]}
    assert outcomes == {"pypi-store": "created", "team-python": "created"}
    assert done["codeartifact"]["domainCreated"] is True
    assert len(standins.codeartifact.repositories) == 2


def test_what_another_onboarding_created_stays_existing(
    run_onboarding: Any, onboarding_request: dict[str, Any]
) -> None:
    def earlier(standins: StandIns) -> None:  # another request of this team made the shared store before
        standins.codeartifact.CreateDomain({"domain": "acme", "tags": []})
        standins.codeartifact.CreateRepository(
            {
                "domain": "acme",
                "repository": "pypi-store",
                # the same team's (a repository another team's onboarding made is refused:
                # test_codeartifact_tenancy.py)
                "tags": [
                    {"key": "repolink:request-id", "value": "rl-0"},
                    {"key": "repolink:owner-account", "value": "123456789012"},
                ],
            }
        )
        standins.codeartifact.AssociateExternalConnection(
            {"domain": "acme", "repository": "pypi-store", "externalConnection": "public:pypi"}
        )

    result, _ = run_onboarding(onboarding_request, prepare=earlier)
    (done,) = result.events_of("RepositoryLinkCompleted")
    outcomes = {r["name"]: r["outcome"] for r in done["codeartifact"]["repositories"]}
    assert outcomes == {"pypi-store": "existing", "team-python": "created"}
    assert done["codeartifact"]["domainCreated"] is False
