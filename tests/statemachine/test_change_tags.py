"""A change (PUT /links/{id}) gives CodeArtifact's domain and repositories the request's tags in
place, through the real ASL with IAM enforced.

Only what the onboarding created (its ownership tag) is tagged, with the keys it lacks or holds
with another value (one TagResource per resource); repolink's own tag stays; a reused domain is
never tagged; a change whose tags are there already calls no TagResource; a lost TagResource
answer ends as a clean change does; a resource that would pass CodeArtifact's 200 tags fails the
change naming the field, before any TagResource.
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
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

OWN_TAG = "repolink:request-id"
#: since issue 22 repolink's domains and repositories also carry the onboarding's account
OWNER = {"repolink:owner-account": "123456789012"}
TAG_RESOURCE = "codeartifact:TagResource"


@pytest.fixture
def sample(sample_event: Any) -> dict[str, Any]:
    """The sample without Git sync and its connection: CodeArtifact only, which is what is tagged."""
    request = copy.deepcopy(sample_event("onboarding.json"))
    return normalized({k: v for k, v in request.items() if k not in ("connection", "gitSync")})


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with sample_engine(checks=1) as running:
        yield running


def retagged(request: dict[str, Any], domain: dict[str, str], team_python: dict[str, str]) -> dict[str, Any]:
    """``request`` with the domain's tags and team-python's replaced."""
    body = copy.deepcopy(request)
    body["codeartifact"]["tags"] = domain
    next(r for r in body["codeartifact"]["repositories"] if r["name"] == "team-python")["tags"] = team_python
    return normalized(body)


def change(
    engine: LocalEngine, request_id: str, body: dict[str, Any]
) -> tuple[ExecutionResult, Counter[str]]:
    """The change's execution, and the AWS calls the functions made during it (the engine's
    counter counts from its start)."""
    before = Counter(engine.counter.calls)
    code, _, answer = engine.api("PUT", f"/links/{request_id}", json.dumps(body), headers=JSON)
    assert code == 202, answer
    result = engine.wait(answer["executionArn"], deadline_seconds=60)
    return result, Counter(result.api_calls) - before


def reported(result: ExecutionResult) -> dict[str, Any]:
    """The CodeArtifact section of the change's result event."""
    events = result.events_of("RepositoryLinkCompleted") + result.events_of("RepositoryLinkFailed")
    name = result.execution_arn.rsplit(":", 1)[1]
    (event,) = [e for e in events if e.get("changeId") == name]
    return dict(event["codeartifact"])


def updated(section: dict[str, Any]) -> dict[str, list[str]]:
    return {r["name"]: r["updated"] for r in section["repositories"]}


def tags_of(engine: LocalEngine, name: str | None = None) -> dict[str, str]:
    codeartifact = engine.standins.codeartifact
    arn = codeartifact.domains["acme"].arn if name is None else codeartifact.repositories[("acme", name)].arn
    return dict(codeartifact.tags[arn])


def record_tag_resource(engine: LocalEngine) -> list[dict[str, str]]:
    """The tags each TagResource the stand-in serves is sent, in order."""
    codeartifact = engine.standins.codeartifact
    serve = codeartifact.TagResource
    sent: list[dict[str, str]] = []

    def recording(p: dict[str, Any]) -> dict[str, Any]:
        sent.append({t["key"]: t["value"] for t in p["tags"]})
        return serve(p)

    codeartifact.TagResource = recording
    return sent


def test_a_change_tags_the_domain_and_a_repository_it_created_once_each(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the sample onboarded (no tags but repolink's own)
    request_id = onboard(engine, sample)
    # When the change gives the domain two tags and team-python one
    body = retagged(sample, {"team": "payments", "cost-center": "42"}, {"tier": "gold"})
    result, calls = change(engine, request_id, body)
    # Then one TagResource per changed resource, and the stand-in holds the new tags beside
    # repolink's own
    assert result.status == "SUCCEEDED", result.output
    assert calls[TAG_RESOURCE] == 2
    assert tags_of(engine) == {**OWNER, OWN_TAG: request_id, "team": "payments", "cost-center": "42"}
    assert tags_of(engine, "team-python") == {**OWNER, OWN_TAG: request_id, "tier": "gold"}
    assert tags_of(engine, "pypi-store") == {**OWNER, OWN_TAG: request_id}
    # and nothing else was updated
    assert calls["codeartifact:UpdateRepository"] == 0
    # and the result event says what was updated in place
    section = reported(result)
    assert section["domainUpdated"] == ["tags"]
    assert updated(section) == {"pypi-store": [], "team-python": ["tags"]}
    # and GET follows the change
    code, _, status = engine.api("GET", f"/links/{request_id}")
    assert code == 200
    assert status["changeId"] == f"{request_id}-change-1"


def test_a_change_sends_only_new_and_changed_keys_and_leaves_dropped_ones(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the sample onboarded with tags on the domain
    request = normalized(
        {**sample, "codeartifact": {**sample["codeartifact"], "tags": {"team": "a", "env": "prod"}}}
    )
    request_id = onboard(engine, request)
    sent = record_tag_resource(engine)
    # When a change keeps env, changes team and adds owner
    result, calls = change(
        engine, request_id, retagged(request, {"team": "b", "env": "prod", "owner": "x"}, {})
    )
    # Then the domain got team's new value and owner
    assert result.status == "SUCCEEDED", result.output
    assert calls[TAG_RESOURCE] == 1
    assert sent == [{"team": "b", "owner": "x"}]
    assert tags_of(engine) == {**OWNER, OWN_TAG: request_id, "team": "b", "env": "prod", "owner": "x"}
    # When a second change drops env and owner (pruning is not built: they stay)
    second, calls = change(engine, request_id, retagged(request, {"team": "b"}, {}))
    # Then no TagResource: the tags the request names are there
    assert second.status == "SUCCEEDED", second.output
    assert calls[TAG_RESOURCE] == 0
    assert tags_of(engine) == {**OWNER, OWN_TAG: request_id, "team": "b", "env": "prod", "owner": "x"}
    assert reported(second)["domainUpdated"] == []


def test_the_same_tags_again_call_no_tag_resource(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, sample)
    body = retagged(sample, {"team": "payments"}, {"tier": "gold"})
    assert change(engine, request_id, body)[1][TAG_RESOURCE] == 2
    # When the same change is sent again, it is answered from the first and starts nothing
    code, _, again = engine.api("PUT", f"/links/{request_id}", json.dumps(body), headers=JSON)
    assert code == 200
    assert again["changeId"] == f"{request_id}-change-1"
    # When a second change keeps the tags and updates team-python's description
    second = copy.deepcopy(body)
    second["codeartifact"]["repositories"][1]["description"] = "team packages, described again"
    result, calls = change(engine, request_id, normalized(second))
    # Then UpdateRepository runs, and no TagResource
    assert result.status == "SUCCEEDED", result.output
    assert calls[TAG_RESOURCE] == 0
    assert calls["codeartifact:UpdateRepository"] == 1
    section = reported(result)
    assert section["domainUpdated"] == []
    assert updated(section) == {"pypi-store": [], "team-python": ["description"]}


def test_a_reused_domain_is_never_tagged(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given the domain made by hand before the onboarding, with a tag of its own
    boto3.client("codeartifact").create_domain(domain="acme", tags=[{"key": "owner", "value": "platform"}])
    request_id = onboard(engine, sample)
    # When a change gives the domain tags and team-python (which the onboarding created) one
    result, calls = change(engine, request_id, retagged(sample, {"team": "payments"}, {"tier": "gold"}))
    # Then only team-python is tagged; the domain keeps exactly its own tags
    assert result.status == "SUCCEEDED", result.output
    assert calls[TAG_RESOURCE] == 1
    assert tags_of(engine) == {"owner": "platform"}
    assert tags_of(engine, "team-python") == {**OWNER, OWN_TAG: request_id, "tier": "gold"}
    section = reported(result)
    assert section["domainCreated"] is False
    assert section["domainUpdated"] == []
    assert updated(section)["team-python"] == ["tags"]


def test_a_lost_tag_resource_answer_ends_like_a_clean_change(
    sample: dict[str, Any], onboard: Onboard
) -> None:
    body = retagged(sample, {"team": "payments"}, {"tier": "gold"})
    ends: list[dict[str, Any]] = []
    tags: list[dict[str, dict[str, str]]] = []
    for faults in ([], [FaultRule("LostResponse", TAG_RESOURCE, 1.0, times=1)]):
        standins = StandIns(handshake=HandshakePolicy("after", 1), faults=faults)
        with LocalEngine(standins, parameters=SAMPLE_PARAMETERS) as engine:
            request_id = onboard(engine, sample)
            result, calls = change(engine, request_id, body)
            assert result.status == "SUCCEEDED", result.output
            # TagResource took effect and lost its answer once: the SDK sent it again
            assert calls[TAG_RESOURCE] == 2 + len(faults)
            assert sum(standins.faults_injected.values()) == len(faults)
            ends.append(reported(result))
            tags.append({name: tags_of(engine, name) for name in ("team-python", "pypi-store")})
            tags[-1]["domain"] = tags_of(engine)
    clean, lost = ends
    assert lost == clean
    assert tags[1] == tags[0]
    assert tags[1]["domain"] == {**OWNER, OWN_TAG: request_id_of(sample), "team": "payments"}


def test_tags_past_200_fail_the_change_naming_the_field_before_any_tag_resource(
    engine: LocalEngine, sample: dict[str, Any], onboard: Onboard
) -> None:
    # Given team-python onboarded with 150 tags
    first = {f"a{i}": "v" for i in range(150)}
    request = retagged(sample, {}, first)
    request_id = onboard(engine, request)
    # When a change names 150 others (the first 150 stay: pruning is not built), 302 in all
    # (repolink's two tags among them)
    result, calls = change(engine, request_id, retagged(sample, {}, {f"b{i}": "v" for i in range(150)}))
    # Then the change fails naming the field, and nothing was tagged
    assert result.status == "FAILED"
    (failed,) = result.events_of("RepositoryLinkFailed")
    assert failed["changeId"] == f"{request_id}-change-1"
    assert failed["step"] == "CodeArtifact.TagRepository:team-python"
    assert failed["error"] == "TooManyTags"
    assert failed["cause"].startswith("codeartifact.repositories[team-python].tags: ")
    assert "302 tags" in failed["cause"]
    assert calls[TAG_RESOURCE] == 0
    assert tags_of(engine, "team-python") == {**OWNER, OWN_TAG: request_id, **first}
