"""decide(): one result event from what both branches report."""

import json
from pathlib import Path

import pytest

from repolink.models.events import COMPLETED, FAILED
from repolink.workflow.outcome import decide, readable_cause

pytestmark = pytest.mark.unit

#: the pending connection of the sample task payload, as NotifyPendingHandshake is given it
CONNECTION = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "notify_pending_handshake.json").read_text()
)["connection"]
CONN = {**CONNECTION, "status": "AVAILABLE"}
HANDSHAKE = {"connection": CONN, "poll": {"attempt": 2, "waitSeconds": 0, "waitedSeconds": 45}}
PROTON_OK = {
    "status": "linked",
    "name": "acme/templates",
    "result": {
        "name": "acme/templates",
        "provider": "GITHUB",
        "arn": "arn:aws:proton:us-east-1:123456789012:repository/github:acme/templates",
        "outcome": "created",
    },
}
CA = {
    "status": "succeeded",
    "domain": "acme",
    "domainArn": "arn:aws:codeartifact:us-east-1:123456789012:domain/acme",
    "domainCreated": True,
    "repositories": [
        {
            "name": "pypi-store",
            "arn": "arn:aws:codeartifact:us-east-1:123456789012:repository/acme/pypi-store",
            "upstreams": [],
            "externalConnection": "public:pypi",
            "outcome": "created",
        }
    ],
}
LAMBDA_CAUSE = json.dumps(
    {"errorMessage": "boom happened", "errorType": "AwsAccessDenied", "stackTrace": ["x"]}
)


def test_everything_done_is_completed_with_every_arn() -> None:
    kind, detail = decide(
        "rl-1", [{"handshake": HANDSHAKE, "proton": [PROTON_OK]}, {"codeartifact": {"result": CA}}]
    )
    assert kind == COMPLETED and detail.status == "succeeded"
    assert detail.arns == [
        CONN["arn"],
        PROTON_OK["result"]["arn"],  # type: ignore[index]
        CA["domainArn"],
        CA["repositories"][0]["arn"],  # type: ignore[index]
    ]


def test_skipped_branches_are_neither_success_nor_failure() -> None:
    kind, detail = decide("rl-1", [{"requestId": "rl-1"}, {"codeartifact": {"result": CA}}])
    assert kind == COMPLETED and detail.connection is None and len(detail.arns) == 2


def test_a_proton_failure_after_codeartifact_succeeded_keeps_what_succeeded() -> None:
    failed_item = {
        "status": "failed",
        "name": "acme/other",
        "error": "AwsAccessDenied",
        "cause": LAMBDA_CAUSE,
    }
    kind, detail = decide(
        "rl-1",
        [{"handshake": HANDSHAKE, "proton": [PROTON_OK, failed_item]}, {"codeartifact": {"result": CA}}],
    )
    assert kind == FAILED
    assert detail.step == "Proton.LinkRepository:acme/other"  # type: ignore[union-attr]
    assert detail.error == "AwsAccessDenied" and detail.cause == "boom happened"  # type: ignore[union-attr]
    assert detail.codeartifact is not None and detail.codeartifact.status == "succeeded"
    assert [r.name for r in detail.proton_repositories] == ["acme/templates"]


def test_a_caught_step_failure_names_the_step_and_reads_the_cause() -> None:
    branch = {
        "handshake": HANDSHAKE,
        "failedStep": "Handshake",
        "failure": {"Error": "HandshakeTimedOut", "Cause": LAMBDA_CAUSE},
        "cleanup": {"deleted": True},
    }
    kind, detail = decide("rl-1", [branch, {"requestId": "rl-1"}])
    assert kind == FAILED
    assert (detail.step, detail.error) == ("Handshake", "HandshakeTimedOut")  # type: ignore[union-attr]
    assert detail.connection_deleted is True  # type: ignore[union-attr]
    assert CONN["arn"] not in detail.arns  # a deleted connection is not a result


def test_a_codeartifact_failure_reported_by_the_step_itself_counts() -> None:
    ca_failed = {
        **CA,
        "status": "failed",
        "failure": {
            "step": "CodeArtifact.CreateRepository:team",
            "error": "UpstreamNotFound",
            "cause": "missing",
        },
    }
    kind, detail = decide("rl-1", [{"requestId": "rl-1"}, {"codeartifact": {"result": ca_failed}}])
    assert kind == FAILED and detail.error == "UpstreamNotFound"  # type: ignore[union-attr]
    assert detail.arns == [CA["domainArn"], CA["repositories"][0]["arn"]]  # type: ignore[index]


@pytest.mark.parametrize(
    ("cause", "expected"),
    [(LAMBDA_CAUSE, "boom happened"), ("plain words", "plain words"), ("[1, 2]", "[1, 2]"), ("", "")],
)
def test_readable_cause(cause: str, expected: str) -> None:
    assert readable_cause(cause) == expected


LINK = "arn:aws:codeconnections:us-east-1:123456789012:repository-link/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


def git_sync_item(repository: str, *, stacks: list[str], failed: list[str], deleted: bool = False) -> dict:
    return {
        "status": "linked",
        "name": f"acme/{repository}",
        "result": {
            "ownerId": "acme",
            "repositoryName": repository,
            "repositoryLinkId": LINK.rsplit("/", 1)[-1],
            "repositoryLinkArn": LINK.replace("0a1b", repository[:4]),
            "outcome": "created",
            "syncConfigurations": [
                {"resourceName": s, "branch": "main", "configFile": "f.yaml", "outcome": "created"}
                for s in stacks
            ],
            "failures": [
                {
                    "step": f"GitSync.CreateSyncConfiguration:{s}",
                    "error": "ResourceConflict",
                    "cause": "synced",
                }
                for s in failed
            ],
            "linkDeleted": deleted,
        },
    }


def test_git_sync_links_are_listed_and_their_arns_reported() -> None:
    item = git_sync_item("infra", stacks=["acme-network"], failed=[])
    kind, detail = decide("rl-1", [{"handshake": HANDSHAKE, "gitSync": [item]}, {}])
    assert kind == COMPLETED
    (repo,) = detail.git_sync_repositories
    assert repo.repository_link_arn in detail.arns
    assert [c.resource_name for c in repo.sync_configurations] == ["acme-network"]


def test_a_stack_that_failed_fails_the_onboarding_and_keeps_what_succeeded() -> None:
    partly = git_sync_item("infra", stacks=["acme-network"], failed=["acme-dns"])
    unused = git_sync_item("apps", stacks=[], failed=["acme-apps"], deleted=True)
    broken = {"status": "failed", "name": "acme/other", "error": "AwsAccessDenied", "cause": LAMBDA_CAUSE}
    kind, detail = decide("rl-1", [{"handshake": HANDSHAKE, "gitSync": [partly, unused, broken]}, {}])
    assert kind == FAILED
    assert [(f.step, f.error) for f in detail.failures] == [  # type: ignore[union-attr]
        ("GitSync.CreateSyncConfiguration:acme-dns", "ResourceConflict"),
        ("GitSync.CreateSyncConfiguration:acme-apps", "ResourceConflict"),
        ("GitSync.LinkRepository:acme/other", "AwsAccessDenied"),
    ]
    assert detail.failures[-1].cause == "boom happened"  # type: ignore[union-attr]
    links = {r.repository_name: r.repository_link_arn for r in detail.git_sync_repositories}
    assert links["infra"] in detail.arns  # kept and reported
    assert links["apps"] not in detail.arns  # deleted again: not a resource any more


HOST = {
    "arn": "arn:aws:codeconnections:us-east-1:123456789012:host/acme-ghes-0123456789abcdef",
    "name": "acme-ghes",
    "service": "codeconnections",
    "provider": "GitHubEnterpriseServer",
    "providerEndpoint": "https://ghe.example.com",
    "status": "AVAILABLE",
    "created": True,
    "consoleUrl": "https://console",
}


def test_a_host_is_reported_with_its_provenance_and_its_arn() -> None:
    setup = {"host": HOST, "poll": {"attempt": 2, "waitSeconds": 0, "waitedSeconds": 45}}
    detail_type, detail = decide("rl-1", [{"host": setup, "handshake": HANDSHAKE}])
    assert detail_type == COMPLETED
    wire = detail.wire()
    assert wire["host"] == {k: v for k, v in HOST.items() if k != "consoleUrl"}
    assert wire["arns"][:2] == [HOST["arn"], CONN["arn"]]


def test_a_host_that_timed_out_and_was_deleted_is_not_listed_and_names_the_step() -> None:
    pending = {**HOST, "status": "PENDING"}
    branch = {
        "host": {"host": pending, "poll": {"attempt": 9, "waitSeconds": 0, "waitedSeconds": 3600}},
        "failedStep": "HostSetup",
        "failure": {"Error": "HostSetupTimedOut", "Cause": LAMBDA_CAUSE},
        "hostCleanup": {"deleted": True, "hostArn": HOST["arn"]},
    }
    detail_type, detail = decide("rl-1", [branch])
    wire = detail.wire()
    assert detail_type == FAILED
    assert (wire["step"], wire["error"]) == ("HostSetup", "HostSetupTimedOut")
    assert wire["hostDeleted"] is True
    assert wire["host"]["status"] == "PENDING"
    assert HOST["arn"] not in wire["arns"]


def test_a_host_cleanup_that_failed_is_a_failure_of_its_own() -> None:
    branch = {
        "host": {
            "host": {**HOST, "status": "PENDING"},
            "poll": {"attempt": 9, "waitSeconds": 0, "waitedSeconds": 3600},
        },
        "failedStep": "HostSetup",
        "failure": {"Error": "HostSetupTimedOut", "Cause": "late"},
        "hostCleanupFailure": {"Error": "AwsAccessDenied", "Cause": LAMBDA_CAUSE},
    }
    _, detail = decide("rl-1", [branch])
    wire = detail.wire()
    assert [f["step"] for f in wire["failures"]] == ["HostSetup", "DeleteHost"]
    assert wire["step"] == "HostSetup"
    assert wire["hostDeleted"] is False
    assert HOST["arn"] in wire["arns"]
