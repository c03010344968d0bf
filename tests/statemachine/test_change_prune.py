"""A change with ``"prune": true`` (PUT /links/{id}) through the real ASL, with IAM enforced.

What the new request no longer lists, and this onboarding created, is removed after the change has
converged, by the offboarding's own steps and with their care: a CodeArtifact repository holding
packages is kept and listed with the reason, the domain stays, a stack's sync configuration goes
while its repository link stays for the stacks still listed. Without ``prune`` nothing is removed,
and a new onboarding (POST) may not ask for it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from helpers.contract import ROLE
from helpers.engine import JSON, Onboard, normalized, sample_engine
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.template import OFFBOARDING, ONBOARDING

pytestmark = pytest.mark.statemachine


@pytest.fixture
def wide(sample_event: Any) -> dict[str, Any]:
    """The sample with one more CodeArtifact repository, one more Git sync repository, and a
    second stack synced from the sample's repository."""
    request = copy.deepcopy(sample_event("onboarding.json"))
    request["codeartifact"]["repositories"].append({"name": "team-trial", "upstreams": ["pypi-store"]})
    infra = request["gitSync"]["repositories"][0]
    infra["syncConfigurations"].append(
        {
            "resourceName": "acme-trial-stack",
            "branch": "main",
            "configFile": "deploy/trial.yaml",
            "roleArn": ROLE,
        }
    )
    request["gitSync"]["repositories"].append(
        {
            "ownerId": "acme",
            "repositoryName": "trial",
            "syncConfigurations": [
                {"resourceName": "acme-trial", "branch": "main", "configFile": "t.yaml", "roleArn": ROLE}
            ],
        }
    )
    return normalized(request)


def narrowed(wide: dict[str, Any], *, prune: bool) -> dict[str, Any]:
    """``wide`` back to the sample's resources: team-trial, acme/trial and acme-trial-stack dropped."""
    request = copy.deepcopy(wide)
    repositories = request["codeartifact"]["repositories"]
    request["codeartifact"]["repositories"] = [r for r in repositories if r["name"] != "team-trial"]
    request["gitSync"]["repositories"] = request["gitSync"]["repositories"][:1]
    infra = request["gitSync"]["repositories"][0]
    infra["syncConfigurations"] = infra["syncConfigurations"][:1]
    return normalized(request | {"prune": prune})


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with sample_engine() as running:
        yield running


def change(engine: LocalEngine, request_id: str, body: dict[str, Any]) -> ExecutionResult:
    code, _, answer = engine.api("PUT", f"/links/{request_id}", json.dumps(body), headers=JSON)
    assert code == 202, answer
    return engine.wait(answer["executionArn"], deadline_seconds=60)


def completed(result: ExecutionResult) -> dict[str, Any]:
    """The change's one result event (the engine's events are the onboarding's too)."""
    ends = ("RepositoryLinkCompleted", "RepositoryLinkFailed")
    events = [e for e in result.events if e["detail-type"] in ends and e["detail"].get("changeId")]
    assert [e["detail-type"] for e in events] == ["RepositoryLinkCompleted"], events
    detail: dict[str, Any] = events[0]["detail"]
    return detail


def names(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["type"], item["name"]) for item in items]


def test_a_pruning_change_removes_what_the_new_request_drops_and_nothing_else(
    engine: LocalEngine, wide: dict[str, Any], onboard: Onboard
) -> None:
    # Given the wide request onboarded
    request_id = onboard(engine, wide)
    store = engine.standins.connections
    assert ("acme", "team-trial") in engine.standins.codeartifact.repositories
    assert len(store.repository_links) == 2
    # When it is changed back to the sample's resources, with prune
    result = change(engine, request_id, narrowed(wide, prune=True))
    # Then the change succeeded and its event lists what it removed, newest first, and kept nothing
    assert result.status == "SUCCEEDED", result.output
    pruned = completed(result)["pruned"]
    assert names(pruned["removed"]) == [
        ("codeconnections:sync-configuration", "acme-trial"),
        ("codeconnections:repository-link", "acme/trial"),
        ("codeconnections:sync-configuration", "acme-trial-stack"),
        ("codeartifact:repository", "team-trial"),
    ]
    assert pruned["retained"] == []
    # and AWS holds the sample's resources only: the domain, the sample's link and its stack stay
    assert sorted(name for _, name in engine.standins.codeartifact.repositories) == [
        "pypi-store",
        "team-python",
    ]
    assert "acme" in engine.standins.codeartifact.domains
    assert [link.repository_name for link in store.repository_links.values()] == ["infra"]
    assert sorted(name for _, name in store.sync_configurations) == ["acme-network"]
    # and the onboarding machine's role invoked the removal steps, nothing was denied
    assert engine.iam.denials == []
    # and GET reports the change, with what it pruned
    code, _, status = engine.api("GET", f"/links/{request_id}")
    assert code == 200 and status["status"] == "succeeded"
    assert status["changeId"] == f"{request_id}-change-1"
    assert names(status["pruned"]["removed"]) == names(pruned["removed"])


def test_without_prune_a_change_removes_nothing(
    engine: LocalEngine, wide: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, wide)
    result = change(engine, request_id, narrowed(wide, prune=False))
    assert result.status == "SUCCEEDED", result.output
    assert completed(result).get("pruned") is None
    assert not [op for op in result.api_calls if op.split(":")[-1].startswith("Delete")]
    assert ("acme", "team-trial") in engine.standins.codeartifact.repositories
    assert len(engine.standins.connections.repository_links) == 2


def test_a_dropped_repository_holding_packages_is_kept_and_listed_with_the_reason(
    engine: LocalEngine, wide: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, wide)
    engine.standins.codeartifact.publish("acme", "team-trial", "acme-trial-lib")
    result = change(engine, request_id, narrowed(wide, prune=True))
    assert result.status == "SUCCEEDED", result.output
    pruned = completed(result)["pruned"]
    assert [(r["name"], r["reason"]) for r in pruned["retained"]] == [
        ("team-trial", "it holds packages; offboard with deletePackages: true to delete them with it")
    ]
    assert ("acme", "team-trial") in engine.standins.codeartifact.repositories


def test_offboarding_after_a_prune_removes_the_rest_and_lists_nothing_twice(
    engine: LocalEngine, wide: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, wide)
    pruned = completed(change(engine, request_id, narrowed(wide, prune=True)))["pruned"]["removed"]
    code, _, answer = engine.api("DELETE", f"/links/{request_id}")
    assert code == 202, answer
    result = engine.wait(answer["executionArn"], deadline_seconds=60)
    assert result.status == "SUCCEEDED", result.output
    offboarded = [e for e in result.events if e["detail-type"] == "RepositoryLinkOffboarded"]
    removed = names(offboarded[-1]["detail"]["removed"])
    assert not set(removed) & set(names(pruned))
    assert ("codeartifact:repository", "team-python") in removed
    assert engine.standins.codeartifact.repositories == {}
    assert engine.standins.connections.repository_links == {}
    assert len(engine.executions(OFFBOARDING)) == 1


def test_a_new_onboarding_may_not_prune(engine: LocalEngine, wide: dict[str, Any]) -> None:
    code, _, answer = engine.api("POST", "/links", json.dumps(wide | {"prune": True}), headers=JSON)
    assert code == 422, answer
    assert [e["field"] for e in answer["errors"]] == ["prune"]
    # nor by event: RepositoryLinkRequested is rejected naming the field, as it sits in the event
    answered = engine.put_event({"request": wide | {"prune": True}})
    assert answered["status"] == "rejected"
    (rejected,) = [
        e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
    ]
    assert [p["field"] for p in rejected["errors"]] == ["detail.request.prune"]
    assert engine.executions(ONBOARDING) == []


def test_a_pruning_change_takes_off_the_tag_keys_it_dropped_and_no_other(
    engine: LocalEngine, wide: dict[str, Any], onboard: Onboard
) -> None:
    # Given the wide request onboarded with a trial tag on the domain, team-python and the link
    tagged = copy.deepcopy(wide)
    tagged["codeartifact"]["tags"] = {"cost-center": "42", "trial": "yes"}
    team_python = next(r for r in tagged["codeartifact"]["repositories"] if r["name"] == "team-python")
    team_python["tags"] = {"trial": "yes"}
    tagged["gitSync"]["repositories"][0]["tags"] = {"team": "platform", "trial": "yes"}
    request_id = onboard(engine, normalized(tagged))
    codeartifact, store = engine.standins.codeartifact, engine.standins.connections
    domain_arn = codeartifact.domains["acme"].arn
    team_arn = codeartifact.repositories[("acme", "team-python")].arn
    (link,) = [lk for lk in store.repository_links.values() if lk.repository_name == "infra"]
    # and a tag someone added by hand, which no request of this onboarding set
    codeartifact.tags[team_arn]["owner"] = "someone"
    # When it is changed without the trial tags, with prune
    untagged = copy.deepcopy(tagged)
    del untagged["codeartifact"]["tags"]["trial"]
    next(r for r in untagged["codeartifact"]["repositories"] if r["name"] == "team-python")["tags"] = {}
    del untagged["gitSync"]["repositories"][0]["tags"]["trial"]
    narrow = narrowed(untagged, prune=True)
    result = change(engine, request_id, narrow)
    # Then the trial keys are gone, once each, and everything else stays
    assert result.status == "SUCCEEDED", result.output
    removed = names(completed(result)["pruned"]["removed"])
    assert ("codeartifact:domain:tag", "acme/trial") in removed
    assert ("codeartifact:repository:tag", "team-python/trial") in removed
    assert ("codeconnections:repository-link:tag", "acme/infra/trial") in removed
    assert (
        "trial" not in codeartifact.tags[domain_arn] and codeartifact.tags[domain_arn]["cost-center"] == "42"
    )
    assert "trial" not in codeartifact.tags[team_arn] and codeartifact.tags[team_arn]["owner"] == "someone"
    assert "repolink:request-id" in codeartifact.tags[team_arn]
    assert "trial" not in link.tags and link.tags["team"] == "platform" and "repolink:request-id" in link.tags
    assert engine.iam.denials == []
    # and the same change again is a duplicate: nothing more is untagged
    code, _, again = engine.api("PUT", f"/links/{request_id}", json.dumps(narrow), headers=JSON)
    assert code == 200, again
    # and an offboarding still removes the resources whose keys were taken off
    code, _, answer = engine.api("DELETE", f"/links/{request_id}")
    assert code == 202, answer
    offboarded = engine.wait(answer["executionArn"], deadline_seconds=60)
    assert offboarded.status == "SUCCEEDED", offboarded.output
    assert codeartifact.repositories == {} and "acme" not in codeartifact.domains
    assert store.repository_links == {}
