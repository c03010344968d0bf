"""AWS's resource quotas through the real ASL, with IAM enforced: a creation beyond one fails the
onboarding permanently, naming the quota, its limit, whether AWS can raise it and the account;
what the onboarding made is listed as partial results, nothing is left unlisted."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest

from repolink.adapters.quotas import quota
from repolink_local.standins import StandIns

pytestmark = pytest.mark.statemachine

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/acme-gitsync"
EARLIER_ONBOARDING = {"repolink:request-id": "rl-earlier", "repolink:owner-account": ACCOUNT}


def failed(result: Any) -> dict[str, Any]:
    (detail,) = result.events_of("RepositoryLinkFailed")
    assert not result.events_of("RepositoryLinkCompleted")
    return dict(detail)


def ours(tags: dict[str, str], request_id: str) -> bool:
    return tags.get("repolink:request-id") == request_id


def repository(name: str, stack: str) -> dict[str, Any]:
    return {
        "ownerId": "acme",
        "repositoryName": name,
        "syncConfigurations": [
            {"resourceName": stack, "branch": "main", "configFile": "deploy.yaml", "roleArn": ROLE}
        ],
    }


def links_made_earlier(count: int) -> Any:
    """The account holds ``count`` repository links already, made by earlier onboardings."""

    def prepare(standins: StandIns) -> None:
        aws = boto3.client("codeconnections")
        tags = [{"Key": k, "Value": v} for k, v in EARLIER_ONBOARDING.items()]
        arn = aws.create_connection(ConnectionName="earlier", ProviderType="GitHub", Tags=tags)[
            "ConnectionArn"
        ]
        standins.connections.set_status(arn, "AVAILABLE")
        for i in range(count):
            aws.create_repository_link(
                ConnectionArn=arn, OwnerId="acme", RepositoryName=f"old-{i}", Tags=tags
            )

    return prepare


def test_the_101st_repository_link_fails_naming_the_quota_and_nothing_is_orphaned(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given an account holding 99 repository links, and a request linking two more repositories
    request = {k: v for k, v in copy.deepcopy(onboarding_request).items() if k != "codeartifact"}
    request["gitSync"] = {
        "repositories": [repository("infra", "acme-network"), repository("apps", "acme-apps")]
    }
    result, standins = run_onboarding(request, prepare=links_made_earlier(99))
    # Then the onboarding fails: one repository got the 100th link, the other hit the quota
    assert result.status == "FAILED", result.output  # the workflow ran to its end and reported
    detail = failed(result)
    request_id = detail["requestId"]
    (refused,) = [f for f in detail["failures"] if f["error"] == "QuotaExceeded"]
    assert refused["step"].startswith("GitSync.LinkRepository:")
    assert refused["cause"].startswith(f"repository links in {ACCOUNT} (100, not adjustable): ")
    assert quota("repository-links").doc in refused["cause"]
    assert (detail["error"], detail["cause"]) == ("QuotaExceeded", refused["cause"])
    # and AWS holds 100 links: one of them this onboarding's, with its stack synced
    links = list(standins.connections.repository_links.values())
    assert len(links) == 100
    (mine,) = [link for link in links if ours(link.tags, request_id)]
    (config,) = [c for c in standins.connections.sync_configurations.values() if c.link is mine]
    # and what this onboarding made is listed: the connection (kept, for the linked repository),
    # the link and its stack; the refused repository left nothing behind
    (connection,) = [c for c in standins.connections.list() if ours(c.tags, request_id)]
    assert detail["connectionDeleted"] is False
    assert connection.arn in detail["arns"] and mine.arn in detail["arns"]
    (linked,) = detail["gitSyncRepositories"]
    assert (linked["repositoryLinkArn"], linked["repositoryName"]) == (mine.arn, mine.repository_name)
    assert [s["resourceName"] for s in linked["syncConfigurations"]] == [config.resource_name]
    # and the refusal was not retried as a throttle by the state machine (one Map item attempt)
    assert result.states_entered.count("Link one Git sync repository") == 2


def test_the_11th_codeartifact_domain_fails_naming_the_quota_and_the_rest_is_listed(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given an account holding ten CodeArtifact domains (the default quota)
    def ten_domains(standins: StandIns) -> None:
        aws = boto3.client("codeartifact")
        for i in range(10):
            aws.create_domain(domain=f"team-{i}")

    # When the sample asks for one more (acme, createDomain), with its connection and Git sync
    result, standins = run_onboarding(onboarding_request, prepare=ten_domains)
    # Then the onboarding fails at the domain, naming the quota, which AWS can raise
    detail = failed(result)
    assert (detail["step"], detail["error"]) == ("CodeArtifact.EnsureDomain", "QuotaExceeded")
    assert detail["cause"].startswith(f"CodeArtifact domains in {ACCOUNT} (10, adjustable): ")
    assert "acme" not in standins.codeartifact.domains and not standins.codeartifact.repositories
    # and the other branch's work is listed as partial results: connection, link, stack
    request_id = detail["requestId"]
    (connection,) = [c for c in standins.connections.list() if ours(c.tags, request_id)]
    (link,) = standins.connections.repository_links.values()
    assert {connection.arn, link.arn} <= set(detail["arns"])
    assert detail["gitSyncRepositories"][0]["syncConfigurations"][0]["outcome"] == "created"
    assert detail["codeartifact"].get("domainArn") is None


def test_the_51st_host_fails_naming_the_quota_before_any_connection(
    run_onboarding: Any, sample_event: Any
) -> None:
    # Given an account holding 50 hosts (not adjustable)
    def fifty_hosts(standins: StandIns) -> None:
        for i in range(50):
            arn = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:host/old-{i}-{i:016x}"
            standins.connections.add_host(arn, "GitHubEnterpriseServer", tags=EARLIER_ONBOARDING)

    request = copy.deepcopy(sample_event("onboarding-host.json"))
    result, standins = run_onboarding(request, prepare=fifty_hosts)
    # Then the onboarding fails at the host, naming the quota
    detail = failed(result)
    assert detail["error"] == "QuotaExceeded"
    assert detail["cause"].startswith(f"hosts in {ACCOUNT} (50, not adjustable): ")
    # and nothing of the connection branch was made: 50 hosts, no connection
    assert len(standins.connections.hosts) == 50
    assert not standins.connections.list() and not standins.connections.repository_links
    assert detail.get("connection") is None and detail.get("host") is None
