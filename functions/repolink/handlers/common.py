"""The decorators every Step Functions task handler wears, in the documented order."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.accounts import Target, acting_in, domain_owner_of, target_of
from repolink.adapters.quotas import ACTING_ACCOUNT
from repolink.models.settings import get_settings
from repolink.observability import logger, metrics, tracer

TaskHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def task_handler(fn: TaskHandler) -> TaskHandler:
    """Logger context with the request id as correlation id, metrics flushed, a traced handler;
    the function's own account is the one its calls act in (``ACTING_ACCOUNT``) unless a call says
    otherwise.

    The event is never logged whole (it may carry tags or names a team considers private).
    A task that acts in the onboarding's target account gets ``target`` from the state machine
    (``{"account", "callerAccount"}``): the task runs in :func:`~repolink.adapters.accounts.acting_in`
    that account, and its own input is the rest of the event.
    """

    @logger.inject_lambda_context(correlation_id_path="requestId", log_event=False)
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    @wraps(fn)
    def wrapped(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        own_account = context.invoked_function_arn.split(":")[4]
        if "target" not in event:
            return _acting(fn, event, context, own_account)
        target, rest = event["target"], {k: v for k, v in event.items() if k != "target"}
        # within it, each service's creations count where that service acts (adapters.aws.owner)
        with acting_in(_target(target, event, own_account)):
            return _acting(fn, rest, context, own_account)

    return wrapped


def _acting(fn: TaskHandler, event: dict[str, Any], context: LambdaContext, account: str) -> dict[str, Any]:
    acting = ACTING_ACCOUNT.set(account)
    try:
        return fn(event, context)
    finally:
        ACTING_ACCOUNT.reset(acting)


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
