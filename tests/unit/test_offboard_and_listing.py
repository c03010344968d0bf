"""The offboarding and listing decisions on their own (workflow.offboard, workflow.listing), with
Step Functions' answers given: the paths the local engine reaches only by racing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from helpers.decisions import ID, OFFBOARDING, ONBOARDING, OWN, TEAM, UNCLAIMED, no_pages
from repolink.errors import ContractViolation, Refused, ResourceConflict
from repolink.models.api import accepted_status, http_status
from repolink.workflow.listing import (
    CIPHERTEXT_MAX,
    INNER_MAX,
    TOKEN_MAX,
    ListCalls,
    Query,
    list_links,
    query_of,
)
from repolink.workflow.offboard import StepFunctions, offboard

pytestmark = pytest.mark.unit

DONE = {"status": "succeeded", "requestId": ID, "codeartifact": None, "gitSyncRepositories": []}


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
        calls=sfn,
    )


ONBOARDED = f"{ONBOARDING.replace(':stateMachine:', ':execution:')}:{ID}"


def test_a_succeeded_onboarding_starts_its_one_offboarding_named_after_it() -> None:
    started: list[str] = []
    described = {ONBOARDED: execution("SUCCEEDED", output=json.dumps(DONE))}
    accepted = answer(None, TEAM, calls(described, started))
    assert (accepted_status(accepted), accepted.status, started) == (202, "offboarding", [f"{ID}-offboard"])


def test_a_racing_delete_with_other_options_is_refused_naming_delete_packages() -> None:
    described = {ONBOARDED: execution("SUCCEEDED", output=json.dumps(DONE))}
    with pytest.raises(Refused) as refused:
        answer('{"deletePackages": false}', TEAM, calls(described, [], conflict=True))
    assert (http_status(refused.value), [e.field for e in refused.value.errors]) == (409, ["deletePackages"])


def test_a_failed_onboarding_without_a_recorded_result_is_refused_and_starts_nothing() -> None:
    started: list[str] = []
    with pytest.raises(Refused) as refused:
        answer(None, TEAM, calls({ONBOARDED: execution("FAILED")}, started))
    assert (http_status(refused.value), started) == (409, [])


@pytest.mark.parametrize(("caller", "code"), [("999999999999", 404), (OWN, 403)])
def test_only_the_owner_may_offboard(caller: str, code: int) -> None:
    described = {ONBOARDED: execution("SUCCEEDED", output=json.dumps(DONE))}
    with pytest.raises(Refused) as refused:
        answer(None, caller, calls(described, []))
    assert http_status(refused.value) == code


def test_an_id_of_another_form_is_absent_without_a_call() -> None:
    def never(arn: str) -> None:
        raise AssertionError("no call for an id that cannot be an onboarding")

    sfn = StepFunctions(describe=never, pages_of=lambda arn: no_pages, start=lambda *a: "", **UNCLAIMED)
    with pytest.raises(Refused) as refused:
        offboard(
            "rl-x",
            None,
            caller=TEAM,
            own_account=OWN,
            onboarding_machine=ONBOARDING,
            offboarding_machine=OFFBOARDING,
            calls=sfn,
        )
    assert http_status(refused.value) == 404


def test_the_query_defaults_and_bounds() -> None:
    assert query_of({}) == Query(state=None, limit=50, token=None)
    assert query_of({"limit": "100", "state": "offboarded"}) == Query(
        state="offboarded", limit=100, token=None
    )
    with pytest.raises(ContractViolation) as problems:
        query_of({"limit": "-1", "state": "gone", "nextToken": "%%%"})
    assert [p.field for p in problems.value.errors] == ["state", "limit", "nextToken"]


class SealedBox:
    """KMS as the listing sees it, as a plain fake: a ciphertext opens only with the context it
    was made with (moto's real KMS is under the statemachine tier's tests)."""

    def __init__(self) -> None:
        self.sealed: dict[bytes, tuple[bytes, dict[str, str]]] = {}

    def encrypt(self, plaintext: bytes, context: dict[str, str]) -> bytes:
        # 73 bytes: the last character of the token has unused bits
        ciphertext = len(self.sealed).to_bytes(8, "big") * 9 + b"!"
        self.sealed[ciphertext] = (plaintext, dict(context))
        return ciphertext

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> bytes | None:
        plaintext, made_with = self.sealed.get(ciphertext, (b"", {}))
        return plaintext if made_with == context and plaintext else None


def _listing(box: SealedBox, pages: list[tuple[str | None, str | None]]) -> ListCalls:
    """Step Functions answering no executions; ``pages`` records each (token in, token out)."""

    def page(machine: str, *, status: str | None, page_size: int, token: str | None) -> Any:
        following = "aws-token" if token is None else None
        pages.append((token, following))
        return [], following

    return ListCalls(page=page, describe=lambda arn: None, encrypt=box.encrypt, decrypt=box.decrypt)


def _page(query: Query, calls: ListCalls, caller: str = TEAM) -> Any:
    """A page, or the fields a refusal names."""
    try:
        return list_links(
            query,
            caller=caller,
            own_account=OWN,
            onboarding_machine=ONBOARDING,
            offboarding_machine=OFFBOARDING,
            calls=calls,
        )
    except ContractViolation as refused:
        return list(refused.errors)


def test_a_token_reads_back_only_with_the_filter_it_was_made_for() -> None:
    box, pages = SealedBox(), []
    calls = _listing(box, pages)
    token = _page(query_of({"state": "running"}), calls).next_token
    assert query_of({"state": "running", "nextToken": token}) == Query(state="running", limit=50, token=token)
    assert _page(query_of({"state": "running", "nextToken": token}), calls).next_token is None
    assert pages[-1] == ("aws-token", None)
    assert [e.field for e in _page(query_of({"nextToken": token}), calls)] == ["nextToken"]
    assert [e.field for e in _page(query_of({"state": "failed", "nextToken": token}), calls)] == ["nextToken"]
    # and only for the caller it was given to
    assert [e.field for e in _page(query_of({"state": "running", "nextToken": token}), calls, OWN)] == [
        "nextToken"
    ]
    assert len(pages) == 2  # a refused token never reaches Step Functions


def test_a_token_is_the_ciphertext_alone_in_canonical_unpadded_base64url() -> None:
    box = SealedBox()
    token = _page(query_of({}), _listing(box, [])).next_token
    (ciphertext,) = box.sealed
    assert base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)) == ciphertext
    assert "=" not in token
    # another spelling of the same bytes (the last character's unused low bits) is refused
    assert len(ciphertext) % 3
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    respelled = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    assert base64.urlsafe_b64decode(respelled + "=" * (-len(respelled) % 4)) == ciphertext
    with pytest.raises(ContractViolation):
        query_of({"nextToken": respelled})
    for bad in ("%%%", token + "=", "A" * (TOKEN_MAX + 1), "A"):
        with pytest.raises(ContractViolation):
            query_of({"nextToken": bad})


def test_an_inner_token_step_functions_would_refuse_is_never_sent() -> None:
    box, pages = SealedBox(), []
    calls = _listing(box, pages)
    context = {"caller": TEAM, "state": "any"}
    for inner in ("x" * (INNER_MAX + 1), "é" * 10):
        token = base64.urlsafe_b64encode(box.encrypt(inner.encode(), context)).decode().rstrip("=")
        assert [e.field for e in _page(query_of({"nextToken": token}), calls)] == ["nextToken"]
    assert pages == []


def test_the_token_bound_is_the_encryption_of_the_largest_inner_token() -> None:
    # KMS's overhead is at most Decrypt's largest ciphertext less Encrypt's largest plaintext
    assert CIPHERTEXT_MAX == 3096 + (6144 - 4096)
    assert TOKEN_MAX == len(base64.urlsafe_b64encode(bytes(CIPHERTEXT_MAX)).rstrip(b"=")) == 6859


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
    assert (accepted_status(answered), names) == (code, started)


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
