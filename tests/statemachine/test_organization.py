"""A deployment that admits teams by their organisation (``AllowedOrganizationId``, no account
list), under IAM enforcement across accounts with ``aws:PrincipalOrgID`` and ``aws:ResourceOrgID``
evaluated as AWS sets them: every account of the run is in the organisation but those placed
outside it.

A team account of the organisation onboards in its own account through the spoke (the platform
roles' AssumeRole statement by ``aws:ResourceOrgID``); an account outside it is refused by the
API's and the bus's resource policies (``aws:PrincipalOrgID``), before anything starts; the
deployment's own account may name a member but not an outsider (the AssumeRole statement); and a
platform account outside the organisation cannot assume the spoke (its trust policy's
``aws:PrincipalOrgID``).
"""

from __future__ import annotations

from collections.abc import Collection

import pytest

from helpers.spoke import NOTHING, TEAM_B, TEAM_C, made_in, post, repository, request
from repolink_local.engine import LocalEngine
from repolink_local.iam import AccessDenied
from repolink_local.iam.deployment import SPOKE_ROLE
from repolink_local.standins import HandshakePolicy, StandIns
from repolink_local.template import ACCOUNT_ID

pytestmark = pytest.mark.statemachine

ORGANIZATION = "o-acme000000"
#: an account of no organisation (or of another one)
OUTSIDER = "444444444444"
#: a deployment that admits teams by their organisation alone
BY_ORGANIZATION = {"SpokeRoleName": "repolink-spoke", "AllowedOrganizationId": ORGANIZATION}


def engine(parameters: dict[str, str], outside: Collection[str] = (OUTSIDER,)) -> LocalEngine:
    standins = StandIns(handshake=HandshakePolicy("after", 1))
    return LocalEngine(standins, parameters=parameters, outside_organization=outside)


def test_a_team_of_the_organisation_onboards_in_its_own_account_and_an_outsider_is_refused() -> None:
    with engine(BY_ORGANIZATION) as running:
        # When team B, an account of the organisation that no list names, onboards
        code, answer = post(running, request())
        # Then the onboarding succeeds in B, through the spoke the StackSet gave every member
        assert code == 202, answer
        result = running.wait(answer["executionArn"], deadline_seconds=60)
        assert result.status == "SUCCEEDED", result.output
        assert made_in(running.standins, TEAM_B) == {
            "connections": 1,
            "repositoryLinks": 1,
            "syncConfigurations": 1,
        }
        assert made_in(running.standins, ACCOUNT_ID) == NOTHING
        assert {s.account for s in running.iam.sessions.values()} == {TEAM_B}
        assert running.iam.denials == []
        # And an account outside the organisation is refused by the API's resource policy
        code, _, body = running.api(
            "POST", "/links", '{"connection": {"name": "x", "provider": "GitHub"}}', caller_account=OUTSIDER
        )
        assert code == 403, body
        assert "execute-api:Invoke" in str(body)
        # and by the bus's, before its event reaches anything
        with pytest.raises(AccessDenied, match="events:PutEvents"):
            running.put_event({"request": request(repository("infra", "d", OUTSIDER))}, account=OUTSIDER)
        assert len(running.executions()) == 1
        assert made_in(running.standins, OUTSIDER) == NOTHING


def test_a_team_of_the_organisation_onboards_by_event_too() -> None:
    with engine(BY_ORGANIZATION) as running:
        answer = running.put_event({"request": request(repository("infra", "c-net", TEAM_C))}, account=TEAM_C)
        assert answer["status"] == "accepted", answer
        result = running.wait(answer["executionArn"], deadline_seconds=60)
        assert result.status == "SUCCEEDED", result.output
        assert made_in(running.standins, TEAM_C)["repositoryLinks"] == 1
        assert running.iam.denials == []


def test_the_deployments_account_may_name_a_member_but_not_an_outsider() -> None:
    with engine(BY_ORGANIZATION) as running:
        # The deployment's account names C, a member no list names: accepted, made in C
        body = {**request(repository("infra", "c-network", TEAM_C)), "account": TEAM_C}
        code, answer = post(running, body, caller=ACCOUNT_ID)
        assert code == 202, answer
        assert running.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"
        assert made_in(running.standins, TEAM_C)["repositoryLinks"] == 1
        # An account outside the organisation: the platform role may not assume a role there
        # (aws:ResourceOrgID), so the request is refused before anything starts
        body = {**request(repository("infra", "d-network", OUTSIDER)), "account": OUTSIDER}
        code, answer = post(running, body, caller=ACCOUNT_ID)
        assert code == 409, answer
        assert "SpokeRoleUnavailable" in answer["message"]
        assert f"arn:aws:iam::{OUTSIDER}:role/repolink-spoke" in answer["message"]
        (denial,) = running.iam.denials
        assert (denial.authorization.action, denial.decision.identity) == (
            "sts:AssumeRole",
            "ImplicitlyDenied",
        )
        assert len(running.executions()) == 1
        assert made_in(running.standins, OUTSIDER) == NOTHING


def test_a_platform_account_outside_the_organisation_cannot_assume_the_spoke() -> None:
    # Given a deployment that lists B and names the organisation, whose spoke trusts the platform's
    # roles only from within the organisation (PlatformOrganizationId), and a platform account
    # that is not in it
    both = {**BY_ORGANIZATION, "AllowedAccountIds": TEAM_B}
    with engine(both, outside=(ACCOUNT_ID,)) as running:
        code, answer = post(running, request())
        # Then the spoke's trust policy refuses the platform role (its identity policy allows it)
        assert code == 409, answer
        assert "SpokeRoleUnavailable" in answer["message"]
        assert running.iam.denials
        assert {d.authorization.action for d in running.iam.denials} == {"sts:AssumeRole"}
        assert {d.decision.identity for d in running.iam.denials} == {"Allowed"}
        assert running.executions() == []
        assert made_in(running.standins, TEAM_B) == NOTHING
        assert not any(role == SPOKE_ROLE for role, _ in running.iam.exercised)
