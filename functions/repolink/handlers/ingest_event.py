"""EventBridge: a ``RepositoryLinkRequested`` event from another team's account starts an onboarding;
a ``RepositoryLinkChangeRequested`` event changes one; a ``RepositoryLinkOffboardRequested`` event
offboards one.

The change event's ``detail`` is ``{"requestId": "rl-...", "request": <the request contract>}``,
taken through the one change path (``workflow.change``, the request through the one accept path)
with the envelope's source account as the caller; a redelivered change event answers from the
change it started.

The onboarding event's ``detail`` is ``{"request": <the request contract>, "idempotencyKey":
"..."?}``; the offboarding event's ``{"requestId": "rl-...", "deletePackages": false?}``, taken
through the one offboarding path (``workflow.offboard``) with the envelope's source account as
the caller: only the account that owns the onboarding may offboard it. An invalid event is never
dropped silently: it produces ``RepositoryLinkRejected`` with the reasons and starts nothing. A
redelivered event maps to the same execution (idempotency; an onboarding has one offboarding).

Each detail-type is one verb (``workflow.verbs``), the API's own; this module only reads the
event into it and turns a refusal into ``RepositoryLinkRejected``, naming each field where it
sits in the event (:func:`_in_request`, :func:`_in_detail`).

Nothing is lost. A failure that retrying cannot fix (AWS refused a call: access denied, a
resource not found) is answered with ``RepositoryLinkRejected`` and the reason. Anything else
(throttling, a 5xx, a network error, PutEvents of the rejection itself failing) propagates:
Lambda retries the asynchronous invocation twice and then sends the invocation record to the
function's on-failure destination (``IngestFailureQueue``, alarmed; docs/runbook.md).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.events import put_event
from repolink.errors import (
    AwsRequestRejected,
    ContractViolation,
    FieldError,
    MalformedRequest,
    Refused,
    RequestValidationError,
)
from repolink.models.events import (
    CHANGE_REQUESTED,
    OFFBOARD_REQUESTED,
    RECHECK_REQUESTED,
    REJECTED,
    FieldProblem,
    RepositoryLinkOffboardRequestedDetail,
    RepositoryLinkRecheckRequestedDetail,
    RepositoryLinkRejectedDetail,
)
from repolink.models.ids import REQUEST_ID_PATTERN
from repolink.models.settings import get_entry_settings
from repolink.models.validation import ROOT_FIELD, validate_as
from repolink.observability import logger, metrics, tracer
from repolink.workflow import verbs
from repolink.workflow.accept import KEY_FIELD
from repolink.workflow.verbs import Caller


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


def _in_request(error: FieldError) -> FieldError:
    """A refused field of an event whose request sits under ``detail.request`` (an onboarding, a
    change): the key at ``detail.idempotencyKey``, the onboarding's state at ``detail.requestId``."""
    if error.field.startswith("detail"):
        return error  # placed in the event already
    if error.field == KEY_FIELD:
        return FieldError("detail.idempotencyKey", error.message)
    if error.field == "status":
        return FieldError("detail.requestId", error.message)
    if error.field == ROOT_FIELD:
        return FieldError("detail.request", error.message)
    return FieldError(f"detail.request.{error.field}", error.message)


def _in_detail(error: FieldError) -> FieldError:
    """A refused field of an event whose fields sit in ``detail`` itself (an offboarding)."""
    if error.field.startswith("detail"):
        return error
    if error.field == "status":
        return FieldError("detail.requestId", error.message)
    if error.field == ROOT_FIELD:
        return FieldError("detail", error.message)
    return FieldError(f"detail.{error.field}", error.message)


def _unknown(detail: dict[str, Any], allowed: set[str]) -> None:
    if unknown := sorted(set(detail) - allowed):
        raise ContractViolation(
            "unknown fields", [FieldError(f"detail.{name}", "is not allowed") for name in unknown]
        )


def _onboard(detail: dict[str, Any], caller: Caller, context: LambdaContext) -> dict[str, Any]:
    key = detail.get("idempotencyKey")
    if key is not None and not isinstance(key, str):
        raise MalformedRequest(
            "invalid idempotencyKey", [FieldError("detail.idempotencyKey", "must be text")]
        )
    _unknown(detail, {"request", "idempotencyKey"})
    accepted = verbs.onboard(
        detail.get("request"),
        caller=caller,
        key=key,
        settings=get_entry_settings(),
        context=context,
        parsed=True,  # the event's request is JSON already: a string there is not a request
    )
    return {"status": "accepted", "requestId": accepted.request_id, "executionArn": accepted.execution_arn}


def _change(detail: dict[str, Any], caller: Caller, context: LambdaContext) -> dict[str, Any]:
    _unknown(detail, {"requestId", "request"})
    request_id = detail.get("requestId")
    if not isinstance(request_id, str) or not re.fullmatch(REQUEST_ID_PATTERN, request_id):
        problem = FieldError("detail.requestId", "is not a request id (rl- and 40 hexadecimal digits)")
        raise ContractViolation(problem.message, [problem])
    settings = get_entry_settings()
    accepted = verbs.change(request_id, detail.get("request"), caller=caller, settings=settings, parsed=True)
    return {
        "status": "accepted",
        "requestId": request_id,
        "changeId": accepted.change_id,
        "executionArn": accepted.execution_arn,
    }


def _offboard(detail: dict[str, Any], caller: Caller, context: LambdaContext) -> dict[str, Any]:
    try:
        asked = validate_as(RepositoryLinkOffboardRequestedDetail, detail, parsed=True)
    except RequestValidationError as exc:
        raise ContractViolation(str(exc), exc.errors) from None
    options = {"deletePackages": asked.delete_packages}
    accepted = verbs.offboard(asked.request_id, options, caller=caller, settings=get_entry_settings())
    return {"status": "accepted", "requestId": asked.request_id, "executionArn": accepted.execution_arn}


def _recheck(detail: dict[str, Any], caller: Caller, context: LambdaContext) -> dict[str, Any]:
    from repolink.handlers import recheck
    from repolink.models.settings import get_recheck_settings

    try:
        asked = validate_as(RepositoryLinkRecheckRequestedDetail, detail, parsed=True)
    except RequestValidationError as exc:
        raise ContractViolation(str(exc), exc.errors) from None
    settings = get_recheck_settings()
    accepted = verbs.recheck(asked.request_id, caller=caller, settings=settings, now=recheck.CLOCK())
    return {"status": "accepted", "requestId": asked.request_id, "woken": accepted.woken}


@dataclass(frozen=True)
class _Route:
    """A detail-type: its verb, where its refused fields sit, and where a refused AWS call is named."""

    run: Callable[[dict[str, Any], Caller, LambdaContext], dict[str, Any]]
    where: Callable[[FieldError], FieldError]
    what: str
    field: str


_ONBOARD = _Route(_onboard, _in_request, "onboarding", "detail.request")
_ROUTES = {
    CHANGE_REQUESTED: _Route(_change, _in_request, "change", "detail.requestId"),
    OFFBOARD_REQUESTED: _Route(_offboard, _in_detail, "offboarding", "detail.requestId"),
    # the recheck function's rule (template.yaml): the only function that may wake a wait
    RECHECK_REQUESTED: _Route(_recheck, _in_detail, "recheck", "detail.requestId"),
}


def _key(detail: dict[str, Any], refused: Refused | None) -> str | None:
    """The onboarding's idempotency key, echoed in its rejection unless the key itself is malformed."""
    key = detail.get("idempotencyKey")
    if not isinstance(key, str):
        return None
    if isinstance(refused, MalformedRequest) and any(
        e.field in (KEY_FIELD, "detail.idempotencyKey") for e in refused.errors
    ):
        return None
    return key


@logger.inject_lambda_context(correlation_id_path="id", log_event=False, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return ingest(event, context)


def ingest(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One event, through the verb its detail-type names (the recheck function's too)."""
    # who called (the audit trail): EventBridge's envelope names the sending account
    logger.append_keys(caller_account=event.get("account"), source_event_id=event.get("id"))
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return _reject(event, None, "detail must be an object", [FieldError("detail", "must be an object")])
    route = _ROUTES.get(str(event.get("detail-type")), _ONBOARD)
    # the envelope's source account, never the body's
    caller = Caller(
        account=str(event.get("account", "unknown")), own_account=context.invoked_function_arn.split(":")[4]
    )
    try:
        return route.run(detail, caller, context)
    except Refused as refused:
        fields = [route.where(e) for e in refused.errors] or [FieldError(route.field, refused.message)]
        return _reject(event, _key(detail, refused) if route is _ONBOARD else None, refused.message, fields)
    except AwsRequestRejected as refused:
        # a deployment or permissions problem: retrying the same event would fail the same way
        reason = f"the {route.what} could not be started: {refused}"
        key = _key(detail, None) if route is _ONBOARD else None
        return _reject(event, key, reason, [FieldError(route.field, reason)])
