"""An onboarding's executions, found by name: the onboarding itself (its request id), its
changes (``ID-change-1``, ``ID-change-2``..., ``workflow.change``) and its offboarding attempts
(``ID-offboard``, ``ID-offboard-2``..., ``workflow.offboard``), and what each one's Step
Functions status makes of the onboarding.

Changes and offboarding attempts are started in order, each only once the one before it exists,
so one DescribeExecution per execution and one past the latest finds them all: at most
``MAX_CHANGES + 1`` and ``MAX_OFFBOARDINGS + 1`` calls.
"""

from collections.abc import Callable
from typing import Any, Literal

from repolink.adapters.stepfunctions import execution_arn
from repolink.models.status import OffboardStatus
from repolink.workflow.idempotency import MAX_CHANGES, MAX_OFFBOARDINGS, change_name, offboarding_name

#: what an onboarding or change execution's Step Functions status makes of the onboarding
STATE_OF_EXECUTION: dict[str, Literal["running", "succeeded", "failed"]] = {
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "failed",
    "ABORTED": "failed",
    "PENDING_REDRIVE": "failed",
}


def state_of(execution: dict[str, Any]) -> Literal["running", "succeeded", "failed"]:
    """An onboarding or change execution's state, as the API answers it (an unknown status: failed)."""
    return STATE_OF_EXECUTION.get(str(execution.get("status")), "failed")


def offboard_status(offboarding: dict[str, Any]) -> OffboardStatus:
    """What an offboarding execution (DescribeExecution, ListExecutions) makes of its onboarding."""
    state = offboarding.get("status")
    if state == "RUNNING":
        return "offboarding"
    return "offboarded" if state == "SUCCEEDED" else "offboard-failed"


def latest_offboarding(
    describe: Callable[[str], dict[str, Any] | None], machine: str, request_id: str
) -> tuple[int, dict[str, Any] | None]:
    """The attempt number and execution of the onboarding's latest offboarding (0, None: none).

    A retry is started only after the attempt before it failed, so the first number with no
    execution ends the search."""
    return _latest(describe, machine, lambda n: offboarding_name(request_id, n), MAX_OFFBOARDINGS)


def latest_change(
    describe: Callable[[str], dict[str, Any] | None], machine: str, request_id: str
) -> tuple[int, dict[str, Any] | None]:
    """The number and execution of the onboarding's latest change (0, None: never changed).

    Changes are started in order, each only once the one before it exists, so the first number
    with no execution ends the search."""
    return _latest(describe, machine, lambda n: change_name(request_id, n), MAX_CHANGES)


def change_executions(
    describe: Callable[[str], dict[str, Any] | None], machine: str, request_id: str
) -> list[dict[str, Any]]:
    """Every change execution of the onboarding, in order (the calls :func:`latest_change` makes)."""
    return _numbered(describe, machine, lambda n: change_name(request_id, n), MAX_CHANGES)


def _latest(
    describe: Callable[[str], dict[str, Any] | None], machine: str, name: Callable[[int], str], most: int
) -> tuple[int, dict[str, Any] | None]:
    """The last of the executions ``name(1)``, ``name(2)``... (at most ``most``) that exist:
    one DescribeExecution each, and one past the last."""
    found = _numbered(describe, machine, name, most)
    return len(found), (found[-1] if found else None)


def _numbered(
    describe: Callable[[str], dict[str, Any] | None], machine: str, name: Callable[[int], str], most: int
) -> list[dict[str, Any]]:
    """The executions ``name(1)``, ``name(2)``... (at most ``most``) up to the first missing."""
    found: list[dict[str, Any]] = []
    while len(found) < most:
        execution = describe(execution_arn(machine, name(len(found) + 1)))
        if execution is None:
            break
        found.append(execution)
    return found
