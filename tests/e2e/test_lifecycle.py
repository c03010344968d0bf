"""A CodeArtifact-only onboarding (no person needed) on a deployed stack, through the client."""

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


def test_a_codeartifact_onboarding_creates_the_domain_and_its_repositories(stack: Any, domain: str) -> None:
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
