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

Nothing is lost. A failure that retrying cannot fix (AWS refused a call: access denied, a
resource not found) is answered with ``RepositoryLinkRejected`` and the reason. Anything else
(throttling, a 5xx, a network error, PutEvents of the rejection itself failing) propagates:
Lambda retries the asynchronous invocation twice and then sends the invocation record to the
function's on-failure destination (``IngestFailureQueue``, alarmed; docs/runbook.md).
"""

import re
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import connection_service
from repolink.adapters.events import put_event
from repolink.errors import AwsRequestRejected, FieldError, RequestValidationError, ResourceConflict
from repolink.models.events import (
    CHANGE_REQUESTED,
    OFFBOARD_REQUESTED,
    REJECTED,
    FieldProblem,
    RepositoryLinkOffboardRequestedDetail,
    RepositoryLinkRejectedDetail,
)
from repolink.models.ids import REQUEST_ID_PATTERN
from repolink.models.settings import get_entry_settings
from repolink.models.validation import ROOT_FIELD, validate_as
from repolink.observability import logger, metrics, tracer
from repolink.workflow.accept import KEY_FIELD, Deployment, check_codeartifact, check_connection, judge
from repolink.workflow.change import change
from repolink.workflow.offboard import Refusal, StepFunctions, offboard
from repolink.workflow.start import start_once
from repolink.workflow.tenancy import shared_connections


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


def _in_detail(error: FieldError) -> FieldError:
    """A verdict's field, as it sits in the event: under ``detail.request`` (the key: ``detail``)."""
    if error.field == KEY_FIELD:
        return FieldError("detail.idempotencyKey", error.message)
    if error.field == ROOT_FIELD:
        return FieldError("detail.request", error.message)
    return FieldError(f"detail.request.{error.field}", error.message)


def _refused(
    event: dict[str, Any], refusal: Refusal, where: Callable[[FieldError], FieldError]
) -> dict[str, Any]:
    """An offboarding or change refused, rejected naming each field where it sits in the event
    (``where``); a refusal of the onboarding's state (``status``, none) names ``detail.requestId``."""
    fields = [
        FieldError("detail.requestId", e.message) if e.field == "status" else where(e) for e in refusal.errors
    ]
    return _reject(event, None, refusal.message, fields or [FieldError("detail.requestId", refusal.message)])


@logger.inject_lambda_context(correlation_id_path="id", log_event=False, clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # who called (the audit trail): EventBridge's envelope names the sending account
    logger.append_keys(caller_account=event.get("account"), source_event_id=event.get("id"))
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return _reject(event, None, "detail must be an object", [FieldError("detail", "must be an object")])
    if event.get("detail-type") == OFFBOARD_REQUESTED:
        return _offboard(event, context, detail)
    if event.get("detail-type") == CHANGE_REQUESTED:
        return _change(event, context, detail)
    key = detail.get("idempotencyKey")
    if key is not None and not isinstance(key, str):
        problem = FieldError("detail.idempotencyKey", "must be text")
        return _reject(event, None, "invalid idempotencyKey", [problem])
    unknown = sorted(set(detail) - {"request", "idempotencyKey"})
    if unknown:
        return _reject(
            event, key, "unknown fields", [FieldError(f"detail.{name}", "is not allowed") for name in unknown]
        )
    try:
        return _accept(event, context, detail, key)
    except AwsRequestRejected as refused:
        # a deployment or permissions problem: retrying the same event would fail the same way
        reason = f"the onboarding could not be started: {refused}"
        return _reject(event, key, reason, [FieldError("detail.request", reason)])


def _accept(
    event: dict[str, Any], context: LambdaContext, detail: dict[str, Any], key: str | None
) -> dict[str, Any]:
    settings = get_entry_settings()
    deployment = Deployment.of(settings, context.invoked_function_arn.split(":")[4])
    verdict = judge(
        detail.get("request"),
        caller=str(event.get("account", "unknown")),  # the envelope's source account, never the body's
        idempotency_key=key,
        deployment=deployment,
        parsed=True,  # the event's request is JSON already: a string there is not a request
    )
    verdict = check_connection(
        verdict, connection_service, shared=shared_connections(settings.shared_connection_arns)
    )
    verdict = check_codeartifact(verdict, deployment)
    if verdict.command is None:
        bad_key = any(e.field == KEY_FIELD for e in verdict.errors)
        return _reject(
            event, None if bad_key else key, verdict.message, [_in_detail(e) for e in verdict.errors]
        )
    try:
        started = start_once(verdict.command, settings, context)
    except (IdempotencyValidationError, ResourceConflict):
        # the key's record, or (after the record expired) the execution of its name, holds another request
        return _reject(
            event,
            key,
            "idempotencyKey reused with a different request",
            [FieldError("detail.idempotencyKey", "was used with a different request")],
        )
    logger.info("onboarding accepted", request_id=started["requestId"], source_account=event.get("account"))
    metrics.add_metric(name="OnboardingsRequested", unit=MetricUnit.Count, value=1)
    return {"status": "accepted", **started}


def _offboard(event: dict[str, Any], context: LambdaContext, detail: dict[str, Any]) -> dict[str, Any]:
    settings = get_entry_settings()
    try:
        asked = validate_as(RepositoryLinkOffboardRequestedDetail, detail, parsed=True)
    except RequestValidationError as exc:
        fields = [
            FieldError(f"detail.{e.field}" if e.field != ROOT_FIELD else "detail", e.message)
            for e in exc.errors
        ]
        return _reject(event, None, str(exc), fields)
    request_id = asked.request_id
    try:
        answer = offboard(
            request_id,
            {"deletePackages": asked.delete_packages},
            caller=str(event.get("account", "unknown")),  # the envelope's source account
            own_account=context.invoked_function_arn.split(":")[4],
            onboarding_machine=settings.state_machine_arn,
            offboarding_machine=settings.offboarding_state_machine_arn,
            sfn=StepFunctions.of_aws(settings.lifecycle_table),
        )
    except AwsRequestRejected as refused:
        reason = f"the offboarding could not be started: {refused}"
        return _reject(event, None, reason, [FieldError("detail.requestId", reason)])
    if isinstance(answer, Refusal):
        return _refused(event, answer, lambda e: FieldError(f"detail.{e.field}", e.message))
    _, accepted = answer
    logger.info("offboarding accepted", request_id=request_id, status=accepted.status)
    return {"status": "accepted", "requestId": request_id, "executionArn": accepted.execution_arn}


def _change(event: dict[str, Any], context: LambdaContext, detail: dict[str, Any]) -> dict[str, Any]:
    settings = get_entry_settings()
    unknown = sorted(set(detail) - {"requestId", "request"})
    if unknown:
        return _reject(
            event,
            None,
            "unknown fields",
            [FieldError(f"detail.{name}", "is not allowed") for name in unknown],
        )
    request_id = detail.get("requestId")
    if not isinstance(request_id, str) or not re.fullmatch(REQUEST_ID_PATTERN, request_id):
        problem = FieldError("detail.requestId", "is not a request id (rl- and 40 hexadecimal digits)")
        return _reject(event, None, problem.message, [problem])
    own_account = context.invoked_function_arn.split(":")[4]
    deployment = Deployment.of(settings, own_account)
    shared = shared_connections(settings.shared_connection_arns)

    def judged(owner: str) -> Any:
        verdict = judge(
            detail.get("request"),
            caller=owner,
            idempotency_key=None,
            deployment=deployment,
            change=True,
            parsed=True,
        )
        verdict = check_connection(verdict, connection_service, shared=shared)
        return check_codeartifact(verdict, deployment, onboarding=request_id)

    try:
        answer = change(
            request_id,
            judged,
            caller=str(event.get("account", "unknown")),  # the envelope's source account
            own_account=own_account,
            onboarding_machine=settings.state_machine_arn,
            offboarding_machine=settings.offboarding_state_machine_arn,
            calls=StepFunctions.of_aws(settings.lifecycle_table),
        )
    except AwsRequestRejected as refused:
        reason = f"the change could not be started: {refused}"
        return _reject(event, None, reason, [FieldError("detail.requestId", reason)])
    if isinstance(answer, Refusal):
        return _refused(event, answer, _in_detail)
    _, accepted = answer
    logger.info("change accepted", request_id=request_id, change_id=accepted.change_id)
    return {
        "status": "accepted",
        "requestId": request_id,
        "changeId": accepted.change_id,
        "executionArn": accepted.execution_arn,
    }
