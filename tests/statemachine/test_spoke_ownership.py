"""The spoke role deletes, untags and changes only what carries repolink's ownership tags for the
session's caller (``aws:ResourceTag`` in spoke/template.yaml), and the engine gives IAM each
resource's tags as its account holds them, as AWS does.

A connection of team B's account made by hand, or made by repolink for another owner, cannot be
deleted by a spoke session opened for B, whatever the code asks; one made for B can. A
CodeArtifact repository B's onboarding made and then handed to another owner (its owner tag
changed) is refused by IAM at B's offboarding, and the offboarding reports the denial as it
reports any other, keeping the repository. A lost delete answer, whose retry IAM refuses (the
resource is gone, its tags with it), still counts as removed. Without spokes, the deployment's own
removal roles delete only what carries repolink's request-id tag.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from repolink_local.engine import LocalEngine
from repolink_local.standins import LOST_RESPONSE, FaultRule, HandshakePolicy, StandIns
from repolink_local.template import ACCOUNT_ID, SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

TEAM_B, TEAM_C = "222222222222", "333333333333"
SPOKE = {"SpokeRoleName": "repolink-spoke", "AllowedAccountIds": f"{TEAM_B},{TEAM_C}"}
JSON = {"Content-Type": "application/json"}
REQUEST_TAG, OWNER_TAG = "repolink:request-id", "repolink:owner-account"


@pytest.fixture
def spoke_engine() -> Iterator[LocalEngine]:
    standins = StandIns(handshake=HandshakePolicy("after", 1))
    with LocalEngine(standins, parameters=SPOKE) as running:
        yield running


def connection_in_b(running: LocalEngine, name: str, tags: dict[str, str]) -> str:
    """A connection that exists in B already (made by its people, or by repolink earlier)."""
    api = running.standins.account(TEAM_B).apis["codeconnections"]
    made = api.CreateConnection(
        {
            "ConnectionName": name,
            "ProviderType": "GitHub",
            "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
        }
    )
    return str(made["ConnectionArn"])


def spoke_session_for_b(running: LocalEngine) -> Any:
    """A session of B's spoke role as RemoveConnectionFunction opens one, for an onboarding of B."""
    with running.iam.acting_as_function("RemoveConnectionFunction", "ownership-test"):
        answer = boto3.client("sts", region_name=running.region).assume_role(
            RoleArn=f"arn:aws:iam::{TEAM_B}:role/repolink-spoke",
            RoleSessionName="repolink",
            SourceIdentity="rl-ownership",
            Tags=[{"Key": REQUEST_TAG, "Value": "rl-ownership"}, {"Key": OWNER_TAG, "Value": TEAM_B}],
        )
    credentials = answer["Credentials"]
    return boto3.client(
        "codeconnections",
        region_name=running.region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def test_a_spoke_session_deletes_only_the_connections_made_for_its_caller(spoke_engine: LocalEngine) -> None:
    # Given three connections in B: one made by hand, one repolink made for C, one it made for B
    by_hand = connection_in_b(spoke_engine, "by-hand", {"team": "b"})
    for_c = connection_in_b(spoke_engine, "for-c", {REQUEST_TAG: "rl-c", OWNER_TAG: TEAM_C})
    for_b = connection_in_b(spoke_engine, "for-b", {REQUEST_TAG: "rl-b", OWNER_TAG: TEAM_B})
    session = spoke_session_for_b(spoke_engine)
    # When a spoke session opened for B deletes each
    for refused in (by_hand, for_c):
        with pytest.raises(ClientError) as denied:
            session.delete_connection(ConnectionArn=refused)
        # Then IAM refuses the two that are not B's, naming the action, before the service acts
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        assert f"codeconnections:DeleteConnection on resource: {refused}" in str(denied.value)
    session.delete_connection(ConnectionArn=for_b)
    left = {c.arn for c in spoke_engine.standins.account(TEAM_B).connections.list()}
    assert left == {by_hand, for_c}
    # nor may the session take C's over by tagging it as B's
    with pytest.raises(ClientError) as taken:
        session.tag_resource(ResourceArn=for_c, Tags=[{"Key": OWNER_TAG, "Value": TEAM_B}])
    assert taken.value.response["Error"]["Code"] == "AccessDeniedException"


def as_team_b(running: LocalEngine, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    text = json.dumps(body) if body is not None else None
    code, _, answer = running.api(method, path, text, headers=JSON, caller_account=TEAM_B)
    assert code == 202, answer
    return answer, running.wait(answer["executionArn"], deadline_seconds=60)


def test_an_offboarding_may_not_delete_a_repository_handed_to_another_owner(
    spoke_engine: LocalEngine,
) -> None:
    # Given B's onboarding made a domain and two repositories in B through the spoke
    repositories = [{"name": "libs"}, {"name": "apps"}]
    body = {"codeartifact": {"domain": "team-b", "createDomain": True, "repositories": repositories}}
    answer, onboarded = as_team_b(spoke_engine, "POST", "/links", body)
    assert onboarded.status == "SUCCEEDED", onboarded.output
    codeartifact = spoke_engine.standins.account(TEAM_B).codeartifact
    libs = next(r.arn for r in codeartifact.repositories.values() if r.name == "libs")
    # and then B's people handed "libs" to team C: its owner tag now names C
    codeartifact.tags[libs][OWNER_TAG] = TEAM_C
    # When B offboards
    _, offboarded = as_team_b(spoke_engine, "DELETE", f"/links/{answer['requestId']}")
    # Then IAM refuses the spoke's DeleteRepository on C's repository, which stays with its domain,
    denials = spoke_engine.iam.denials
    denied = [
        d.authorization.resource for d in denials if d.authorization.action == "codeartifact:DeleteRepository"
    ]
    assert denied == [libs]
    assert {r.name for r in codeartifact.repositories.values()} == {"libs"}
    assert codeartifact.domains
    # and the offboarding reports the denial as it reports others: failed, naming the action
    failed = offboarded.events_of("RepositoryLinkOffboardFailed")
    assert failed, offboarded.output
    text = json.dumps(failed[-1])
    assert "AccessDenied" in text and "codeartifact:DeleteRepository" in text


def test_a_lost_delete_answer_in_b_still_counts_as_removed(spoke_engine: LocalEngine) -> None:
    """The SDK sends a delete again when its answer was lost; the resource is gone by then, so IAM
    has no ownership tags to read and AWS refuses the retry (AccessDenied), where it answered
    NotFound before the deletes were narrowed. The removal reads the resource again: gone is
    removed."""
    # Given B onboarded a connection with Git sync and a domain with a repository, in B
    body = {
        "connection": {"name": "team-b-github", "provider": "GitHub"},
        "gitSync": {"repositories": [team_repository("infra", "b-network")]},
        "codeartifact": {"domain": "team-b", "createDomain": True, "repositories": [{"name": "libs"}]},
    }
    answer, onboarded = as_team_b(spoke_engine, "POST", "/links", body)
    assert onboarded.status == "SUCCEEDED", onboarded.output
    # When B offboards and every delete takes effect but loses its first answer
    deletes = (
        "codeconnections:DeleteConnection",
        "codeconnections:DeleteRepositoryLink",
        "codeartifact:DeleteRepository",
        "codeartifact:DeleteDomain",
    )
    spoke_engine.standins.faults = [FaultRule(LOST_RESPONSE, d, 1.0, times=1) for d in deletes]
    _, offboarded = as_team_b(spoke_engine, "DELETE", f"/links/{answer['requestId']}")
    # Then each was sent twice, the retry refused by IAM, and the offboarding removed everything
    assert all(spoke_engine.standins.faults_injected[f"{d}:{LOST_RESPONSE}"] == 1 for d in deletes)
    assert {d.authorization.action for d in spoke_engine.iam.denials} == set(deletes)
    assert offboarded.status == "SUCCEEDED", offboarded.output
    assert not offboarded.output["retained"], offboarded.output["retained"]
    removed = {r["type"] for r in offboarded.output["removed"]}
    assert {"codeartifact:repository", "codeartifact:domain", "codeconnections:repository-link"} <= removed
    b = spoke_engine.standins.account(TEAM_B)
    assert not (b.connections.list() or b.connections.repository_links or b.codeartifact.domains)


def team_repository(name: str, stack: str) -> dict[str, Any]:
    role = f"arn:aws:iam::{TEAM_B}:role/repolink-git-sync/{stack}"
    config = {"resourceName": stack, "branch": "main", "configFile": "deploy/stack.yaml", "roleArn": role}
    return {"ownerId": "acme", "repositoryName": name, "syncConfigurations": [config]}


def test_the_deployments_own_roles_delete_only_what_carries_repolinks_request_id() -> None:
    """Without spokes the removal roles act in the deployment's account, with no session tags to
    name an owner by: their deletes are narrowed to what carries repolink's request-id tag, so a
    connection or domain made there by hand (or reused) is refused by IAM."""
    standins = StandIns(handshake=HandshakePolicy("after", 1))
    with LocalEngine(standins, parameters=SAMPLE_PARAMETERS) as running:
        connections = standins.account(ACCOUNT_ID).apis
        by_hand = connections["codeconnections"].CreateConnection(
            {"ConnectionName": "by-hand", "ProviderType": "GitHub", "Tags": []}
        )["ConnectionArn"]
        ours = connections["codeconnections"].CreateConnection(
            {
                "ConnectionName": "ours",
                "ProviderType": "GitHub",
                "Tags": [{"Key": REQUEST_TAG, "Value": "rl-1"}],
            }
        )["ConnectionArn"]
        connections["codeartifact"].CreateDomain({"domain": "by-hand", "tags": []})
        with running.iam.acting_as_function("RemoveConnectionFunction", "ownership-test"):
            aws = boto3.client("codeconnections", region_name=running.region)
            with pytest.raises(ClientError) as denied:
                aws.delete_connection(ConnectionArn=by_hand)
            assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
            aws.delete_connection(ConnectionArn=ours)
        with running.iam.acting_as_function("RemoveCodeArtifactFunction", "ownership-test"):
            with pytest.raises(ClientError) as denied:
                boto3.client("codeartifact", region_name=running.region).delete_domain(domain="by-hand")
            assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert [c.arn for c in standins.connections.list()] == [by_hand]
    assert "by-hand" in standins.codeartifact.domains
