"""Each team's resources in its own account: repolink acts there through the spoke role, under IAM
enforcement across accounts (the function role's sts:AssumeRole, the spoke's trust policy, every
call in the team account against the spoke role's policies, as spoke/template.yaml builds them).

Team B (its own account) onboards a connection with Git sync: the connection, repository link and
sync configuration are made in B by the spoke role, nothing in the deployment's account. B cannot
make repolink act in C. An account the StackSet has not reached refuses the request before
anything starts (SpokeRoleUnavailable), and the same request succeeds once the spoke is there. A
spoke onboarding is changed (pruned) and offboarded in B.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from helpers.engine import JSON
from helpers.spoke import NOTHING, TEAM_B, TEAM_C, made_in, post, repository, request
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.iam.deployment import SPOKE_ROLE
from repolink_local.standins import HandshakePolicy, StandIns
from repolink_local.template import ACCOUNT_ID

pytestmark = pytest.mark.statemachine

SPOKE = {"SpokeRoleName": "repolink-spoke", "AllowedAccountIds": f"{TEAM_B},{TEAM_C}"}


def engine(spoke_accounts: tuple[str, ...] | None = None) -> LocalEngine:
    standins = StandIns(handshake=HandshakePolicy("after", 1))
    return LocalEngine(standins, parameters=SPOKE, spoke_accounts=spoke_accounts)


@pytest.fixture
def spoke_engine() -> Iterator[LocalEngine]:
    with engine() as running:
        yield running


def onboard(running: LocalEngine, body: dict[str, Any]) -> tuple[str, ExecutionResult]:
    code, answer = post(running, body)
    assert code == 202, answer
    result = running.wait(answer["executionArn"], deadline_seconds=60)
    assert result.status == "SUCCEEDED", result.output
    return str(answer["requestId"]), result


def as_team_b(
    running: LocalEngine, method: str, path: str, body: dict[str, Any] | None = None
) -> ExecutionResult:
    """Team B's call (202 asserted), followed to its end."""
    text = json.dumps(body) if body is not None else None
    code, _, answer = running.api(method, path, text, headers=JSON, caller_account=TEAM_B)
    assert code == 202, answer
    return running.wait(answer["executionArn"], deadline_seconds=60)


def test_team_b_onboards_git_sync_in_its_own_account_through_the_spoke(spoke_engine: LocalEngine) -> None:
    # When team B onboards a connection with Git sync
    request_id, result = onboard(spoke_engine, request())
    # Then the connection, its repository link and the sync configuration are in B
    standins = spoke_engine.standins
    assert made_in(standins, TEAM_B) == {"connections": 1, "repositoryLinks": 1, "syncConfigurations": 1}
    (connection,) = standins.account(TEAM_B).connections.list()
    assert connection.arn.split(":")[4] == TEAM_B
    # and nothing in the deployment's account
    assert made_in(standins, ACCOUNT_ID) == NOTHING
    # made by the spoke role, in sessions whose source identity is the onboarding's request id
    exercised = {action for role, action in spoke_engine.iam.exercised if role == SPOKE_ROLE}
    assert {
        "codeconnections:CreateConnection",
        "codeconnections:CreateRepositoryLink",
        "codeconnections:CreateSyncConfiguration",
        "iam:PassRole",
    } <= exercised
    sessions = list(spoke_engine.iam.sessions.values())
    assert sessions and {s.source_identity for s in sessions} == {request_id}
    assert {s.account for s in sessions} == {TEAM_B}
    assert all(
        dict(s.tags) == {"repolink:request-id": request_id, "repolink:owner-account": TEAM_B}
        for s in sessions
    )
    assert spoke_engine.iam.denials == []
    # one session per invocation of a function that may assume the spoke (the roles
    # SpokeAccessPolicy names): the onboarding's tasks in B, and the API's accept
    assuming = {role["Ref"].removesuffix("Role") for role in spoke_policy_roles(spoke_engine)}
    assert result.api_calls["sts:AssumeRole"] == sum(
        n
        for name, n in result.lambda_invocations.items()
        if spoke_engine.functions[name].logical_id in assuming
    )


def spoke_policy_roles(engine: LocalEngine) -> list[dict[str, str]]:
    """The roles the template lets assume the spoke role (``SpokeAccessPolicy``'s ``Roles``)."""
    roles: list[dict[str, str]] = engine.template.resources["SpokeAccessPolicy"]["Properties"]["Roles"]
    return roles


def test_team_b_cannot_make_repolink_act_in_account_c(spoke_engine: LocalEngine) -> None:
    code, answer = post(
        spoke_engine, {**request(repository("infra", "c-network", TEAM_C)), "account": TEAM_C}
    )
    assert code == 422
    assert "account" in {e["field"] for e in answer["errors"]}
    assert spoke_engine.executions() == []
    assert made_in(spoke_engine.standins, TEAM_C) == NOTHING


def test_a_git_sync_role_of_another_account_is_refused(spoke_engine: LocalEngine) -> None:
    code, answer = post(spoke_engine, request(repository("infra", "b-network", ACCOUNT_ID)))
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["gitSync.repositories[0].syncConfigurations[0].roleArn"]


def test_an_account_without_the_spoke_refuses_then_the_same_request_succeeds_once_it_has_one() -> None:
    # Given the StackSet has reached C but not B
    with engine(spoke_accounts=(TEAM_C,)) as running:
        code, answer = post(running, request())
        # Then B's request is refused before anything starts, naming the account, role and runbook
        assert code == 409, answer
        assert "SpokeRoleUnavailable" in answer["message"]
        assert f"arn:aws:iam::{TEAM_B}:role/repolink-spoke" in answer["message"]
        assert "docs/runbook.md#rolling-out-the-spoke-role" in answer["message"]
        assert running.executions() == []
        assert made_in(running.standins, TEAM_B)["connections"] == 0
        # When the StackSet reaches B, the same request succeeds
        running.iam.spoke_accounts = frozenset({TEAM_B, TEAM_C})
        code, answer = post(running, request())
        assert code == 202, answer
        assert running.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"
        assert made_in(running.standins, TEAM_B)["connections"] == 1


def test_a_spoke_onboarding_is_changed_pruned_and_offboarded_in_b(spoke_engine: LocalEngine) -> None:
    both = request(repository("infra", "b-network"), repository("apps", "b-apps"))
    request_id, _ = onboard(spoke_engine, both)
    assert made_in(spoke_engine.standins, TEAM_B)["repositoryLinks"] == 2
    # a change that drops one repository, with prune: its link and stack go, in B
    body = {**request(repository("infra", "b-network")), "prune": True}
    changed = as_team_b(spoke_engine, "PUT", f"/links/{request_id}", body)
    assert changed.status == "SUCCEEDED", changed.output
    assert made_in(spoke_engine.standins, TEAM_B) == {
        "connections": 1,
        "repositoryLinks": 1,
        "syncConfigurations": 1,
    }
    # offboarding removes the rest, in B
    offboarded = as_team_b(spoke_engine, "DELETE", f"/links/{request_id}")
    assert offboarded.status == "SUCCEEDED", offboarded.output
    assert made_in(spoke_engine.standins, TEAM_B) == NOTHING
    assert made_in(spoke_engine.standins, ACCOUNT_ID) == NOTHING
    assert spoke_engine.iam.denials == []


def fill(api: Any, store: Any, count: int, owner: str) -> None:
    """``count`` repository links made earlier in the account of ``api`` (outside IAM)."""
    tags = [
        {"Key": "repolink:request-id", "Value": "rl-earlier"},
        {"Key": "repolink:owner-account", "Value": owner},
    ]
    arn = api.CreateConnection({"ConnectionName": "earlier", "ProviderType": "GitHub", "Tags": tags})[
        "ConnectionArn"
    ]
    store.set_status(arn, "AVAILABLE")
    for i in range(count):
        api.CreateRepositoryLink(
            {"ConnectionArn": arn, "OwnerId": "acme", "RepositoryName": f"old-{i}", "Tags": tags}
        )


def test_each_account_has_its_own_quota_and_the_101st_link_in_b_names_b(spoke_engine: LocalEngine) -> None:
    # Given the deployment's account at its 100 repository links, and B at 99
    standins = spoke_engine.standins
    own = standins.account(ACCOUNT_ID)
    fill(own.apis["codeconnections"], own.connections, 100, ACCOUNT_ID)
    team = standins.account(TEAM_B)
    fill(team.apis["codeconnections"], team.connections, 99, TEAM_B)
    # When B links two more repositories
    code, answer = post(spoke_engine, request(repository("infra", "b-network"), repository("apps", "b-apps")))
    assert code == 202, answer
    result = spoke_engine.wait(answer["executionArn"], deadline_seconds=60)
    # Then B gets its 100th, the other is refused naming B's quota, and the platform's is untouched
    (detail,) = result.events_of("RepositoryLinkFailed")
    (refused,) = [f for f in detail["failures"] if f["error"] == "QuotaExceeded"]
    assert refused["cause"].startswith(f"repository links in {TEAM_B} (100, not adjustable): ")
    assert made_in(standins, TEAM_B)["repositoryLinks"] == 100
    assert made_in(standins, ACCOUNT_ID)["repositoryLinks"] == 100
    assert len(detail["gitSyncRepositories"]) == 1


def test_a_change_restating_the_callers_account_acts_where_the_onboarding_did(
    spoke_engine: LocalEngine,
) -> None:
    # Given B's onboarding, which did not name an account (B's own, by default)
    request_id, _ = onboard(spoke_engine, request(repository("infra", "b-network")))
    # When a change names B, the same target, and adds a repository
    body = {**request(repository("infra", "b-network"), repository("apps", "b-apps")), "account": TEAM_B}
    changed = as_team_b(spoke_engine, "PUT", f"/links/{request_id}", body)
    # Then it is accepted and acts in B
    assert changed.status == "SUCCEEDED", changed.output
    assert made_in(spoke_engine.standins, TEAM_B)["repositoryLinks"] == 2
    assert made_in(spoke_engine.standins, ACCOUNT_ID) == NOTHING
