"""The recheck function: the state machine's ``AwaitRecheck`` step (``lambda:invoke.waitForTaskToken``)
records the wait's task token (``workflow.recheck``), and returns at once: the task then waits for
a wake or its timeout."""

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.observability import logger, metrics, tracer

#: the wall clock (on AWS, the time the workflow lives in); the local engine sets its virtual one
CLOCK: Callable[[], float] = time.time


def _await(event: dict[str, Any]) -> dict[str, Any]:
    from repolink.adapters.dynamodb import update
    from repolink.models.settings import get_recheck_settings
    from repolink.workflow.recheck import register

    table = get_recheck_settings().lifecycle_table
    register(
        lambda key, **expression: update(table, key, **expression),
        str(event["requestId"]),
        token=str(event["token"]),
        waiting=str(event["waiting"]),
        wait_seconds=int(event["waitSeconds"]),
        now=CLOCK(),
    )
    logger.info("waiting", waiting=event["waiting"], wait_seconds=event["waitSeconds"])
    return {"registered": True}


@logger.inject_lambda_context(log_event=False, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("step") == "AwaitRecheck":
        logger.append_keys(request_id=event.get("requestId"))
        return _await(event)
    raise ValueError("not an AwaitRecheck step")
