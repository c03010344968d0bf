"""The one client factory: inside ``acting_in`` a team account, the team services' clients run on
the spoke role's credentials (one AssumeRole per task invocation, on the Region's STS endpoint,
with the request id as source identity and repolink's session tags); everything else, and
everything outside it, runs as the deployment's own role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.iam.models import get_account_id_from

from repolink.adapters import accounts
from repolink.adapters.accounts import Target, acting_in, reach
from repolink.adapters.aws import client
from repolink.errors import AwsAccessDenied, SpokeRoleUnavailable

pytestmark = pytest.mark.integration
TEAM_B = "222222222222"
#: the deployment's own account (moto's default)
OWN = "123456789012"
TARGET = Target(TEAM_B, f"arn:aws:iam::{TEAM_B}:role/repolink-spoke", "rl-abc", "222222222222")


@pytest.fixture
def assumed() -> Iterator[list[dict[str, Any]]]:
    """Every AssumeRole the code sends (its parameters and endpoint), under moto."""
    seen: list[dict[str, Any]] = []
    with mock_aws():

        def keep(params: dict[str, Any], model: Any, **_: Any) -> None:
            if model.name == "AssumeRole":
                seen.append(dict(params))

        def endpoint(request: Any, **_: Any) -> None:
            if seen and "endpoint" not in seen[-1]:
                seen[-1]["endpoint"] = request.url

        sts = client("sts")
        sts.meta.events.register("before-parameter-build.sts.AssumeRole", keep)
        sts.meta.events.register("before-send.sts.AssumeRole", endpoint)
        yield seen


def account_of(aws: Any) -> str:
    return str(get_account_id_from(aws._request_signer._credentials.access_key))


def test_team_services_act_in_the_target_account_and_the_rest_here(assumed: list[dict[str, Any]]) -> None:
    with acting_in(TARGET, OWN):
        assert account_of(client("codeconnections")) == TEAM_B
        assert account_of(client("codeartifact")) == TEAM_B
        assert client("stepfunctions") is client("stepfunctions")  # the platform's, cached per process
        assert account_of(client("stepfunctions")) != TEAM_B
    assert account_of(client("codeconnections")) != TEAM_B
    (call,) = assumed
    assert call["RoleArn"] == TARGET.role_arn
    assert call["SourceIdentity"] == "rl-abc"
    assert call["Tags"] == [
        {"Key": "repolink:request-id", "Value": "rl-abc"},
        {"Key": "repolink:owner-account", "Value": TEAM_B},
    ]
    assert call["endpoint"].startswith("https://sts.us-east-1.amazonaws.com")


def test_credentials_are_kept_within_one_invocation_never_across_two(assumed: list[dict[str, Any]]) -> None:
    with acting_in(TARGET, OWN):
        first = client("codeconnections")
        assert client("codeconnections") is first
        client("codestar-connections")
        client("codeconnections", attempts=1)
    assert len(assumed) == 1
    with acting_in(TARGET, OWN):
        assert client("codeconnections") is not first
    assert len(assumed) == 2


def test_without_a_target_nothing_is_assumed(assumed: list[dict[str, Any]]) -> None:
    with acting_in(None, OWN):
        reach()
        client("codeconnections")
    assert assumed == []


def test_a_spoke_that_cannot_be_assumed_is_named_with_its_runbook_section(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def denied(*_: Any, **__: Any) -> Any:
        raise AwsAccessDenied(
            "sts", "AssumeRole", "AccessDenied", "not authorized to perform: sts:AssumeRole"
        )

    monkeypatch.setattr("repolink.adapters.aws.call", denied)
    with mock_aws(), acting_in(TARGET, OWN), pytest.raises(SpokeRoleUnavailable) as raised:
        reach()
    message = str(raised.value)
    assert TEAM_B in message and TARGET.role_arn in message and accounts.RUNBOOK_SECTION in message
    assert [e.field for e in raised.value.errors] == ["account"]


def test_the_platform_session_is_untouched_by_a_target() -> None:
    with mock_aws():
        before = boto3.session.Session().get_credentials()
        with acting_in(TARGET, OWN):
            client("codeconnections")
        assert boto3.session.Session().get_credentials().access_key == before.access_key


def test_a_codeartifact_quota_names_the_domains_account_when_the_domain_stays_here(
    assumed: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, lambda_context: Any
) -> None:
    """A task of B's onboarding whose domain is the deployment's (``domainOwner``): CodeArtifact
    counts the domain where it is made, here, so its QuotaExceeded names this account, not B."""
    from botocore.stub import Stubber

    from repolink.adapters.aws import call
    from repolink.errors import QuotaExceeded
    from repolink.handlers.common import task_handler
    from repolink.models.settings import get_settings

    monkeypatch.setenv("SPOKE_ROLE_NAME", "repolink-spoke")
    get_settings.cache_clear()
    own = lambda_context.invoked_function_arn.split(":")[4]
    refused: list[QuotaExceeded] = []

    @task_handler
    def provision(event: dict[str, Any], context: Any) -> dict[str, Any]:
        codeartifact = client("codeartifact")
        with Stubber(codeartifact) as stub:
            stub.add_client_error("create_domain", "ServiceQuotaExceededException", "domains", 402)
            with pytest.raises(QuotaExceeded) as caught:
                call(codeartifact, "CreateDomain", domain="acme")
        refused.append(caught.value)
        return {}

    event = {
        "requestId": "rl-abc",
        "target": {"account": TEAM_B, "callerAccount": TEAM_B},
        "codeartifact": {"domain": "acme", "domainOwner": own, "createDomain": True},
    }
    provision(event, lambda_context)
    (error,) = refused
    assert f"domains in {own} (" in str(error)
    assert TEAM_B not in str(error)


def test_sessions_in_team_accounts_share_the_service_models_read_from_disk(
    assumed: list[dict[str, Any]],
) -> None:
    first = accounts.assume(TARGET, None)
    second = accounts.assume(TARGET, None)
    assert first is not second  # credentials of their own, each
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    assert len(assumed) == 2
