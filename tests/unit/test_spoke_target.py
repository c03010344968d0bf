"""Where an onboarding acts: the deployment's own account without a spoke role; with one, the
caller's account or the one its ``account`` field names, as the tenancy rules allow."""

from __future__ import annotations

from typing import Any

import pytest

from repolink.adapters.accounts import domain_owner_of, target_of
from repolink.workflow.accept import Deployment, judge

pytestmark = pytest.mark.unit
OWN, TEAM_B, TEAM_C, FRIEND = "123456789012", "222222222222", "333333333333", "444444444444"
SPOKE = Deployment(
    account=OWN,
    region="us-east-1",
    allowed_account_ids=frozenset({TEAM_B, TEAM_C, FRIEND}),
    delegations={TEAM_B: frozenset({FRIEND})},
    spoke_role_name="repolink-spoke",
)
NO_SPOKE = Deployment(account=OWN, region="us-east-1", allowed_account_ids=frozenset({TEAM_B, TEAM_C}))


def git_sync(role_account: str) -> dict[str, Any]:
    return {
        "connection": {"name": "gh", "provider": "GitHub"},
        "gitSync": {
            "repositories": [
                {
                    "ownerId": "acme",
                    "repositoryName": "infra",
                    "syncConfigurations": [
                        {
                            "resourceName": "infra",
                            "branch": "main",
                            "configFile": "deploy.yaml",
                            "roleArn": f"arn:aws:iam::{role_account}:role/repolink-git-sync/infra",
                        }
                    ],
                }
            ]
        },
    }


def verdict(body: dict[str, Any], caller: str, deployment: Deployment = SPOKE) -> Any:
    return judge(body, caller=caller, idempotency_key=None, deployment=deployment, parsed=True)


def refused_fields(body: dict[str, Any], caller: str, deployment: Deployment = SPOKE) -> set[str]:
    answer = verdict(body, caller, deployment)
    assert answer.refused is not None, "accepted"
    return {e.field for e in answer.refused.errors}


CONNECTION = {"connection": {"name": "gh", "provider": "GitHub"}}


def test_without_a_spoke_role_everything_acts_in_the_deployments_account() -> None:
    answer = verdict(CONNECTION, TEAM_B, NO_SPOKE)
    assert answer.command is not None and answer.command.target == OWN


def test_without_a_spoke_role_another_account_cannot_be_named() -> None:
    assert refused_fields({**CONNECTION, "account": TEAM_B}, TEAM_B, NO_SPOKE) == {"account"}
    # naming the deployment's own account says what happens anyway
    assert verdict({**CONNECTION, "account": OWN}, TEAM_B, NO_SPOKE).command is not None


def test_with_a_spoke_role_a_team_acts_in_its_own_account_by_default() -> None:
    answer = verdict(CONNECTION, TEAM_B)
    assert answer.command is not None and answer.command.target == TEAM_B


def test_team_b_cannot_make_repolink_act_in_account_c() -> None:
    answer = verdict({**CONNECTION, "account": TEAM_C}, TEAM_B)
    assert answer.refused is not None
    assert [e.field for e in answer.refused.errors] == ["account"]
    assert TEAM_C in answer.refused.message and "AccountDelegations" in answer.refused.message


def test_a_delegated_account_may_be_named() -> None:
    answer = verdict({**CONNECTION, "account": FRIEND}, TEAM_B)
    assert answer.command is not None and answer.command.target == FRIEND


def test_the_deployments_account_may_name_any_admitted_account_but_no_other() -> None:
    answer = verdict({**CONNECTION, "account": TEAM_C}, OWN)
    assert answer.command is not None and answer.command.target == TEAM_C
    assert refused_fields({**CONNECTION, "account": "999999999999"}, OWN) == {"account"}


def test_by_organisation_the_deployments_account_may_name_any_account_and_aws_decides_membership() -> None:
    # the organisation's members are AWS's to know: the spoke's AssumeRole, allowed only in the
    # organisation (aws:ResourceOrgID), refuses an outsider at accept (statemachine/test_organization.py)
    by_organization = Deployment(
        account=OWN,
        region="us-east-1",
        allowed_organization_id="o-acme000000",
        spoke_role_name="repolink-spoke",
    )
    answer = verdict({**CONNECTION, "account": TEAM_C}, OWN, by_organization)
    assert answer.command is not None and answer.command.target == TEAM_C
    # a team still names only its own account
    assert refused_fields({**CONNECTION, "account": TEAM_C}, TEAM_B, by_organization) == {"account"}


def test_by_organisation_a_delegated_account_may_be_named_as_the_target() -> None:
    # AccountDelegations in a deployment that admits its teams by organisation alone: the delegate
    # is admitted the way any member is (the spoke's AssumeRole, allowed only in the
    # organisation, refuses an outsider at accept), not ignored for being in no account list
    by_organization = Deployment(
        account=OWN,
        region="us-east-1",
        allowed_organization_id="o-acme000000",
        delegations={TEAM_B: frozenset({FRIEND})},
        spoke_role_name="repolink-spoke",
    )
    answer = verdict({**CONNECTION, "account": FRIEND}, TEAM_B, by_organization)
    assert answer.command is not None and answer.command.target == FRIEND
    # and one not delegated stays refused
    assert refused_fields({**CONNECTION, "account": TEAM_C}, TEAM_B, by_organization) == {"account"}


def test_with_a_spoke_role_git_sync_roles_are_the_target_accounts() -> None:
    # no GitSyncRoleArns needed: the spoke's own template names the roles it may pass there
    assert verdict(git_sync(TEAM_B), TEAM_B).command is not None
    field = "gitSync.repositories[0].syncConfigurations[0].roleArn"
    assert refused_fields(git_sync(OWN), TEAM_B) == {field}
    assert refused_fields({**git_sync(TEAM_B), "account": FRIEND}, TEAM_B) == {field}
    assert verdict({**git_sync(FRIEND), "account": FRIEND}, TEAM_B).command is not None


def test_without_a_spoke_role_a_team_accounts_git_sync_is_still_refused() -> None:
    field = "gitSync.repositories[0].syncConfigurations[0].roleArn"
    listed = Deployment(
        account=OWN,
        region="us-east-1",
        git_sync_role_arns=frozenset({f"arn:aws:iam::{TEAM_B}:role/repolink-git-sync/infra"}),
    )
    assert refused_fields(git_sync(TEAM_B), TEAM_B, listed) == {field}


def test_a_reused_connection_must_be_in_the_target_account() -> None:
    arn = f"arn:aws:codeconnections:us-east-1:{TEAM_B}:connection/abc-123"
    assert verdict({"connection": {"arn": arn}}, TEAM_B).command is not None
    assert refused_fields({"connection": {"arn": arn}}, TEAM_B, NO_SPOKE) == {"connection.arn"}
    platform = f"arn:aws:codeconnections:us-east-1:{OWN}:connection/abc-123"
    assert refused_fields({"connection": {"arn": platform}}, TEAM_B) == {"connection.arn"}


@pytest.mark.parametrize(
    "account, role_name, acts_here",
    [
        (TEAM_B, "", True),
        (OWN, "repolink-spoke", True),
        (None, "repolink-spoke", True),
        (TEAM_B, "repolink-spoke", False),
    ],
)
def test_a_session_is_opened_only_for_another_account_with_a_spoke_role(
    account: str | None, role_name: str, acts_here: bool
) -> None:
    target = target_of(account, own_account=OWN, role_name=role_name, request_id="rl-1", caller=TEAM_B)
    assert (target is None) == acts_here
    if target is not None:
        assert target.role_arn == f"arn:aws:iam::{TEAM_B}:role/repolink-spoke"
        assert (target.request_id, target.caller) == ("rl-1", TEAM_B)


def test_the_target_accounts_own_domain_is_made_there_and_any_other_stays_as_today() -> None:
    def codeartifact(owner: str | None) -> bool:
        target = target_of(
            TEAM_B, own_account=OWN, role_name="r", request_id="rl-1", caller=TEAM_B, domain_owner=owner
        )
        assert target is not None
        return target.codeartifact

    assert codeartifact(None) and codeartifact(TEAM_B)
    assert not codeartifact(OWN) and not codeartifact(FRIEND)
    assert domain_owner_of({"domain": "acme", "domainOwner": FRIEND}) == FRIEND
    assert (
        domain_owner_of(
            {"domain": "acme", "domainArn": f"arn:aws:codeartifact:us-east-1:{TEAM_B}:domain/acme"}
        )
        == TEAM_B
    )
    assert domain_owner_of({"domain": "acme"}) is None and domain_owner_of(None) is None


def test_with_a_spoke_role_create_domain_makes_the_target_accounts_domain() -> None:
    body = {"codeartifact": {"domain": "acme", "createDomain": True, "repositories": [{"name": "py"}]}}
    assert (
        verdict({**body, "codeartifact": {**body["codeartifact"], "domainOwner": TEAM_B}}, TEAM_B).command
        is not None
    )
    assert refused_fields(
        {**body, "codeartifact": {**body["codeartifact"], "domainOwner": TEAM_B}}, TEAM_B, NO_SPOKE
    ) == {"codeartifact.domainOwner"}
    shared = {**body["codeartifact"], "consumers": {"accounts": [TEAM_C]}}
    assert verdict({"codeartifact": {**shared, "domainOwner": TEAM_B}}, TEAM_B).command is not None


def test_a_change_cannot_move_an_onboarding_to_another_account() -> None:
    from repolink.workflow.change import fixed_fields

    before = {**CONNECTION, "account": TEAM_B}
    assert fixed_fields([before], {**CONNECTION, "account": TEAM_B}) == []
    assert [e.field for e in fixed_fields([before], {**CONNECTION, "account": FRIEND})] == ["account"]
    assert [e.field for e in fixed_fields([CONNECTION], {**CONNECTION, "account": FRIEND})] == ["account"]


def test_a_change_restating_the_default_account_keeps_the_same_target() -> None:
    from repolink.workflow.change import fixed_fields

    # the onboarding omitted account (its caller's, B); a change naming B acts where it did
    assert fixed_fields([CONNECTION], {**CONNECTION, "account": TEAM_B}, caller=TEAM_B) == []
    # and the other way round: B named, then omitted
    assert fixed_fields([{**CONNECTION, "account": TEAM_B}], CONNECTION, caller=TEAM_B) == []
    # another account is still another target
    moved = fixed_fields([CONNECTION], {**CONNECTION, "account": FRIEND}, caller=TEAM_B)
    assert [e.field for e in moved] == ["account"]
    assert 'acts in "222222222222"' in moved[0].message
