"""The local engine refuses what IAM refuses, as AWS answers it; least privilege, measured."""

from __future__ import annotations

import json
from typing import Any

import pytest

from repolink_local.engine import LocalEngine
from repolink_local.iam import DeploymentDenied, matrix
from repolink_local.standins import HandshakePolicy, StandIns

pytestmark = pytest.mark.statemachine


def test_a_denied_call_fails_like_aws_and_the_failure_names_the_step_and_the_action() -> None:
    revoked = frozenset({("ProvisionCodeArtifactFunctionRole", "codeartifact:DescribeDomain")})
    with LocalEngine(
        StandIns(handshake=HandshakePolicy("after", 1)),
        log_level="CRITICAL",
        revoked=revoked,
        parameters=matrix.PARAMETERS,
    ) as engine:
        code, _, answer = engine.api("POST", "/links", json.dumps(matrix.sample()), headers=matrix.JSON)
        result = engine.wait(answer["executionArn"], deadline_seconds=60)
    assert code == 202
    (failed,) = result.events_of("RepositoryLinkFailed")
    (failure,) = [f for f in failed["failures"] if f["step"] == "CodeArtifact.EnsureDomain"]
    assert failure["error"] == "AwsAccessDenied"
    assert failure["cause"].endswith(
        "User: arn:aws:sts::123456789012:assumed-role/ProvisionCodeArtifactFunctionRole"
        "/ProvisionCodeArtifactFunction"
        " is not authorized to perform: codeartifact:DescribeDomain on resource:"
        " arn:aws:codeartifact:us-east-1:123456789012:domain/acme"
        " because no identity-based policy allows the codeartifact:DescribeDomain action"
    )


def test_the_state_machine_may_invoke_only_its_functions() -> None:
    revoked = frozenset({("OnboardingStateMachineRole", "lambda:InvokeFunction")})
    with LocalEngine(log_level="CRITICAL", revoked=revoked, parameters=matrix.PARAMETERS) as engine:
        code, _, answer = engine.api("POST", "/links", json.dumps(matrix.sample()), headers=matrix.JSON)
        result = engine.wait(answer["executionArn"], deadline_seconds=60)
    assert code == 202
    assert result.status == "FAILED"
    denied = {(d.role, d.authorization.action) for d in engine.iam.denials}
    assert ("OnboardingStateMachineRole", "lambda:InvokeFunction") in denied


def test_each_state_machine_invokes_its_functions_as_its_own_role() -> None:
    """The interpreter signs every call alike: the role is the calling execution's machine's."""
    revoked = frozenset({("OffboardingStateMachineRole", "lambda:InvokeFunction")})
    with LocalEngine(log_level="CRITICAL", revoked=revoked, parameters=matrix.PARAMETERS) as engine:
        request = matrix.sample(connection=None, git_sync=None)
        code, _, answer = engine.api("POST", "/links", json.dumps(request), headers=matrix.JSON)
        onboarding = engine.wait(answer["executionArn"], deadline_seconds=60)
        _, _, accepted = engine.api("DELETE", f"/links/{answer['requestId']}")
        offboarding = engine.wait(accepted["executionArn"], deadline_seconds=60)
    assert code == 202
    assert onboarding.status == "SUCCEEDED"
    assert offboarding.status == "FAILED"
    denied = {(d.role, d.authorization.action) for d in engine.iam.denials}
    assert denied == {("OffboardingStateMachineRole", "lambda:InvokeFunction")}


def test_a_deployment_whose_functions_cannot_write_logs_does_not_start() -> None:
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    engine = LocalEngine(log_level="CRITICAL", revoked=frozenset({("ApiFunctionRole", basic)}))
    with pytest.raises(DeploymentDenied, match="logs:CreateLogStream"):
        engine.__enter__()


@pytest.fixture(scope="module")
def baseline() -> tuple[list[matrix.Outcome], dict[matrix.Grant, matrix.Scenario]]:
    return matrix.baseline()


def test_every_scenario_passes_with_the_roles_as_they_are(baseline: Any) -> None:
    outcomes, _ = baseline
    assert [(o.scenario, o.detail) for o in outcomes if not o.passed] == []


def test_every_grant_of_every_role_is_used_by_some_scenario(baseline: Any) -> None:
    _, used_by = baseline
    everything = matrix.grants(matrix.Deployment(matrix.ACCOUNT_ID, matrix.REGION, matrix.PARAMETERS))
    assert [g for g in everything if g not in used_by] == []


def test_every_grant_of_the_spoke_and_of_the_roles_that_assume_it_is_used_by_some_scenario(
    baseline: Any,
) -> None:
    _, used_by = baseline
    spoke = matrix.Deployment(matrix.ACCOUNT_ID, matrix.REGION, matrix.SPOKE_PARAMETERS)
    everything = matrix.grants(spoke)
    assert ("SpokeRole", "iam:PassRole") in everything
    assert ("CreateConnectionFunctionRole", "sts:AssumeRole") in everything
    assert [g for g in everything if g not in used_by] == []


@pytest.mark.parametrize("seed", [1])
def test_a_sampled_spoke_grant_taken_away_fails_its_scenario_naming_it(baseline: Any, seed: int) -> None:
    import random

    _, used_by = baseline
    spoke = sorted(g for g in used_by if g[0] == "SpokeRole" or g[1].startswith("sts:"))
    grant = random.Random(seed).choice(spoke)
    verdict = matrix.check(grant, used_by[grant])
    assert verdict.needed, (grant, verdict.detail)


# two samples here (CI time); `make bench` takes every grant away in turn
@pytest.mark.parametrize("seed", [1, 2])
def test_a_sampled_grant_taken_away_fails_its_scenario_naming_it(baseline: Any, seed: int) -> None:
    import random

    _, used_by = baseline
    grant = random.Random(seed).choice(sorted(used_by))
    verdict = matrix.check(grant, used_by[grant])
    assert verdict.needed, (grant, verdict.detail)


@pytest.mark.parametrize(
    ("action", "resource", "read"),
    [
        ("codeartifact:PutDomainPermissionsPolicy", "domain/acme", "codeartifact:DescribeDomain"),
        (
            "codeartifact:PutRepositoryPermissionsPolicy",
            "repository/acme/team-python",
            "codeartifact:DescribeRepository",
        ),
    ],
)
def test_the_codeartifact_role_writes_policies_only_in_its_own_account(
    action: str, resource: str, read: str
) -> None:
    # the request bounds refuse sharing a delegated domainOwner's domain; IAM refuses it too, even
    # where that account's domain policy admits the role to everything (and so to describing it)
    from repolink_local.iam import Principal
    from repolink_local.iam.requests import Authorization

    with LocalEngine(log_level="CRITICAL", parameters=matrix.PARAMETERS) as engine:
        iam = engine.iam
        role = iam.deployment.function_role("ProvisionCodeArtifactFunction")
        principal = Principal.of_role(role, "ProvisionCodeArtifactFunction", iam.deployment.account_id)

        admits_all = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": principal.arn},
                    "Action": "codeartifact:*",
                    "Resource": "*",
                }
            ],
        }

        def allowed(account: str, act: str = action) -> bool:
            arn = f"arn:aws:codeartifact:us-east-1:{account}:{resource}"
            policy = admits_all if account != "123456789012" else None
            return iam.decide(principal, Authorization(act, arn, account), policy).allowed

        assert allowed("123456789012")
        assert not allowed(matrix.OTHER_TEAM)
        assert allowed(matrix.OTHER_TEAM, read)


@pytest.mark.parametrize(
    ("resource", "elsewhere"),
    [
        # CreateDomain makes domains in this account only, so only they are ever tagged
        ("domain/acme", False),
        # CreateRepository in a delegated domainOwner's domain carries tags there
        ("repository/acme/team-python", True),
    ],
)
def test_the_codeartifact_role_tags_domains_only_in_its_own_account(resource: str, elsewhere: bool) -> None:
    from repolink_local.iam import Principal
    from repolink_local.iam.requests import Authorization

    with LocalEngine(log_level="CRITICAL", parameters=matrix.PARAMETERS) as engine:
        iam = engine.iam
        role = iam.deployment.function_role("ProvisionCodeArtifactFunction")
        principal = Principal.of_role(role, "ProvisionCodeArtifactFunction", iam.deployment.account_id)
        context: dict[str, str | list[str]] = {"aws:RequestTag/tier": "gold", "aws:TagKeys": ["tier"]}

        def allowed(account: str) -> bool:
            arn = f"arn:aws:codeartifact:us-east-1:{account}:{resource}"
            # the other account admits the role to everything: only the role's policy decides
            policy = (
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": principal.arn},
                            "Action": "codeartifact:*",
                            "Resource": "*",
                        }
                    ],
                }
                if account != "123456789012"
                else None
            )
            authorization = Authorization("codeartifact:TagResource", arn, account, context)
            return iam.decide(principal, authorization, policy).allowed

        assert allowed("123456789012")
        assert allowed(matrix.OTHER_TEAM) is elsewhere


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        ({"caller": "210987654321", "state": "any"}, True),
        ({"caller": "210987654321"}, True),
        ({}, False),
        ({"caller": "210987654321", "state": "any", "purpose": "other"}, False),
        ({"aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:x"}, False),
    ],
)
def test_the_api_role_uses_the_listing_key_only_with_the_listings_context(
    context: dict[str, str], allowed: bool
) -> None:
    from repolink_local.iam import Principal
    from repolink_local.iam.requests import authorizations

    with LocalEngine(log_level="CRITICAL", parameters=matrix.PARAMETERS) as engine:
        iam = engine.iam
        role = iam.deployment.function_role("ApiFunction")
        principal = Principal.of_role(role, "ApiFunction", iam.deployment.account_id)
        key = engine.functions["ApiFunction"].environment["LISTING_TOKEN_KEY_ARN"]
        other = iam.deployment.template.arn("LogsKey")
        for operation in ("Encrypt", "Decrypt"):
            for arn, expected in ((key, allowed), (other, False)):
                params = {"KeyId": arn, "EncryptionContext": context}
                (wanted,) = authorizations("kms", operation, params, iam.deployment.account_id, "us-east-1")
                decision = iam.decide(principal, wanted, iam._resource_policy(wanted))
                assert decision.allowed is expected, (operation, arn, context)
