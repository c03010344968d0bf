"""What CloudFormation would fail to create, refused by the local engine at deployment: a parameter
value over 4,096 bytes, and what the template builds from its parameters past its service's size
(a function's environment, a role's inline policies, the bus's and the API's policies)."""

from __future__ import annotations

import pytest

from repolink_local.engine import LocalEngine
from repolink_local.iam.deployment import Deployment
from repolink_local.limits import (
    PARAMETER_VALUE,
    ROLE_POLICIES,
    DeploymentOverLimit,
    deployment_problems,
    generated_names_growth,
    parameter_problems,
)
from repolink_local.template import ACCOUNT_ID, REGION, SAMPLE_PARAMETERS

pytestmark = pytest.mark.unit

CLOUDFORMATION_QUOTAS = (
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"
)


def accounts(count: int) -> str:
    """``AllowedAccountIds`` listing ``count`` team accounts (13 bytes each, with the commas)."""
    return ",".join(f"{200000000000 + i:012d}" for i in range(count))


def problems(**parameters: str) -> list[str]:
    deployment = Deployment(
        ACCOUNT_ID, REGION, {**SAMPLE_PARAMETERS, "SpokeRoleName": "repolink-spoke", **parameters}
    )
    return deployment_problems(deployment, "local")


def test_a_parameter_value_is_at_most_4096_bytes() -> None:
    assert PARAMETER_VALUE.most == 4096
    assert parameter_problems({"AllowedAccountIds": "1" * 4096}) == []
    (problem,) = parameter_problems({"AllowedAccountIds": "1" * 4097, "SpokeRoleName": "repolink-spoke"})
    assert problem.startswith("AllowedAccountIds: the parameter value is 4,097 bytes; AWS allows 4,096")
    assert CLOUDFORMATION_QUOTAS in problem
    # bytes, not characters
    assert parameter_problems({"AlarmEmail": "é" * 2049}) != []


def test_the_engine_refuses_at_deployment_a_500_account_list() -> None:
    # 500 accounts are 6,499 bytes: CloudFormation refuses the parameter, and the functions'
    # environments that repeat it are over Lambda's 4 KB
    engine = LocalEngine(parameters={**SAMPLE_PARAMETERS, "AllowedAccountIds": accounts(500)})
    with pytest.raises(DeploymentOverLimit) as refused:
        engine.__enter__()
    first, *others = refused.value.problems
    assert first.startswith("AllowedAccountIds: the parameter value is 6,499 bytes; AWS allows 4,096")
    assert any(p.startswith("ApiFunction: the environment variables' JSON is") for p in others)
    assert "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html" in str(refused.value)


def test_a_list_within_the_parameter_limit_still_overflows_a_roles_inline_policies() -> None:
    # 140 accounts (1,819 bytes) are repeated in five statements of the CodeArtifact function's
    # role: its inline policies are over IAM's 10,240 characters
    assert parameter_problems({"AllowedAccountIds": accounts(140)}) == []
    (problem,) = problems(AllowedAccountIds=accounts(140))
    assert problem.startswith(
        "ProvisionCodeArtifactFunctionRole: the aggregate of the role's inline policies"
    )
    assert f"AWS allows {ROLE_POLICIES.most:,} ({ROLE_POLICIES.documentation})" in problem


def test_the_sample_a_100_account_list_and_an_organisation_deploy() -> None:
    assert problems() == []
    assert problems(AllowedAccountIds=accounts(100)) == []
    assert problems(AllowedOrganizationId="o-acme000000") == []


def test_the_spoke_trust_is_measured_with_the_role_names_cloudformation_generates() -> None:
    # locally the platform's roles are named by their logical ids; CloudFormation names them
    # "{stack}-{logical id}-{suffix}", up to 64 characters, and the trust names each by ARN
    deployment = Deployment(ACCOUNT_ID, REGION, {**SAMPLE_PARAMETERS, "SpokeRoleName": "repolink-spoke"})
    trust = deployment.spoke("222222222222").trust
    named = [arn for s in trust["Statement"] for arn in _listed(s["Principal"]["AWS"]) if ":role/" in arn]
    assert len(named) == 10  # each function role that acts in team accounts, once
    assert generated_names_growth(trust) == sum(64 - len(arn.split("/")[-1]) for arn in named)
    # the ten role ARNs named in both statements measured 2,495 characters at those names: over
    # IAM's 2,048, so the StackSet failed in every account; one statement names them now
    assert [p for p in problems() if "trust policy" in p] == []


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
