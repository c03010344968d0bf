"""CloudFormation Git sync through the real ASL, with IAM enforced: links, reuse, conflicts, lost answers."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest

from helpers.contract import ROLE
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns

pytestmark = pytest.mark.statemachine

LINK_STEP = "Link one Git sync repository"
#: the tags an earlier onboarding of this account put on what it created
EARLIER_ONBOARDING = [
    {"Key": "repolink:request-id", "Value": "rl-earlier"},
    {"Key": "repolink:owner-account", "Value": "123456789012"},
]


def only(result: Any, detail_type: str) -> dict[str, Any]:
    details = result.events_of(detail_type)
    assert len(details) == 1, [e["detail-type"] for e in result.events]
    return dict(details[0])


def git_sync_only(request: dict[str, Any]) -> dict[str, Any]:
    """The sample's connection and gitSync sections, without CodeArtifact."""
    return {k: v for k, v in copy.deepcopy(request).items() if k != "codeartifact"}


def available_connection(name: str) -> str:
    """A connection an earlier onboarding of this account created, already AVAILABLE."""
    aws = boto3.client("codeconnections")
    return str(
        aws.create_connection(ConnectionName=name, ProviderType="GitHub", Tags=EARLIER_ONBOARDING)[
            "ConnectionArn"
        ]
    )


def synced_elsewhere(standins: StandIns) -> None:
    """The sample's stack synced already, from acme/legacy's release branch."""
    arn = available_connection("legacy")
    standins.connections.set_status(arn, "AVAILABLE")
    aws = boto3.client("codeconnections")
    link = aws.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName="legacy")
    aws.create_sync_configuration(
        SyncType="CFN_STACK_SYNC",
        ResourceName="acme-network",
        RepositoryLinkId=link["RepositoryLinkInfo"]["RepositoryLinkId"],
        Branch="release",
        ConfigFile="network.yaml",
        RoleArn=ROLE,
    )


def test_the_sample_links_the_repository_and_syncs_its_stack(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given the sample (a connection, one repository with one stack, CodeArtifact)
    result, standins = run_onboarding(onboarding_request, handshake=HandshakePolicy("after", 2))
    # Then it succeeds, linking after the handshake
    assert result.status == "SUCCEEDED"
    states = result.states_entered
    assert states.index("Check the handshake") < states.index(LINK_STEP) < states.index("Report the outcome")
    # and AWS holds one repository link, tagged with the request's and the caller's ownership
    (link,) = standins.connections.repository_links.values()
    assert (link.owner_id, link.repository_name, link.provider) == ("acme", "infra", "GitHub")
    assert link.tags["team"] == "platform"
    assert link.tags["repolink:owner-account"] == "123456789012"
    assert link.tags["repolink:request-id"].startswith("rl-")
    # and one sync configuration for the stack, as asked
    (config,) = standins.connections.sync_configurations.values()
    assert config.view() == {
        "Branch": "main",
        "ConfigFile": "deploy/network.yaml",
        "OwnerId": "acme",
        "ProviderType": "GitHub",
        "RepositoryLinkId": link.id,
        "RepositoryName": "infra",
        "ResourceName": "acme-network",
        "RoleArn": ROLE,
        "SyncType": "CFN_STACK_SYNC",
        "PublishDeploymentStatus": "ENABLED",
        "TriggerResourceUpdateOn": "ANY_CHANGE",
        "PullRequestComment": "DISABLED",
    }
    # and the completion event names the link and the stack
    done = only(result, "RepositoryLinkCompleted")
    assert link.arn in done["arns"]
    (repo,) = done["gitSyncRepositories"]
    assert (repo["repositoryLinkId"], repo["repositoryLinkArn"], repo["outcome"]) == (
        link.id,
        link.arn,
        "created",
    )
    assert repo["syncConfigurations"] == [
        {
            "resourceName": "acme-network",
            "branch": "main",
            "configFile": "deploy/network.yaml",
            "outcome": "created",
            "updated": [],
        }
    ]
    assert repo["failures"] == []


def test_an_existing_link_on_the_connection_is_reused_not_made_again(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    made: dict[str, str] = {}

    def prepare(standins: StandIns) -> None:
        # Given an AVAILABLE connection of this account, with acme/infra linked to it already
        arn = available_connection("acme-github")
        standins.connections.set_status(arn, "AVAILABLE")
        link = boto3.client("codeconnections").create_repository_link(
            ConnectionArn=arn, OwnerId="acme", RepositoryName="infra", Tags=EARLIER_ONBOARDING
        )["RepositoryLinkInfo"]
        made["id"] = link["RepositoryLinkId"]

    # When the sample asks for the same repository (the owner and name in another case, too)
    request = git_sync_only(onboarding_request)
    request["gitSync"]["repositories"][0]["repositoryName"] = "Infra"
    result, standins = run_onboarding(request, prepare=prepare)
    # Then the link is reused: still one, with its own tags, reported as existing
    assert result.status == "SUCCEEDED"
    (link,) = standins.connections.repository_links.values()
    assert link.id == made["id"]
    assert link.tags["repolink:request-id"] == "rl-earlier"
    (repo,) = only(result, "RepositoryLinkCompleted")["gitSyncRepositories"]
    assert (repo["repositoryLinkId"], repo["outcome"]) == (made["id"], "existing")
    assert standins.calls["codeconnections:CreateRepositoryLink"] == 1  # the one prepare made
    # and the stack's sync configuration is made on that link
    (config,) = standins.connections.sync_configurations.values()
    assert config.link.id == made["id"]


def test_a_stack_synced_from_elsewhere_fails_naming_it_and_nothing_is_overwritten(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given the sample's stack synced already, from another repository and branch
    result, standins = run_onboarding(onboarding_request, prepare=synced_elsewhere)
    # Then the onboarding fails, naming the stack, where it is synced from, and the step
    failed = only(result, "RepositoryLinkFailed")
    assert failed["step"] == "GitSync.CreateSyncConfiguration:acme-network"
    assert failed["error"] == "ResourceConflict"
    assert "'acme-network' is already synced from acme/legacy" in failed["cause"]
    assert "branch 'release'" in failed["cause"]
    # and the existing sync configuration is untouched
    (config,) = standins.connections.sync_configurations.values()
    assert (config.link.repository_name, config.branch, config.config_file) == (
        "legacy",
        "release",
        "network.yaml",
    )
    # and the link made for this stack alone was deleted again (it synced nothing); the other stays
    assert [link.repository_name for link in standins.connections.repository_links.values()] == ["legacy"]
    (repo,) = failed["gitSyncRepositories"]
    assert repo["linkDeleted"] is True
    assert repo["repositoryLinkArn"] not in failed["arns"]
    # and what did succeed is kept and reported
    assert failed["codeartifact"]["status"] == "succeeded"


def test_a_lost_delete_repository_link_answer_still_leaves_no_unused_link(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given the link made for a refused stack is deleted, and that answer is lost (the SDK sends
    # it again, and IAM refuses it: the role deletes only links that carry repolink's tag, and the
    # link is gone, its tags with it)
    lost = FaultRule("LostResponse", "codeconnections:DeleteRepositoryLink", 1.0, times=1)
    request = git_sync_only(onboarding_request)
    result, standins = run_onboarding(request, faults=[lost], prepare=synced_elsewhere)
    # Then deleting counts as done: the one link left is the other repository's
    assert standins.faults_injected["codeconnections:DeleteRepositoryLink:LostResponse"] == 1
    assert standins.calls["codeconnections:DeleteRepositoryLink"] == 1  # the retry never reached it
    (repo,) = only(result, "RepositoryLinkFailed")["gitSyncRepositories"]
    assert repo["linkDeleted"] is True
    assert [link.repository_name for link in standins.connections.repository_links.values()] == ["legacy"]


def test_a_lost_create_repository_link_answer_makes_exactly_one_link(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given CreateRepositoryLink takes effect but its answer is lost (the SDK sends it again)
    lost = FaultRule("LostResponse", "codeconnections:CreateRepositoryLink", 1.0, times=1)
    result, standins = run_onboarding(git_sync_only(onboarding_request), faults=[lost])
    # Then the retry is refused as existing, the link found is this request's, and adopted as created
    assert standins.faults_injected["codeconnections:CreateRepositoryLink:LostResponse"] == 1
    assert standins.calls["codeconnections:CreateRepositoryLink"] == 2
    assert result.status == "SUCCEEDED"
    (link,) = standins.connections.repository_links.values()
    (repo,) = only(result, "RepositoryLinkCompleted")["gitSyncRepositories"]
    assert (repo["repositoryLinkId"], repo["outcome"]) == (link.id, "created")
    assert len(standins.connections.sync_configurations) == 1


def test_a_role_the_deployment_does_not_list_is_denied_as_on_aws(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given a deployment whose GitSyncRoleArns does not list the role (the accept path refuses
    # such a request; here the workflow is started directly, as a redeploy could leave it)
    result, standins = run_onboarding(git_sync_only(onboarding_request), parameters={})
    # Then iam:PassRole is denied, the stack fails naming it, and the unused link goes again
    failed = only(result, "RepositoryLinkFailed")
    assert failed["step"] == "GitSync.CreateSyncConfiguration:acme-network"
    assert failed["error"] == "AwsAccessDenied"
    assert "iam:PassRole" in failed["cause"]
    assert standins.connections.sync_configurations == {}
    assert standins.connections.repository_links == {}


def test_the_most_stacks_a_request_may_sync_all_failing_still_fit_the_state_and_the_event(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    # Given 100 stacks (the most a request may sync), long branch names, every stack synced
    # already from elsewhere: each failure's cause is carried in the state and the result event
    stacks = [f"stack-{i:03d}" for i in range(100)]

    def prepare(standins: StandIns) -> None:
        arn = available_connection("legacy")
        standins.connections.set_status(arn, "AVAILABLE")
        aws = boto3.client("codeconnections")
        link = aws.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName="legacy")
        for i, stack in enumerate(stacks):  # on two branches: AWS takes 50 per branch
            aws.create_sync_configuration(
                SyncType="CFN_STACK_SYNC",
                ResourceName=stack,
                RepositoryLinkId=link["RepositoryLinkInfo"]["RepositoryLinkId"],
                Branch=("release", "hotfix")[i % 2],
                ConfigFile="network.yaml",
                RoleArn=ROLE,
            )

    request = git_sync_only(onboarding_request)
    template = request["gitSync"]["repositories"][0]
    request["gitSync"]["repositories"] = [
        template
        | {
            "repositoryName": f"infra-{half}",
            "syncConfigurations": [
                template["syncConfigurations"][0] | {"resourceName": stack, "branch": "b" * 200}
                for stack in stacks[half * 50 : half * 50 + 50]
            ],
        }
        for half in (0, 1)
    ]
    result, standins = run_onboarding(request, prepare=prepare)
    # Then the workflow reports every one, through its own result event (no data limit hit)
    failed = only(result, "RepositoryLinkFailed")
    assert len(failed["failures"]) == 100
    assert {f["error"] for f in failed["failures"]} == {"ResourceConflict"}
    assert "Onboarding failed" in result.states_entered
    assert "Publish that reporting failed" not in result.states_entered
    assert len(standins.connections.sync_configurations) == 100  # none overwritten


def test_a_repository_linked_through_another_connection_is_a_conflict_not_a_second_link(
    run_onboarding: Any, onboarding_request: dict
) -> None:
    elsewhere: dict[str, str] = {}

    def prepare(standins: StandIns) -> None:
        # Given acme/infra linked already, through another connection of the account
        arn = available_connection("other-github")
        standins.connections.set_status(arn, "AVAILABLE")
        boto3.client("codeconnections").create_repository_link(
            ConnectionArn=arn, OwnerId="acme", RepositoryName="infra"
        )
        elsewhere["arn"] = arn

    result, standins = run_onboarding(git_sync_only(onboarding_request), prepare=prepare)
    # Then the repository's step fails naming that connection, and nothing more is made
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("GitSync.LinkRepository:acme/infra", "ResourceConflict")
    assert elsewhere["arn"] in failed["cause"]
    assert len(standins.connections.repository_links) == 1
    assert standins.connections.sync_configurations == {}
