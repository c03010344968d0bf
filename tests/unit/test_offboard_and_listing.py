"""The offboarding and listing decisions on their own (workflow.offboard, workflow.listing), with
Step Functions' answers given: the paths the local engine reaches only by racing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from repolink.errors import ResourceConflict
from repolink.workflow.lifecycle import Claims
from repolink.workflow.listing import Query, _encode, query_of
from repolink.workflow.offboard import Refusal, StepFunctions, offboard

pytestmark = pytest.mark.unit

#: the onboarding's claims (workflow.lifecycle) as a first claim finds them: none, and every claim granted
UNCLAIMED: dict[str, Any] = {"read_claims": lambda request_id: Claims(), "claim": lambda *claim: None}

OWN, TEAM = "123456789012", "210987654321"
ONBOARDING = "arn:aws:states:us-east-1:123456789012:stateMachine:OnboardingStateMachine"
OFFBOARDING = "arn:aws:states:us-east-1:123456789012:stateMachine:OffboardingStateMachine"
ID = "rl-" + "a" * 40
DONE = {"status": "succeeded", "requestId": ID, "codeartifact": None, "gitSyncRepositories": []}


def no_pages(**_: Any) -> Iterator[list[dict[str, Any]]]:
    return iter([])


def execution(status: str, caller: str = TEAM, **more: Any) -> dict[str, Any]:
    return {"status": status, "input": json.dumps({"callerAccount": caller, **more.pop("input", {})}), **more}


def calls(
    described: dict[str, dict[str, Any] | None], started: list[str], conflict: bool = False
) -> StepFunctions:
    def start(machine: str, name: str, document: dict[str, Any]) -> str:
        started.append(name)
        if conflict:
            # a racing DELETE with other options started it first
            described[f"{machine.replace(':stateMachine:', ':execution:')}:{name}"] = execution(
                "RUNNING", input={"deletePackages": True}
            )
            raise ResourceConflict("exists with a different request")
        return f"{machine}:{name}"

    return StepFunctions(
        describe=lambda arn: described.get(arn), pages_of=lambda arn: no_pages, start=start, **UNCLAIMED
    )


def answer(body: object, caller: str, sfn: StepFunctions) -> Any:
    return offboard(
        ID,
        body,
        caller=caller,
        own_account=OWN,
        onboarding_machine=ONBOARDING,
        offboarding_machine=OFFBOARDING,
        sfn=sfn,
    )


ONBOARDED = f"{ONBOARDING.replace(':stateMachine:', ':execution:')}:{ID}"


def test_a_succeeded_onboarding_starts_its_one_offboarding_named_after_it() -> None:
    started: list[str] = []
    described = {ONBOARDED: execution("SUCCEEDED", output=json.dumps(DONE))}
    code, accepted = answer(None, TEAM, calls(described, started))
    assert (code, accepted.status, started) == (202, "offboarding", [f"{ID}-offboard"])


def test_a_racing_delete_with_other_options_is_refused_naming_delete_packages() -> None:
    described = {ONBOARDED: execution("SUCCEEDED", output=json.dumps(DONE))}
    refused = answer('{"deletePackages": false}', TEAM, calls(described, [], conflict=True))
    assert isinstance(refused, Refusal)
    assert (refused.status, [e.field for e in refused.errors]) == (409, ["deletePackages"])


def test_a_failed_onboarding_without_a_recorded_result_is_refused_and_starts_nothing() -> None:
    started: list[str] = []
    refused = answer(None, TEAM, calls({ONBOARDED: execution("FAILED")}, started))
    assert isinstance(refused, Refusal)
    assert (refused.status, started) == (409, [])


@pytest.mark.parametrize(("caller", "code"), [("999999999999", 404), (OWN, 403)])
def test_only_the_owner_may_offboard(caller: str, code: int) -> None:
    described = {ONBOARDED: execution("SUCCEEDED", output=json.dumps(DONE))}
    refused = answer(None, caller, calls(described, []))
    assert isinstance(refused, Refusal)
    assert refused.status == code


def test_an_id_of_another_form_is_absent_without_a_call() -> None:
    def never(arn: str) -> None:
        raise AssertionError("no call for an id that cannot be an onboarding")

    sfn = StepFunctions(describe=never, pages_of=lambda arn: no_pages, start=lambda *a: "", **UNCLAIMED)
    refused = offboard(
        "rl-x",
        None,
        caller=TEAM,
        own_account=OWN,
        onboarding_machine=ONBOARDING,
        offboarding_machine=OFFBOARDING,
        sfn=sfn,
    )
    assert isinstance(refused, Refusal)
    assert refused.status == 404


def test_the_query_defaults_and_bounds() -> None:
    assert query_of({}) == Query(state=None, limit=50, token=None)
    assert query_of({"limit": "100", "state": "offboarded"}) == Query(
        state="offboarded", limit=100, token=None
    )
    problems = query_of({"limit": "-1", "state": "gone", "nextToken": "%%%"})
    assert isinstance(problems, list)
    assert [p.field for p in problems] == ["state", "limit", "nextToken"]


def test_a_token_reads_back_only_with_the_filter_it_was_made_for() -> None:
    token = _encode("running", "aws-token")
    assert query_of({"state": "running", "nextToken": token}) == Query(state="running", limit=50, token=token)
    assert isinstance(query_of({"nextToken": token}), list)
    assert isinstance(query_of({"state": "failed", "nextToken": token}), list)


OFFBOARD_EXECUTION = f"{OFFBOARDING.replace(':stateMachine:', ':execution:')}:{ID}-offboard"


def _attempts(*statuses: str) -> dict[str, dict[str, Any] | None]:
    """The onboarding, succeeded, and its offboardings so far, in order."""
    described: dict[str, dict[str, Any] | None] = {ONBOARDED: execution("SUCCEEDED", output=json.dumps(DONE))}
    for n, status in enumerate(statuses, start=1):
        described[OFFBOARD_EXECUTION + (f"-{n}" if n > 1 else "")] = execution(
            status, input={"deletePackages": False}
        )
    return described


@pytest.mark.parametrize(
    ("before", "code", "started"),
    [
        (("FAILED",), 202, [f"{ID}-offboard-2"]),  # the latest failed: a retry
        (("FAILED", "TIMED_OUT"), 202, [f"{ID}-offboard-3"]),
        (("FAILED", "SUCCEEDED"), 200, []),  # offboarded: answered from the latest
        (("FAILED", "RUNNING"), 202, []),  # the retry is running: answered from it
        (("FAILED",) * 5, 200, []),  # as many attempts as one takes: the last one answers
    ],
)
def test_a_delete_retries_only_a_failed_offboarding_and_at_most_five_times(
    before: tuple[str, ...], code: int, started: list[str]
) -> None:
    names: list[str] = []
    answered = answer(None, TEAM, calls(_attempts(*before), names))
    assert not isinstance(answered, Refusal)
    assert (answered[0], names) == (code, started)


@pytest.mark.parametrize(
    ("name", "onboarding"),
    [
        (f"{ID}-offboard", ID),
        (f"{ID}-offboard-2", ID),
        (f"{ID}-offboard-12", ID),
        (f"{ID}-offboard-1", None),  # the first attempt has no number
        (f"{ID}-offboard-x", None),
        (f"{ID}-change-2", None),
        (ID, None),
    ],
)
def test_an_offboarding_is_told_by_its_name(name: str, onboarding: str | None) -> None:
    from repolink.workflow.idempotency import change_of, onboarding_of

    assert onboarding_of(name) == onboarding
    assert change_of(name) is None or onboarding is None
