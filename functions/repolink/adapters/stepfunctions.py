"""Step Functions: start an execution idempotently, read it back, list a machine's executions, end
a callback task's wait."""

import json
from collections.abc import Iterator
from typing import Any

from repolink.adapters.aws import call, client, pages
from repolink.errors import AwsRequestRejected, ResourceConflict

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {
    "states": frozenset(
        {"StartExecution", "DescribeExecution", "GetExecutionHistory", "ListExecutions", "SendTaskSuccess"}
    )
}


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:aws:states:REGION:ACCOUNT:stateMachine:M -> arn:aws:states:REGION:ACCOUNT:execution:M:NAME"""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


def start_execution(state_machine_arn: str, name: str, document: dict[str, Any]) -> str:
    """Start ``name``; an execution of that name with the same input is the same onboarding.

    Standard workflows keep execution names unique for 90 days, so a retried start can never
    run a second execution; a name reused with *other* input is refused as a conflict.
    """
    payload = json.dumps(document, sort_keys=True, separators=(",", ":"))
    try:
        response = call(
            client("stepfunctions"),
            "StartExecution",
            stateMachineArn=state_machine_arn,
            name=name,
            input=payload,
        )
        return str(response["executionArn"])
    except AwsRequestRejected as exc:
        if exc.code != "ExecutionAlreadyExists":
            raise
    arn = execution_arn(state_machine_arn, name)
    existing = describe_execution(arn)
    if existing is None or json.loads(existing.get("input", "{}")) != json.loads(payload):
        raise ResourceConflict(f"execution {name} exists with a different request") from None
    return arn


def describe_execution(arn: str) -> dict[str, Any] | None:
    """The execution, or None when there is no such execution."""
    try:
        return call(client("stepfunctions"), "DescribeExecution", executionArn=arn)
    except AwsRequestRejected as exc:
        if exc.code == "ExecutionDoesNotExist":
            return None
        raise


def history_pages(
    arn: str, *, newest_first: bool, with_data: bool, page_size: int
) -> Iterator[list[dict[str, Any]]]:
    """The execution's events, a page of at most ``page_size`` per GetExecutionHistory call.

    Lazy: each page is read when the caller asks for it, so a caller that stops early pays for
    the pages it read only. ``with_data=False`` leaves out every event's input and output
    (``includeExecutionData``), which is most of an event's size.
    """
    params: dict[str, Any] = {
        "executionArn": arn,
        "maxResults": page_size,
        "reverseOrder": newest_first,
        "includeExecutionData": with_data,
    }
    for page in pages(client("stepfunctions"), "GetExecutionHistory", page_field="nextToken", **params):
        yield list(page["events"])


def list_executions(
    state_machine_arn: str, *, status: str | None, page_size: int, token: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the machine's executions, newest first (as AWS orders them), and the token of
    the next page. A token AWS does not recognise raises ``AwsRequestRejected`` (``InvalidToken``)."""
    params: dict[str, Any] = {"stateMachineArn": state_machine_arn, "maxResults": page_size}
    if status:
        params["statusFilter"] = status
    if token:
        params["nextToken"] = token
    page = call(client("stepfunctions"), "ListExecutions", **params)
    return list(page.get("executions", [])), page.get("nextToken")


#: what SendTaskSuccess answers for a token whose task is over: it timed out, or it was answered
#: already (TaskTimedOut), or its execution has ended (InvalidToken)
TASK_OVER = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


def send_task_success(token: str, output: object) -> bool:
    """End the callback task waiting on ``token`` with ``output``: False when its task is over."""
    try:
        call(client("stepfunctions"), "SendTaskSuccess", taskToken=token, output=json.dumps(output))
    except AwsRequestRejected as exc:
        if exc.code in TASK_OVER:
            return False
        raise
    return True
