"""The recheck function: the one that may wake an onboarding's wait (``workflow.recheck``).

Three kinds of invocation, each told by its shape:
- the state machine's ``AwaitRecheck`` step (``lambda:invoke.waitForTaskToken``): record the
  wait's task token, and return at once (the task then waits for a wake or its timeout);
- API Gateway's ``POST /links/{id}/recheck`` (the route is declared with the others in
  ``handlers/api.py``, whose resolver answers it here);
- EventBridge's ``RepositoryLinkRecheckRequested`` (detail ``{"requestId": "rl-..."}``), a refusal
  answered with ``RepositoryLinkRejected`` as the ingest answers its own.

It is the only function granted ``states:SendTaskSuccess`` (which has no resource type: ``*``).
"""

import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
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


def _event(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from repolink.handlers.ingest_event import ingest

    return ingest(event, context)


def _api(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from repolink.handlers.api import app

    identity = (event.get("requestContext") or {}).get("identity") or {}
    logger.append_keys(caller_account=identity.get("accountId"), caller_principal=identity.get("userArn"))
    answer: dict[str, Any] = app.resolve(event, context)
    return answer


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("step") == "AwaitRecheck":
        logger.append_keys(request_id=event.get("requestId"))
        return _await(event)
    if "detail-type" in event:
        return _event(event, context)
    return _api(event, context)
