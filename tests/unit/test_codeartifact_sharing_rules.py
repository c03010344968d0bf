"""CodeArtifact sharing: merging repolink's statements into a policy, and what a request may share."""

from __future__ import annotations

import json
from typing import Any

import pytest

from repolink.adapters import codeartifact as ca
from repolink.errors import AwsConflict, PolicyTooLarge, TransientAwsError
from repolink.models.sections import CONSUMER_ACCOUNTS_MAX
from repolink.models.validation import validate_request
from repolink.targets.codeartifact import POLICY_WRITE_ATTEMPTS, CodeArtifactTarget
from repolink.workflow import sharing
from repolink.workflow.accept import Deployment, judge
from repolink.workflow.sharing import (
    ACCOUNTS_SID,
    DOMAIN_ACTIONS,
    ORGANIZATIONS_SID,
    POLICY_DOCUMENT_MAX,
    REPOSITORY_ACTIONS,
    Consumers,
    merge,
)
from repolink_local.iam import data

pytestmark = pytest.mark.unit

DOMAIN = "arn:aws:codeartifact:us-east-1:123456789012:domain/acme"
ORG = "o-a1b2c3d4e5"
ONE = Consumers(accounts=("111111111111",), organizations=(ORG,))
#: a statement someone else wrote, in their own layout
FOREIGN = {
    "Sid": "PlatformTeamPublishes",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::333333333333:role/publisher"},
    "Action": "codeartifact:PublishPackageVersion",
    "Resource": "*",
}


def domain_merge(current: str | None, consumers: Consumers = ONE) -> sharing.Merged:
    return merge(current, consumers, DOMAIN_ACTIONS, DOMAIN, partition="aws", what="the domain's policy")


def statements(document: str | None) -> list[dict[str, Any]]:
    assert document is not None
    return list(json.loads(document)["Statement"])


def by_sid(document: str | None) -> dict[str, dict[str, Any]]:
    return {s.get("Sid", ""): s for s in statements(document)}


def test_no_policy_yet_gets_the_accounts_and_the_organization_statements() -> None:
    merged = domain_merge(None)

    assert merged.sids == (ACCOUNTS_SID, ORGANIZATIONS_SID)
    assert json.loads(merged.document or "")["Version"] == "2012-10-17"
    ours = by_sid(merged.document)
    assert ours[ACCOUNTS_SID] == {
        "Sid": ACCOUNTS_SID,
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111111111111:root"]},
        "Action": ["codeartifact:GetAuthorizationToken"],
        "Resource": DOMAIN,
    }
    assert ours[ORGANIZATIONS_SID]["Principal"] == "*"
    assert ours[ORGANIZATIONS_SID]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": [ORG]}}


def test_only_the_statements_asked_for_are_written() -> None:
    merged = domain_merge(None, Consumers(organizations=(ORG,)))

    assert merged.sids == (ORGANIZATIONS_SID,)
    assert list(by_sid(merged.document)) == [ORGANIZATIONS_SID]


def test_a_foreign_statement_is_kept_as_it_was_and_first() -> None:
    current = json.dumps({"Version": "2012-10-17", "Id": "acme", "Statement": [FOREIGN]}, indent=2)

    merged = domain_merge(current)

    found = statements(merged.document)
    assert found[0] == FOREIGN
    assert [s["Sid"] for s in found] == ["PlatformTeamPublishes", ACCOUNTS_SID, ORGANIZATIONS_SID]
    assert json.loads(merged.document or "")["Id"] == "acme"


def test_a_policy_that_grants_it_all_already_is_not_written_again() -> None:
    first = domain_merge(json.dumps({"Statement": [FOREIGN]}))

    again = domain_merge(first.document)

    assert again.document is None
    assert again.sids == (ACCOUNTS_SID, ORGANIZATIONS_SID)


def test_the_same_grant_in_another_layout_is_not_written_again() -> None:
    # Given repolink's statements as IAM reads them alike: one value as a string, a bare account id,
    # another order of keys and of principals
    current = json.dumps(
        {
            "Statement": [
                {
                    "Resource": DOMAIN,
                    "Action": "codeartifact:GetAuthorizationToken",
                    "Principal": {"AWS": ["222222222222", "arn:aws:iam::111111111111:root"]},
                    "Effect": "Allow",
                    "Sid": ACCOUNTS_SID,
                }
            ]
        }
    )

    merged = domain_merge(current, Consumers(accounts=("111111111111",)))

    assert merged.document is None


def test_consumers_are_added_to_our_statement_and_none_are_taken_away() -> None:
    earlier = domain_merge(None, Consumers(accounts=("222222222222",), organizations=("o-zzzzzzzzzz",)))

    merged = domain_merge(earlier.document, ONE)

    ours = by_sid(merged.document)
    assert ours[ACCOUNTS_SID]["Principal"] == {
        "AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]
    }
    assert ours[ORGANIZATIONS_SID]["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == [ORG, "o-zzzzzzzzzz"]
    assert len(statements(merged.document)) == 2


def test_our_statement_changed_by_hand_is_put_back_keeping_its_principals() -> None:
    # Given someone widened repolink's statement to publishing, and added a principal to it
    tampered = {
        "Sid": ACCOUNTS_SID,
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::444444444444:role/ci"]},
        "Action": ["codeartifact:GetAuthorizationToken", "codeartifact:PublishPackageVersion"],
        "Resource": "*",
    }

    merged = domain_merge(
        json.dumps({"Statement": [FOREIGN, tampered]}), Consumers(accounts=("111111111111",))
    )

    found = statements(merged.document)
    assert found[0] == FOREIGN
    assert found[1] == {
        "Sid": ACCOUNTS_SID,
        "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::444444444444:role/ci"]},
        "Action": list(DOMAIN_ACTIONS),
        "Resource": DOMAIN,
    }


def test_a_policy_that_would_exceed_codeartifacts_limit_is_refused_naming_it() -> None:
    crowded = {"Statement": [{**FOREIGN, "Sid": f"S{i}"} for i in range(40)]}
    assert len(json.dumps(crowded)) < POLICY_DOCUMENT_MAX

    with pytest.raises(PolicyTooLarge, match=r"the domain's policy: .* at most 7168"):
        merge(
            json.dumps(crowded),
            Consumers(
                accounts=tuple(f"{i:012d}" for i in range(CONSUMER_ACCOUNTS_MAX)), organizations=(ORG,)
            ),
            REPOSITORY_ACTIONS,
            "*",
            partition="aws",
            what="the domain's policy",
        )


def test_repolinks_largest_statements_leave_room_in_a_policy() -> None:
    # the most a request may name, in a repository's policy (the longer action list)
    most = Consumers(
        accounts=tuple(f"{i:012d}" for i in range(CONSUMER_ACCOUNTS_MAX)), organizations=("o-" + "a" * 32,)
    )

    merged = merge(None, most, REPOSITORY_ACTIONS, "*", partition="aws-us-gov", what="x")

    assert len(merged.document or "") <= 3400 < POLICY_DOCUMENT_MAX / 2


@pytest.mark.parametrize("action", [*DOMAIN_ACTIONS, *REPOSITORY_ACTIONS])
def test_consumers_get_only_read_and_list_actions(action: str) -> None:
    assert data.access_level(action) in ("Read", "List")


def test_the_domain_policy_grants_only_a_token_and_repository_policies_no_token() -> None:
    assert DOMAIN_ACTIONS == ("codeartifact:GetAuthorizationToken",)
    assert "codeartifact:GetAuthorizationToken" not in REPOSITORY_ACTIONS
    assert "codeartifact:ReadFromRepository" in REPOSITORY_ACTIONS


# --- what a request may share: the contract, and the deployment's bounds

SHARED = {
    "codeartifact": {
        "domain": "acme",
        "createDomain": True,
        "repositories": [{"name": "team-python"}],
        "consumers": {"accounts": ["111111111111"], "organizationId": ORG},
    }
}
ADMITTING = Deployment(
    account="123456789012",
    region="us-east-1",
    allowed_account_ids=frozenset({"111111111111", "222222222222"}),
    allowed_organization_id=ORG,
)


def verdict(body: dict[str, Any], deployment: Deployment = ADMITTING, caller: str = "123456789012") -> Any:
    return judge(json.dumps(body), caller=caller, idempotency_key=None, deployment=deployment)


def fields(body: dict[str, Any], deployment: Deployment = ADMITTING) -> list[str]:
    return [error.field for error in verdict(body, deployment).errors]


def with_consumers(consumers: dict[str, Any], **codeartifact: Any) -> dict[str, Any]:
    return {"codeartifact": {**SHARED["codeartifact"], **codeartifact, "consumers": consumers}}


def test_consumers_the_deployment_allows_are_accepted() -> None:
    found = verdict(SHARED)

    assert found.status == 202
    assert found.request.codeartifact.consumers.accounts == ["111111111111"]
    assert found.request.codeartifact.consumers.organization_id == ORG


@pytest.mark.parametrize("consumers", [{"accounts": ["222222222222"]}, {"organizationId": ORG}])
def test_either_field_may_be_absent(consumers: dict[str, Any]) -> None:
    assert verdict(with_consumers(consumers)).status == 202


@pytest.mark.parametrize(
    ("consumers", "field"),
    [
        ({}, "codeartifact.consumers"),
        ({"accounts": []}, "codeartifact.consumers"),
        ({"accounts": ["11111111111"]}, "codeartifact.consumers.accounts[0]"),
        ({"accounts": ["111111111111", "111111111111"]}, "codeartifact.consumers.accounts[1]"),
        ({"organizationId": "o-A1B2C3D4E5"}, "codeartifact.consumers.organizationId"),
        ({"accounts": ["111111111111"], "organisationId": ORG}, "codeartifact.consumers.organisationId"),
    ],
)
def test_a_malformed_consumers_section_is_422_naming_the_field(consumers: dict[str, Any], field: str) -> None:
    found = verdict(with_consumers(consumers))

    assert found.status == 422
    assert [e.field for e in found.errors] == [field]


def test_an_account_the_deployment_does_not_allow_is_refused_naming_it() -> None:
    found = verdict(with_consumers({"accounts": ["111111111111", "999999999999"]}))

    assert found.status == 422
    (error,) = found.errors
    assert error.field == "codeartifact.consumers.accounts[1]"
    assert "AllowedAccountIds: 111111111111, 222222222222" in error.message


def test_the_deployments_own_account_is_not_a_consumer() -> None:
    # it owns the domain already: listing it would only say it is not among AllowedAccountIds
    assert fields(with_consumers({"accounts": ["123456789012"]})) == ["codeartifact.consumers.accounts[0]"]


def test_an_organization_other_than_the_deployments_is_refused() -> None:
    found = verdict(with_consumers({"organizationId": "o-zzzzzzzzzz"}))

    assert [e.field for e in found.errors] == ["codeartifact.consumers.organizationId"]
    assert f"AllowedOrganizationId: {ORG}" in found.errors[0].message


def test_no_organization_may_be_named_where_the_deployment_allows_none() -> None:
    deployment = Deployment(account="123456789012", region="us-east-1")

    found = verdict(with_consumers({"organizationId": ORG}), deployment)

    assert [e.field for e in found.errors] == ["codeartifact.consumers.organizationId"]
    assert "AllowedOrganizationId: none" in found.errors[0].message


def test_a_delegated_domain_is_not_shared_by_repolink() -> None:
    # Given a domain of another account the caller may reach (AccountDelegations)
    deployment = Deployment(
        account="123456789012",
        region="us-east-1",
        allowed_account_ids=ADMITTING.allowed_account_ids,
        delegations={"123456789012": frozenset({"222222222222"})},
    )
    body = with_consumers({"accounts": ["111111111111"]}, domainOwner="222222222222", createDomain=False)
    assert verdict({"codeartifact": {**body["codeartifact"], "consumers": None}}, deployment).status == 202

    # Then sharing it is refused: its policy is its owner's to write
    found = verdict(body, deployment)

    assert [e.field for e in found.errors] == ["codeartifact.consumers"]
    assert "belongs to account 222222222222" in found.errors[0].message


def test_the_domain_owner_may_be_named_when_it_is_this_account() -> None:
    assert verdict(with_consumers({"accounts": ["111111111111"]}, domainOwner="123456789012")).status == 202


def test_the_request_model_reads_consumers_back_from_the_wire() -> None:
    request = validate_request(SHARED)

    again = type(request).from_wire(request.wire())

    assert again == request
    assert request.wire()["codeartifact"]["consumers"] == {
        "accounts": ["111111111111"],
        "organizationId": ORG,
    }


# --- the target: each write carries the revision it read, and a stale one means read again


class FakePolicies:
    """The adapter's policy calls, on one policy that another writer changes ``conflicts`` times."""

    def __init__(self, document: str | None, conflicts: int = 0) -> None:
        self.policy = None if document is None else ca.Policy(document, "r1")
        self.conflicts = conflicts
        self.puts: list[str | None] = []

    def get(self, domain: str, owner: str | None, repository: str | None) -> ca.Policy | None:
        return self.policy

    def put(
        self, domain: str, owner: str | None, repository: str | None, document: str, revision: str | None
    ) -> ca.Policy:
        self.puts.append(revision)
        current = self.policy.revision if self.policy else None
        if self.conflicts:
            self.conflicts -= 1
            self.policy = ca.Policy(json.dumps({"Statement": [FOREIGN]}), f"r{len(self.puts) + 1}")
            raise AwsConflict("codeartifact", "PutDomainPermissionsPolicy", "ConflictException", "stale")
        assert revision == current
        self.policy = ca.Policy(document, f"r{len(self.puts) + 1}")
        return self.policy


SPEC = validate_request(SHARED).codeartifact


def share(fake: FakePolicies, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(ca, "get_policy", fake.get)
    monkeypatch.setattr(ca, "put_policy", fake.put)
    assert SPEC is not None
    return CodeArtifactTarget._share(SPEC, None, DOMAIN, ONE)


def test_the_write_carries_the_revision_read(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePolicies(json.dumps({"Statement": [FOREIGN]}))

    result = share(fake, monkeypatch)

    assert fake.puts == ["r1"]
    assert (result.outcome, result.sids) == ("written", [ACCOUNTS_SID, ORGANIZATIONS_SID])


def test_a_first_policy_is_written_without_a_revision(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePolicies(None)

    share(fake, monkeypatch)

    assert fake.puts == [None]


def test_a_stale_revision_reads_merges_and_writes_again(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePolicies(json.dumps({"Statement": []}), conflicts=2)

    result = share(fake, monkeypatch)

    assert fake.puts == ["r1", "r2", "r3"]
    assert fake.policy is not None
    assert statements(fake.policy.document)[0] == FOREIGN
    assert result.outcome == "written"


def test_a_policy_that_keeps_changing_is_a_transient_error_the_step_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakePolicies(json.dumps({"Statement": []}), conflicts=POLICY_WRITE_ATTEMPTS)

    with pytest.raises(TransientAwsError, match="changed under each of 5 writes"):
        share(fake, monkeypatch)

    assert len(fake.puts) == POLICY_WRITE_ATTEMPTS


def test_nothing_is_written_when_the_policy_grants_it_all(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePolicies(domain_merge(None).document)

    result = share(fake, monkeypatch)

    assert fake.puts == []
    assert result.outcome == "unchanged"
