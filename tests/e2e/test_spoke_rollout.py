"""An onboarding through the spoke role, on AWS: the application acts in the team account through
the spoke stack (``spoke/template.yaml``) that trusts its function roles. A CodeArtifact-only
onboarding (no person needed) names the team account; its domain and repository are made there,
through the spoke, nothing in the deployment's account; the offboarding removes them there."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_an_onboarding_acts_in_the_team_account_through_the_spoke(spoke: Any) -> None:
    import boto3

    stack, team_account = spoke.stack, spoke.team_account
    request = {
        "account": team_account,
        "codeartifact": {
            "domain": spoke.domain,
            "createDomain": True,
            "repositories": [{"name": "store", "externalConnection": "public:pypi"}],
        },
    }
    waiting = ("--wait", "--wait-timeout", str(stack.wait), "--poll-max", "10")
    code, answer, err = stack.repolink("submit", "-", *waiting, stdin=json.dumps(request))
    assert code == 0, err
    assert answer["status"] == "succeeded", answer
    request_id = answer["requestId"]

    # the domain and its repository are the team account's, tagged by this onboarding
    team = spoke.team.client("codeartifact")
    domain = team.describe_domain(domain=spoke.domain, domainOwner=team_account)["domain"]
    assert domain["owner"] == team_account
    store = team.describe_repository(domain=spoke.domain, domainOwner=team_account, repository="store")
    tags = team.list_tags_for_resource(resourceArn=store["repository"]["arn"])["tags"]
    assert {"key": "repolink:request-id", "value": request_id} in tags
    # and nothing of it is in the deployment's account
    platform = boto3.client("codeartifact", region_name=stack.region)
    with pytest.raises(platform.exceptions.ResourceNotFoundException):
        platform.describe_domain(domain=spoke.domain, domainOwner=stack.account)

    # the offboarding acts in the team account too
    code, offboarded, err = stack.repolink("offboard", request_id, *waiting[:3])
    assert code == 0, err
    assert offboarded["status"] == "offboarded", offboarded
    assert ("codeartifact:domain", spoke.domain) in {(r["type"], r["name"]) for r in offboarded["removed"]}
    with pytest.raises(team.exceptions.ResourceNotFoundException):
        team.describe_domain(domain=spoke.domain, domainOwner=team_account)
