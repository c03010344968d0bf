"""AWS's resource quotas: the one table, and the refusals it turns into ``QuotaExceeded``."""

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from repolink.adapters.accounts import acting_in
from repolink.adapters.aws import owner, translate
from repolink.adapters.quotas import (
    APPRUNNER_DOC,
    CODEARTIFACT_DOC,
    CONNECTIONS_DOC,
    QUOTAS,
    answered,
    quota,
    sync_configuration_quota,
)
from repolink.errors import AwsRequestRejected, QuotaExceeded, TransientAwsError

pytestmark = pytest.mark.unit

MODELS = botocore.session.get_session()


def error(
    code: str, status: int = 400, message: str = "Exceeded the maximum limit for connections."
) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


def test_the_quotas_the_issue_names_are_as_aws_documents_them() -> None:
    facts = {q.key: (q.limit, q.adjustable) for q in QUOTAS}
    assert facts["repository-links"] == (100, False)
    assert facts["sync-configurations"] == (100, False)
    assert facts["hosts"] == (50, False)
    assert facts["connections"] == (250, True)
    assert facts["domains"] == (10, True)
    assert facts["apprunner-connections"] == (10, True)
    assert len(facts) == len(QUOTAS), "one row per quota"


@pytest.mark.parametrize("row", QUOTAS, ids=lambda q: q.key)
def test_each_rows_code_is_an_error_its_operation_models(row: object) -> None:
    from repolink.adapters.quotas import ResourceQuota

    assert isinstance(row, ResourceQuota)
    assert row.doc.startswith("https://docs.aws.amazon.com/")
    for service in row.services:
        operation = MODELS.get_service_model(service).operation_model(row.operation)
        if row.code is not None:
            assert row.code in {shape.name for shape in operation.error_shapes}


def test_rows_sharing_an_operation_and_code_are_only_the_sync_configuration_quotas() -> None:
    seen: dict[tuple[str, str, str], list[str]] = {}
    for row in QUOTAS:
        if row.code is not None:
            for service in row.services:
                seen.setdefault((service, row.operation, row.code), []).append(row.key)
    shared = {keys[0]: keys for keys in seen.values() if len(keys) > 1}
    assert shared == {
        "sync-configurations": [
            "sync-configurations",
            "sync-configurations-per-link",
            "sync-configurations-per-branch",
        ]
    }


def test_a_quota_refusal_is_permanent_and_names_the_quota_limit_adjustability_and_account() -> None:
    refused = translate(
        error("LimitExceededException", 429),
        "codeconnections",
        "CreateRepositoryLink",
        account="222222222222",
    )
    assert type(refused) is QuotaExceeded
    assert not isinstance(refused, TransientAwsError)
    assert refused.quota is quota("repository-links") and refused.account == "222222222222"
    assert str(refused).startswith("repository links in 222222222222 (100, not adjustable): ")
    assert "LimitExceededException" in str(refused) and quota("repository-links").doc in str(refused)


@pytest.mark.parametrize(
    ("service", "operation", "code", "key"),
    [
        ("codeconnections", "CreateConnection", "LimitExceededException", "connections"),
        ("codestar-connections", "CreateConnection", "LimitExceededException", "connections"),
        ("codestar-connections", "CreateHost", "LimitExceededException", "hosts"),
        ("codeconnections", "CreateSyncConfiguration", "LimitExceededException", "sync-configurations"),
        ("apprunner", "CreateConnection", "ServiceQuotaExceededException", "apprunner-connections"),
        ("codeartifact", "CreateDomain", "ServiceQuotaExceededException", "domains"),
        ("codeartifact", "CreateRepository", "ServiceQuotaExceededException", "repositories"),
    ],
)
def test_each_create_refused_for_its_quota(service: str, operation: str, code: str, key: str) -> None:
    refused = translate(error(code), service, operation, account="333333333333")
    assert isinstance(refused, QuotaExceeded) and refused.quota.key == key


@pytest.mark.parametrize(
    ("service", "operation", "code", "kind"),
    [
        # CodeConnections' tag limit: not a resource quota (the targets refuse it before the call)
        ("codeconnections", "TagResource", "LimitExceededException", AwsRequestRejected),
        ("codeartifact", "TagResource", "ServiceQuotaExceededException", AwsRequestRejected),
        # throttling stays transient, on the operations that model it apart
        ("codeconnections", "CreateRepositoryLink", "ThrottlingException", TransientAwsError),
        ("codeartifact", "CreateDomain", "ThrottlingException", TransientAwsError),
        # a validation error of CreateRepository is not the upstreams quota (AWS documents no code)
        ("codeartifact", "CreateRepository", "ValidationException", AwsRequestRejected),
    ],
)
def test_other_refusals_are_not_quota_errors(service: str, operation: str, code: str, kind: type) -> None:
    translated = translate(error(code, 429 if "Throttling" in code else 400), service, operation)
    assert type(translated) is kind


def test_answered_finds_no_quota_for_an_operation_without_one() -> None:
    assert answered("codeconnections", "UpdateSyncConfiguration", "LimitExceededException") is None


def test_the_owner_is_the_account_the_parameters_name_else_the_acting_one() -> None:
    link = {"ConnectionArn": "arn:aws:codeconnections:us-east-1:222222222222:connection/abc"}
    sync = {"RoleArn": "arn:aws:iam::333333333333:role/sync", "RepositoryLinkId": "id"}
    assert owner(link) == "222222222222"
    assert owner(sync) == "333333333333"
    assert owner({"domain": "acme", "domainOwner": "444444444444"}) == "444444444444"
    assert owner({"ConnectionName": "x"}) is None
    with acting_in(None, "555555555555"):
        assert owner({"ConnectionName": "x"}) == "555555555555"
        assert owner(link) == "222222222222"


@pytest.mark.parametrize(
    ("on_link", "on_branch", "key"),
    [
        (99, 10, "sync-configurations"),
        (100, 10, "sync-configurations-per-link"),
        (60, 50, "sync-configurations-per-branch"),
        (0, 0, "sync-configurations"),
    ],
)
def test_which_sync_configuration_quota_was_reached(on_link: int, on_branch: int, key: str) -> None:
    assert sync_configuration_quota(on_link, on_branch).key == key


def test_a_narrower_quota_says_what_it_is_per() -> None:
    assert quota("sync-configurations-per-branch").describe("222222222222") == (
        "sync configurations in 222222222222 (50 per branch, not adjustable)"
    )
    assert (
        quota("domains").describe("222222222222") == "CodeArtifact domains in 222222222222 (10, adjustable)"
    )


# --- the Git sync target after a quota refusal (a plain fake of the adapter) ---

CONNECTION = "arn:aws:codeconnections:us-east-1:222222222222:connection/c"
REQUEST_ID = "rl-0123456789abcdef0123456789abcdef01234567"


class FakeGitSync:
    """Git sync as AWS answers it once a quota is reached: every create refused."""

    service = "codeconnections"

    def __init__(
        self, links: list[Any], syncs: list[Any], tags: dict[str, str], *, lost: bool = False
    ) -> None:
        self._links, self._syncs, self._tags = links, syncs, tags
        #: the links appear only once CreateRepositoryLink was sent (its answer was lost)
        self._lost, self._sent = lost, False
        self.deleted: list[str] = []

    def _refusal(self, operation: str) -> QuotaExceeded:
        refused = translate(
            error("LimitExceededException", 429), "codeconnections", operation, account="222222222222"
        )
        assert isinstance(refused, QuotaExceeded)
        return refused

    def links(self) -> list[Any]:
        return list(self._links) if self._sent or not self._lost else []

    def tags(self, arn: str) -> dict[str, str]:
        return dict(self._tags)

    def create_link(self, *args: Any) -> Any:
        self._sent = True
        raise self._refusal("CreateRepositoryLink")

    def create_sync(self, wanted: Any, sync_type: str) -> Any:
        raise self._refusal("CreateSyncConfiguration")

    def get_sync(self, resource_name: str, sync_type: str) -> Any:
        return None

    def syncs_of(self, link_id: str, sync_type: str) -> list[Any]:
        return [s for s in self._syncs if s.repository_link_id == link_id]

    def delete_link(self, link_id: str) -> None:
        self.deleted.append(link_id)


def _apply(svc: FakeGitSync, branch: str = "main") -> Any:
    from repolink.models.sections import GitSyncRepositorySpec
    from repolink.models.state.common import ConnectionState
    from repolink.targets.gitsync import GitSyncContext, GitSyncTarget

    spec = GitSyncRepositorySpec.from_wire(
        {
            "ownerId": "acme",
            "repositoryName": "infra",
            "syncConfigurations": [
                {
                    "resourceName": "acme-network",
                    "branch": branch,
                    "configFile": "deploy.yaml",
                    "roleArn": "arn:aws:iam::222222222222:role/sync",
                }
            ],
        }
    )
    connection = ConnectionState(
        arn=CONNECTION,
        name="acme",
        service="codeconnections",
        provider="GitHub",
        status="AVAILABLE",
        created=True,
        console_url="https://console",
    )
    context = GitSyncContext(connection=connection, request_id=REQUEST_ID, caller="222222222222")
    return GitSyncTarget(svc).apply(spec, context)  # type: ignore[arg-type]


def _link(link_id: str = "mine") -> Any:
    from repolink.adapters.connections import RepositoryLink

    arn = f"arn:aws:codeconnections:us-east-1:222222222222:repository-link/{link_id}"
    return RepositoryLink(link_id, arn, CONNECTION, "acme", "infra", "GitHub")


def _synced(count: int, branch: str, link_id: str = "mine") -> list[Any]:
    from repolink.adapters.connections import SyncConfiguration

    return [SyncConfiguration(f"stack-{branch}-{i}", link_id, branch, "f.yaml", "role") for i in range(count)]


def test_a_link_whose_create_answer_was_lost_is_adopted_when_the_retry_meets_the_quota() -> None:
    # Given the SDK's retry of a CreateRepositoryLink that took effect (its answer lost) is refused
    # for the quota that very link reached: the link is there, tagged with this request
    owned = {"repolink:request-id": REQUEST_ID, "repolink:owner-account": "222222222222"}
    svc = FakeGitSync([_link()], [], owned, lost=True)
    # When the target applies, and the stack's sync configuration is refused too (per account)
    result = _apply(svc)
    # Then the link is this onboarding's, not an unlisted orphan: reported, then deleted (no stack)
    assert (result.repository_link_id, result.outcome) == ("mine", "created")
    assert svc.deleted == ["mine"] and result.link_deleted
    (failure,) = result.failures
    assert failure.error == "QuotaExceeded"
    assert failure.cause.startswith(
        "CloudFormation stack sync configurations in 222222222222 (100, not adjustable)"
    )


def test_no_link_there_is_the_quota_refusal() -> None:
    with pytest.raises(QuotaExceeded, match=r"^repository links in 222222222222 \(100, not adjustable\)"):
        _apply(FakeGitSync([], [], {}))


@pytest.mark.parametrize(
    ("synced", "described"),
    [
        (_synced(50, "main"), "sync configurations in 222222222222 (50 per branch, not adjustable)"),
        (
            _synced(50, "dev") + _synced(49, "main") + _synced(1, "x"),
            "sync configurations in 222222222222 (100 per repository link, not adjustable)",
        ),
    ],
)
def test_a_refused_sync_configuration_names_the_quota_its_link_reached(
    synced: list[Any], described: str
) -> None:
    owned = {"repolink:request-id": REQUEST_ID, "repolink:owner-account": "222222222222"}
    result = _apply(FakeGitSync([_link()], synced, owned))
    (failure,) = result.failures
    assert failure.cause.startswith(described)


# --- docs/quotas.md shows the table as it is ---

DOC_TITLES = {
    CONNECTIONS_DOC: "Quotas for connections",
    APPRUNNER_DOC: "App Runner resource quotas",
    CODEARTIFACT_DOC: "Quotas in AWS CodeArtifact",
}


def rendered() -> str:
    """The quota table as docs/quotas.md shows it, rendered from QUOTAS."""
    lines = [
        "| quota | limit | counted per | AWS can raise it | refused call | AWS answers | documented in |",
        "|---|---|---|---|---|---|---|",
    ]
    for q in QUOTAS:
        per = "account and Region" if q.per == "account" else q.per
        answer = f"`{q.code}`" if q.code else "no documented code: the request contract refuses it"
        call = " / ".join(f"`{s}`" for s in q.services) + f" `{q.operation}`"
        lines.append(
            f"| {q.resource} | {q.limit:,} | {per} | {'yes' if q.adjustable else 'no'} | {call} | {answer}"
            f" | [{DOC_TITLES[q.doc]}]({q.doc}) |"
        )
    return "\n".join(lines) + "\n"


def test_docs_quotas_shows_the_table_as_it_is() -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[2] / "docs" / "quotas.md").read_text()
    assert rendered() in page, "docs/quotas.md: paste tests/unit/test_quota_table.py's rendered() output"


def test_a_codeartifact_create_whose_answer_was_lost_is_adopted_when_the_retry_meets_the_quota(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given CreateDomain and CreateRepository that took effect, their answers lost, and the SDK's
    # retries refused for the quotas those very creates reached
    from repolink.adapters import codeartifact as ca
    from repolink.errors import AwsNotFound
    from repolink.models.sections import CodeArtifactSpec
    from repolink.targets.codeartifact import CodeArtifactTarget

    account = "222222222222"
    domain = ca.Domain("acme", f"arn:aws:codeartifact:us-east-1:{account}:domain/acme", account)
    repository = ca.Repository("team", f"arn:aws:codeartifact:us-east-1:{account}:repository/acme/team")
    made: set[str] = set()
    owned = {"repolink:request-id": REQUEST_ID, "repolink:owner-account": account}

    def refused(operation: str) -> QuotaExceeded:
        answer = translate(
            error("ServiceQuotaExceededException", 402), "codeartifact", operation, account=account
        )
        assert isinstance(answer, QuotaExceeded)
        return answer

    def create(kind: str) -> Any:
        def lost(*args: Any) -> Any:
            made.add(kind)
            raise refused("CreateDomain" if kind == "domain" else "CreateRepository")

        return lost

    def describe(kind: str, found: Any) -> Any:
        def read(*args: Any) -> Any:
            if kind not in made:
                raise AwsNotFound("codeartifact", "Describe", "ResourceNotFoundException", "no")
            return found

        return read

    monkeypatch.setattr(ca, "create_domain", create("domain"))
    monkeypatch.setattr(ca, "create_repository", create("repository"))
    monkeypatch.setattr(ca, "describe_domain", describe("domain", domain))
    monkeypatch.setattr(ca, "describe_repository", describe("repository", repository))
    monkeypatch.setattr(ca, "tags_of", lambda arn: dict(owned))
    spec = CodeArtifactSpec.from_wire(
        {"domain": "acme", "createDomain": True, "repositories": [{"name": "team"}]}
    )
    # When the target applies
    result = CodeArtifactTarget(REQUEST_ID, account, caller=account).apply(spec)
    # Then both are this onboarding's, listed as created: nothing left unlisted
    assert result.status == "succeeded", result.failure
    assert (result.domain_arn, result.domain_created) == (domain.arn, True)
    assert [(r.arn, r.outcome) for r in result.repositories] == [(repository.arn, "created")]


def test_a_codeartifact_quota_refusal_with_nothing_made_is_the_failure() -> None:
    from repolink.errors import AwsNotFound
    from repolink.targets.codeartifact import _after_refusal

    def missing() -> Any:
        raise AwsNotFound("codeartifact", "DescribeDomain", "ResourceNotFoundException", "no")

    quota_refusal = translate(error("ServiceQuotaExceededException", 402), "codeartifact", "CreateDomain")
    with pytest.raises(QuotaExceeded) as raised:
        _after_refusal(quota_refusal, missing)
    assert raised.value is quota_refusal
