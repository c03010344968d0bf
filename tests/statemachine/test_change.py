"""Changing an onboarding in place (PUT /links/{id}) through the real ASL, with IAM enforced.

Onboard the sample, change it (a repository added, another's upstreams and description changed in
place), then offboard it: nothing the onboarding or its change created remains; a second DELETE
and a duplicate PUT start nothing; what AWS cannot change in place is refused naming the field;
other accounts cannot change it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from helpers.engine import JSON, OTHER_ACCOUNT, Onboard, normalized
from repolink.models.api import MAX_BODY_BYTES
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import OFFBOARDING, ONBOARDING, SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine


def changed(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample with a repository added (team-shared) and team-python searching it first,
    under a new description."""
    request = copy.deepcopy(sample)
    repositories = request["codeartifact"]["repositories"]
    repositories.append({"name": "team-shared", "upstreams": ["pypi-store"], "description": "shared"})
    team_python = next(r for r in repositories if r["name"] == "team-python")
    team_python["upstreams"] = ["team-shared", "pypi-store"]
    team_python["description"] = "team packages, shared ones first"
    return normalized(request)


def put(
    engine: LocalEngine, request_id: str, body: dict[str, Any], *, caller: str | None = None
) -> tuple[int, dict[str, Any]]:
    code, _, answer = engine.api(
        "PUT", f"/links/{request_id}", json.dumps(body), headers=JSON, caller_account=caller
    )
    return code, answer


def change(
    engine: LocalEngine, request_id: str, body: dict[str, Any]
) -> tuple[dict[str, Any], ExecutionResult]:
    code, answer = put(engine, request_id, body)
    assert code == 202, answer
    return answer, engine.wait(answer["executionArn"], deadline_seconds=60)


def offboard(engine: LocalEngine, request_id: str) -> tuple[int, dict[str, Any], ExecutionResult]:
    code, _, answer = engine.api("DELETE", f"/links/{request_id}")
    assert code in (200, 202), answer
    return code, answer, engine.wait(answer["executionArn"], deadline_seconds=60)


def test_onboard_change_offboard_leaves_nothing_either_created(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the sample onboarded
    request_id = onboard(engine, sample)
    codeartifact = engine.standins.codeartifact
    # When it is changed: team-shared added, team-python's upstreams and description changed
    answer, result = change(engine, request_id, changed(sample))
    # Then the change is an execution of its own, of the onboarding machine, which succeeded
    assert answer["changeId"] == f"{request_id}-change-1"
    assert answer["status"] == "running"
    assert result.status == "SUCCEEDED", result.output
    assert answer["executionArn"].endswith(f":{request_id}-change-1")
    # and team-python was updated in place, once, to the new upstreams and description
    assert result.api_calls.get("codeartifact:UpdateRepository") == 1
    team_python = codeartifact.repositories[("acme", "team-python")]
    assert team_python.upstreams == ["team-shared", "pypi-store"]
    assert team_python.description == "team packages, shared ones first"
    # and team-shared was created, carrying the onboarding's ownership tag
    team_shared = codeartifact.repositories[("acme", "team-shared")]
    assert team_shared.upstreams == ["pypi-store"]
    assert codeartifact.tags[team_shared.arn]["repolink:request-id"] == request_id
    # and the result event says which change it reports
    (event,) = [e for e in result.events_of("RepositoryLinkCompleted") if e.get("changeId")]
    assert event["changeId"] == f"{request_id}-change-1"
    assert event["requestId"] == request_id
    outcomes = {r["name"]: r["outcome"] for r in event["codeartifact"]["repositories"]}
    assert outcomes == {"pypi-store": "created", "team-shared": "created", "team-python": "created"}
    # and GET follows the change
    code, _, status = engine.api("GET", f"/links/{request_id}")
    assert code == 200
    assert status["status"] == "succeeded"
    assert status["changeId"] == f"{request_id}-change-1"
    assert team_shared.arn in {r["arn"] for r in status["resources"]}

    # When it is offboarded
    code, off, offboarding = offboard(engine, request_id)
    assert code == 202
    assert offboarding.status == "SUCCEEDED", offboarding.output
    # Then what the onboarding and its change created is gone, downstreams first
    removed = [(r["type"], r["name"]) for r in offboarding.output["removed"]]
    repositories = [name for kind, name in removed if kind == "codeartifact:repository"]
    assert repositories == ["team-python", "team-shared", "pypi-store"]
    assert offboarding.output["retained"] == []
    assert codeartifact.repositories == {}
    assert codeartifact.domains == {}
    assert engine.standins.connections.list() == []
    assert engine.standins.connections.repository_links == {}
    assert engine.standins.connections.sync_configurations == {}

    # When it is offboarded again, nothing starts and nothing is deleted
    calls_before = dict(engine.counter.calls)
    code, again, _ = offboard(engine, request_id)
    assert code == 200
    assert again["executionArn"] == off["executionArn"]
    assert len(engine.executions(OFFBOARDING)) == 1
    made = {op: n - calls_before.get(op, 0) for op, n in engine.counter.calls.items()}
    assert {op: n for op, n in made.items() if n and "Delete" in op} == {}
    # and a change after the offboarding is refused
    code, late = put(engine, request_id, sample)
    assert code == 409
    assert late["errors"] == [{"field": "status", "message": "offboarded"}]


def test_a_duplicate_put_starts_nothing_and_answers_from_the_change(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    first, _ = change(engine, request_id, changed(sample))
    executions = len(engine.executions(ONBOARDING))
    # When the same change is sent again (a retried PUT, a redelivered event)
    code, again = put(engine, request_id, changed(sample))
    # Then it is answered from the change, finished, and nothing new started
    assert code == 200
    assert again["executionArn"] == first["executionArn"]
    assert again["changeId"] == first["changeId"]
    assert again["status"] == "succeeded"
    assert len(engine.executions(ONBOARDING)) == executions


def test_the_onboardings_own_request_again_starts_nothing(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    code, answer = put(engine, request_id, sample)
    assert code == 200
    assert answer["changeId"] is None
    assert answer["status"] == "succeeded"
    assert len(engine.executions(ONBOARDING)) == 1


def test_a_second_change_is_numbered_after_the_first_and_get_follows_it(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    change(engine, request_id, changed(sample))
    # When team-python goes back to its first upstreams
    second = changed(sample)
    team_python = next(r for r in second["codeartifact"]["repositories"] if r["name"] == "team-python")
    team_python["upstreams"] = ["pypi-store"]
    answer, result = change(engine, request_id, second)
    assert answer["changeId"] == f"{request_id}-change-2"
    assert result.status == "SUCCEEDED", result.output
    assert engine.standins.codeartifact.repositories[("acme", "team-python")].upstreams == ["pypi-store"]
    _, _, status = engine.api("GET", f"/links/{request_id}")
    assert status["changeId"] == f"{request_id}-change-2"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda r: r["connection"].update(name="acme-gitlab"), "connection.name"),
        (lambda r: r["connection"].update(provider="GitLab"), "connection.provider"),
        (lambda r: r["codeartifact"].update(domain="acme2"), "codeartifact.domain"),
        (
            lambda r: r["codeartifact"]["repositories"][0].update(externalConnection="public:npmjs"),
            "codeartifact.repositories[0].externalConnection",
        ),
    ],
)
def test_what_aws_cannot_change_in_place_is_refused_naming_the_field(
    engine: LocalEngine, sample: dict[str, Any], edit: Any, field: str, onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    body = copy.deepcopy(sample)
    edit(body)
    code, answer = put(engine, request_id, normalized(body))
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == [field]
    assert len(engine.executions(ONBOARDING)) == 1


def test_a_body_that_breaks_the_contract_is_refused_naming_the_field(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    body = copy.deepcopy(sample)
    body["codeartifact"]["repositories"][1]["upstreams"] = ["no such repository!"]
    code, answer = put(engine, request_id, body)
    assert code == 422
    assert answer["errors"][0]["field"].startswith("codeartifact.repositories[1].upstreams")
    assert len(engine.executions(ONBOARDING)) == 1


def test_a_put_whose_body_is_a_json_string_holding_a_request_is_refused(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    code, _, answer = engine.api(
        "PUT", f"/links/{request_id}", json.dumps(json.dumps(changed(sample))), headers=JSON
    )
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["(root)"]
    assert "JSON object" in answer["message"]
    assert len(engine.executions(ONBOARDING)) == 1


def test_another_accounts_put_answers_404_and_starts_nothing(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    code, _ = put(engine, request_id, changed(sample), caller=OTHER_ACCOUNT)
    assert code == 404
    assert len(engine.executions(ONBOARDING)) == 1


def test_the_deployments_account_may_not_change_a_teams_onboarding(
    engine: LocalEngine, sample: dict[str, Any]
) -> None:
    # Given a team's onboarding (another account's, through the API)
    team_request = {k: v for k, v in sample.items() if k != "gitSync"}  # its role is this account's
    code, _, started = engine.api(
        "POST", "/links", json.dumps(team_request), headers=JSON, caller_account=OTHER_ACCOUNT
    )
    assert code == 202, started
    assert engine.wait(started["executionArn"], deadline_seconds=60).status == "SUCCEEDED"
    # When the deployment's own account changes it
    code, answer = put(
        engine, started["requestId"], {k: v for k, v in changed(sample).items() if k != "gitSync"}
    )
    # Then it is refused, and nothing started
    assert code == 403
    assert OTHER_ACCOUNT in answer["message"]
    assert len(engine.executions(ONBOARDING)) == 1
    # while the team itself may
    code, answer = put(
        engine,
        started["requestId"],
        {k: v for k, v in changed(sample).items() if k != "gitSync"},
        caller=OTHER_ACCOUNT,
    )
    assert code == 202, answer
    assert engine.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"


def test_a_put_that_is_not_json_is_refused_before_routing(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    code, _, _ = engine.api(
        "PUT", f"/links/{request_id}", json.dumps(sample), headers={"Content-Type": "text/plain"}
    )
    assert code == 415
    assert len(engine.executions(ONBOARDING)) == 1


def test_listing_does_not_list_a_change_as_an_onboarding(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    change(engine, request_id, changed(sample))
    code, _, page = engine.api("GET", "/links")
    assert code == 200
    assert [item["requestId"] for item in page["links"]] == [request_id]


@pytest.mark.parametrize(
    "grant",
    [
        ("ProvisionCodeArtifactFunctionRole", "codeartifact:UpdateRepository"),
        ("ProvisionCodeArtifactFunctionRole", "codeartifact:AssociateWithDownstreamRepository"),
    ],
)
def test_a_change_needs_update_repository_and_the_upstreams_association(
    sample: dict[str, Any], grant: tuple[str, str], onboard: Onboard
) -> None:
    """The change's one new call, under the local IAM enforcement: without the grant the change
    fails, naming the step, and the onboarding's repository keeps its upstreams."""
    body = {k: v for k, v in sample.items() if k not in ("connection", "gitSync")}
    request = copy.deepcopy(body)
    team_python = request["codeartifact"]["repositories"][1]
    team_python["upstreams"] = []  # CreateRepository needs no upstream association then
    request = normalized(request)
    update = copy.deepcopy(request)
    update["codeartifact"]["repositories"][1]["upstreams"] = ["pypi-store"]
    with LocalEngine(StandIns(), parameters=SAMPLE_PARAMETERS, revoked=frozenset({grant})) as engine:
        request_id = onboard(engine, request)
        answer, result = change(engine, request_id, update)
        denied = {(d.role, d.authorization.action) for d in engine.iam.denials}
        upstreams = engine.standins.codeartifact.repositories[("acme", "team-python")].upstreams
    assert answer["changeId"] == f"{request_id}-change-1"
    assert result.status == "FAILED"
    (failed,) = result.events_of("RepositoryLinkFailed")
    assert failed["changeId"] == f"{request_id}-change-1"
    assert failed["step"] == "CodeArtifact.CreateRepository:team-python"
    assert [r["name"] for r in failed["codeartifact"]["repositories"]] == ["pypi-store"]
    assert grant in denied
    assert upstreams == []


def test_a_lost_update_repository_answer_still_updates_it_once(
    sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given UpdateRepository takes effect and loses its answer (the SDK sends it again)
    lost = FaultRule("LostResponse", "codeartifact:UpdateRepository", 1.0, times=1)
    standins = StandIns(handshake=HandshakePolicy("after", 2), faults=[lost])
    with LocalEngine(standins, parameters=SAMPLE_PARAMETERS) as engine:
        request_id = onboard(engine, sample)
        _, result = change(engine, request_id, changed(sample))
    # Then the change succeeded, the answer lost once and sent again, and team-python has the
    # new upstreams, once each
    assert result.status == "SUCCEEDED", result.output
    assert sum(standins.faults_injected.values()) == 1
    assert result.api_calls.get("codeartifact:UpdateRepository") == 2
    assert standins.codeartifact.repositories[("acme", "team-python")].upstreams == [
        "team-shared",
        "pypi-store",
    ]
    assert len(standins.codeartifact.repositories) == 3


def test_a_change_event_from_the_owner_changes_it_and_a_redelivery_starts_nothing(
    engine: LocalEngine, sample: dict[str, Any]
) -> None:
    team_request = {k: v for k, v in sample.items() if k != "gitSync"}
    code, _, accepted = engine.api(
        "POST", "/links", json.dumps(team_request), headers=JSON, caller_account=OTHER_ACCOUNT
    )
    assert code == 202
    engine.wait(accepted["executionArn"], deadline_seconds=60)
    detail = {
        "requestId": accepted["requestId"],
        "request": {k: v for k, v in changed(sample).items() if k != "gitSync"},
    }
    # another account's event (the deployment's own) is rejected, naming the request id
    refused = engine.put_event(detail, detail_type="RepositoryLinkChangeRequested")
    assert refused["status"] == "rejected"
    # the owner's is accepted, twice (a redelivery), as one change
    first = engine.put_event(detail, account=OTHER_ACCOUNT, detail_type="RepositoryLinkChangeRequested")
    again = engine.put_event(detail, account=OTHER_ACCOUNT, detail_type="RepositoryLinkChangeRequested")
    assert first["status"] == again["status"] == "accepted"
    assert first["executionArn"] == again["executionArn"]
    assert first["changeId"] == f"{accepted['requestId']}-change-1"
    result = engine.wait(first["executionArn"], deadline_seconds=60)
    assert result.status == "SUCCEEDED", result.output
    assert len(engine.executions(ONBOARDING)) == 2
    assert ("acme", "team-shared") in engine.standins.codeartifact.repositories
    rejected = [e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"]
    assert [p["field"] for p in rejected[0]["errors"]] == ["detail.requestId"]


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.pop("requestId"), "detail.requestId"),
        (lambda d: d.update(prune=True), "detail.prune"),
        (lambda d: d["request"]["codeartifact"].update(domain="acme2"), "detail.request.codeartifact.domain"),
        (lambda d: d["request"].update(handshakeTimeoutHours=0), "detail.request.handshakeTimeoutHours"),
        # the request as JSON text: a string, not a request, never parsed a second time
        (lambda d: d.update(request=json.dumps(d["request"])), "detail.request"),
        # over the request's size limit (within EventBridge's entry size): the request is named
        (lambda d: d["request"].update(padding="x" * MAX_BODY_BYTES), "detail.request"),
    ],
)
def test_a_change_event_that_is_refused_is_rejected_naming_the_field(
    engine: LocalEngine, sample: dict[str, Any], edit: Any, field: str, onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    detail = {"requestId": request_id, "request": copy.deepcopy(sample)}
    edit(detail)
    answer = engine.put_event(detail, detail_type="RepositoryLinkChangeRequested")
    assert answer["status"] == "rejected"
    (rejected,) = [
        e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
    ]
    assert [p["field"] for p in rejected["errors"]] == [field]
    assert len(engine.executions(ONBOARDING)) == 1
