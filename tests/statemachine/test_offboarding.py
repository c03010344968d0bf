"""Offboarding through the real ASL, with IAM enforced: onboard the sample, then DELETE it.

What an onboarding created goes, newest first; what it reused, and what holds packages, stays
and is listed with the reason; a second DELETE starts nothing; a lost DeleteRepository answer is
still one repository deleted; another account cannot offboard it; a running onboarding is refused.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest

from helpers.engine import JSON, OTHER_ACCOUNT, Onboard, normalized
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import OFFBOARDING, SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

DELETES = (
    "DeleteSyncConfiguration",
    "DeleteRepositoryLink",
    "DeleteConnection",
    "DeleteRepository",
    "DeleteDomain",
)


def offboard(
    engine: LocalEngine, request_id: str, body: dict[str, Any] | None = None, *, caller: str | None = None
) -> tuple[int, dict[str, Any], ExecutionResult | None]:
    """DELETE, then follow the offboarding it names to its end."""
    text = json.dumps(body) if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    code, _, answer = engine.api(
        "DELETE", f"/links/{request_id}", text, headers=headers, caller_account=caller
    )
    if code not in (200, 202):
        return code, answer, None
    return code, answer, engine.wait(answer["executionArn"], deadline_seconds=60)


def deletes(result: ExecutionResult) -> dict[str, int]:
    return {op: n for op, n in result.api_calls.items() if op.split(":")[-1] in DELETES}


def kinds(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["type"], item["name"]) for item in items]


def test_offboarding_the_sample_removes_everything_it_created_newest_first(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the sample onboarded (a connection, a Git sync link with one stack, CodeArtifact)
    request_id = onboard(engine, sample)
    standins = engine.standins
    # When it is offboarded
    code, answer, result = offboard(engine, request_id)
    # Then the DELETE started an offboarding of its own, which succeeded
    assert code == 202
    assert answer["status"] == "offboarding"
    assert result is not None
    assert result.status == "SUCCEEDED", result.output
    # and removed, newest first, everything the onboarding created
    assert kinds(result.output["removed"]) == [
        ("codeconnections:sync-configuration", "acme-network"),
        ("codeconnections:repository-link", "acme/infra"),
        ("codeconnections:connection", "acme-github"),
        ("codeartifact:repository", "team-python"),
        ("codeartifact:repository", "pypi-store"),
        ("codeartifact:domain", "acme"),
    ]
    assert result.output["retained"] == []
    # and AWS holds none of it
    assert standins.connections.sync_configurations == {}
    assert standins.connections.repository_links == {}
    assert standins.connections.list() == []
    assert standins.codeartifact.repositories == {}
    assert standins.codeartifact.domains == {}
    # and one RepositoryLinkOffboarded event lists the same
    (event,) = result.events_of("RepositoryLinkOffboarded")
    assert event["removed"] == result.output["removed"]
    # and GET answers offboarded, with the same lists and nothing left
    code, _, status = engine.api("GET", f"/links/{request_id}")
    assert code == 200
    assert status["status"] == "offboarded"
    assert kinds(status["removed"]) == kinds(result.output["removed"])
    assert status["resources"] == []
    assert (status["connectionArn"], status["connectionStatus"]) == (None, "DELETED")


def test_a_second_delete_starts_nothing_and_deletes_nothing(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    _, first, _ = offboard(engine, request_id)
    calls_before = dict(engine.counter.calls)
    # When it is offboarded again
    code, again, _ = offboard(engine, request_id)
    # Then the answer is the same offboarding, finished, and no Delete call was made
    assert code == 200
    assert again["executionArn"] == first["executionArn"]
    assert again["status"] == "offboarded"
    assert len(engine.executions(OFFBOARDING)) == 1
    made = {op: n - calls_before.get(op, 0) for op, n in engine.counter.calls.items()}
    assert {op: n for op, n in made.items() if n and op.split(":")[-1] in DELETES} == {}


def test_a_repository_holding_packages_is_retained_with_the_reason_and_keeps_its_domain(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    # Given the team published a package to team-python
    engine.standins.codeartifact.publish("acme", "team-python", "acme-lib")
    _, _, result = offboard(engine, request_id)
    assert result is not None
    assert result.status == "SUCCEEDED", result.output
    # Then team-python stays, and with it its upstream pypi-store and the domain, each with why
    retained = {(r["type"], r["name"]): r["reason"] for r in result.output["retained"]}
    assert "holds packages" in retained[("codeartifact:repository", "team-python")]
    assert (
        "upstream of repositories that stay: team-python"
        in retained[("codeartifact:repository", "pypi-store")]
    )
    assert "still holds repositories" in retained[("codeartifact:domain", "acme")]
    assert set(engine.standins.codeartifact.repositories) == {("acme", "team-python"), ("acme", "pypi-store")}
    # and the source links are removed all the same
    assert engine.standins.connections.list() == []


def test_delete_packages_deletes_a_repository_that_holds_packages(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    engine.standins.codeartifact.publish("acme", "team-python", "acme-lib")
    _, _, result = offboard(engine, request_id, {"deletePackages": True})
    assert result is not None
    assert result.status == "SUCCEEDED", result.output
    assert result.output["retained"] == []
    assert engine.standins.codeartifact.repositories == {}
    assert engine.standins.codeartifact.domains == {}


def test_a_reused_domain_and_connection_are_untouched(sample_event: Any, onboard: Onboard) -> None:
    request = copy.deepcopy(sample_event("onboarding.json"))
    request["codeartifact"]["createDomain"] = False
    body = normalized(request)
    standins = StandIns(handshake=HandshakePolicy("after", 2))
    with LocalEngine(standins, parameters=SAMPLE_PARAMETERS) as engine:
        # Given a domain that was there before (made by hand, untagged)
        boto3.client("codeartifact").create_domain(domain="acme")
        request_id = onboard(engine, body)
        _, _, result = offboard(engine, request_id)
    assert result is not None
    assert result.status == "SUCCEEDED", result.output
    retained = {(r["type"], r["name"]): r["reason"] for r in result.output["retained"]}
    assert retained == {("codeartifact:domain", "acme"): "reused: this onboarding did not create it"}
    assert "acme" in standins.codeartifact.domains
    assert "codeartifact:DeleteDomain" not in deletes(result)
    assert deletes(result)["codeartifact:DeleteRepository"] == 2


def test_a_lost_delete_repository_answer_still_deletes_each_repository_once(
    sample: dict[str, Any],
    onboard: Onboard,
) -> None:
    # Given every DeleteRepository takes effect and loses its answer once (the SDK sends it again)
    lost = FaultRule("LostResponse", "codeartifact:DeleteRepository", 1.0, times=2)
    standins = StandIns(handshake=HandshakePolicy("after", 2), faults=[lost])
    with LocalEngine(standins, parameters=SAMPLE_PARAMETERS) as engine:
        request_id = onboard(engine, sample)
        _, _, result = offboard(engine, request_id)
    assert result is not None
    # Then the offboarding succeeds, each repository reported removed once, the domain too
    assert result.status == "SUCCEEDED", result.output
    # each DeleteRepository was sent twice (the first answer lost); IAM refused the second (the
    # role deletes only what carries repolink's tag, and the repository was gone, its tags with
    # it), and the read that followed found it gone
    assert result.api_calls["codeartifact:DeleteRepository"] == 2
    refused = [d.authorization.action for d in engine.iam.denials]
    assert refused == ["codeartifact:DeleteRepository"] * 2
    removed = [name for kind, name in kinds(result.output["removed"]) if kind == "codeartifact:repository"]
    assert removed == ["team-python", "pypi-store"]
    assert standins.codeartifact.repositories == {}
    assert standins.codeartifact.domains == {}


def test_another_accounts_delete_answers_404_and_starts_nothing(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    code, answer, _ = offboard(engine, request_id, caller=OTHER_ACCOUNT)
    assert code == 404
    assert answer["message"] == f"no onboarding {request_id}"
    assert engine.executions(OFFBOARDING) == []
    assert engine.standins.connections.list() != []


def onboarded_by_another_team(engine: LocalEngine, sample: dict[str, Any]) -> str:
    """:data:`OTHER_ACCOUNT`'s onboarding of the sample without Git sync (its role is this
    account's), run to its end; its request id."""
    team_request = {k: v for k, v in sample.items() if k != "gitSync"}
    code, _, accepted = engine.api(
        "POST", "/links", json.dumps(team_request), headers=JSON, caller_account=OTHER_ACCOUNT
    )
    assert code == 202
    engine.wait(accepted["executionArn"], deadline_seconds=60)
    return str(accepted["requestId"])


def test_the_deployments_account_reads_a_teams_onboarding_but_may_not_offboard_it(
    engine: LocalEngine, sample: dict[str, Any]
) -> None:
    request_id = onboarded_by_another_team(engine, sample)
    code, answer, _ = offboard(engine, request_id)
    assert code == 403
    assert OTHER_ACCOUNT in answer["message"]
    assert engine.executions(OFFBOARDING) == []
    # and the team itself may
    code, _, result = offboard(engine, request_id, caller=OTHER_ACCOUNT)
    assert code == 202
    assert result is not None
    assert result.status == "SUCCEEDED", result.output


def test_a_running_onboarding_is_refused_with_409_naming_its_state(sample: dict[str, Any]) -> None:
    standins = StandIns(handshake=HandshakePolicy("never"))
    with LocalEngine(standins, parameters=SAMPLE_PARAMETERS) as engine:
        request_id = request_id_of(sample)
        engine.start(request_id, sample)
        code, answer, _ = offboard(engine, request_id)
        assert engine.executions(OFFBOARDING) == []
    assert code == 409
    assert answer["errors"] == [{"field": "status", "message": "running"}]
    assert "running" in answer["message"]


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [
        ("{", 400, None),
        ('{"deletePackages": "yes"}', 422, "deletePackages"),
        ('{"deletePackages": true, "force": true}', 422, "force"),
    ],
)
def test_a_bad_body_is_refused_naming_the_field_and_starts_nothing(
    engine: LocalEngine, sample: dict[str, Any], text: str, code: int, field: str | None, onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    answered, _, answer = engine.api(
        "DELETE", f"/links/{request_id}", text, headers={"Content-Type": "application/json"}
    )
    assert answered == code
    if field is not None:
        assert [e["field"] for e in answer["errors"]] == [field]
    assert engine.executions(OFFBOARDING) == []


def test_offboarding_again_with_other_options_is_refused_and_changes_nothing(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    engine.standins.codeartifact.publish("acme", "team-python", "acme-lib")
    offboard(engine, request_id)
    code, answer, _ = offboard(engine, request_id, {"deletePackages": True})
    assert code == 409
    assert [e["field"] for e in answer["errors"]] == ["deletePackages"]
    assert ("acme", "team-python") in engine.standins.codeartifact.repositories


def test_the_offboardings_calls_are_its_own_roles_under_iam(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    """The interpreter invokes the offboarding's functions as the offboarding machine's role."""
    request_id = onboard(engine, sample)
    offboard(engine, request_id)
    roles = {role for role, action in engine.iam.exercised if action == "lambda:InvokeFunction"}
    assert roles == {"OnboardingStateMachineRole", "OffboardingStateMachineRole"}
    assert engine.iam.denials == []


def test_sharing_statements_on_a_reused_domain_are_listed_as_retained(
    engine: LocalEngine, onboard: Onboard
) -> None:
    # Given a domain made by hand, and an onboarding that shared it with another team
    boto3.client("codeartifact").create_domain(domain="shared")
    request = normalized(
        {
            "codeartifact": {
                "domain": "shared",
                "repositories": [{"name": "store", "externalConnection": "public:pypi"}],
                "consumers": {"accounts": [OTHER_ACCOUNT]},
            }
        }
    )
    request_id = onboard(engine, request)
    _, _, result = offboard(engine, request_id)
    assert result is not None
    assert result.status == "SUCCEEDED", result.output
    # Then its repository (and that repository's policy) goes; the domain and its statements stay
    assert kinds(result.output["removed"]) == [("codeartifact:repository", "store")]
    retained = {(r["type"], r["name"]): r["reason"] for r in result.output["retained"]}
    assert retained[("codeartifact:domain", "shared")] == "reused: this onboarding did not create it"
    assert "RepolinkConsumerAccounts" in retained[("codeartifact:domain-permissions-policy", "shared")]
    assert "shared" in engine.standins.codeartifact.domains


def test_a_denied_delete_fails_the_offboarding_naming_the_step_with_what_was_done(
    sample: dict[str, Any],
    onboard: Onboard,
) -> None:
    revoked = frozenset({("RemoveCodeArtifactFunctionRole", "codeartifact:DeleteDomain")})
    standins = StandIns(handshake=HandshakePolicy("after", 2))
    with LocalEngine(standins, parameters=SAMPLE_PARAMETERS, revoked=revoked) as engine:
        request_id = onboard(engine, sample)
        code, _, result = offboard(engine, request_id)
        _, _, status = engine.api("GET", f"/links/{request_id}")
    assert code == 202
    assert result is not None
    assert result.status == "FAILED"
    (failed,) = result.events_of("RepositoryLinkOffboardFailed")
    assert (failed["step"], failed["error"]) == ("CodeArtifact.Remove", "AwsAccessDenied")
    assert "codeartifact:DeleteDomain" in failed["cause"]
    # what was done before it is listed: everything but the domain
    assert ("codeartifact:domain", "acme") not in kinds(failed["removed"])
    assert len(failed["removed"]) == 5
    # and GET says so
    assert (status["status"], status["step"], status["error"]) == (
        "offboard-failed",
        "CodeArtifact.Remove",
        "AwsAccessDenied",
    )
    assert [r["type"] for r in status["resources"]] == ["codeartifact:domain"]


def test_a_failed_offboarding_is_retried_by_a_delete_once_the_cause_is_fixed(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given an offboarding that failed: DeleteDomain denied
    request_id = onboard(engine, sample)
    engine.standins.faults = [FaultRule("AccessDeniedException", "codeartifact:DeleteDomain", 1.0)]
    code, _, first = offboard(engine, request_id)
    assert code == 202 and first is not None and first.status == "FAILED"
    (failed,) = first.events_of("RepositoryLinkOffboardFailed")
    # When the cause is fixed and the onboarding is offboarded again
    engine.standins.faults = []
    code, answer, second = offboard(engine, request_id)
    # Then a second offboarding ran, and removed what the first left: the domain, once
    assert code == 202, answer
    assert answer["executionArn"].endswith(f":{request_id}-offboard-2")
    assert second is not None and second.status == "SUCCEEDED", second.output
    (done,) = second.events_of("RepositoryLinkOffboarded")
    assert ("codeartifact:domain", "acme") in kinds(done["removed"])
    # (the engine counts calls from its start: the first attempt's denied one, then this one)
    assert second.api_calls["codeartifact:DeleteDomain"] == first.api_calls["codeartifact:DeleteDomain"] + 1
    # what the first removed is found gone and listed again, nothing is deleted twice
    assert set(kinds(failed["removed"])) <= set(kinds(done["removed"]))
    assert not engine.standins.codeartifact.domains and not engine.standins.codeartifact.repositories
    # and GET, the listing and a further DELETE answer from the second
    _, _, status = engine.api("GET", f"/links/{request_id}")
    assert status["status"] == "offboarded"
    _, _, listed = engine.api("GET", "/links")
    assert [(link["requestId"], link["status"]) for link in listed["links"]] == [(request_id, "offboarded")]
    _, _, offboarded = engine.api("GET", "/links?state=offboarded")
    assert [link["requestId"] for link in offboarded["links"]] == [request_id]
    code, again, _ = offboard(engine, request_id)
    assert (code, again["status"]) == (200, "offboarded")
    assert len(engine.executions(OFFBOARDING)) == 2


def test_a_connection_another_onboarding_links_through_is_retained(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    # Given a second onboarding reusing the connection for another repository
    second = copy.deepcopy(sample)
    second.pop("codeartifact")
    repository = second["gitSync"]["repositories"][0]
    repository["repositoryName"] = "apps"
    repository["syncConfigurations"][0]["resourceName"] = "acme-apps"
    onboard(engine, normalized(second))
    _, _, result = offboard(engine, request_id)
    assert result is not None
    assert result.status == "SUCCEEDED", result.output
    retained = {(r["type"], r["name"]): r["reason"] for r in result.output["retained"]}
    assert retained == {
        ("codeconnections:connection", "acme-github"): (
            "repository links still use it (another onboarding reuses it): acme/apps"
        )
    }
    (link,) = engine.standins.connections.repository_links.values()
    assert link.repository_name == "apps"


def test_an_offboard_event_from_the_owner_offboards_it_and_a_redelivery_starts_nothing(
    engine: LocalEngine, sample: dict[str, Any]
) -> None:
    request_id = onboarded_by_another_team(engine, sample)
    detail = {"requestId": request_id, "deletePackages": False}
    # another account's event (the deployment's own) is rejected, naming the request id
    refused = engine.put_event(detail, detail_type="RepositoryLinkOffboardRequested")
    assert refused["status"] == "rejected"
    # the owner's is accepted, twice (a redelivery), as one offboarding
    first = engine.put_event(detail, account=OTHER_ACCOUNT, detail_type="RepositoryLinkOffboardRequested")
    again = engine.put_event(detail, account=OTHER_ACCOUNT, detail_type="RepositoryLinkOffboardRequested")
    assert first["status"] == again["status"] == "accepted"
    assert first["executionArn"] == again["executionArn"]
    result = engine.wait(first["executionArn"], deadline_seconds=60)
    assert result.status == "SUCCEEDED", result.output
    assert len(engine.executions(OFFBOARDING)) == 1
    rejected = [e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"]
    assert [p["field"] for p in rejected[0]["errors"]] == ["detail.requestId"]


@pytest.mark.parametrize(
    ("detail", "field"),
    [
        ({}, "detail.requestId"),
        ({"requestId": "rl-nope"}, "detail.requestId"),
        ({"requestId": "rl-" + "0" * 40, "deletePackages": "yes"}, "detail.deletePackages"),
        ({"requestId": "rl-" + "0" * 40, "force": True}, "detail.force"),
    ],
)
def test_a_malformed_offboard_event_is_rejected_naming_the_field(
    engine: LocalEngine, detail: dict[str, Any], field: str
) -> None:
    answer = engine.put_event(detail, account=OTHER_ACCOUNT, detail_type="RepositoryLinkOffboardRequested")
    assert answer["status"] == "rejected"
    (rejected,) = [
        e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
    ]
    assert [p["field"] for p in rejected["errors"]] == [field]
    assert engine.executions(OFFBOARDING) == []


def test_a_host_the_onboarding_created_goes_after_its_connection(sample_event: Any, onboard: Onboard) -> None:
    # Given the host sample: a host created and set up, a connection on it, a Git sync link
    request = normalized(copy.deepcopy(sample_event("onboarding-host.json")))
    standins = StandIns(handshake=HandshakePolicy("after", 2))
    with LocalEngine(standins, parameters=SAMPLE_PARAMETERS) as engine:
        request_id = onboard(engine, request)
        assert len(standins.connections.hosts) == 1
        _, _, result = offboard(engine, request_id)
    assert result is not None
    assert result.status == "SUCCEEDED", result.output
    # Then the host is the last of the source links to go, and AWS holds none of them
    assert [kind for kind, _ in kinds(result.output["removed"])] == [
        "codeconnections:sync-configuration",
        "codeconnections:repository-link",
        "codeconnections:connection",
        "codeconnections:host",
    ]
    assert standins.connections.hosts == {}
    assert standins.connections.list() == []
