"""The change decisions on their own (workflow.change, and what offboarding makes of changes), with
Step Functions' answers given: the paths the local engine reaches only by racing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from helpers.decisions import ID, OFFBOARDING, ONBOARDING, OWN, TEAM, UNCLAIMED, no_pages
from repolink.errors import ResourceConflict, StateConflict
from repolink.models.api import accepted_status
from repolink.workflow.accept import Verdict
from repolink.workflow.change import change, fixed_fields
from repolink.workflow.idempotency import MAX_CHANGES, StartCommand, change_name, change_of
from repolink.workflow.offboard import StepFunctions, offboard, union

pytestmark = pytest.mark.unit

BEFORE = {"codeartifact": {"domain": "acme", "repositories": [{"name": "pypi-store"}]}}
AFTER = {"codeartifact": {"domain": "acme", "repositories": [{"name": "pypi-store"}, {"name": "team-x"}]}}


def arn_of(name: str) -> str:
    return f"{ONBOARDING.replace(':stateMachine:', ':execution:')}:{name}"


def execution(status: str, request: dict[str, Any], name: str = ID) -> dict[str, Any]:
    document = {"callerAccount": TEAM, "requestId": ID, "request": request}
    return {"status": status, "input": json.dumps(document), "executionArn": arn_of(name)}


def accepted(body: dict[str, Any]) -> Any:
    def judged(owner: str) -> Verdict:
        return Verdict(command=StartCommand("k", "d", body, owner))

    return judged


def answer(
    described: dict[str, Any], body: dict[str, Any], started: list[str], conflict: bool = False
) -> Any:
    def start(machine: str, name: str, document: dict[str, Any]) -> str:
        started.append(name)
        if conflict:
            raise ResourceConflict("exists with a different request")
        return arn_of(name)

    return change(
        ID,
        accepted(body),
        caller=TEAM,
        own_account=OWN,
        onboarding_machine=ONBOARDING,
        offboarding_machine=OFFBOARDING,
        calls=StepFunctions(
            describe=lambda arn: described.get(arn), pages_of=lambda arn: no_pages, start=start, **UNCLAIMED
        ),
    )


def test_a_change_is_named_after_the_latest_and_records_what_it_changes() -> None:
    described = {arn_of(ID): execution("SUCCEEDED", BEFORE)}
    described[arn_of(change_name(ID, 1))] = execution("SUCCEEDED", {"other": 1}, change_name(ID, 1))
    started: list[str] = []
    accepted_change = answer(described, AFTER, started)
    assert accepted_status(accepted_change) == 202
    assert started == [f"{ID}-change-2"]
    assert accepted_change.change_id == f"{ID}-change-2"
    assert change_of(f"{ID}-change-2") == ID
    assert change_of(ID) is None


def test_a_running_change_of_another_body_is_409_and_the_same_body_answers_from_it() -> None:
    described = {
        arn_of(ID): execution("SUCCEEDED", BEFORE),
        arn_of(change_name(ID, 1)): execution("RUNNING", AFTER, change_name(ID, 1)),
    }
    started: list[str] = []
    with pytest.raises(StateConflict) as refused:
        answer(described, {"codeartifact": {"domain": "acme", "repositories": []}}, started)
    assert [(e.field, e.message) for e in refused.value.errors] == [("status", "running")]
    same = answer(described, AFTER, started)
    assert (accepted_status(same), same.change_id, same.status) == (202, f"{ID}-change-1", "running")
    assert started == []


def test_a_racing_put_of_another_body_that_took_the_number_first_is_409() -> None:
    described = {arn_of(ID): execution("SUCCEEDED", BEFORE)}
    with pytest.raises(StateConflict):
        answer(described, AFTER, [], conflict=True)


def test_a_running_onboarding_and_an_offboarded_one_are_refused() -> None:
    with pytest.raises(StateConflict):
        answer({arn_of(ID): execution("RUNNING", BEFORE)}, AFTER, [])
    offboarded = {
        arn_of(ID): execution("SUCCEEDED", BEFORE),
        f"{OFFBOARDING.replace(':stateMachine:', ':execution:')}:{ID}-offboard": {"status": "SUCCEEDED"},
    }
    with pytest.raises(StateConflict) as refused:
        answer(offboarded, AFTER, [])
    assert [(e.field, e.message) for e in refused.value.errors] == [("status", "offboarded")]


def test_an_onboarding_takes_at_most_max_changes() -> None:
    described = {arn_of(ID): execution("SUCCEEDED", BEFORE)}
    for n in range(1, MAX_CHANGES + 1):
        described[arn_of(change_name(ID, n))] = execution("SUCCEEDED", {"n": n}, change_name(ID, n))
    started: list[str] = []
    with pytest.raises(StateConflict):
        answer(described, AFTER, started)
    assert started == []


def test_an_external_connection_added_is_a_change_and_one_replaced_is_refused() -> None:
    before = {"codeartifact": {"domain": "acme", "repositories": [{"name": "a", "externalConnection": None}]}}
    added = {
        "codeartifact": {
            "domain": "acme",
            "repositories": [{"name": "a", "externalConnection": "public:pypi"}],
        }
    }
    assert fixed_fields([before], added) == []
    replaced = {
        "codeartifact": {
            "domain": "acme",
            "repositories": [{"name": "a", "externalConnection": "public:npmjs"}],
        }
    }
    assert [e.field for e in fixed_fields([before, added], replaced)] == [
        "codeartifact.repositories[0].externalConnection"
    ]


def test_the_union_keeps_what_a_change_dropped_and_what_either_created_in_dependency_order() -> None:
    onboarded = {
        "codeartifact": {
            "domain": "acme",
            "domainCreated": True,
            "repositories": [
                {"name": "store", "arn": "s", "upstreams": [], "outcome": "created"},
                {"name": "old", "arn": "o", "upstreams": ["store"], "outcome": "created"},
            ],
        },
        "gitSyncRepositories": [
            {
                "repositoryLinkArn": "l",
                "outcome": "created",
                "syncConfigurations": [{"resourceName": "net", "outcome": "created"}],
            }
        ],
    }
    changed = {
        "codeartifact": {
            "domain": "acme",
            "domainCreated": True,
            "repositories": [
                {"name": "new", "arn": "n", "upstreams": [], "outcome": "created"},
                {"name": "store", "arn": "s", "upstreams": ["new"], "outcome": "created"},
            ],
        },
        "gitSyncRepositories": [
            {
                "repositoryLinkArn": "l",
                "outcome": "created",
                "syncConfigurations": [{"resourceName": "net", "outcome": "existing"}],
            }
        ],
    }
    both = union(onboarded, changed)
    # old (dropped by the change) stays listed; new, an upstream of store now, comes before it
    assert [r["name"] for r in both["codeartifact"]["repositories"]] == ["new", "store", "old"]
    assert both["codeartifact"]["repositories"][1]["upstreams"] == ["new"]
    # the sync configuration the onboarding made reads "existing" in the change: still created
    (link,) = both["gitSyncRepositories"]
    assert link["syncConfigurations"] == [{"resourceName": "net", "outcome": "created"}]


def test_offboarding_waits_for_a_running_change() -> None:
    described = {
        arn_of(ID): execution("SUCCEEDED", BEFORE),
        arn_of(change_name(ID, 1)): execution("RUNNING", AFTER, change_name(ID, 1)),
    }
    started: list[str] = []

    def start(machine: str, name: str, document: dict[str, Any]) -> str:
        started.append(name)
        return name

    with pytest.raises(StateConflict) as refused:
        offboard(
            ID,
            None,
            caller=TEAM,
            own_account=OWN,
            onboarding_machine=ONBOARDING,
            offboarding_machine=OFFBOARDING,
            calls=StepFunctions(
                describe=lambda arn: described.get(arn),
                pages_of=lambda arn: no_pages,
                start=start,
                **UNCLAIMED,
            ),
        )
    assert "change" in refused.value.message
    assert started == []


def test_the_same_body_after_a_failed_change_is_a_retry_of_its_own() -> None:
    described = {
        arn_of(ID): execution("SUCCEEDED", BEFORE),
        arn_of(change_name(ID, 1)): execution("FAILED", AFTER, change_name(ID, 1)),
    }
    started: list[str] = []
    retried = answer(described, AFTER, started)
    assert accepted_status(retried) == 202
    assert started == [f"{ID}-change-2"]
    assert retried.change_id == f"{ID}-change-2"
