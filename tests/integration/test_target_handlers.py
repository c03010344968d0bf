"""The link-target handlers: Proton repository links and CodeArtifact provisioning."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from repolink.errors import ResourceConflict, TransientAwsError, UnsupportedProvider
from repolink.handlers import link_proton, provision_codeartifact
from repolink_local.standins import FaultRule

pytestmark = pytest.mark.integration


def available_connection(
    standins: Any, provider: str = "GitHub", name: str = "acme-github"
) -> dict[str, Any]:
    arn = boto3.client("codeconnections").create_connection(ConnectionName=name, ProviderType=provider)[
        "ConnectionArn"
    ]
    standins.connections.set_status(arn, "AVAILABLE")
    return {
        "arn": arn,
        "name": name,
        "service": "codeconnections",
        "provider": provider,
        "status": "AVAILABLE",
        "created": True,
        "consoleUrl": "https://console",
    }


def link(ctx: Any, connection: dict[str, Any], name: str = "acme/templates", **repo: Any) -> dict[str, Any]:
    event = {"requestId": "rl-1", "connection": connection, "repository": {"name": name, **repo}}
    return link_proton.handler(event, ctx)


def test_proton_link_is_created_once_and_found_again(standins: Any, lambda_context: Any) -> None:
    connection = available_connection(standins)
    first = link(lambda_context, connection)
    again = link(lambda_context, connection)
    assert first["outcome"] == "created" and again["outcome"] == "existing"
    assert first["arn"] == again["arn"] and first["provider"] == "GITHUB"
    assert first["arn"].startswith("arn:aws:proton:us-east-1:123456789012:repository/")


def test_proton_link_through_another_connection_is_a_conflict(standins: Any, lambda_context: Any) -> None:
    link(lambda_context, available_connection(standins))
    other = available_connection(standins, name="other-github")
    with pytest.raises(ResourceConflict, match="already linked"):
        link(lambda_context, other)


def test_proton_rejects_a_provider_it_cannot_link(standins: Any, lambda_context: Any) -> None:
    with pytest.raises(UnsupportedProvider):
        link(lambda_context, available_connection(standins, provider="GitLab", name="acme-gitlab"))


CODEARTIFACT = {
    "domain": "acme",
    "createDomain": True,
    "repositories": [
        {"name": "team-python", "upstreams": ["pypi-store"], "description": "team packages"},
        {"name": "pypi-store", "externalConnection": "public:pypi"},
    ],
}


def provision(
    ctx: Any, spec: dict[str, Any] | None = None, request_id: str = "rl-1", caller: str = "123456789012"
) -> dict[str, Any]:
    """The task as the ASL invokes it (the onboarding's account in ``callerAccount``)."""
    return provision_codeartifact.handler(
        {"requestId": request_id, "codeartifact": spec or CODEARTIFACT, "callerAccount": caller}, ctx
    )


def test_codeartifact_in_dependency_order_with_external_connection(
    standins: Any, lambda_context: Any
) -> None:
    out = provision(lambda_context)
    assert out["status"] == "succeeded" and out["domainCreated"] is True
    assert [r["name"] for r in out["repositories"]] == ["pypi-store", "team-python"]
    assert out["repositories"][0]["externalConnection"] == "public:pypi"
    assert out["repositories"][1]["upstreams"] == ["pypi-store"]
    described = boto3.client("codeartifact").describe_repository(domain="acme", repository="team-python")
    assert described["repository"]["upstreams"] == [{"repositoryName": "pypi-store"}]


def test_codeartifact_rerun_creates_nothing_new(standins: Any, lambda_context: Any) -> None:
    provision(lambda_context)
    calls_before = standins.calls["codeartifact:CreateRepository"]
    again = provision(lambda_context)
    # the same onboarding's retry: what it made is still its own (the ownership tag says so)
    assert again["status"] == "succeeded" and again["domainCreated"] is True
    assert {r["outcome"] for r in again["repositories"]} == {"created"}
    assert standins.calls["codeartifact:CreateRepository"] == calls_before  # described first: both exist
    # another onboarding finds them existing
    other = provision(lambda_context, request_id="rl-2")
    assert other["domainCreated"] is False and {r["outcome"] for r in other["repositories"]} == {"existing"}
    assert standins.calls["codeartifact:CreateRepository"] == calls_before
    assert standins.calls["codeartifact:AssociateExternalConnection"] == 1
    names = boto3.client("codeartifact").list_repositories_in_domain(domain="acme")["repositories"]
    assert sorted(r["name"] for r in names) == ["pypi-store", "team-python"]


def test_codeartifact_existing_repository_with_other_settings_fails_clearly(
    standins: Any, lambda_context: Any
) -> None:
    provision(lambda_context)
    changed = {**CODEARTIFACT, "repositories": [{"name": "team-python", "upstreams": []}]}
    out = provision(lambda_context, changed)
    assert out["status"] == "failed"
    assert out["failure"]["error"] == "ResourceConflict" and "upstreams" in out["failure"]["cause"]


def test_codeartifact_unknown_upstream_fails_naming_it(standins: Any, lambda_context: Any) -> None:
    spec = {
        "domain": "acme",
        "createDomain": True,
        "repositories": [{"name": "team", "upstreams": ["ghost"]}],
    }
    out = provision(lambda_context, spec)
    assert out["status"] == "failed" and out["failure"]["error"] == "UpstreamNotFound"
    assert (
        "ghost" in out["failure"]["cause"] and out["failure"]["step"] == "CodeArtifact.CreateRepository:team"
    )
    assert out["domainArn"]  # what succeeded before the failure is reported


def test_codeartifact_missing_domain_without_create_fails_clearly(standins: Any, lambda_context: Any) -> None:
    out = provision(lambda_context, {**CODEARTIFACT, "createDomain": False})
    assert out["status"] == "failed" and out["failure"]["error"] == "DomainNotFound"
    assert "createDomain" in out["failure"]["cause"]


def test_codeartifact_access_denied_reports_partial_results(standins: Any, lambda_context: Any) -> None:
    standins.faults = [FaultRule("AccessDeniedException", "codeartifact:AssociateExternalConnection", 1.0)]
    out = provision(lambda_context)
    assert out["status"] == "failed" and out["failure"]["error"] == "AwsAccessDenied"
    assert out["failure"]["step"] == "CodeArtifact.AssociateExternalConnection:pypi-store"
    assert out["domainArn"] and out["repositories"] == []


def test_codeartifact_persistent_throttling_is_raised_for_the_state_machine(
    standins: Any, lambda_context: Any
) -> None:
    standins.faults = [FaultRule("ThrottlingException", "codeartifact:DescribeDomain", 1.0)]
    with pytest.raises(TransientAwsError):
        provision(lambda_context)
