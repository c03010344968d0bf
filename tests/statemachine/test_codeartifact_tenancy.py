"""Two teams and CodeArtifact, through the real ASL with IAM enforced (issue 22, findings 1 and 2).

Team B cannot touch what team A's onboarding made: not create a repository in A's domain, not
name A's repository as an upstream, not reuse it, not write into its policies; by POST, by PUT,
and in the task when the accept check is bypassed (as when the domain changes hands after
accept). A's offboarding then removes all of A's, and B learns nothing of A's settings: neither
A's account nor A's repositories' upstreams appear in B's 422s, B's GET or B's events. A domain
made outside repolink, or listed in ``SharedDomains``, is shared: both teams make their own
repositories there, and each team's stay its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from helpers.engine import JSON, sample_engine
from repolink.models.validation import validate_request
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.template import ACCOUNT_ID, SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

TEAM_A, TEAM_B = "111111111111", "222222222222"
PARAMETERS = {**SAMPLE_PARAMETERS, "AllowedAccountIds": f"{TEAM_A},{TEAM_B}", "SharedDomains": "pool"}
#: A's domain: `store` (pypi) upstream of `team`
A_DOMAIN = {
    "domain": "team-a",
    "createDomain": True,
    "repositories": [
        {"name": "store", "externalConnection": "public:pypi"},
        {"name": "team", "upstreams": ["store"]},
    ],
}
#: what only A knows, and B must never read
A_SECRETS = (TEAM_A, "store")


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with sample_engine(checks=1, parameters=PARAMETERS) as running:
        yield running


def post(engine: LocalEngine, caller: str, body: dict[str, Any]) -> tuple[int, str]:
    code, _, text = engine.api_response(
        "POST", "/links", json.dumps(body), headers=JSON, caller_account=caller
    )
    return code, text or ""


def onboard(engine: LocalEngine, caller: str, body: dict[str, Any]) -> str:
    code, text = post(engine, caller, body)
    assert code == 202, text
    answer = json.loads(text)
    result = engine.wait(answer["executionArn"], deadline_seconds=60)
    assert result.status == "SUCCEEDED", result.output
    return str(answer["requestId"])


def bypass(engine: LocalEngine, caller: str, body: dict[str, Any]) -> ExecutionResult:
    """Start ``caller``'s onboarding without the accept check (as if the domain changed hands
    after it): the task must refuse on its own."""
    request = validate_request(body).wire()
    request_id = request_id_of(request, caller)
    arn = boto3.client("stepfunctions").start_execution(
        stateMachineArn=engine.state_machine_arn,
        name=request_id,
        input=json.dumps({"requestId": request_id, "callerAccount": caller, "request": request}),
    )["executionArn"]
    return engine.wait(arn, deadline_seconds=60)


def failed_event(result: ExecutionResult) -> dict[str, Any]:
    """The execution's RepositoryLinkFailed detail (the engine's events are every execution's)."""
    request_id = result.execution_arn.rsplit(":", 1)[1]
    (event,) = [e for e in result.events_of("RepositoryLinkFailed") if e.get("requestId") == request_id]
    return dict(event)


def codeartifact_of(result: ExecutionResult) -> dict[str, Any]:
    return dict(failed_event(result)["codeartifact"])


def repositories(engine: LocalEngine, domain: str) -> set[str]:
    return {name for (d, name) in engine.standins.codeartifact.repositories if d == domain}


def policies(engine: LocalEngine) -> set[str]:
    return set(engine.standins.codeartifact.policies)


def assert_learns_nothing(text: str) -> None:
    for secret in A_SECRETS:
        assert secret not in text, text


def refused_fields(code: int, text: str) -> list[str]:
    assert code == 422, text
    return [e["field"] for e in json.loads(text)["errors"]]


def test_b_cannot_touch_a_domain_by_post_put_or_task_and_a_offboards_all_of_it(engine: LocalEngine) -> None:
    # Given A's onboarding made domain team-a, tagged with A's account
    a_id = onboard(engine, TEAM_A, {"codeartifact": A_DOMAIN})
    codeartifact = engine.standins.codeartifact
    domain_arn = codeartifact.domains["team-a"].arn
    assert codeartifact.tags[domain_arn]["repolink:owner-account"] == TEAM_A
    assert (
        codeartifact.tags[codeartifact.repositories[("team-a", "team")].arn]["repolink:owner-account"]
        == TEAM_A
    )
    before = (repositories(engine, "team-a"), policies(engine), len(engine.executions()))

    # When B POSTs into A's domain: a repository upstreaming A's, with consumers (finding 1);
    # A's repository with other upstreams (finding 2); A's domain to create
    spy = {
        "domain": "team-a",
        "domainOwner": ACCOUNT_ID,
        "repositories": [{"name": "b-spy", "upstreams": ["team"]}],
        "consumers": {"accounts": [TEAM_B]},
    }
    reuse = {"domain": "team-a", "repositories": [{"name": "team"}]}
    create = {**A_DOMAIN, "repositories": [{"name": "b-own"}]}
    for section in (spy, reuse, create):
        code, text = post(engine, TEAM_B, {"codeartifact": section})
        # Then each is refused at the domain, naming neither A nor A's settings
        assert refused_fields(code, text) == ["codeartifact.domain"]
        assert "not one this account may use" in text
        assert_learns_nothing(text)

    # When B's onboarding (a connection only) is changed to add A's domain (PUT)
    b_id = onboard(engine, TEAM_B, {"connection": {"name": "b-github", "provider": "GitHub"}})
    changed = {"connection": {"name": "b-github", "provider": "GitHub"}, "codeartifact": spy}
    code, _, text = engine.api_response(
        "PUT", f"/links/{b_id}", json.dumps(changed), headers=JSON, caller_account=TEAM_B
    )
    # Then it is refused as the POST is
    assert refused_fields(code, text or "") == ["codeartifact.domain"]
    assert_learns_nothing(text or "")
    # When B asks the same by EventBridge: an onboarding event, and a change event of its onboarding
    for detail, detail_type in (
        ({"request": {"codeartifact": spy}}, "RepositoryLinkRequested"),
        ({"requestId": b_id, "request": changed}, "RepositoryLinkChangeRequested"),
    ):
        answer = engine.put_event(detail, account=TEAM_B, detail_type=detail_type)
        # Then each is rejected naming the domain, and the rejection names nothing of A's
        assert answer["status"] == "rejected", answer
        rejected = [
            e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
        ]
        assert [e["field"] for e in rejected[-1]["errors"]] == ["detail.request.codeartifact.domain"]
        assert_learns_nothing(json.dumps(rejected[-1]))
    # and nothing started beside B's own onboarding, nothing changed in A's domain
    assert len(engine.executions()) == before[2] + 1
    assert (repositories(engine, "team-a"), policies(engine)) == before[:2]

    # When B's onboarding into A's domain runs without the accept check
    for section in (spy, reuse):
        result = bypass(engine, TEAM_B, {"codeartifact": section})
        # Then the task refuses the domain, a permanent failure that names neither A nor its settings
        reported = codeartifact_of(result)
        assert reported["status"] == "failed"
        assert reported["failure"]["error"] == "DomainNotOwned"
        assert reported["repositories"] == [] and reported["sharing"] == []
        assert_learns_nothing(json.dumps(failed_event(result)))
        # and B's GET of it reads the same, nothing of A's
        request_id = result.execution_arn.rsplit(":", 1)[1]
        code, _, status = engine.api_response("GET", f"/links/{request_id}", caller_account=TEAM_B)
        assert code == 200, status
        assert "DomainNotOwned" in (status or "")
        assert_learns_nothing(status or "")
    assert (repositories(engine, "team-a"), policies(engine)) == before[:2]

    # When A offboards
    code, _, answer = engine.api("DELETE", f"/links/{a_id}", caller_account=TEAM_A)
    assert code == 202, answer
    offboarded = engine.wait(answer["executionArn"], deadline_seconds=60)
    # Then everything of A's is gone, the domain included
    (event,) = [e for e in offboarded.events_of("RepositoryLinkOffboarded") if e["requestId"] == a_id]
    assert event["retained"] == []
    assert "team-a" not in codeartifact.domains
    assert repositories(engine, "team-a") == set()


def test_a_shared_domain_serves_both_teams_and_each_team_repositories_stay_its_own(
    engine: LocalEngine,
) -> None:
    # Given a domain made outside repolink, with the platform's upstream in it
    codeartifact = engine.standins.codeartifact
    codeartifact.CreateDomain({"domain": "platform"})
    codeartifact.CreateRepository({"domain": "platform", "repository": "pypi-shared"})
    # When each team onboards its own repository there, upstreaming the platform's, B sharing its own
    onboard(engine, TEAM_A, {"codeartifact": {"domain": "platform", "repositories": [
        {"name": "a-lib", "upstreams": ["pypi-shared"]},
        {"name": "a-app", "upstreams": ["a-lib"]},
    ]}})  # fmt: skip
    onboard(engine, TEAM_B, {"codeartifact": {
        "domain": "platform",
        "repositories": [{"name": "b-lib", "upstreams": ["pypi-shared"]}],
        "consumers": {"accounts": [TEAM_B]},
    }})  # fmt: skip
    # Then both succeed, each with its own repository
    assert {"a-lib", "a-app", "b-lib"} <= repositories(engine, "platform")
    before = (repositories(engine, "platform"), policies(engine))

    # When B names A's repository: to reuse it, or as an upstream
    for repos, field in (
        ([{"name": "a-lib", "upstreams": ["pypi-shared"]}], "codeartifact.repositories[0].name"),
        ([{"name": "b-spy", "upstreams": ["a-app"]}], "codeartifact.repositories[0].upstreams[0]"),
    ):
        section = {"domain": "platform", "repositories": repos, "consumers": {"accounts": [TEAM_B]}}
        code, text = post(engine, TEAM_B, {"codeartifact": section})
        # Then it is refused naming the field, and nothing of A's settings
        assert refused_fields(code, text) == [field]
        assert_learns_nothing(text)
        if field.endswith("upstreams[0]"):
            assert "a-lib" not in text  # a-app's upstream
        # and the task refuses it too when the accept check is bypassed
        result = bypass(engine, TEAM_B, {"codeartifact": section})
        reported = codeartifact_of(result)
        assert reported["failure"]["error"] == "RepositoryNotOwned"
        assert reported["sharing"] == []
        assert_learns_nothing(json.dumps(reported))
    assert (repositories(engine, "platform"), policies(engine)) == before


def test_a_domain_a_team_made_is_shared_when_the_deployment_lists_it(engine: LocalEngine) -> None:
    # Given A's onboarding made "pool", which the deployment lists in SharedDomains
    onboard(engine, TEAM_A, {"codeartifact": {"domain": "pool", "createDomain": True, "repositories": [
        {"name": "a-lib"},
    ]}})  # fmt: skip
    # When B makes its own repository there
    onboard(engine, TEAM_B, {"codeartifact": {"domain": "pool", "repositories": [{"name": "b-lib"}]}})
    # Then it is made; but A's repository is still A's
    assert repositories(engine, "pool") == {"a-lib", "b-lib"}
    code, text = post(
        engine,
        TEAM_B,
        {"codeartifact": {"domain": "pool", "repositories": [{"name": "b-x", "upstreams": ["a-lib"]}]}},
    )
    assert refused_fields(code, text) == ["codeartifact.repositories[0].upstreams[0]"]
    assert_learns_nothing(text)
