"""A CodeArtifact-only onboarding (no person needed) on a deployed stack, through the client:
onboard, list, change (a repository added, another's upstreams and description updated, the
domain and that repository tagged), change back with prune (the added repository removed, the tags
kept), offboard, offboard again."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def _request(domain: str) -> dict[str, Any]:
    return {
        "codeartifact": {
            "domain": domain,
            "createDomain": True,
            "repositories": [
                {"name": "store", "externalConnection": "public:pypi"},
                {"name": "team", "upstreams": ["store"], "description": "e2e team packages"},
            ],
        }
    }


def _changed(domain: str) -> dict[str, Any]:
    """The same onboarding, desired anew: a repository more, team reading from it first, and
    tags on the domain and on team."""
    request = _request(domain)
    request["codeartifact"]["tags"] = {"e2e-cost-center": "42"}
    repositories = request["codeartifact"]["repositories"]
    repositories.append({"name": "shared", "upstreams": ["store"], "description": "e2e shared packages"})
    repositories[1] |= {
        "upstreams": ["shared", "store"],
        "description": "e2e team packages, changed",
        "tags": {"e2e-tier": "gold"},
    }
    return request


def _listed(stack: Any, state: str) -> set[str]:
    """Every onboarding ``repolink list --state`` shows, page after page."""
    ids: set[str] = set()
    token: list[str] = []
    for _ in range(100):
        code, page, err = stack.repolink("list", "--state", state, *token)
        assert code == 0, err
        ids |= {link["requestId"] for link in page["links"]}
        if not page.get("nextToken"):
            return ids
        token = ["--next-token", page["nextToken"]]
    raise AssertionError("more than 100 pages")


def test_a_codeartifact_onboarding_is_created_listed_and_offboarded_without_a_trace(
    stack: Any, domain: str
) -> None:
    import boto3

    code, answer, err = stack.repolink(
        "submit",
        "-",
        "--wait",
        "--wait-timeout",
        str(stack.wait),
        "--poll-max",
        "10",
        stdin=json.dumps(_request(domain)),
    )
    assert code == 0, err
    assert answer["status"] == "succeeded", answer
    request_id = answer["requestId"]

    codeartifact = boto3.client("codeartifact", region_name=stack.region)
    team = codeartifact.describe_repository(domain=domain, domainOwner=stack.account, repository="team")
    assert [u["repositoryName"] for u in team["repository"]["upstreams"]] == ["store"]
    store = codeartifact.describe_repository(domain=domain, domainOwner=stack.account, repository="store")
    assert [c["externalConnectionName"] for c in store["repository"]["externalConnections"]] == [
        "public:pypi"
    ]
    tags = codeartifact.list_tags_for_resource(resourceArn=team["repository"]["arn"])["tags"]
    assert {"key": "repolink:request-id", "value": request_id} in tags

    # the same request again is the same onboarding: nothing new is started or created
    code, again, err = stack.repolink("submit", "-", stdin=json.dumps(_request(domain)))
    assert code == 0, err
    assert again["requestId"] == request_id
    code, status, err = stack.repolink("status", request_id)
    assert code == 0, err
    assert status["status"] == "succeeded"
    assert request_id in _listed(stack, "succeeded")

    # change it in place: a repository added, team's upstreams and description updated
    code, changed, err = stack.repolink(
        "change",
        request_id,
        "-",
        "--wait",
        "--wait-timeout",
        str(stack.wait),
        stdin=json.dumps(_changed(domain)),
    )
    assert code == 0, err
    assert changed["status"] == "succeeded", changed
    assert changed["changeId"], changed
    team = codeartifact.describe_repository(domain=domain, domainOwner=stack.account, repository="team")
    assert [u["repositoryName"] for u in team["repository"]["upstreams"]] == ["shared", "store"]
    assert team["repository"]["description"] == "e2e team packages, changed"
    shared = codeartifact.describe_repository(domain=domain, domainOwner=stack.account, repository="shared")
    assert [u["repositoryName"] for u in shared["repository"]["upstreams"]] == ["store"]
    # and the domain and team were tagged in place, keeping repolink's own tag
    described = codeartifact.describe_domain(domain=domain, domainOwner=stack.account)["domain"]
    for arn, tag in (
        (team["repository"]["arn"], {"key": "e2e-tier", "value": "gold"}),
        (described["arn"], {"key": "e2e-cost-center", "value": "42"}),
    ):
        tags = codeartifact.list_tags_for_resource(resourceArn=arn)["tags"]
        assert tag in tags
        assert {"key": "repolink:request-id", "value": request_id} in tags

    # change it back with prune: team reads from store alone again, then shared (no package, no
    # longer an upstream) is removed; the rest stays
    code, pruned, err = stack.repolink(
        "change",
        request_id,
        "-",
        "--wait",
        "--wait-timeout",
        str(stack.wait),
        stdin=json.dumps(_request(domain) | {"prune": True}),
    )
    assert code == 0, err
    assert pruned["status"] == "succeeded", pruned
    assert [(r["type"], r["name"]) for r in pruned["pruned"]["removed"]] == [
        ("codeartifact:repository", "shared")
    ]
    assert pruned["pruned"].get("retained", []) == []
    try:
        codeartifact.describe_repository(domain=domain, domainOwner=stack.account, repository="shared")
        raise AssertionError("the pruned repository shared is still there")
    except codeartifact.exceptions.ResourceNotFoundException:
        pass
    # prune removes resources, not tag keys: team keeps the tag the request no longer names
    tags = codeartifact.list_tags_for_resource(resourceArn=team["repository"]["arn"])["tags"]
    assert {"key": "e2e-tier", "value": "gold"} in tags

    # offboard: the onboarding created the domain and two repositories (the change's third is
    # pruned already, and not listed again), none holds a package
    code, offboarded, err = stack.repolink(
        "offboard", request_id, "--wait", "--wait-timeout", str(stack.wait)
    )
    assert code == 0, err
    assert offboarded["status"] == "offboarded", offboarded
    removed = {(r["type"], r["name"]) for r in offboarded["removed"]}
    repositories = {("codeartifact:repository", name) for name in ("team", "store")}
    assert repositories <= removed
    assert ("codeartifact:repository", "shared") not in removed
    assert ("codeartifact:domain", domain) in removed
    assert offboarded["retained"] == []
    try:
        codeartifact.describe_domain(domain=domain, domainOwner=stack.account)
        raise AssertionError(f"the domain {domain} is still there")
    except codeartifact.exceptions.ResourceNotFoundException:
        pass
    assert request_id in _listed(stack, "offboarded")

    # a second DELETE is harmless: the same offboarding answers, nothing else is removed
    code, again, err = stack.repolink("offboard", request_id)
    assert code == 0, err
    assert again["status"] == "offboarded"
