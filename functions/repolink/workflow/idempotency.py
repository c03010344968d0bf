"""Request ids: the one formula, from the caller's account and its key or the request's digest;
and the one place that names an onboarding's executions.

The idempotency key is the caller's ``Idempotency-Key`` or, without one, a digest of the
normalized request, either way scoped to the caller's account: two teams sending the same
request get two onboardings. The onboarding's execution is named after the key's hash (the
request id); every later execution about the same onboarding is named from the request id, so a
duplicate request or redelivered event lands on the same execution: the offboarding is
``ID-offboard`` (of the offboarding state machine), at most 52 of Step Functions' 80 characters;
the changes are ``ID-change-1``, ``ID-change-2``... (of the onboarding state machine), numbered in
the order they were asked for, so the latest one is found by name (``workflow.change``).
"""

import hashlib
import json
from typing import Any

from repolink.models.record import record
from repolink.models.request import OnboardingRequest

PREFIX = "rl-"


def canonical(request: dict[str, Any]) -> str:
    """The request as canonical JSON: sorted keys, no insignificant white space."""
    return json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@record
class StartCommand:
    """What is hashed (``key``), validated (``digest``) and run (``request``)."""

    key: str
    digest: str
    request: dict[str, Any]
    #: the account that asked: the onboarding belongs to it (recorded in the execution's input)
    caller: str = ""
    #: the account the onboarding acts in (recorded in the execution's input; "" for the caller's)
    target: str = ""

    @property
    def request_id(self) -> str:
        """The request id, and execution name: the one formula every entry point uses."""
        return request_id_for_key(self.key)


def command_for(
    request: OnboardingRequest, *, idempotency_key: str | None, caller: str, target: str = ""
) -> StartCommand:
    body = request.wire()
    digest = hashlib.sha256(canonical(body).encode()).hexdigest()
    key = f"key:{caller}:{idempotency_key}" if idempotency_key else f"digest:{caller}:{digest}"
    return StartCommand(key=key, digest=digest, request=body, caller=caller, target=target)


def request_id_for_key(key: str) -> str:
    """The request id, and execution name, for an idempotency key (≤ 80 characters)."""
    return PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]


#: the offboarding of onboarding ``ID`` is the execution ``ID`` + this, of the offboarding machine
OFFBOARD_SUFFIX = "-offboard"


#: how many offboardings an onboarding takes: each after the one before it failed (a retry,
#: once the cause is fixed); GET finds the latest by name, one DescribeExecution per attempt
MAX_OFFBOARDINGS = 5


def offboarding_name(request_id: str, attempt: int = 1) -> str:
    """The name of the onboarding's ``attempt``-th offboarding: ``ID-offboard``, then
    ``ID-offboard-2``... (a retry of a failed one)."""
    return request_id + OFFBOARD_SUFFIX + (f"-{attempt}" if attempt > 1 else "")


def onboarding_of(execution_name: str) -> str | None:
    """The request id an offboarding execution's name is derived from (None: not an offboarding)."""
    head, suffix, attempt = execution_name.rpartition(OFFBOARD_SUFFIX)
    if suffix and attempt == "":
        return head
    if suffix and attempt.startswith("-") and attempt[1:].isdigit() and int(attempt[1:]) > 1:
        return head
    return None


#: the ``N``-th change of onboarding ``ID`` is the execution ``ID`` + this + ``N``, of the onboarding machine
CHANGE_INFIX = "-change-"
#: how many changes an onboarding takes: GET finds the latest by name, one DescribeExecution per change
MAX_CHANGES = 20


def change_name(request_id: str, number: int) -> str:
    """The name of the onboarding's ``number``-th change (1, 2, ...), at most 53 characters."""
    return f"{request_id}{CHANGE_INFIX}{number}"


def change_of(execution_name: str) -> str | None:
    """The request id a change execution's name is derived from (None: not a change)."""
    request_id, infix, number = execution_name.rpartition(CHANGE_INFIX)
    if not infix or not number.isdigit():
        return None
    return request_id
