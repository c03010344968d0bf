"""A change never loses track of what the onboarding made, and change and offboarding exclude
each other (workflow.change, workflow.offboard, workflow.lifecycle), through the real ASL.

- a change keeps the onboarding's connection and domain: dropping the section or naming another
  is 422 naming the field, compared with every request the onboarding and its changes ran;
- an offboarding removes, or lists as retained, what every execution created, even after an
  old change (from before the check) swapped the connection and the domain;
- after an offboarding (claimed, running, done or failed), a PUT is 409 naming the state;
- a change and an offboarding racing in two Lambda invocations: exactly one is accepted.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import boto3
import pytest

from helpers.engine import JSON, Onboard, normalized
from repolink.workflow.change import digest
from repolink.workflow.lifecycle import CLAIM_EXPIRY_SECONDS, key_of
from repolink.workflow.offboard import StepFunctions
from repolink_local.engine import LocalEngine
from repolink_local.template import OFFBOARDING, ONBOARDING

pytestmark = pytest.mark.statemachine


@pytest.fixture
def lean(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample's connection and CodeArtifact, without Git sync."""
    request = copy.deepcopy(sample)
    request.pop("gitSync")
    return normalized(request)


def put(engine: LocalEngine, request_id: str, body: object) -> tuple[int, dict[str, Any]]:
    text = body if isinstance(body, str) else json.dumps(body)
    code, _, answer = engine.api("PUT", f"/links/{request_id}", text, headers=JSON)
    return code, answer


def delete(engine: LocalEngine, request_id: str) -> tuple[int, dict[str, Any]]:
    code, _, answer = engine.api("DELETE", f"/links/{request_id}")
    return code, answer


def added_repository(request: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(request)
    changed["codeartifact"]["repositories"].append({"name": "team-extra", "upstreams": ["pypi-store"]})
    return normalized(changed)


def old_change(engine: LocalEngine, request_id: str, number: int, body: dict[str, Any]) -> None:
    """A change as the code before the fix started it (no check, no claim), run to its end."""
    sfn = boto3.client("stepfunctions")
    onboarding = sfn.describe_execution(
        executionArn=f"{engine.state_machine_arn.replace(':stateMachine:', ':execution:')}:{request_id}"
    )
    owner = json.loads(onboarding["input"])["callerAccount"]
    document = {"requestId": request_id, "callerAccount": owner, "request": body, "changeOf": request_id}
    arn = sfn.start_execution(
        stateMachineArn=engine.state_machine_arn,
        name=f"{request_id}-change-{number}",
        input=json.dumps(document),
    )["executionArn"]
    assert engine.wait(arn, deadline_seconds=60).status == "SUCCEEDED"


def lifecycle_table(engine: LocalEngine) -> str:
    (table,) = engine.template.resources_of_type("AWS::DynamoDB::Table").keys() - {"IdempotencyTable"}
    return engine.template.physical_name(table)


def claimed(engine: LocalEngine, request_id: str, **attributes: Any) -> None:
    """The lifecycle item as an invocation that crashed after its claim left it."""
    item = {"id": {"S": key_of(request_id)["id"]}}
    for name, value in attributes.items():
        item[name] = {"N": str(value)} if isinstance(value, (int, float)) else {"S": value}
    boto3.client("dynamodb").put_item(TableName=lifecycle_table(engine), Item=item)


# -- finding 3: a change keeps the connection and the domain ----------------------------------------


def test_a_change_may_not_drop_or_swap_the_connection_or_the_domain(
    engine: LocalEngine, lean: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, lean)
    without_connection = {k: v for k, v in lean.items() if k != "connection"}
    without_codeartifact = {k: v for k, v in lean.items() if k != "codeartifact"}
    other_connection = copy.deepcopy(lean)
    other_connection["connection"] |= {"service": "codestar-connections", "name": "acme-other"}
    other_domain = copy.deepcopy(lean)
    other_domain["codeartifact"]["domain"] = "other"
    for body, fields in (
        (without_connection, ["connection"]),
        (without_codeartifact, ["codeartifact"]),
        (other_connection, ["connection.service", "connection.name"]),
        (other_domain, ["codeartifact.domain"]),
    ):
        code, answer = put(engine, request_id, normalized(body))
        assert code == 422, answer
        assert [e["field"] for e in answer["errors"]] == fields
    assert len(engine.executions(ONBOARDING)) == 1


def test_a_change_is_compared_with_every_request_the_onboarding_ran_not_only_the_latest(
    engine: LocalEngine, lean: dict[str, Any], onboard: Onboard
) -> None:
    # Given an onboarding with a connection, and an old change (before the check) that dropped it
    request_id = onboard(engine, lean)
    old_change(engine, request_id, 1, normalized({k: v for k, v in lean.items() if k != "connection"}))
    # When a PUT names another connection, or none
    other = copy.deepcopy(lean)
    other["connection"] |= {"name": "acme-other"}
    code, answer = put(engine, request_id, normalized(other))
    # Then it is refused naming the field, against the onboarding's own request
    assert code == 422, answer
    assert [e["field"] for e in answer["errors"]] == ["connection.name"]
    code, answer = put(
        engine, request_id, added_repository({k: v for k, v in lean.items() if k != "connection"})
    )
    assert code == 422, answer
    assert [e["field"] for e in answer["errors"]] == ["connection"]
    # and the onboarding's own connection again is a change
    code, answer = put(engine, request_id, added_repository(lean))
    assert code == 202, answer
    engine.wait(answer["executionArn"], deadline_seconds=60)


def test_an_offboarding_after_an_old_swap_removes_or_lists_everything_every_execution_made(
    engine: LocalEngine, lean: dict[str, Any], onboard: Onboard
) -> None:
    # Given an onboarding (connection acme-github, domain acme) and an old change, from before
    # changes were refused that, which swapped in another connection and another domain
    request_id = onboard(engine, lean)
    swapped = copy.deepcopy(lean)
    swapped["connection"] |= {"service": "codestar-connections", "name": "acme-other"}
    swapped["codeartifact"] |= {"domain": "other", "repositories": [{"name": "team-other"}]}
    old_change(engine, request_id, 1, normalized(swapped))
    standins = engine.standins
    assert {c.name for c in standins.connections.list()} == {"acme-github", "acme-other"}
    # When it is offboarded
    code, answer = delete(engine, request_id)
    assert code == 202, answer
    result = engine.wait(answer["executionArn"], deadline_seconds=60)
    assert result.status == "SUCCEEDED", result.output
    removed = {(r["type"], r["name"]) for r in result.output["removed"]}
    retained = {(r["type"], r["name"]) for r in result.output["retained"]}
    # Then the onboarding's own connection and domain are removed
    assert {("codeconnections:connection", "acme-github"), ("codeartifact:domain", "acme")} <= removed
    # and what the change swapped in is listed as retained, with the reason
    assert {
        ("codestar-connections:connection", "acme-other"),
        ("codeartifact:domain", "other"),
        ("codeartifact:repository", "team-other"),
    } <= retained
    assert all("replaced" in r["reason"] for r in result.output["retained"])
    # and whatever is left is listed, and nothing listed as removed is left
    left = {("codestar-connections:connection", c.name) for c in standins.connections.list()}
    left |= {("codeartifact:domain", name) for name in standins.codeartifact.domains}
    left |= {("codeartifact:repository", name) for _, name in standins.codeartifact.repositories}
    assert left <= retained
    assert not left & removed


# -- finding 7: after an offboarding, a PUT is 409 naming the state, whatever its body -------------


def test_a_put_after_the_offboarding_is_409_naming_the_state_whatever_its_body(
    engine: LocalEngine, lean: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, lean)
    code, answer = delete(engine, request_id)
    assert code == 202
    assert engine.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"
    for body in (lean, added_repository(lean), {"codeartifact": "not a section"}):
        code, refused = put(engine, request_id, body)
        assert code == 409, refused
        assert refused["errors"] == [{"field": "status", "message": "offboarded"}]
    # and a change event is rejected alike, naming the onboarding
    answer = engine.put_event(
        {"requestId": request_id, "request": lean}, detail_type="RepositoryLinkChangeRequested"
    )
    assert answer["status"] == "rejected"
    assert len(engine.executions(ONBOARDING)) == 1


def test_an_offboarding_claimed_but_not_started_refuses_a_change_and_a_delete_starts_it(
    engine: LocalEngine, lean: dict[str, Any], onboard: Onboard
) -> None:
    # Given an offboarding whose invocation crashed between its claim and StartExecution
    request_id = onboard(engine, lean)
    claimed(engine, request_id, offboarding=1, offboardingClaimedAt=time.time())
    # Then a PUT of the same body, or another, is 409: the onboarding is being offboarded
    for body in (lean, added_repository(lean)):
        code, refused = put(engine, request_id, body)
        assert code == 409, refused
        assert refused["errors"] == [{"field": "status", "message": "offboarding"}]
    # and a DELETE (the caller's retry) starts the offboarding
    code, answer = delete(engine, request_id)
    assert code == 202, answer
    assert engine.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"
    assert len(engine.executions(ONBOARDING)) == 1


def test_a_change_claimed_but_not_started_holds_off_the_offboarding_until_retried_or_expired(
    engine: LocalEngine, lean: dict[str, Any], onboard: Onboard
) -> None:
    request_id = onboard(engine, lean)
    body = added_repository(lean)
    # Given a change whose invocation crashed between its claim and StartExecution, just now
    claimed(
        engine, request_id, change=1, changeToken="t1", changeDigest=digest(body), changeClaimedAt=time.time()
    )
    # Then a DELETE is 409: the change may still be starting
    code, refused = delete(engine, request_id)
    assert code == 409, refused
    assert refused["errors"] == [{"field": "status", "message": "running"}]
    # and another body may not take its number while the claim is fresh
    another = copy.deepcopy(body)
    another["codeartifact"]["repositories"][-1]["description"] = "another body"
    code, refused = put(engine, request_id, another)
    assert code == 409, refused
    # and the same body again (the caller's retry) starts it
    code, answer = put(engine, request_id, body)
    assert code == 202, answer
    assert answer["changeId"] == f"{request_id}-change-1"
    assert engine.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"
    # When a later claim is as old as no invocation lives, its start crashed: the DELETE proceeds
    stale = time.time() - CLAIM_EXPIRY_SECONDS - 1
    claimed(engine, request_id, change=2, changeToken="t2", changeDigest="x", changeClaimedAt=stale)
    code, answer = delete(engine, request_id)
    assert code == 202, answer
    assert engine.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"


# -- finding 10: change and offboarding exclude each other under concurrency ----------------------

#: the calls that only read; every other call of the verbs' calls object writes
READS = {"describe", "pages_of", "read_claims"}


@pytest.mark.parametrize("first", ["change", "offboarding"])
def test_a_change_and_an_offboarding_racing_are_never_both_accepted(
    engine: LocalEngine, lean: dict[str, Any], onboard: Onboard, first: str
) -> None:
    """A PUT (the API function) and an offboard event (the ingest function) in two Lambda
    invocations at once: both finish their reads before either writes (a barrier at each one's
    first write), then ``first`` writes first. Exactly one of them is accepted."""
    request_id = onboard(engine, lean)
    barrier = threading.Barrier(2)
    first_wrote = threading.Event()
    wrote: set[str] = set()
    real = StepFunctions.of_aws

    def interleaved(write: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            me = threading.current_thread().name
            if me in wrote:
                return write(*args)
            wrote.add(me)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=20)  # both have read everything they read before writing
            if me != first:
                first_wrote.wait(timeout=20)
            try:
                return write(*args)
            finally:
                if me == first:
                    first_wrote.set()

        return call

    def of_aws(*table: str) -> StepFunctions:
        calls = real(*table)
        writes = {f.name: interleaved(getattr(calls, f.name)) for f in dataclasses.fields(calls)}
        return dataclasses.replace(calls, **{k: v for k, v in writes.items() if k not in READS})

    answers: dict[str, Any] = {}

    def change() -> None:
        try:
            answers["change"] = put(engine, request_id, added_repository(lean))
        finally:
            first_wrote.set()

    def offboarding() -> None:
        try:
            answers["offboarding"] = engine.put_event(
                {"requestId": request_id}, detail_type="RepositoryLinkOffboardRequested"
            )
        finally:
            first_wrote.set()

    threads = [
        threading.Thread(target=change, name="change"),
        threading.Thread(target=offboarding, name="offboarding"),
    ]
    with mock.patch.object(StepFunctions, "of_aws", of_aws):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    (code, changed), offboarded = answers["change"], answers["offboarding"]
    accepted = [
        verb
        for verb, yes in (("change", code == 202), ("offboarding", offboarded["status"] == "accepted"))
        if yes
    ]
    # Then exactly one was accepted, and exactly one execution started
    assert accepted == [first], (changed, offboarded)
    started = len(engine.executions(ONBOARDING)) - 1 + len(engine.executions(OFFBOARDING))
    assert started == 1
    # and the other was refused naming the state
    if first == "offboarding":
        assert code == 409
        assert changed["errors"] == [{"field": "status", "message": "offboarding"}]
        arn = offboarded["executionArn"]
    else:
        assert offboarded["status"] == "rejected"
        arn = changed["executionArn"]
    assert engine.wait(arn, deadline_seconds=60).status == "SUCCEEDED"
