"""What IAM evaluates for a call: actions, resources and condition keys from AWS's data."""

from __future__ import annotations

import pytest

from repolink_local.iam import data
from repolink_local.iam.requests import EXTRA, PLATFORM, authorizations

pytestmark = pytest.mark.unit

ACCOUNT, REGION = "123456789012", "us-east-1"
CONNECTION = f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/0c1d2e3f-aaaa-bbbb-cccc-123456789012"


def test_create_connection_is_authorized_on_star_with_its_tags_and_provider_and_tagging_too() -> None:
    tags = [{"Key": "repolink:request-id", "Value": "rl-1"}, {"Key": "team", "Value": "payments"}]
    found = authorizations(
        "codeconnections",
        "CreateConnection",
        {"ConnectionName": "c", "ProviderType": "GitHub", "Tags": tags},
        ACCOUNT,
        REGION,
    )
    create, tag = found
    assert (create.action, create.resource) == ("codeconnections:CreateConnection", "*")
    assert create.context["aws:TagKeys"] == ["repolink:request-id", "team"]
    assert create.context["aws:RequestTag/team"] == "payments"
    assert create.context["codeconnections:ProviderType"] == "GitHub"
    assert tag.action == "codeconnections:TagResource"
    assert tag.resource == f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/*"


def test_a_call_naming_an_arn_is_authorized_on_that_arn() -> None:
    (get,) = authorizations(
        "codeconnections", "GetConnection", {"ConnectionArn": CONNECTION}, ACCOUNT, REGION
    )
    assert (get.action, get.resource, get.account) == ("codeconnections:GetConnection", CONNECTION, ACCOUNT)


def test_codeartifact_resources_are_in_the_domain_owners_account() -> None:
    params = {"domain": "acme", "domainOwner": "210987654321", "repository": "team-python"}
    (describe,) = authorizations("codeartifact", "DescribeRepository", params, ACCOUNT, REGION)
    assert describe.resource == f"arn:aws:codeartifact:{REGION}:210987654321:repository/acme/team-python"
    assert describe.account == "210987654321"


def test_upstreams_need_associate_with_downstream_on_each_upstream() -> None:
    params = {
        "domain": "acme",
        "repository": "team",
        "upstreams": [{"repositoryName": "a"}, {"repositoryName": "b"}],
    }
    create, *upstreams = authorizations("codeartifact", "CreateRepository", params, ACCOUNT, REGION)
    assert create.resource == "*"
    assert [(u.action, u.resource.rsplit("/", 1)[-1]) for u in upstreams] == [
        ("codeartifact:AssociateWithDownstreamRepository", "a"),
        ("codeartifact:AssociateWithDownstreamRepository", "b"),
    ]


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
def test_a_sync_configuration_update_is_on_star_and_passes_what_it_names(service: str) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/acme-gitsync"
    base = {"SyncType": "CFN_STACK_SYNC", "ResourceName": "acme-network", "Branch": "release"}
    # UpdateSyncConfiguration names no resource type: "*"; the role it names is passed to Git sync
    update, passed = authorizations(
        service, "UpdateSyncConfiguration", base | {"RoleArn": role}, ACCOUNT, REGION
    )
    assert (update.action, update.resource) == (f"{service}:UpdateSyncConfiguration", "*")
    assert (passed.action, passed.resource) == ("iam:PassRole", role)
    assert passed.context == {"iam:PassedToService": "cloudformation.sync.codeconnections.amazonaws.com"}
    # a link it names is passed as on create; with neither, nothing more is asked
    link_id = "0c1d2e3f-aaaa-bbbb-cccc-123456789012"
    _, repository = authorizations(
        service, "UpdateSyncConfiguration", base | {"RepositoryLinkId": link_id}, ACCOUNT, REGION
    )
    assert (repository.action, repository.resource) == (
        f"{service}:PassRepository",
        f"arn:aws:{service}:{REGION}:{ACCOUNT}:repository-link/{link_id}",
    )
    assert len(authorizations(service, "UpdateSyncConfiguration", base, ACCOUNT, REGION)) == 1


def test_each_event_entry_is_authorized_on_its_bus_with_its_detail_type() -> None:
    entries = [
        {"EventBusName": "repolink-bus", "Source": "repolink", "DetailType": "RepositoryLinkCompleted"}
    ]
    (put,) = authorizations("events", "PutEvents", {"Entries": entries}, ACCOUNT, REGION)
    assert put.resource == f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/repolink-bus"
    assert put.context["events:detail-type"] == ["RepositoryLinkCompleted"]


def test_invoke_is_authorized_as_invoke_function_on_the_function() -> None:
    (invoke,) = authorizations(
        "lambda", "Invoke", {"FunctionName": "CheckConnectionFunction"}, ACCOUNT, REGION
    )
    assert invoke.action == "lambda:InvokeFunction"
    assert invoke.resource == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:CheckConnectionFunction"


def test_proton_passes_the_connection_by_its_own_service_name_and_may_create_its_role() -> None:
    codestar = CONNECTION.replace("codeconnections", "codestar-connections")
    params = {"name": "acme/infra", "provider": "GITHUB", "connectionArn": codestar}
    create, passed, role = authorizations("proton", "CreateRepository", params, ACCOUNT, REGION)
    assert create.resource == f"arn:aws:proton:{REGION}:{ACCOUNT}:repository/github:acme/infra"
    assert (passed.action, passed.resource) == ("codestar-connections:PassConnection", codestar)
    assert passed.context == {"codestar-connections:PassedToService": "proton.amazonaws.com"}
    assert role.action == "iam:CreateServiceLinkedRole"
    assert role.context == {"iam:AWSServiceName": "sync.proton.amazonaws.com"}


def test_a_key_is_used_through_the_service() -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    _, describe, grant = authorizations(
        "codeartifact", "CreateDomain", {"domain": "acme", "encryptionKey": key}, ACCOUNT, REGION
    )
    assert (describe.action, grant.action) == ("kms:DescribeKey", "kms:CreateGrant")
    assert grant.context == {"kms:ViaService": f"codeartifact.{REGION}.amazonaws.com"}


def test_every_row_of_the_tables_names_real_actions_and_its_documentation() -> None:
    for row in (*EXTRA, *PLATFORM):
        assert row.documentation.startswith("https://docs.aws.amazon.com/"), row
        for action in row.grants:
            assert data.action(action) is not None, action
