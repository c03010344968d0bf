"""CodeArtifact sharing through the real ASL, with IAM enforced: first write, a second run, a
foreign statement, a concurrent writer, a lost answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

import boto3
import pytest

from helpers.engine import JSON
from repolink.models.validation import validate_request
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.standins import FaultRule, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

CONSUMER = "111111111111"
ORG = "o-a1b2c3d4e5"
PARAMETERS = {**SAMPLE_PARAMETERS, "AllowedAccountIds": CONSUMER, "AllowedOrganizationId": ORG}
DOMAIN_ARN = "arn:aws:codeartifact:us-east-1:123456789012:domain/acme"
REPOSITORY_ARN = "arn:aws:codeartifact:us-east-1:123456789012:repository/acme/{}"
OURS = ["RepolinkConsumerAccounts", "RepolinkConsumerOrganizations"]
#: another team's statement on the domain, in their own layout
FOREIGN = {
    "Sid": "PlatformPublishes",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/publisher"},
    "Action": "codeartifact:PublishPackageVersion",
    "Resource": "*",
}
PUTS = ("codeartifact:PutDomainPermissionsPolicy", "codeartifact:PutRepositoryPermissionsPolicy")


def shared(repositories: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "codeartifact": {
            "domain": "acme",
            "createDomain": True,
            "repositories": repositories
            or [
                {"name": "pypi-store", "externalConnection": "public:pypi"},
                {"name": "team-python", "upstreams": ["pypi-store"]},
            ],
            "consumers": {"accounts": [CONSUMER], "organizationId": ORG},
        }
    }


def run(
    *requests: dict[str, Any],
    faults: list[FaultRule] | None = None,
    prepare: Callable[[StandIns], None] | None = None,
) -> tuple[list[ExecutionResult], StandIns]:
    """Run ``requests`` one after the other in one local deployment (one AWS account)."""
    standins = StandIns(faults=faults or [])
    results = []
    with LocalEngine(standins, parameters=PARAMETERS) as engine:
        if prepare is not None:
            prepare(standins)
        for request in requests:
            body = validate_request(request).wire()
            results.append(engine.run(request_id_of(body), body, deadline_seconds=60))
    return results, standins


def completed(result: ExecutionResult) -> dict[str, Any]:
    """The CodeArtifact result of this execution's completion event (the bus holds every run's)."""
    request_id = result.execution_arn.rsplit(":", 1)[1]
    (detail,) = [d for d in result.events_of("RepositoryLinkCompleted") if d["requestId"] == request_id]
    return dict(detail["codeartifact"])


def policy(standins: StandIns, arn: str) -> dict[str, Any]:
    return dict(json.loads(standins.codeartifact.policies[arn].document))


def sids(document: dict[str, Any]) -> list[str]:
    return [s.get("Sid") for s in document["Statement"]]


def puts(standins: StandIns) -> int:
    return sum(standins.calls[p] for p in PUTS)


def test_first_run_shares_the_domain_and_each_created_repository() -> None:
    (result,), standins = run(shared())

    assert result.status == "SUCCEEDED"
    sharing = completed(result)["sharing"]
    assert [(s["resourceArn"], s.get("repository"), s["outcome"], s["sids"]) for s in sharing] == [
        (DOMAIN_ARN, None, "written", OURS),
        (REPOSITORY_ARN.format("pypi-store"), "pypi-store", "written", OURS),
        (REPOSITORY_ARN.format("team-python"), "team-python", "written", OURS),
    ]
    # the domain grants a token, to the account and to the organization's principals
    domain = policy(standins, DOMAIN_ARN)
    accounts, organization = domain["Statement"]
    assert accounts["Principal"] == {"AWS": [f"arn:aws:iam::{CONSUMER}:root"]}
    assert accounts["Action"] == organization["Action"] == ["codeartifact:GetAuthorizationToken"]
    assert organization["Principal"] == "*"
    assert organization["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": [ORG]}}
    # each repository grants reading, never writing
    for name in ("pypi-store", "team-python"):
        for statement in policy(standins, REPOSITORY_ARN.format(name))["Statement"]:
            assert "codeartifact:ReadFromRepository" in statement["Action"]
            assert "codeartifact:GetRepositoryEndpoint" in statement["Action"]
            assert not [
                a for a in statement["Action"] if a.split(":")[1].startswith(("Publish", "Put", "Delete"))
            ]
    assert puts(standins) == 3


def test_a_second_run_writes_nothing() -> None:
    # Given the same request twice (the second with another idempotency key: a new onboarding)
    request = shared()
    again = {**request, "handshakeTimeoutHours": 71}

    (first, second), standins = run(request, again)

    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED")
    assert puts(standins) == 3  # the first run's: none by the second
    sharing = completed(second)["sharing"]
    # the domain's policy grants it all already; the repositories are the first onboarding's
    assert [(s["resourceArn"], s["outcome"]) for s in sharing] == [(DOMAIN_ARN, "unchanged")]


def test_a_retried_step_rewrites_nothing_it_wrote_and_finishes_the_rest() -> None:
    # Given the last repository's policy write throttled past the SDK's retries: the whole
    # CodeArtifact step runs again (same request id)
    throttled = FaultRule("ThrottlingException", "codeartifact:PutRepositoryPermissionsPolicy", 1.0, times=5)
    order: list[str] = []

    def watch(standins: StandIns) -> None:
        served = standins.codeartifact.PutRepositoryPermissionsPolicy

        def put(p: dict[str, Any]) -> dict[str, Any]:
            order.append(p["repository"])
            return served(p)

        standins.codeartifact.PutRepositoryPermissionsPolicy = put  # type: ignore[method-assign]

    (result,), standins = run(shared(), faults=[throttled], prepare=watch)

    assert result.status == "SUCCEEDED"
    assert standins.faults_injected["codeartifact:PutRepositoryPermissionsPolicy:ThrottlingException"] == 5
    # the first attempt wrote the domain's policy, then every put of pypi-store's was throttled;
    # the retry found the domain's unchanged and wrote each repository's once
    assert standins.calls["codeartifact:PutDomainPermissionsPolicy"] == 1
    assert order == ["pypi-store", "team-python"]
    sharing = completed(result)["sharing"]
    assert [s["outcome"] for s in sharing] == ["unchanged", "written", "written"]


def test_a_foreign_statement_stays_as_it_was() -> None:
    def foreign_policy(standins: StandIns) -> None:
        aws = boto3.client("codeartifact")
        aws.create_domain(domain="acme")
        aws.put_domain_permissions_policy(
            domain="acme",
            policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [FOREIGN]}, indent=4),
        )

    (result,), standins = run(shared(), prepare=foreign_policy)

    assert result.status == "SUCCEEDED"
    domain = policy(standins, DOMAIN_ARN)
    assert domain["Statement"][0] == FOREIGN
    assert sids(domain) == ["PlatformPublishes", *OURS]
    # the domain was there before: it is this onboarding's to share, not its own
    assert completed(result)["domainCreated"] is False
    assert completed(result)["sharing"][0]["outcome"] == "written"


def test_a_writer_between_read_and_write_loses_nothing() -> None:
    # Given the domain's policy holds a foreign statement, and another writer adds one more just
    # after repolink read it: repolink's write carries a stale revision
    late = {**FOREIGN, "Sid": "LateWriter"}

    def interleave(standins: StandIns) -> None:
        aws = boto3.client("codeartifact")
        aws.create_domain(domain="acme")
        aws.put_domain_permissions_policy(domain="acme", policyDocument=json.dumps({"Statement": [FOREIGN]}))
        api = standins.codeartifact
        served = api.GetDomainPermissionsPolicy
        reads: list[dict[str, Any]] = []

        def get(p: dict[str, Any]) -> dict[str, Any]:
            answer = served(p)
            reads.append(answer)
            if len(reads) == 1:
                document = {"Statement": [FOREIGN, late]}
                api._put_policy({"domain": "acme", "policyDocument": json.dumps(document)})
            return answer

        api.GetDomainPermissionsPolicy = get  # type: ignore[method-assign]

    (result,), standins = run(shared(), prepare=interleave)

    # Then the write is refused, the policy read again and merged: every writer's statement is there
    assert result.status == "SUCCEEDED"
    assert standins.calls["codeartifact:GetDomainPermissionsPolicy"] == 2
    assert standins.calls["codeartifact:PutDomainPermissionsPolicy"] == 1 + 2  # the foreign one, and ours
    domain = policy(standins, DOMAIN_ARN)
    assert domain["Statement"][:2] == [FOREIGN, late]
    assert sids(domain) == ["PlatformPublishes", "LateWriter", *OURS]
    assert completed(result)["sharing"][0]["outcome"] == "written"


@pytest.mark.parametrize(
    ("operation", "arn"),
    [
        ("PutDomainPermissionsPolicy", DOMAIN_ARN),
        ("PutRepositoryPermissionsPolicy", REPOSITORY_ARN.format("pypi-store")),
    ],
)
def test_a_lost_write_answer_is_not_written_twice(operation: str, arn: str) -> None:
    # Given the first policy write takes effect but its answer is lost (the SDK sends it again,
    # with the revision now stale)
    lost = FaultRule("LostResponse", f"codeartifact:{operation}", 1.0, times=1)

    (result,), standins = run(shared(), faults=[lost])

    # Then the retry is refused (ConflictException), the policy read again holds it all
    assert result.status == "SUCCEEDED"
    assert standins.faults_injected[f"codeartifact:{operation}:LostResponse"] == 1
    assert puts(standins) == 3 + 1  # the SDK's retry, refused
    assert sids(policy(standins, arn)) == OURS
    assert [s["outcome"] for s in completed(result)["sharing"]] == ["written"] * 3


def test_an_existing_repository_is_not_shared() -> None:
    # Given pypi-store made earlier, by hand (not this onboarding's)
    def existing(standins: StandIns) -> None:
        aws = boto3.client("codeartifact")
        aws.create_domain(domain="acme")
        aws.create_repository(domain="acme", repository="pypi-store")
        aws.associate_external_connection(
            domain="acme", repository="pypi-store", externalConnection="public:pypi"
        )

    (result,), standins = run(shared(), prepare=existing)

    assert result.status == "SUCCEEDED"
    assert [s.get("repository") for s in completed(result)["sharing"]] == [None, "team-python"]
    assert REPOSITORY_ARN.format("pypi-store") not in standins.codeartifact.policies


def test_a_policy_with_no_room_fails_the_onboarding_naming_it_and_keeps_what_was_done() -> None:
    crowded = {"Version": "2012-10-17", "Statement": [{**FOREIGN, "Sid": f"Team{i}"} for i in range(44)]}

    def full(standins: StandIns) -> None:
        aws = boto3.client("codeartifact")
        aws.create_domain(domain="acme")
        document = json.dumps(crowded, separators=(",", ":"))
        assert len(document) > 7168 - 400  # less room than repolink's two statements take
        aws.put_domain_permissions_policy(domain="acme", policyDocument=document)

    (result,), standins = run(shared(), prepare=full)

    (failed,) = result.events_of("RepositoryLinkFailed")
    assert failed["step"] == "CodeArtifact.ShareDomain"
    assert failed["error"] == "PolicyTooLarge"
    assert "the domain's policy" in failed["cause"]
    assert json.loads(standins.codeartifact.policies[DOMAIN_ARN].document) == crowded
    assert [r["name"] for r in failed["codeartifact"]["repositories"]] == ["pypi-store", "team-python"]


def test_the_status_lists_the_policies_shared() -> None:
    # Given the request posted to the API (accept applies the deployment's consumer bounds)
    with LocalEngine(StandIns(), parameters=PARAMETERS) as engine:
        code, _, answer = engine.api("POST", "/links", json.dumps(shared()), headers=JSON)
        assert code == 202
        assert engine.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"
        # When its status is read
        code, _, status = engine.api("GET", urljoin("/links", answer["statusUrl"]))
        # and another request names a consumer the deployment does not allow
        other = shared()
        other["codeartifact"]["consumers"]["accounts"] = ["999999999999"]
        refused, _, why = engine.api("POST", "/links", json.dumps(other), headers=JSON)

    # Then it lists each policy, its outcome and repolink's Sids
    assert code == 200
    assert status["status"] == "succeeded"
    assert [(s["resourceArn"], s["outcome"], s["sids"]) for s in status["sharing"]] == [
        (DOMAIN_ARN, "written", OURS),
        (REPOSITORY_ARN.format("pypi-store"), "written", OURS),
        (REPOSITORY_ARN.format("team-python"), "written", OURS),
    ]
    assert refused == 422
    assert [e["field"] for e in why["errors"]] == ["codeartifact.consumers.accounts[0]"]
