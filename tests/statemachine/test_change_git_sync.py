"""A change (PUT /links/{id}) updates Git sync in place, through the real ASL, with IAM enforced.

The sample onboarded, then changed: its stack synced from another branch with other settings
(``UpdateSyncConfiguration``) and its repository link retagged (``TagResource``), each result
saying what it updated; the same change again starts nothing, and a later change calls neither; a lost
answer on either call ends as a clean change does; a stack on a link others made is never
changed; without the grant the change fails naming the step.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from helpers.engine import JSON, Onboard, normalized, sample_engine
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.standins import FaultRule
from repolink_local.template import ACCOUNT_ID, ONBOARDING

pytestmark = pytest.mark.statemachine

STACK = "acme-network"
UPDATE = "codeconnections:UpdateSyncConfiguration"
TAG = "codeconnections:TagResource"


def completed(result: ExecutionResult, change_id: str) -> dict[str, Any]:
    """The change's RepositoryLinkCompleted (the engine keeps every event it published)."""
    (event,) = [e for e in result.events_of("RepositoryLinkCompleted") if e.get("changeId") == change_id]
    return dict(event)


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with sample_engine() as running:
        yield running


def put(engine: LocalEngine, request_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    code, _, answer = engine.api("PUT", f"/links/{request_id}", json.dumps(body), headers=JSON)
    return code, answer


def change(engine: LocalEngine, request_id: str, body: dict[str, Any]) -> ExecutionResult:
    code, answer = put(engine, request_id, body)
    assert code == 202, answer
    return engine.wait(answer["executionArn"], deadline_seconds=60)


def calls_of(
    engine: LocalEngine, request_id: str, body: dict[str, Any]
) -> tuple[ExecutionResult, Counter[str]]:
    """The change's result, and the AWS calls made while it ran (the engine counts them all)."""
    before = Counter(engine.counter.calls)
    result = change(engine, request_id, body)
    return result, Counter(engine.counter.calls) - before


def moved(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample with its stack synced from the release branch without deployment statuses,
    and its repository's team tag changed and a cost-center tag added."""
    request = copy.deepcopy(sample)
    (repository,) = request["gitSync"]["repositories"]
    repository["tags"] = {"team": "infrastructure", "cost-center": "42"}
    (config,) = repository["syncConfigurations"]
    config |= {"branch": "release", "publishDeploymentStatus": False}
    return normalized(request)


def test_a_change_updates_the_sync_configuration_and_the_link_tags_in_place(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the sample onboarded
    request_id = onboard(engine, sample)
    connections = engine.standins.connections
    (link,) = connections.repository_links.values()
    # When a change moves its stack to the release branch, without deployment statuses, and
    # changes its repository's tags
    result, made = calls_of(engine, request_id, moved(sample))
    # Then it succeeded, with one UpdateSyncConfiguration and one TagResource
    assert result.status == "SUCCEEDED", result.output
    assert made[UPDATE] == 1
    assert made[TAG] == 1
    assert made["codeconnections:CreateRepositoryLink"] == 0
    # and AWS holds the one configuration, on the same link, with the new values
    (config,) = connections.sync_configurations.values()
    assert config.link is link
    assert (config.branch, config.config_file) == ("release", "deploy/network.yaml")
    assert config.options == {
        "PublishDeploymentStatus": "DISABLED",
        "TriggerResourceUpdateOn": "ANY_CHANGE",
        "PullRequestComment": "DISABLED",
    }
    # and the link has the new and changed tags, and still the onboarding's ownership tags
    assert link.tags == {
        "team": "infrastructure",
        "cost-center": "42",
        "repolink:request-id": request_id,
        "repolink:owner-account": ACCOUNT_ID,
    }
    # and the change's result says what it updated on both, this onboarding's still
    event = completed(result, f"{request_id}-change-1")
    (repository,) = event["gitSyncRepositories"]
    assert (repository["outcome"], repository["updated"]) == ("created", ["tags"])
    assert repository["syncConfigurations"] == [
        {
            "resourceName": STACK,
            "branch": "release",
            "configFile": "deploy/network.yaml",
            "outcome": "created",
            "updated": ["branch", "publishDeploymentStatus"],
        }
    ]
    assert repository["failures"] == []
    # and GET follows the change, and says the link was updated
    code, _, status = engine.api("GET", f"/links/{request_id}")
    assert code == 200
    assert status["changeId"] == f"{request_id}-change-1"
    (listed,) = [r for r in status["resources"] if r["arn"] == link.arn]
    assert (listed["outcome"], listed["updated"]) == ("created", ["tags"])

    # When the same change is sent again, it is a duplicate: nothing starts
    executions = len(engine.executions(ONBOARDING))
    code, again = put(engine, request_id, moved(sample))
    assert code == 200
    assert again["changeId"] == f"{request_id}-change-1"
    assert len(engine.executions(ONBOARDING)) == executions
    # and a later change of something else finds Git sync as asked and changes nothing there
    later = copy.deepcopy(moved(sample))
    later["codeartifact"]["repositories"][1]["description"] = "team packages, changed"
    second, made = calls_of(engine, request_id, normalized(later))
    assert second.status == "SUCCEEDED", second.output
    assert made[UPDATE] == 0
    assert made[TAG] == 0
    (repository,) = completed(second, f"{request_id}-change-2")["gitSyncRepositories"]
    assert (repository["outcome"], repository["updated"]) == ("created", [])
    assert repository["syncConfigurations"][0]["updated"] == []

    # When it is offboarded, the updated configuration and link are this onboarding's: removed
    code, _, answer = engine.api("DELETE", f"/links/{request_id}")
    assert code == 202, answer
    offboarding = engine.wait(answer["executionArn"], deadline_seconds=60)
    assert offboarding.status == "SUCCEEDED", offboarding.output
    removed = [(r["type"], r["name"]) for r in offboarding.output["removed"]]
    assert ("codeconnections:sync-configuration", STACK) in removed
    assert ("codeconnections:repository-link", "acme/infra") in removed
    assert offboarding.output["retained"] == []
    assert connections.sync_configurations == {}
    assert connections.repository_links == {}


def test_a_dropped_tag_key_is_left_on_the_link(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the sample onboarded (its link tagged team=platform)
    request_id = onboard(engine, sample)
    body = copy.deepcopy(sample)
    body["gitSync"]["repositories"][0]["tags"] = {"owner": "network"}
    # When a change asks for other tags only
    result, made = calls_of(engine, request_id, normalized(body))
    # Then the new key is added and the dropped one stays (without prune)
    assert result.status == "SUCCEEDED", result.output
    (link,) = engine.standins.connections.repository_links.values()
    assert link.tags["owner"] == "network"
    assert link.tags["team"] == "platform"
    assert made[TAG] == 1
    assert made[UPDATE] == 0


def test_tags_past_the_links_200_fail_naming_the_field_before_any_tag_resource(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the sample onboarded (its link holds team and repolink's two tags)
    request_id = onboard(engine, sample)
    body = copy.deepcopy(sample)
    body["gitSync"]["repositories"][0]["tags"] = {f"key-{i}": "value" for i in range(198)}
    # When a change asks for 198 other keys (team stays: 201 in all)
    result, made = calls_of(engine, request_id, normalized(body))
    # Then the link's retag fails naming the field, before any TagResource, and the stack is kept
    assert result.status == "FAILED"
    (failed,) = result.events_of("RepositoryLinkFailed")
    (repository,) = failed["gitSyncRepositories"]
    (failure,) = repository["failures"]
    assert (failure["step"], failure["error"]) == ("GitSync.TagResource:acme/infra", "TooManyTags")
    assert failure["cause"].startswith("gitSync.repositories[acme/infra].tags: ")
    assert "201 tags" in failure["cause"]
    assert made[TAG] == 0
    assert [s["resourceName"] for s in repository["syncConfigurations"]] == [STACK]
    (link,) = engine.standins.connections.repository_links.values()
    assert len(link.tags) == 3


@pytest.mark.parametrize("operation", [UPDATE, TAG])
def test_a_lost_answer_on_an_update_ends_as_a_clean_change(
    sample: dict[str, Any], operation: str, onboard: Onboard
) -> None:
    with sample_engine() as clean_engine:
        clean = change(clean_engine, onboard(clean_engine, sample), moved(sample))
        clean_tags = dict(next(iter(clean_engine.standins.connections.repository_links.values())).tags)
    # Given the update (UpdateSyncConfiguration, or the link's TagResource) takes effect and loses
    # its answer (the SDK sends it again)
    with sample_engine(FaultRule("LostResponse", operation, 1.0, times=1)) as engine:
        request_id = onboard(engine, sample)
        result, made = calls_of(engine, request_id, moved(sample))
        connections = engine.standins.connections
        injected = sum(engine.standins.faults_injected.values())
    # Then the change succeeded as the clean one did, the call sent twice, one of each left
    assert result.status == "SUCCEEDED", result.output
    assert injected == 1
    assert made[operation] == 2
    (config,) = connections.sync_configurations.values()
    assert config.branch == "release"
    (link,) = connections.repository_links.values()
    assert link.tags == clean_tags  # the same request id: the same ownership tags

    def git_sync(run: ExecutionResult) -> list[dict[str, Any]]:
        event = completed(run, f"{request_id}-change-1")
        return [
            {k: v for k, v in r.items() if not k.startswith("repositoryLink")}
            for r in event["gitSyncRepositories"]
        ]

    assert git_sync(result) == git_sync(clean)


def test_a_stack_on_a_link_others_made_is_not_changed(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the sample's connection, repository link and stack made by hand before the onboarding
    # (the connection by an earlier onboarding of this account, so it may be reused)
    earlier = [
        {"Key": "repolink:request-id", "Value": "rl-earlier"},
        {"Key": "repolink:owner-account", "Value": ACCOUNT_ID},
    ]
    aws = boto3.client("codeconnections")
    arn = aws.create_connection(ConnectionName="acme-github", ProviderType="GitHub", Tags=earlier)[
        "ConnectionArn"
    ]
    engine.standins.connections.set_status(arn, "AVAILABLE")
    link_id = aws.create_repository_link(ConnectionArn=arn, OwnerId="acme", RepositoryName="infra")[
        "RepositoryLinkInfo"
    ]["RepositoryLinkId"]
    (config,) = sample["gitSync"]["repositories"][0]["syncConfigurations"]
    aws.create_sync_configuration(
        SyncType="CFN_STACK_SYNC",
        ResourceName=STACK,
        RepositoryLinkId=link_id,
        Branch=config["branch"],
        ConfigFile=config["configFile"],
        RoleArn=config["roleArn"],
        PublishDeploymentStatus="ENABLED",
        TriggerResourceUpdateOn="ANY_CHANGE",
        PullRequestComment="DISABLED",
    )
    request_id = onboard(engine, sample)
    # When a change asks for another branch and tags
    result, made = calls_of(engine, request_id, moved(sample))
    # Then the stack fails, named, as a conflict: nothing is updated or retagged
    assert result.status == "FAILED"
    (failed,) = result.events_of("RepositoryLinkFailed")
    (repository,) = failed["gitSyncRepositories"]
    assert repository["outcome"] == "existing"
    (failure,) = repository["failures"]
    assert failure["step"] == f"GitSync.CreateSyncConfiguration:{STACK}"
    assert failure["error"] == "ResourceConflict"
    assert failure["cause"].startswith(f"gitSync.repositories[acme/infra].syncConfigurations[{STACK}]")
    assert made[UPDATE] == 0
    assert made[TAG] == 0
    (stored,) = engine.standins.connections.sync_configurations.values()
    assert stored.branch == "main"
    assert engine.standins.connections.repository_links[link_id].tags == {}


def test_a_change_needs_update_sync_configuration(sample: dict[str, Any], onboard: Onboard) -> None:
    """The change's new call under the local IAM enforcement: without the grant the change fails,
    naming the step, and the stack keeps its branch."""
    grant = ("LinkGitSyncRepositoryFunctionRole", UPDATE)
    with sample_engine(revoked=frozenset({grant})) as engine:
        request_id = onboard(engine, sample)
        result = change(engine, request_id, moved(sample))
        denied = {(d.role, d.authorization.action) for d in engine.iam.denials}
        (stored,) = engine.standins.connections.sync_configurations.values()
    assert result.status == "FAILED"
    assert grant in denied
    (failed,) = result.events_of("RepositoryLinkFailed")
    (repository,) = failed["gitSyncRepositories"]
    assert [(f["step"], f["error"]) for f in repository["failures"]] == [
        (f"GitSync.UpdateSyncConfiguration:{STACK}", "AwsAccessDenied")
    ]
    assert stored.branch == "main"
