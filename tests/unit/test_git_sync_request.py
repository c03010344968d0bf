"""The gitSync section: every edge AWS refuses is a 422 naming the field, before anything starts."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from helpers.contract import LISTED, errors_of, fields_of
from repolink.models.validation import validate_request
from repolink.workflow.accept import Deployment, judge

pytestmark = pytest.mark.unit

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events" / "onboarding.json").read_text())
REPO = "gitSync.repositories[0]"
STACK = f"{REPO}.syncConfigurations[0]"


def request(**stack: Any) -> dict[str, Any]:
    """The sample with the first stack's settings changed (``None`` drops a setting)."""
    body = copy.deepcopy(SAMPLE)
    config = body["gitSync"]["repositories"][0]["syncConfigurations"][0]
    for key, value in stack.items():
        if value is None:
            config.pop(key)
        else:
            config[key] = value
    return body


def with_repository(**repo: Any) -> dict[str, Any]:
    body = copy.deepcopy(SAMPLE)
    body["gitSync"]["repositories"][0] |= repo
    return body


def test_the_sample_is_accepted_when_the_deployment_lists_its_role() -> None:
    verdict = judge(SAMPLE, caller="123456789012", idempotency_key=None, deployment=LISTED)
    assert verdict.status == 202, verdict.errors
    assert verdict.request is not None and verdict.request.git_sync is not None
    (config,) = verdict.request.git_sync.repositories[0].sync_configurations
    assert (config.resource_name, config.trigger_resource_update_on) == ("acme-network", "ANY_CHANGE")


def test_the_defaults_publish_the_status_on_any_change_without_comments() -> None:
    body = request(publishDeploymentStatus=None, triggerResourceUpdateOn=None, pullRequestComment=None)
    config = validate_request(body).wire()["gitSync"]["repositories"][0]["syncConfigurations"][0]
    assert config["publishDeploymentStatus"] is True
    assert config["triggerResourceUpdateOn"] == "ANY_CHANGE"
    assert config["pullRequestComment"] is False


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        (
            {"resourceName": "1-stack"},
            "resourceName",
            "stack name",
        ),  # codeconnections takes it; CloudFormation not
        ({"resourceName": "acme_network"}, "resourceName", "stack name"),
        ({"resourceName": "a" * 101}, "resourceName", "at most 100"),
        ({"resourceName": ""}, "resourceName", "stack name"),
        ({"branch": ""}, "branch", "1-255"),
        ({"branch": "b" * 256}, "branch", "1-255"),
        ({"branch": "main\nrelease"}, "branch", "control"),
        ({"configFile": ""}, "configFile", "deployment file"),
        ({"configFile": "deploy/\u202enetwork.yaml"}, "configFile", "format"),
        ({"roleArn": "arn:aws:iam::123456789012:user/acme"}, "roleArn", "IAM role ARN"),
        ({"roleArn": "acme-gitsync"}, "roleArn", "IAM role ARN"),
        ({"roleArn": f"arn:aws:iam::123456789012:role/{'r' * 1000}"}, "roleArn", "at most 1024"),
        ({"triggerResourceUpdateOn": "ON_PUSH"}, "triggerResourceUpdateOn", "FILE_CHANGE"),
        ({"publishDeploymentStatus": "ENABLED"}, "publishDeploymentStatus", ""),
        ({"pullRequestComment": 1}, "pullRequestComment", ""),
        ({"roleArn": None}, "roleArn", ""),
        ({"branch": None}, "branch", ""),
    ],
)
def test_a_sync_configuration_field_aws_refuses_is_named(
    changes: dict[str, Any], field: str, fragment: str
) -> None:
    errors = errors_of(request(**changes))
    at = [e.message for e in errors if e.field == f"{STACK}.{field}"]
    assert at, errors
    assert any(fragment.lower() in m.lower() for m in at), at


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"ownerId": ""}, "ownerId", "1-255"),
        ({"ownerId": "o" * 256}, "ownerId", "1-255"),
        ({"ownerId": "acme\r"}, "ownerId", "control"),
        ({"repositoryName": "r" * 129}, "repositoryName", "1-128"),
        ({"repositoryName": "in\u200bfra"}, "repositoryName", "zero-width"),
        (
            {"encryptionKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/acme"},
            "encryptionKeyArn",
            "not an alias",
        ),
        ({"tags": {"repolink:request-id": "x"}}, 'tags["repolink:request-id"]', "repolink sets itself"),
        ({"tags": {"aws:team": "x"}}, 'tags["aws:team"]', "reserved"),
        ({"syncConfigurations": []}, "syncConfigurations", "at least 1"),
    ],
)
def test_a_repository_field_aws_refuses_is_named(changes: dict[str, Any], field: str, fragment: str) -> None:
    errors = errors_of(with_repository(**changes))
    at = [e.message for e in errors if e.field == f"{REPO}.{field}"]
    assert at, errors
    assert any(fragment.lower() in m.lower() for m in at), at


def test_a_repository_listed_twice_whatever_its_case_is_named_at_the_second() -> None:
    body = copy.deepcopy(SAMPLE)
    again = copy.deepcopy(body["gitSync"]["repositories"][0])
    again |= {"ownerId": "ACME", "repositoryName": "Infra"}
    again["syncConfigurations"][0]["resourceName"] = "acme-other"
    body["gitSync"]["repositories"].append(again)
    (error,) = errors_of(body)
    assert error.field == "gitSync.repositories[1].repositoryName"
    assert "repositories[0]" in error.message


def test_a_stack_synced_twice_in_one_request_is_named_at_the_second() -> None:
    body = copy.deepcopy(SAMPLE)
    other = copy.deepcopy(body["gitSync"]["repositories"][0]) | {"repositoryName": "other"}
    body["gitSync"]["repositories"].append(other)
    (error,) = errors_of(body)
    assert error.field == "gitSync.repositories[1].syncConfigurations[0].resourceName"
    assert "'acme-network'" in error.message and "repositories[0].syncConfigurations[0]" in error.message


def test_git_sync_needs_a_connection() -> None:
    body = {k: v for k, v in SAMPLE.items() if k != "connection"}
    assert fields_of(body) == ["connection"]


def test_git_sync_cannot_use_app_runner() -> None:
    body = copy.deepcopy(SAMPLE)
    body["connection"] = {"service": "apprunner", "name": "acme-github", "provider": "GITHUB"}
    (error,) = errors_of(body)
    assert error.field == "connection.service"
    assert "App Runner" in error.message


def test_git_sync_refuses_a_provider_it_does_not_support() -> None:
    body = copy.deepcopy(SAMPLE)
    body["connection"]["provider"] = "AzureDevOps"
    (error,) = errors_of(body)
    assert error.field == "connection.provider"
    assert "AzureDevOps" in error.message and "GitLabSelfManaged" in error.message


@pytest.mark.parametrize("provider", ["GitHub", "GitLab", "Bitbucket"])
def test_git_sync_takes_the_providers_it_supports(provider: str) -> None:
    body = copy.deepcopy(SAMPLE)
    body["connection"]["provider"] = provider
    assert validate_request(body).git_sync is not None


def test_pull_request_comments_need_codeconnections() -> None:
    body = request(pullRequestComment=True)
    body["connection"]["service"] = "codestar-connections"
    (error,) = errors_of(body)
    assert error.field == "connection.service"
    assert "PullRequestComment" in error.message
    body["gitSync"]["repositories"][0]["syncConfigurations"][0]["pullRequestComment"] = False
    assert validate_request(body).connection is not None


# --- what the deployment allows: its roles (GitSyncRoleArns), and the caller's account


def verdict_on(body: dict[str, Any], deployment: Deployment = LISTED, caller: str = "123456789012") -> Any:
    return judge(body, caller=caller, idempotency_key=None, deployment=deployment)


def test_a_deployment_that_lists_no_role_refuses_git_sync_naming_the_parameter() -> None:
    verdict = verdict_on(SAMPLE, Deployment(account="123456789012", region="us-east-1"))
    assert verdict.status == 422
    (error,) = verdict.errors
    assert error.field == "gitSync"
    assert "GitSyncRoleArns" in error.message


def test_a_role_the_deployment_does_not_list_is_refused() -> None:
    other = "arn:aws:iam::123456789012:role/admin"
    verdict = verdict_on(request(roleArn=other))
    assert verdict.status == 422
    (error,) = verdict.errors
    assert error.field == f"{STACK}.roleArn"
    assert other in error.message and "GitSyncRoleArns" in error.message


def test_a_role_of_another_account_is_refused_as_not_the_callers() -> None:
    theirs = "arn:aws:iam::444444444444:role/acme-gitsync"
    listed = Deployment(account="123456789012", region="us-east-1", git_sync_role_arns=frozenset({theirs}))
    (error,) = verdict_on(request(roleArn=theirs), listed).errors
    assert error.field == f"{STACK}.roleArn"
    assert "caller's account (123456789012)" in error.message


def test_another_accounts_caller_cannot_pass_a_role_to_git_sync_here() -> None:
    # the caller's own role: IAM passes only roles of the account Git sync runs in (the deployment's)
    theirs = "arn:aws:iam::210987654321:role/acme-gitsync"
    listed = Deployment(
        account="123456789012",
        region="us-east-1",
        allowed_account_ids=frozenset({"210987654321"}),
        git_sync_role_arns=frozenset({theirs}),
    )
    body = {k: v for k, v in request(roleArn=theirs).items() if k != "codeartifact"}
    (error,) = verdict_on(body, listed, caller="210987654321").errors
    assert error.field == f"{STACK}.roleArn"
    assert "this deployment's account (123456789012)" in error.message


def test_a_role_of_another_partition_is_refused() -> None:
    china = "arn:aws-cn:iam::123456789012:role/acme-gitsync"
    listed = Deployment(account="123456789012", region="us-east-1", git_sync_role_arns=frozenset({china}))
    (error,) = verdict_on(request(roleArn=china), listed).errors
    assert error.field == f"{STACK}.roleArn"
    assert "partition (aws)" in error.message


def test_a_repository_key_of_another_region_is_refused() -> None:
    key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    (error,) = verdict_on(with_repository(encryptionKeyArn=key)).errors
    assert error.field == f"{REPO}.encryptionKeyArn"
    assert "Region" in error.message


def test_more_stacks_than_a_request_may_sync_are_refused() -> None:
    body = copy.deepcopy(SAMPLE)
    first = body["gitSync"]["repositories"][0]
    config = first["syncConfigurations"][0]
    first["syncConfigurations"] = [config | {"resourceName": f"a-{i}"} for i in range(60)]
    second = copy.deepcopy(first) | {"repositoryName": "other"}
    second["syncConfigurations"] = [config | {"resourceName": f"b-{i}"} for i in range(41)]
    body["gitSync"]["repositories"].append(second)
    (error,) = errors_of(body)
    assert error.field == "gitSync.repositories"
    assert "at most 100 stacks per request, got 101" in error.message
