"""EventBridge: a ``RepositoryLinkRequested`` event from another team's account starts an onboarding.

The event's ``detail`` is ``{"request": <the request contract>, "idempotencyKey": "..."?}``. An
invalid event is never dropped silently: it produces ``RepositoryLinkRejected`` with the reasons
and starts nothing. A redelivered event maps to the same execution (idempotency). Throttling and
other transient errors propagate, so EventBridge retries and finally dead-letters the event.
"""

import re
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.events import put_event
from repolink.errors import FieldError, RequestValidationError
from repolink.models.api import IDEMPOTENCY_KEY_PATTERN
from repolink.models.events import REJECTED, FieldProblem, RepositoryLinkRejectedDetail
from repolink.models.settings import get_entry_settings
from repolink.models.validation import validate_request
from repolink.observability import logger, metrics, tracer
from repolink.workflow.bounds import allowed_accounts, out_of_bounds
from repolink.workflow.start import command_for, request_id_for_key, start_once


def _reject(event: dict[str, Any], key: str | None, reason: str, errors: list[FieldError]) -> dict[str, Any]:
    settings = get_entry_settings()
    detail = RepositoryLinkRejectedDetail(
        source_event_id=str(event.get("id", "")),
        source_account=str(event.get("account", "")),
        idempotency_key=key,
        reason=reason,
        errors=[FieldProblem(field=e.field, message=e.message) for e in errors],
    )
    put_event(settings.event_bus_name, settings.event_source, REJECTED, detail.wire())
    logger.warning(
        "request rejected",
        source_event_id=detail.source_event_id,
        reason=reason,
        fields=[e.field for e in errors],
    )
    metrics.add_metric(name="OnboardingsRejected", unit=MetricUnit.Count, value=1)
    return {"status": "rejected", "errors": len(errors)}


@logger.inject_lambda_context(correlation_id_path="id", log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return _reject(event, None, "detail must be an object", [FieldError("detail", "must be an object")])
    key = detail.get("idempotencyKey")
    if key is not None and not (isinstance(key, str) and re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key)):
        return _reject(
            event,
            None,
            "invalid idempotencyKey",
            [FieldError("detail.idempotencyKey", f"must match {IDEMPOTENCY_KEY_PATTERN}")],
        )
    unknown = sorted(set(detail) - {"request", "idempotencyKey"})
    if unknown:
        return _reject(
            event, key, "unknown fields", [FieldError(f"detail.{name}", "is not allowed") for name in unknown]
        )
    try:
        request = validate_request(detail.get("request"))
    except RequestValidationError as exc:
        errors = [
            FieldError(f"detail.request.{e.field}" if e.field != "(root)" else "detail.request", e.message)
            for e in exc.errors
        ]
        return _reject(event, key, str(exc), errors)
    settings = get_entry_settings()
    beyond = out_of_bounds(
        request,
        own_account=context.invoked_function_arn.split(":")[4],
        region=settings.region,
        allowed_accounts=allowed_accounts(settings.allowed_account_ids),
    )
    if beyond:
        errors = [FieldError(f"detail.request.{e.field}", e.message) for e in beyond]
        return _reject(event, key, "the request reaches outside its bounds", errors)
    command = command_for(request, idempotency_key=key, caller=str(event.get("account", "unknown")))
    try:
        started = start_once(command, settings, context)
    except IdempotencyValidationError:
        return _reject(
            event,
            key,
            "idempotencyKey reused with a different request",
            [FieldError("detail.idempotencyKey", "was used with a different request")],
        )
    except IdempotencyAlreadyInProgressError:
        started = {"requestId": request_id_for_key(command.key)}  # a twin delivery is starting it
    logger.info("onboarding accepted", request_id=started["requestId"], source_account=event.get("account"))
    metrics.add_metric(name="OnboardingsRequested", unit=MetricUnit.Count, value=1)
    return {"status": "accepted", **started}
