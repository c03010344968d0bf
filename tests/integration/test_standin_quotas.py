"""The stand-ins refuse creations beyond AWS's resource quotas, per account and Region, with the
code and message of the one quota table (``repolink.adapters.quotas``) and the HTTP status
botocore's model gives that error."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from repolink.adapters.quotas import quota
from repolink_local.standins import StandIns
from repolink_local.standins.connections import StoredConnection, StoredRepositoryLink

pytestmark = pytest.mark.integration

RAW = Config(retries={"mode": "standard", "total_max_attempts": 1})
OTHER_ACCOUNT = "222222222222"


def client(name: str) -> Any:
    return boto3.client(name, config=RAW)


def refused(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        str(response["Error"]["Code"]),
        int(response["ResponseMetadata"]["HTTPStatusCode"]),
        str(response["Error"]["Message"]),
    )


def test_connections_under_both_names_share_one_quota_of_250(standins: StandIns) -> None:
    # Given 250 connections in the account, half made under each name
    for i in range(250):
        service = "codeconnections" if i % 2 else "codestar-connections"
        client(service).create_connection(ConnectionName=f"c-{i}", ProviderType="GitHub")
    # When one more is asked for, under either name
    for service in ("codeconnections", "codestar-connections"):
        with pytest.raises(ClientError) as exc:
            client(service).create_connection(ConnectionName=f"one-more-{service}", ProviderType="GitHub")
        # Then AWS's answer: LimitExceededException (429 in the codeconnections model, which
        # codestar-connections' model leaves unset: 400)
        code, status, message = refused(exc)
        assert code == quota("connections").code == "LimitExceededException"
        assert status == (429 if service == "codeconnections" else 400)
        assert message == quota("connections").message
    # And a deleted one frees a place
    arn = standins.connections.list()[0].arn
    cc = client("codeconnections")
    cc.delete_connection(ConnectionArn=arn.replace("codestar-connections", "codeconnections"))
    client("codeconnections").create_connection(ConnectionName="after-delete", ProviderType="GitHub")


def test_another_accounts_resources_do_not_count(standins: StandIns) -> None:
    # Given a store that also holds another account's 250 connections and 100 repository links
    store = standins.connections
    for i in range(250):
        arn = f"arn:aws:codeconnections:{store.region}:{OTHER_ACCOUNT}:connection/{uuid.uuid4()}"
        theirs = StoredConnection(arn, f"t{i}", "GitHub", "codeconnections", "AVAILABLE", OTHER_ACCOUNT)
        store._add(theirs)
    for i in range(100):
        link_id = str(uuid.uuid4())
        store.repository_links[link_id] = StoredRepositoryLink(
            link_id,
            f"arn:aws:codeconnections:{store.region}:{OTHER_ACCOUNT}:repository-link/{link_id}",
            "arn",
            "acme",
            f"repo-{i}",
            "GitHub",
        )
    # When this account makes a connection and links a repository
    cc = client("codeconnections")
    arn = cc.create_connection(ConnectionName="ours", ProviderType="GitHub")["ConnectionArn"]
    store.set_status(arn, "AVAILABLE")
    cc.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName="ours")
    # Then both are made: the other account's count is its own
    assert sum(1 for c in store.list() if c.owner == standins.account_id) == 1


def test_the_101st_repository_link_and_the_sync_configuration_quotas(standins: StandIns) -> None:
    cc = client("codeconnections")
    arn = cc.create_connection(ConnectionName="links", ProviderType="GitHub")["ConnectionArn"]
    standins.connections.set_status(arn, "AVAILABLE")
    links = [
        cc.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName=f"r{i}")
        for i in range(100)
    ]
    with pytest.raises(ClientError) as exc:
        cc.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName="r100")
    assert refused(exc)[:2] == ("LimitExceededException", 429)

    def sync(link: dict[str, Any], stack: str, branch: str) -> None:
        cc.create_sync_configuration(
            Branch=branch,
            ConfigFile="deploy.yaml",
            RepositoryLinkId=link["RepositoryLinkInfo"]["RepositoryLinkId"],
            ResourceName=stack,
            RoleArn=f"arn:aws:iam::{standins.account_id}:role/sync",
            SyncType="CFN_STACK_SYNC",
        )

    # 50 sync configurations per branch of one link
    for i in range(50):
        sync(links[0], f"main-{i}", "main")
    with pytest.raises(ClientError) as exc:
        sync(links[0], "main-50", "main")
    assert refused(exc)[0] == "LimitExceededException"
    # another branch of the same link still takes them, up to 100 per account
    for i in range(50):
        sync(links[0], f"dev-{i}", "dev")
    with pytest.raises(ClientError) as exc:
        sync(links[1], "elsewhere", "main")
    assert refused(exc)[0] == "LimitExceededException"


def test_hosts_app_runner_connections_and_codeartifact(standins: StandIns) -> None:
    cc = client("codeconnections")
    for i in range(50):
        cc.create_host(
            Name=f"h{i}", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghe.example.com"
        )
    with pytest.raises(ClientError) as exc:
        cc.create_host(
            Name="h50", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghe.example.com"
        )
    assert refused(exc)[:2] == ("LimitExceededException", 429)

    ar = client("apprunner")
    for i in range(10):
        ar.create_connection(ConnectionName=f"app-{i:02d}", ProviderType="GITHUB")
    with pytest.raises(ClientError) as exc:
        ar.create_connection(ConnectionName="app-10", ProviderType="GITHUB")
    assert refused(exc)[0] == "ServiceQuotaExceededException" == quota("apprunner-connections").code

    ca = client("codeartifact")
    for i in range(10):
        ca.create_domain(domain=f"d{i}")
    with pytest.raises(ClientError) as exc:
        ca.create_domain(domain="d10")
    code, status, _ = refused(exc)
    assert (code, status) == ("ServiceQuotaExceededException", 402)
    assert exc.value.response["resourceType"] == "domain"
