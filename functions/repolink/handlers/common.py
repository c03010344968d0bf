"""The decorators every Step Functions task handler wears, in the documented order."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.quotas import ACTING_ACCOUNT
from repolink.observability import logger, metrics, tracer

TaskHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def task_handler(fn: TaskHandler) -> TaskHandler:
    """Logger context with the request id as correlation id, metrics flushed, a traced handler;
    the function's own account is the one its calls act in (``ACTING_ACCOUNT``) unless a call says
    otherwise.

    The event is never logged whole (it may carry tags or names a team considers private).
    """

    @logger.inject_lambda_context(correlation_id_path="requestId", log_event=False)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    @wraps(fn)
    def wrapped(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        acting = ACTING_ACCOUNT.set(context.invoked_function_arn.split(":")[4])
        try:
            return fn(event, context)
        finally:
            ACTING_ACCOUNT.reset(acting)

    return wrapped
