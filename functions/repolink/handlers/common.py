"""The decorators every Step Functions task handler wears, in the documented order."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.accounts import Target, acting_in, domain_owner_of, target_of
from repolink.models.settings import get_settings
from repolink.observability import logger, metrics, tracer

TaskHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def task_handler(fn: TaskHandler) -> TaskHandler:
    """Logger context with the request id as correlation id, metrics flushed, a traced handler;
    the task runs :func:`~repolink.adapters.accounts.acting_in` its onboarding's account: the
    function's own unless the event names a target.

    The event is never logged whole (it may carry tags or names a team considers private).
    A task that acts in the onboarding's target account gets ``target`` from the state machine
    (``{"account", "callerAccount"}``): the task acts in that account, and its own input is the
    rest of the event.
    """

    @logger.inject_lambda_context(correlation_id_path="requestId", log_event=False)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    @wraps(fn)
    def wrapped(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        own_account = context.invoked_function_arn.split(":")[4]
        target, rest = None, event
        if "target" in event:
            target = _target(event["target"], event, own_account)
            rest = {k: v for k, v in event.items() if k != "target"}
        # within it, each service's creations count where that service acts (adapters.aws.owner)
        with acting_in(target, own_account):
            return fn(rest, context)

    return wrapped


def _target(target: dict[str, Any], event: dict[str, Any], own_account: str) -> Target | None:
    """The target account of the task's onboarding, or None for this deployment's own."""
    from repolink.workflow.bounds import partition_of

    settings = get_settings()
    return target_of(
        target.get("account"),
        own_account=own_account,
        role_name=settings.spoke_role_name,
        request_id=str(event.get("requestId", "")),
        caller=str(target.get("callerAccount") or ""),
        partition=partition_of(settings.region),
        domain_owner=domain_owner_of(event.get("codeartifact")),
    )
