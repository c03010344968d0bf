"""The local stand-ins behave like the AWS APIs they replace: validation, errors, state."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from repolink_local.standins import FaultRule, StandIns

pytestmark = pytest.mark.integration

RAW = Config(retries={"mode": "standard", "total_max_attempts": 1})
#: one retry, as botocore's standard mode makes it after a read timeout
ONE_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 2})


def client(name: str) -> Any:
    return boto3.client(name, config=RAW)


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_server_side_validation_checks_what_botocore_does_not(standins: StandIns) -> None:
    # Given names too long or off-pattern (botocore checks only types and minimums)
    with pytest.raises(ClientError) as exc:
        client("codeconnections").create_connection(ConnectionName="x" * 33, ProviderType="GitHub")
    assert code(exc) == "ValidationException" and "ConnectionName" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        client("apprunner").create_connection(ConnectionName="bad name!", ProviderType="GITHUB")
    assert code(exc) == "InvalidRequestException"  # App Runner's own error for bad input
    with pytest.raises(ClientError) as exc:
        client("codeartifact").create_domain(domain="Bad_Domain")
    assert code(exc) == "ValidationException" and "pattern" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        client("proton").get_repository(name="acme/x", provider="GITLAB")  # not in the enum
    assert code(exc) == "ValidationException" and "enum" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        client("codeartifact").create_domain(
            domain="ok-domain", tags=[{"key": f"k{i}", "value": "v"} for i in range(201)]
        )
    assert "length less than or equal to 200" in exc.value.response["Error"]["Message"]


def test_codeartifact_control_characters_in_a_description_are_refused(standins: StandIns) -> None:
    ca = client("codeartifact")
    ca.create_domain(domain="acme")
    with pytest.raises(ClientError) as exc:
        ca.create_repository(domain="acme", repository="repo", description="bad\x07bell")
    assert code(exc) == "ValidationException"


def test_codeartifact_rules(standins: StandIns) -> None:
    ca = client("codeartifact")
    with pytest.raises(ClientError) as exc:
        ca.create_repository(domain="nope", repository="repo")
    assert code(exc) == "ResourceNotFoundException"
    ca.create_domain(domain="acme")
    with pytest.raises(ClientError) as exc:
        ca.create_domain(domain="acme")
    assert code(exc) == "ConflictException"
    ca.create_repository(domain="acme", repository="base")
    with pytest.raises(ClientError) as exc:
        ca.create_repository(domain="acme", repository="many", upstreams=[{"repositoryName": "base"}] * 11)
    assert code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        ca.associate_external_connection(
            domain="acme", repository="base", externalConnection="public:nowhere"
        )
    assert code(exc) == "ValidationException"
    ca.associate_external_connection(domain="acme", repository="base", externalConnection="public:npmjs")
    with pytest.raises(ClientError) as exc:  # one external connection per repository
        ca.associate_external_connection(domain="acme", repository="base", externalConnection="public:pypi")
    assert code(exc) == "ConflictException"
    updated = ca.update_repository(domain="acme", repository="base", description="now described")
    assert updated["repository"]["description"] == "now described"
    ca.disassociate_external_connection(domain="acme", repository="base", externalConnection="public:npmjs")
    with pytest.raises(ClientError) as exc:
        ca.disassociate_external_connection(
            domain="acme", repository="base", externalConnection="public:npmjs"
        )
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        ca.describe_domain(domain="acme", domainOwner="999999999999")
    assert code(exc) == "ResourceNotFoundException"
    ca.delete_repository(domain="acme", repository="base")
    assert ca.list_repositories_in_domain(domain="acme")["repositories"] == []
    assert ca.describe_domain(domain="acme")["domain"]["repositoryCount"] == 0


def test_codeartifact_tag_resource_adds_and_sets_keys_and_keeps_the_others(standins: StandIns) -> None:
    ca = client("codeartifact")
    domain = ca.create_domain(
        domain="acme", tags=[{"key": "keep", "value": "1"}, {"key": "team", "value": "a"}]
    )
    arn = domain["domain"]["arn"]
    # Given a new key and a new value for one it has: both set, the other kept
    ca.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "b"}, {"key": "env", "value": "prod"}])
    listed = ca.list_tags_for_resource(resourceArn=arn)["tags"]
    assert {t["key"]: t["value"] for t in listed} == {"keep": "1", "team": "b", "env": "prod"}
    # and the same call again changes nothing
    ca.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "b"}])
    assert standins.codeartifact.tags[arn] == {"keep": "1", "team": "b", "env": "prod"}
    repository = ca.create_repository(domain="acme", repository="py")["repository"]["arn"]
    ca.tag_resource(resourceArn=repository, tags=[{"key": "tier", "value": "gold"}])
    assert standins.codeartifact.tags[repository] == {"tier": "gold"}


def test_codeartifact_tag_resource_refuses_what_aws_refuses(standins: StandIns) -> None:
    ca = client("codeartifact")
    arn = ca.create_domain(domain="acme", tags=[{"key": f"k{i}", "value": "v"} for i in range(199)])[
        "domain"
    ]["arn"]
    # an ARN of no domain or repository
    with pytest.raises(ClientError) as exc:
        ca.tag_resource(resourceArn=arn.replace("acme", "nope"), tags=[{"key": "a", "value": "b"}])
    assert code(exc) == "ResourceNotFoundException"
    # a key off the model's pattern, and more than 200 in one call (botocore's TagList)
    with pytest.raises(ClientError) as exc:
        ca.tag_resource(resourceArn=arn, tags=[{"key": "bell\x07", "value": "b"}])
    assert code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        ca.tag_resource(resourceArn=arn, tags=[{"key": f"n{i}", "value": "v"} for i in range(201)])
    assert code(exc) == "ValidationException"
    # a resource past 200 tags in all: refused, nothing applied; the 200th is taken
    with pytest.raises(ClientError) as exc:
        ca.tag_resource(resourceArn=arn, tags=[{"key": "n1", "value": "v"}, {"key": "n2", "value": "v"}])
    assert code(exc) == "ServiceQuotaExceededException"
    assert len(standins.codeartifact.tags[arn]) == 199
    ca.tag_resource(resourceArn=arn, tags=[{"key": "n1", "value": "v"}, {"key": "k0", "value": "new"}])
    assert len(standins.codeartifact.tags[arn]) == 200
    assert standins.codeartifact.tags[arn]["k0"] == "new"


POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*",'
    '"Action":"codeartifact:GetAuthorizationToken","Resource":"*"}]}'
)


@pytest.mark.parametrize("scope", ["domain", "repository"])
def test_codeartifact_permission_policies_are_written_with_optimistic_locking(
    standins: StandIns, scope: str
) -> None:
    ca = client("codeartifact")
    ca.create_domain(domain="acme")
    ca.create_repository(domain="acme", repository="py")
    where = {"domain": "acme", **({"repository": "py"} if scope == "repository" else {})}
    get = ca.get_domain_permissions_policy if scope == "domain" else ca.get_repository_permissions_policy
    put = ca.put_domain_permissions_policy if scope == "domain" else ca.put_repository_permissions_policy
    delete = (
        ca.delete_domain_permissions_policy if scope == "domain" else ca.delete_repository_permissions_policy
    )
    # Given no policy yet: reading it is ResourceNotFoundException, and no revision is current
    with pytest.raises(ClientError) as exc:
        get(**where)
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        put(**where, policyDocument=POLICY, policyRevision="made-up")
    assert code(exc) == "ConflictException"
    # When it is written without a revision, then with the one read
    first = put(**where, policyDocument=POLICY)["policy"]
    read = get(**where)["policy"]
    assert read == first
    assert read["document"] == POLICY
    assert read["resourceArn"].endswith("domain/acme" if scope == "domain" else "repository/acme/py")
    second = put(**where, policyDocument=POLICY.replace('"A"', '"B"'), policyRevision=read["revision"])[
        "policy"
    ]
    assert second["revision"] != read["revision"]
    # Then the first revision is stale: writing or deleting with it is refused, and nothing changes
    with pytest.raises(ClientError) as exc:
        put(**where, policyDocument=POLICY, policyRevision=read["revision"])
    assert code(exc) == "ConflictException"
    with pytest.raises(ClientError) as exc:
        delete(**where, policyRevision=read["revision"])
    assert code(exc) == "ConflictException"
    assert get(**where)["policy"] == second
    # and a document that is no policy, or longer than PolicyDocument's 7168, is refused
    for document in (
        "not json",
        '{"Version":"2012-10-17"}',
        '{"Statement":[' + '{"Sid":"x"},' * 700 + "{}]}",
    ):
        with pytest.raises(ClientError) as exc:
            put(**where, policyDocument=document)
        assert code(exc) == "ValidationException"
    assert delete(**where, policyRevision=second["revision"])["policy"] == second
    with pytest.raises(ClientError) as exc:
        get(**where)
    assert code(exc) == "ResourceNotFoundException"


def test_codeartifact_policies_of_a_missing_domain_or_repository_are_not_found(standins: StandIns) -> None:
    ca = client("codeartifact")
    with pytest.raises(ClientError) as exc:
        ca.put_domain_permissions_policy(domain="acme", policyDocument=POLICY)
    assert code(exc) == "ResourceNotFoundException"
    ca.create_domain(domain="acme")
    with pytest.raises(ClientError) as exc:
        ca.get_repository_permissions_policy(domain="acme", repository="py")
    assert code(exc) == "ResourceNotFoundException"
    assert standins.codeartifact.policies == {}


def test_connections_pagination_hosts_and_filters(standins: StandIns) -> None:
    cc = client("codeconnections")
    for i in range(7):
        cc.create_connection(ConnectionName=f"c{i}", ProviderType="Bitbucket" if i % 2 else "GitHub")
    first = cc.list_connections()
    assert len(first["Connections"]) == 5 and first["NextToken"]
    rest = cc.list_connections(NextToken=first["NextToken"])
    assert len(rest["Connections"]) == 2 and "NextToken" not in rest
    assert len(cc.list_connections(ProviderTypeFilter="Bitbucket", MaxResults=50)["Connections"]) == 3
    host = cc.create_host(
        Name="ghe", ProviderType="GitHubEnterpriseServer", ProviderEndpoint="https://ghe.example.com"
    )
    assert cc.get_host(HostArn=host["HostArn"])["ProviderType"] == "GitHubEnterpriseServer"
    on_host = cc.create_connection(ConnectionName="on-host", HostArn=host["HostArn"])["ConnectionArn"]
    got = cc.get_connection(ConnectionArn=on_host)["Connection"]
    assert got["ProviderType"] == "GitHubEnterpriseServer" and got["HostArn"] == host["HostArn"]
    assert [
        c["ConnectionName"] for c in cc.list_connections(HostArnFilter=host["HostArn"])["Connections"]
    ] == ["on-host"]
    missing_host = host["HostArn"][:-4] + "0000"
    with pytest.raises(ClientError) as exc:
        cc.create_connection(ConnectionName="x", HostArn=missing_host)
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        cc.create_connection(ConnectionName="c0", ProviderType="GitHub")
    assert code(exc) == "ResourceUnavailableException"  # names are unique in an account
    cc.tag_resource(ResourceArn=on_host, Tags=[{"Key": "k", "Value": "v"}])
    assert cc.list_tags_for_resource(ResourceArn=on_host)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_app_runner_lifecycle(standins: StandIns) -> None:
    ar = client("apprunner")
    arn = ar.create_connection(ConnectionName="runner", ProviderType="GITHUB")["Connection"]["ConnectionArn"]
    with pytest.raises(ClientError) as exc:
        ar.create_connection(ConnectionName="runner", ProviderType="GITHUB")
    assert code(exc) == "InvalidRequestException"
    ar.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert ar.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert ar.delete_connection(ConnectionArn=arn)["Connection"]["Status"] == "DELETED"
    with pytest.raises(ClientError) as exc:
        ar.delete_connection(ConnectionArn=arn)
    assert code(exc) == "ResourceNotFoundException"


def test_proton_rules(standins: StandIns) -> None:
    cc, proton = client("codeconnections"), client("proton")
    arn = cc.create_connection(ConnectionName="gh", ProviderType="GitHub")["ConnectionArn"]
    with pytest.raises(ClientError) as exc:  # still PENDING
        proton.create_repository(name="acme/x", provider="GITHUB", connectionArn=arn)
    assert code(exc) == "ValidationException"
    standins.connections.set_status(arn, "AVAILABLE")
    proton.create_repository(
        name="acme/x",
        provider="GITHUB",
        connectionArn=arn,
        encryptionKey="arn:aws:kms:us-east-1:123456789012:key/k",
    )
    assert proton.get_repository(name="acme/x", provider="GITHUB")["repository"]["encryptionKey"].endswith(
        "key/k"
    )
    assert len(proton.list_repositories()["repositories"]) == 1
    proton.delete_repository(name="acme/x", provider="GITHUB")
    with pytest.raises(ClientError) as exc:
        proton.get_repository(name="acme/x", provider="GITHUB")
    assert code(exc) == "ResourceNotFoundException"


def test_faults_are_reproducible_for_a_seed_and_change_nothing(standins: StandIns) -> None:
    def outcomes(seed: int) -> list[bool]:
        stand = StandIns(
            faults=[FaultRule("InternalServerException", "codeartifact:CreateDomain", 0.5)], seed=seed
        )
        results = []
        with stand:
            ca = client("codeartifact")
            for i in range(20):
                try:
                    ca.create_domain(domain=f"d{i}")
                    results.append(True)
                except ClientError as exc:
                    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 500
                    results.append(False)
            assert sorted(stand.codeartifact.domains) == sorted(f"d{i}" for i, ok in enumerate(results) if ok)
        return results

    first = outcomes(7)
    assert first == outcomes(7) and 0 < first.count(False) < 20


def test_unknown_services_pass_through_and_uninstall_removes_the_handler(standins: StandIns) -> None:
    from repolink_local.patches import hooked

    assert standins(request=None, event_name="before-send.s3.GetObject") is None  # type: ignore[arg-type]
    assert standins in hooked("before-send")
    standins.uninstall()
    assert standins not in hooked("before-send")
    standins.install()


def test_a_lost_response_is_served_then_read_as_a_timeout(standins: StandIns) -> None:
    # Given CreateConnection's answer is lost once, and a client that does not retry
    standins.faults = [FaultRule("LostResponse", "codeconnections:CreateConnection", 1.0, times=1)]
    with pytest.raises(ReadTimeoutError):
        client("codeconnections").create_connection(ConnectionName="acme", ProviderType="GitHub")
    # Then the connection exists all the same
    assert [c.name for c in standins.connections.list()] == ["acme"]


def test_the_sdk_retry_of_a_create_whose_answer_was_lost_meets_the_name_in_use(standins: StandIns) -> None:
    standins.faults = [FaultRule("LostResponse", "codeconnections:CreateConnection", 1.0, times=1)]
    with pytest.raises(ClientError) as exc:
        boto3.client("codeconnections", config=ONE_RETRY).create_connection(
            ConnectionName="acme", ProviderType="GitHub"
        )
    assert code(exc) == "ResourceUnavailableException"
    assert [c.name for c in standins.connections.list()] == ["acme"]


def test_a_lost_response_on_a_moto_served_call_lets_moto_serve_it_once(standins: StandIns) -> None:
    dynamodb = boto3.client("dynamodb", config=ONE_RETRY)
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # Given a conditional put whose answer is lost once: served, then the SDK sends it again
    standins.faults = [FaultRule("LostResponse", "dynamodb:PutItem", 1.0, times=1)]
    with pytest.raises(ClientError) as exc:
        dynamodb.put_item(
            TableName="t", Item={"id": {"S": "k"}}, ConditionExpression="attribute_not_exists(id)"
        )
    # Then the retry finds the item the first attempt wrote, as it would on AWS
    assert code(exc) == "ConditionalCheckFailedException"
    assert standins.faults_injected == {"dynamodb:PutItem:LostResponse": 1}
    assert dynamodb.get_item(TableName="t", Key={"id": {"S": "k"}})["Item"] == {"id": {"S": "k"}}


@pytest.mark.parametrize(
    ("operation", "why"),
    [
        ("codeconnections:GetConnection", "does not change state"),
        ("dynamodb:GetItem", "does not change state"),
        ("*", "names one service:Operation"),
        ("CreateConnection", "names one service:Operation"),
        ("lambda:Invoke", "on lambda"),
        ("codeconnections:MakeItSo", "has no operation"),
    ],
)
def test_a_lost_response_rule_that_cannot_mean_what_it_says_is_refused(
    standins: StandIns, operation: str, why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        standins.faults = [FaultRule("LostResponse", operation, 1.0)]


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
def test_git_sync_links_and_sync_configurations(standins: StandIns, service: str) -> None:
    aws = client(service)
    arn = aws.create_connection(ConnectionName="acme", ProviderType="GitHub")["ConnectionArn"]
    # a pending connection cannot be linked yet
    with pytest.raises(ClientError) as exc:
        aws.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName="infra")
    assert code(exc) == "InvalidInputException"
    standins.connections.set_status(arn, "AVAILABLE")
    tags = [{"Key": "team", "Value": "platform"}]
    link = aws.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName="infra", Tags=tags)[
        "RepositoryLinkInfo"
    ]
    assert link["RepositoryLinkArn"].startswith(f"arn:aws:{service}:us-east-1:123456789012:repository-link/")
    assert aws.list_tags_for_resource(ResourceArn=link["RepositoryLinkArn"])["Tags"] == tags
    # one link per provider, owner and repository (whatever the case)
    with pytest.raises(ClientError) as exc:
        aws.create_repository_link(ConnectionArn=arn, OwnerId="ACME", RepositoryName="Infra")
    assert code(exc) == "ResourceAlreadyExistsException"
    for i in range(6):  # ListRepositoryLinks pages
        aws.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName=f"r{i}")
    first = aws.list_repository_links(MaxResults=5)
    rest = aws.list_repository_links(NextToken=first["NextToken"])
    assert len(first["RepositoryLinks"]) + len(rest["RepositoryLinks"]) == 7 and "NextToken" not in rest
    # sync configurations: the model's patterns, one per stack, not found, update, delete
    sync = {
        "SyncType": "CFN_STACK_SYNC",
        "ResourceName": "acme-network",
        "RepositoryLinkId": link["RepositoryLinkId"],
        "Branch": "main",
        "ConfigFile": "deploy/network.yaml",
        "RoleArn": "arn:aws:iam::123456789012:role/acme-gitsync",
    }
    with pytest.raises(ClientError) as exc:
        aws.create_sync_configuration(**sync | {"ResourceName": "bad name"})
    assert "ResourceName" in exc.value.response["Error"]["Message"]
    made = aws.create_sync_configuration(**sync)["SyncConfiguration"]
    assert (made["OwnerId"], made["RepositoryName"], made["ProviderType"]) == ("acme", "infra", "GitHub")
    with pytest.raises(ClientError) as exc:
        aws.create_sync_configuration(**sync | {"Branch": "other"})
    assert code(exc) == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as exc:
        aws.get_sync_configuration(SyncType="CFN_STACK_SYNC", ResourceName="nothing")
    assert code(exc) == "ResourceNotFoundException"
    listed = aws.list_sync_configurations(
        RepositoryLinkId=link["RepositoryLinkId"], SyncType="CFN_STACK_SYNC"
    )
    assert [c["ResourceName"] for c in listed["SyncConfigurations"]] == ["acme-network"]
    updated = aws.update_sync_configuration(
        SyncType="CFN_STACK_SYNC", ResourceName="acme-network", Branch="release"
    )
    assert updated["SyncConfiguration"]["Branch"] == "release"
    # a link with a sync configuration cannot go; without one it can, once
    with pytest.raises(ClientError) as exc:
        aws.delete_repository_link(RepositoryLinkId=link["RepositoryLinkId"])
    assert code(exc) == "SyncConfigurationStillExistsException"
    aws.delete_sync_configuration(SyncType="CFN_STACK_SYNC", ResourceName="acme-network")
    aws.delete_repository_link(RepositoryLinkId=link["RepositoryLinkId"])
    with pytest.raises(ClientError) as exc:
        aws.get_repository_link(RepositoryLinkId=link["RepositoryLinkId"])
    assert code(exc) == "ResourceNotFoundException"


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
def test_a_sync_configuration_is_updated_in_place_and_a_link_retagged(
    standins: StandIns, service: str
) -> None:
    aws = client(service)
    arn = aws.create_connection(ConnectionName="acme", ProviderType="GitHub")["ConnectionArn"]
    standins.connections.set_status(arn, "AVAILABLE")
    tags = [{"Key": "team", "Value": "platform"}, {"Key": "repolink:request-id", "Value": "rl-1"}]
    link = aws.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName="infra", Tags=tags)[
        "RepositoryLinkInfo"
    ]
    stack = {"SyncType": "CFN_STACK_SYNC", "ResourceName": "acme-network"}
    aws.create_sync_configuration(
        **stack,
        RepositoryLinkId=link["RepositoryLinkId"],
        Branch="main",
        ConfigFile="deploy/network.yaml",
        RoleArn="arn:aws:iam::123456789012:role/acme-gitsync",
        PublishDeploymentStatus="ENABLED",
        TriggerResourceUpdateOn="ANY_CHANGE",
    )
    # a configuration that does not exist, or a link that does not, is not found
    with pytest.raises(ClientError) as exc:
        aws.update_sync_configuration(SyncType="CFN_STACK_SYNC", ResourceName="nothing", Branch="release")
    assert code(exc) == "ResourceNotFoundException"
    missing = "0c1d2e3f-aaaa-bbbb-cccc-123456789012"
    with pytest.raises(ClientError) as exc:
        aws.update_sync_configuration(**stack, RepositoryLinkId=missing)
    assert code(exc) == "ResourceNotFoundException"
    # the model's shapes are checked (an enum botocore does not check)
    with pytest.raises(ClientError) as exc:
        aws.update_sync_configuration(**stack, TriggerResourceUpdateOn="SOMETIMES")
    assert "TriggerResourceUpdateOn" in exc.value.response["Error"]["Message"]
    # what is sent changes, what is not stays
    updated = aws.update_sync_configuration(**stack, Branch="release", PublishDeploymentStatus="DISABLED")
    config = updated["SyncConfiguration"]
    assert (config["Branch"], config["ConfigFile"]) == ("release", "deploy/network.yaml")
    assert (config["PublishDeploymentStatus"], config["TriggerResourceUpdateOn"]) == (
        "DISABLED",
        "ANY_CHANGE",
    )
    assert aws.get_sync_configuration(**stack)["SyncConfiguration"] == config
    # TagResource adds and overwrites, and leaves the other tags
    aws.tag_resource(
        ResourceArn=link["RepositoryLinkArn"],
        Tags=[{"Key": "team", "Value": "infrastructure"}, {"Key": "cost-center", "Value": "42"}],
    )
    listed = aws.list_tags_for_resource(ResourceArn=link["RepositoryLinkArn"])["Tags"]
    assert {t["Key"]: t["Value"] for t in listed} == {
        "team": "infrastructure",
        "repolink:request-id": "rl-1",
        "cost-center": "42",
    }
    # a resource holds at most 200 tags (the model's TagList), its own counted
    many = [{"Key": f"key-{i}", "Value": "v"} for i in range(198)]
    with pytest.raises(ClientError) as exc:
        aws.tag_resource(ResourceArn=link["RepositoryLinkArn"], Tags=many)
    assert code(exc) == "LimitExceededException"
    aws.tag_resource(ResourceArn=link["RepositoryLinkArn"], Tags=many[:197])
    assert len(aws.list_tags_for_resource(ResourceArn=link["RepositoryLinkArn"])["Tags"]) == 200
    gone = link["RepositoryLinkArn"].rsplit("/", 1)[0] + f"/{missing}"
    with pytest.raises(ClientError) as exc:
        aws.tag_resource(ResourceArn=gone, Tags=[{"Key": "team", "Value": "x"}])
    assert code(exc) == "ResourceNotFoundException"
