"""Whose a CodeArtifact domain and repository are (``workflow.tenancy.claim``), and the accept
check's refusals and bounded reads (``workflow.domains.refusals``), on a fake account."""

from __future__ import annotations

from typing import Any

import pytest

from repolink.adapters import codeartifact as ca
from repolink.errors import AwsNotFound
from repolink.models.validation import validate_request
from repolink.workflow.domains import refusals
from repolink.workflow.tenancy import claim

pytestmark = pytest.mark.unit

OWN, A, B = "123456789012", "111111111111", "222222222222"
DOMAIN = "arn:aws:codeartifact:us-east-1:123456789012:domain/{}"
REPO = "arn:aws:codeartifact:us-east-1:123456789012:repository/{}/{}"


def mine(account: str, request_id: str = "rl-a") -> dict[str, str]:
    return {"repolink:request-id": request_id, "repolink:owner-account": account}


@pytest.mark.parametrize(
    ("tags", "whose"),
    [
        ({}, "unclaimed"),
        ({"team": "x"}, "unclaimed"),
        (mine(B, "rl-other"), "own"),
        (mine(A), "foreign"),
        # tagged before the owner tag existed: this very onboarding's, or nobody else's
        ({"repolink:request-id": "rl-b"}, "own"),
        ({"repolink:request-id": "rl-a"}, "foreign"),
    ],
)
def test_whose_a_resource_is(tags: dict[str, str], whose: str) -> None:
    assert claim(tags, caller=B, request_id="rl-b") == whose


class Account:
    """One account's domains and repositories, with their tags; counts the reads."""

    def __init__(self, tagged: dict[str, dict[str, str]]) -> None:
        self.tagged = tagged
        self.reads: list[str] = []

    def tags_if_any(self, arn: str) -> dict[str, str] | None:
        self.reads.append(arn)
        return self.tagged.get(arn)

    def repositories_in(self, domain: str, owner: str | None) -> list[str]:
        self.reads.append(f"list:{domain}")
        prefix = REPO.format(domain, "")
        if DOMAIN.format(domain) not in self.tagged:
            raise AwsNotFound("codeartifact", "ListRepositoriesInDomain", "ResourceNotFoundException", "")
        return [arn.removeprefix(prefix) for arn in self.tagged if arn.startswith(prefix)]


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Account:
    fake = Account(
        {
            DOMAIN.format("team-a"): mine(A),
            REPO.format("team-a", "store"): mine(A),
            REPO.format("team-a", "team"): mine(A),
            DOMAIN.format("platform"): {},
            REPO.format("platform", "pypi"): {},
            REPO.format("platform", "a-lib"): mine(A),
            REPO.format("platform", "b-lib"): mine(B, "rl-old"),
        }
    )
    monkeypatch.setattr(ca, "tags_if_any", fake.tags_if_any)
    monkeypatch.setattr(ca, "repositories_in", fake.repositories_in)
    return fake


def check(section: dict[str, Any], caller: str = B, shared: frozenset[str] = frozenset()) -> list[str]:
    spec = validate_request({"codeartifact": section}).codeartifact
    assert spec is not None
    found = refusals(
        spec,
        caller=caller,
        request_id="rl-b",
        own_account=OWN,
        partition="aws",
        region="us-east-1",
        shared=shared,
    )
    return [f.field for f in found]


def test_another_team_domain_is_refused_in_one_read_naming_nothing_of_its_own(account: Account) -> None:
    section = {"domain": "team-a", "repositories": [{"name": "b-spy", "upstreams": ["team"]}]}
    spec = validate_request({"codeartifact": section}).codeartifact
    assert spec is not None
    (refused,) = refusals(
        spec,
        caller=B,
        request_id="rl-b",
        own_account=OWN,
        partition="aws",
        region="us-east-1",
        shared=frozenset(),
    )
    assert refused.field == "codeartifact.domain"
    assert A not in refused.message and "store" not in refused.message
    assert account.reads == [DOMAIN.format("team-a")]


def test_the_caller_own_domain_and_a_missing_one_need_one_read(account: Account) -> None:
    assert (
        check({"domain": "team-a", "repositories": [{"name": "xx", "upstreams": ["team"]}]}, caller=A) == []
    )
    assert check({"domain": "new", "createDomain": True, "repositories": [{"name": "xx"}]}) == []
    assert account.reads == [DOMAIN.format("team-a"), DOMAIN.format("new")]


def test_a_delegated_domain_owner_is_not_read(account: Account) -> None:
    assert check({"domain": "team-a", "domainOwner": B, "repositories": [{"name": "xx"}]}) == []
    assert account.reads == []


def test_a_shared_domain_reads_only_the_named_repositories_that_exist(account: Account) -> None:
    section = {
        "domain": "platform",
        "repositories": [
            {"name": "a-lib"},
            {"name": "new-lib", "upstreams": ["pypi", "a-lib", "b-lib", "new-base"]},
            {"name": "new-base"},
        ],
    }
    # a-lib is refused where the request names it as its own (an upstream inside the request is
    # checked as that repository)
    assert check(section) == ["codeartifact.repositories[0].name"]
    # the domain, its list, and the tags of a-lib, pypi, b-lib (once each): not new-lib nor new-base
    assert account.reads == [
        DOMAIN.format("platform"),
        "list:platform",
        REPO.format("platform", "a-lib"),
        REPO.format("platform", "pypi"),
        REPO.format("platform", "b-lib"),
    ]


def test_a_domain_the_deployment_shares_is_open_but_its_repositories_are_not(account: Account) -> None:
    section = {
        "domain": "team-a",
        "repositories": [{"name": "b-x", "upstreams": ["team"]}, {"name": "store"}],
    }
    assert check(section, shared=frozenset({"team-a"})) == [
        "codeartifact.repositories[0].upstreams[0]",
        "codeartifact.repositories[1].name",
    ]
    # the team that made it works there as in any shared domain: its own repositories are its own
    assert check(section, caller=A, shared=frozenset({"team-a"})) == []
