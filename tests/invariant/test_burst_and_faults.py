"""The proof harness's invariants, small enough for CI: a burst with duplicates under quotas,
transient faults everywhere, a permanent denial on each operation, and a lost answer on each
mutating operation. No timing asserts."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from repolink_local.faultmatrix import (
    LostRow,
    lost_response_held,
    lost_response_rows,
    operations_called,
    permanent_runs,
    run_lost_row,
    transient_rules,
    transient_runs,
)
from repolink_local.loadtest import deliveries, run_burst
from repolink_local.standins import DOCUMENTED_QUOTAS

pytestmark = pytest.mark.invariant

SAMPLE = Path(__file__).resolve().parents[2] / "events" / "onboarding.json"


@pytest.fixture
def sample() -> dict[str, Any]:
    request: dict[str, Any] = json.loads(SAMPLE.read_text())
    return request | {"cleanupOnTimeout": True}


def test_the_burst_plan_has_the_duplicate_share_asked_for() -> None:
    plan = deliveries(60, 0.3, seed=1)
    assert len(plan) == 60 and sum(d.duplicate for d in plan) == 18
    assert {d.via for d in plan} == {"api", "event"}
    assert any(d.key for d in plan) and any(d.key is None for d in plan)


def test_a_burst_with_duplicates_under_strict_quotas_completes_once_each() -> None:
    # 60 requests, 30% duplicates/redeliveries, at the documented (and assumed) quotas: a burst
    # all arriving at once is throttled, and retries have to absorb it
    result = run_burst(60, duplicate_share=0.3, quotas=DOCUMENTED_QUOTAS)
    assert result.accepted == 60 and result.rejected == 0
    assert result.executions == result.unique == 42
    assert (result.succeeded, result.failed, result.still_running) == (42, 0, 0), result.failures
    assert result.completed_events == 42
    assert result.duplicated_resources == dict.fromkeys(result.duplicated_resources, 0)
    assert sum(result.throttled.values()) > 0, "the quotas were never hit: the test proves nothing"
    # nothing was created more often than asked: mutating calls that succeeded are at the minimum
    for op in ("codeartifact:CreateDomain", "codeartifact:AssociateExternalConnection"):
        assert result.api_calls[op] - result.throttled.get(op, 0) >= result.minimum_calls[op]


def test_transient_faults_everywhere_still_complete_every_onboarding(sample: dict[str, Any]) -> None:
    assert {r.error_code for r in transient_rules()} == {
        "ThrottlingException",
        "InternalServerException",
        "TooManyRequestsException",
        "ServiceException",
    }
    runs = transient_runs(sample, 4)
    injected = {key.rsplit(":", 1)[-1] for r in runs for key in r.faults_injected}
    assert {"ThrottlingException", "InternalServerException"} <= injected
    assert injected & {"TooManyRequestsException", "ServiceException"}, "Lambda service faults too"
    for run in runs:
        assert run.result_event == "RepositoryLinkCompleted", (run.label, run.step, run.cause)
        assert run.duplicated_resources == 0


def test_a_permanent_denial_on_each_operation_fails_naming_the_step(sample: dict[str, Any]) -> None:
    operations = operations_called(sample)
    assert "codeconnections:CreateConnection" in operations
    assert "codeconnections:CreateRepositoryLink" in operations
    for run in permanent_runs(sample, operations):
        assert run.result_event == "RepositoryLinkFailed", run.label
        denied = [f for f in run.failures if "AccessDeniedException" in f["cause"]]
        assert run.step and denied, run.label
        if run.label != "codeconnections:DeleteConnection":  # only reached after a failed handshake
            assert denied[0]["step"] == run.step, run.label
        if run.label.startswith("codeartifact:"):
            # CodeArtifact runs beside the handshake: the connection and Git sync still succeed
            assert "connection:acme-github" in run.succeeded_before, run.label
        elif run.label in ("codeconnections:CreateConnection", "codeconnections:ListConnections"):
            assert run.step == "CreateConnection"
            assert "codeartifact:team-python" in run.succeeded_before
        elif run.label == "codeconnections:CreateSyncConfiguration":
            assert run.step == "GitSync.CreateSyncConfiguration:acme-network"
            assert "codeartifact:team-python" in run.succeeded_before
        elif run.label.startswith("codeconnections:") and "Repository" in run.label:
            assert run.step.startswith("GitSync.LinkRepository:acme/infra"), run.label
            assert "codeartifact:team-python" in run.succeeded_before
        # a pending connection we created is left only when the denied call is one cleanup needs
        if run.label not in ("codeconnections:GetConnection", "codeconnections:DeleteConnection"):
            assert run.dangling_connections == 0, run.label
        else:
            assert [f["step"] for f in run.failures][-1] == "DeleteConnection", run.label


def _declared_mutating_operations() -> set[str]:
    """``iam-prefix:Operation`` of every mutating call the functions declare (their OPERATIONS)."""
    import importlib

    from repolink_local.iam import data

    declared: set[str] = set()
    for module in (
        "repolink.adapters.codeartifact",
        "repolink.adapters.connections",
        "repolink.adapters.events",
        "repolink.adapters.proton",
        "repolink.adapters.stepfunctions",
        "repolink.workflow.start",
    ):
        for prefix, operations in importlib.import_module(module).OPERATIONS.items():
            declared |= {
                f"{prefix}:{op}" for op in operations if data.access_level(f"{prefix}:{op}") == "Write"
            }
    return declared


#: the lost-answer rows are run in this many groups, so that pytest-xdist spreads them
LOST_ANSWER_GROUPS = 6


@functools.cache
def _lost_rows(request: str) -> list[LostRow]:
    """The sample's rows, found once per process (finding them is a clean run)."""
    return lost_response_rows(json.loads(request))


def test_every_mutating_operation_has_a_lost_answer_row(sample: dict[str, Any]) -> None:
    import botocore.session

    rows = _lost_rows(json.dumps(sample))
    # every mutating call the functions can make has its row (by IAM prefix, as OPERATIONS are
    # declared), except the idempotency record's DeleteItem, which only a failed start calls
    # (tests/integration/test_api.py loses its answer)
    session = botocore.session.get_session()
    covered = set()
    for row in rows:
        service, operation = row.operation.split(":")
        covered.add(f"{session.get_service_model(service).signing_name}:{operation}")
    # and DeleteRepositoryLink, which only a link left without any stack reaches
    # (tests/statemachine/test_git_sync.py loses its answer)
    deleted_links = {f"{s}:DeleteRepositoryLink" for s in ("codeconnections", "codestar-connections")}
    # and the sharing policies, which only a request with codeartifact.consumers writes (the
    # sample has none: its deployment allows no consumer; tests/statemachine/
    # test_codeartifact_sharing.py loses each one's answer)
    sharing = {f"codeartifact:Put{s}PermissionsPolicy" for s in ("Domain", "Repository")}
    # and UpdateRepository, which only a change (PUT /links/{id}) calls
    # (tests/statemachine/test_change.py loses its answer), and UpdateSyncConfiguration, on both
    # connection services, which only a change calls too
    # (tests/statemachine/test_change_git_sync.py loses its answer). A change's TagResource is of
    # access level "Tagging, Write", which the declared set leaves out, as it leaves every
    # TagResource (tests/statemachine/test_change_tags.py and test_change_git_sync.py lose its answer)
    # and SendTaskSuccess, which only a recheck (POST /links/{id}/recheck) calls
    # (tests/statemachine/test_recheck.py loses its answer)
    changes = {"codeartifact:UpdateRepository"} | {
        f"{s}:UpdateSyncConfiguration" for s in ("codeconnections", "codestar-connections")
    }
    assert covered == (
        _declared_mutating_operations()
        - {"dynamodb:DeleteItem", "states:SendTaskSuccess"}
        - deleted_links
        - sharing
        - changes
    )
    assert len(rows) > LOST_ANSWER_GROUPS  # each group has rows to run


@pytest.mark.parametrize("group", range(LOST_ANSWER_GROUPS))
def test_a_lost_answer_on_each_mutating_operation_duplicates_and_orphans_nothing(
    sample: dict[str, Any], group: int
) -> None:
    for row in _lost_rows(json.dumps(sample))[group::LOST_ANSWER_GROUPS]:
        run = run_lost_row(row)
        assert lost_response_held(run), (run.label, run.status, run.step, run.cause, run.faults_injected)
