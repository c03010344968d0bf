"""The REST API: ``POST /links`` starts an onboarding, ``GET /links/{id}`` follows it,
``PUT /links/{id}`` changes it in place (``workflow.change``), ``DELETE /links/{id}`` offboards it
(``workflow.offboard``), ``GET /links`` lists the caller's (``workflow.listing``).

IAM (SigV4) authentication is enforced by API Gateway (see template.yaml). The media type is
checked before routing; the body then goes through the one accept path
(:func:`~repolink.workflow.accept.judge`: size, syntax, key, contract, bounds, request id), the
same every entry point takes. The resolver runs without its OpenAPI validation, whose pydantic
import would cost a third of a cold start. No bad input reaches Step Functions, and none gets a 5xx.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters import kms
from repolink.adapters.connections import connection_service
from repolink.adapters.stepfunctions import (
    describe_execution,
    execution_arn,
    history_pages,
    list_executions,
)
from repolink.errors import FieldError, ResourceConflict
from repolink.models.api import (
    MAX_BODY_BYTES,
    ChangeAccepted,
    ErrorBody,
    FieldProblem,
    LinkAccepted,
    LinkList,
    OffboardAccepted,
)
from repolink.models.ids import REQUEST_ID_PATTERN
from repolink.models.settings import get_api_settings, get_entry_settings
from repolink.models.status import LinkStatus
from repolink.models.wire import encode
from repolink.observability import logger, metrics, tracer
from repolink.workflow.accept import KEY_FIELD, Deployment, check_codeartifact, check_connection, judge
from repolink.workflow.change import change
from repolink.workflow.history import link_status, offboarded
from repolink.workflow.idempotency import change_name
from repolink.workflow.lineage import latest_change, latest_offboarding
from repolink.workflow.listing import ListCalls, query_of
from repolink.workflow.listing import list_links as list_page
from repolink.workflow.offboard import Refusal, StepFunctions, offboard
from repolink.workflow.start import start_once
from repolink.workflow.tenancy import may_see, shared_connections


def _json(body: object) -> str:
    """Response bodies as camelCase JSON, ``null`` fields included, as the OpenAPI document says."""
    return json.dumps(encode(body, drop_none=False), separators=(",", ":"))


app = APIGatewayRestResolver(serializer=_json)
REQUEST_ID = f"^{REQUEST_ID_PATTERN}$"


def status_url(request_id: str) -> str:
    """Where to follow an onboarding: the relative reference ``links/ID``, which resolves against
    the URL the POST went to (``https://HOST/v1/links``) as ``https://HOST/v1/links/ID``, the stage
    kept, the way a client resolves a Location header (RFC 9110, 10.2.2)."""
    return f"links/{request_id}"


def _answer(
    description: str, model: type, headers: dict[str, OpenAPIResponseHeader] | None = None
) -> OpenAPIResponse:
    """An OpenAPI response: its description and JSON body (the schema is built only for the document)."""
    answer: OpenAPIResponse = {
        "description": description,
        "content": {content_types.APPLICATION_JSON: {"model": model}},
    }
    if headers:
        answer["headers"] = headers
    return answer


def _error(status: int, message: str, problems: list[FieldProblem] | None = None) -> Response[Any]:
    body = ErrorBody(message=message, errors=problems or [])
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body.wire())


def _refused(status: int, message: str, errors: Iterable[FieldError]) -> Response[Any]:
    """A refusal naming every field at fault."""
    return _error(status, message, [FieldProblem(field=e.field, message=e.message) for e in errors])


def _accepted(code: int, accepted: LinkAccepted | OffboardAccepted | ChangeAccepted) -> Response[Any]:
    """An accepted verb: its answer, and Location to follow it."""
    return Response(
        status_code=code,
        content_type=content_types.APPLICATION_JSON,
        body=accepted,
        headers={"Location": accepted.status_url},
    )


def _caller() -> str:
    """The account the IAM-authenticated caller signed as."""
    return app.current_event.request_context.identity.account_id or "unknown"


def _own_account() -> str:
    """The deployment's account: the one the function runs in."""
    return app.lambda_context.invoked_function_arn.split(":")[4]


def _refuse(status: int, message: str, problems: list[FieldProblem] | None = None) -> dict[str, Any]:
    """The same error, as an API Gateway proxy response, for refusals made before routing."""
    body = ErrorBody(message=message, errors=problems or [])
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(body.wire()),
        "isBase64Encoded": False,
    }


class AmbiguousHeader(ValueError):
    """A header sent more than once, with differing values: which one counts is anyone's guess."""

    def __init__(self, name: str, values: list[str]) -> None:
        self.name = name
        super().__init__(f"{name} is given {len(values)} different values; send it once")


def header(event: Mapping[str, Any], name: str) -> str | None:
    """The value of header ``name`` in an API Gateway proxy event, whatever its case; ``None``
    when it is absent. The one reader of request headers, for the gate and the handler alike.

    API Gateway passes headers as the client spelled them: ``Idempotency-Key`` and
    ``idempotency-key`` are two entries of ``headers`` (one value each) and of
    ``multiValueHeaders`` (every value). The same value repeated is that value; differing values
    raise :class:`AmbiguousHeader`.
    """
    wanted = name.lower()
    values = {
        str(v) for k, v in (event.get("headers") or {}).items() if k.lower() == wanted and v is not None
    }
    for key, listed in (event.get("multiValueHeaders") or {}).items():
        if key.lower() == wanted:
            values.update(str(v) for v in listed or () if v is not None)
    if len(values) > 1:
        raise AmbiguousHeader(name, sorted(values))
    return next(iter(values), None)


def _gate(event: dict[str, Any]) -> dict[str, Any] | None:
    """Refuse what is HTTP's own business before routing: a POST or PUT (or a DELETE with a body)
    that is not JSON text, or whose headers say two things at once."""
    method = event.get("httpMethod")
    if method not in ("POST", "PUT") and not (method == "DELETE" and event.get("body")):
        return None
    try:
        content_type, _ = header(event, "Content-Type"), header(event, KEY_FIELD)
    except AmbiguousHeader as ambiguous:
        return _refuse(400, str(ambiguous), [FieldProblem(field=ambiguous.name, message=str(ambiguous))])
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/json":
        return _refuse(415, f"Content-Type must be application/json, not {media_type or 'missing'!r}")
    if event.get("isBase64Encoded"):
        body = event.get("body") or ""
        if len(body) * 3 // 4 > MAX_BODY_BYTES:
            return _refuse(413, f"the request body is over the limit of {MAX_BODY_BYTES} bytes")
        return _refuse(415, "send the request as application/json text, not base64")
    return None


@app.exception_handler([IdempotencyValidationError, ResourceConflict])
def _conflict(exc: Exception) -> Response[Any]:
    return _error(
        409, "this Idempotency-Key was used with a different request; use a new key for a new request"
    )


@app.post(
    "/links",
    summary="Start an onboarding",
    responses={
        202: _answer(
            "Started (or already started: duplicates get the same answer)",
            LinkAccepted,
            {
                "Location": {
                    "description": (
                        "The onboarding's status, relative to the request URL (links/ID: from"
                        " https://HOST/v1/links it resolves to https://HOST/v1/links/ID), as statusUrl"
                    ),
                    "schema": {"type": "string", "pattern": f"^links/{REQUEST_ID[1:]}"},
                }
            },
        ),
        400: _answer("Malformed JSON, or an Idempotency-Key or Content-Type header sent twice", ErrorBody),
        409: _answer("Idempotency-Key reused with another request", ErrorBody),
        413: _answer(f"Body larger than {MAX_BODY_BYTES} bytes", ErrorBody),
        415: _answer("Not application/json", ErrorBody),
        422: _answer("The request breaks the contract; every field at fault is named", ErrorBody),
    },
)
def create_link() -> Response[LinkAccepted | ErrorBody]:
    settings = get_entry_settings()
    event = app.current_event
    key = header(event.raw_event, KEY_FIELD) or None  # unambiguous: the gate made sure
    caller, own_account = _caller(), _own_account()
    deployment = Deployment.of(settings, own_account)
    verdict = judge(event.body or "", caller=caller, idempotency_key=key, deployment=deployment)
    verdict = check_connection(
        verdict, connection_service, shared=shared_connections(settings.shared_connection_arns)
    )
    verdict = check_codeartifact(verdict, deployment)
    if verdict.command is None:
        return _refused(verdict.status, verdict.message, verdict.errors)
    started = start_once(verdict.command, settings, app.lambda_context)
    accepted = LinkAccepted(
        request_id=started["requestId"],
        execution_arn=started["executionArn"],
        status_url=status_url(started["requestId"]),
    )
    logger.info("onboarding accepted", request_id=accepted.request_id, keyed=key is not None)
    metrics.add_metric(name="OnboardingsRequested", unit=MetricUnit.Count, value=1)
    return _accepted(202, accepted)


@app.get(
    "/links/<request_id>",
    summary="Follow an onboarding",
    responses={
        200: _answer("The onboarding: its status, step, and what it linked or created so far", LinkStatus),
        404: _answer("No such onboarding (or one another account started)", ErrorBody),
    },
)
def get_link(request_id: str) -> Response[LinkStatus | ErrorBody]:
    settings = get_entry_settings()
    if not re.fullmatch(REQUEST_ID, request_id):
        return _error(404, f"no onboarding {request_id}")
    arn = execution_arn(settings.state_machine_arn, request_id)
    execution = describe_execution(arn)
    own_account, caller = _own_account(), _caller()
    if execution is None or not may_see(execution, caller=caller, own_account=own_account):
        # another team's onboarding answers as if it did not exist
        return _error(404, f"no onboarding {request_id}")
    if execution.get("status") != "RUNNING":
        # changed: the latest change says what the onboarding is now (workflow/change.py)
        number, latest = latest_change(describe_execution, settings.state_machine_arn, request_id)
        if latest is not None:
            execution, arn = (
                latest,
                execution_arn(settings.state_machine_arn, change_name(request_id, number)),
            )
    # a bounded read of the history, newest first (workflow/history.py states the bound)
    status = link_status(request_id, execution, lambda **page: history_pages(arn, **page))
    if execution["executionArn"] != execution_arn(settings.state_machine_arn, request_id):
        status = replace(status, change_id=str(execution["executionArn"]).rsplit(":", 1)[-1])
    if status.status != "running":
        _, offboarding = latest_offboarding(
            describe_execution, settings.offboarding_state_machine_arn, request_id
        )
        if offboarding is not None:
            offboarding_arn = str(offboarding["executionArn"])
            status = offboarded(status, offboarding, lambda **page: history_pages(offboarding_arn, **page))
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=status)


#: the Location of a DELETE's answer: the onboarding itself, relative to the DELETE's own URL
_FOLLOW: dict[str, OpenAPIResponseHeader] = {
    "Location": {
        "description": "The onboarding's status: ID, relative to the request's URL (links/ID), i.e. that URL",
        "schema": {"type": "string", "pattern": REQUEST_ID},
    }
}


@app.delete(
    "/links/<request_id>",
    summary="Offboard an onboarding",
    description=(
        "Removes what the onboarding created, newest first, never what it reused; CodeArtifact"
        " repositories holding packages (and their domain) are retained unless deletePackages is"
        " true. The body is optional. A second DELETE starts nothing and answers from the offboarding."
    ),
    responses={
        200: _answer(
            "Offboarded already (or its offboarding failed): nothing new is started",
            OffboardAccepted,
            _FOLLOW,
        ),
        202: _answer("Offboarding started (or still running)", OffboardAccepted, _FOLLOW),
        400: _answer("Malformed JSON", ErrorBody),
        403: _answer(
            "The deployment's own account may read another team's onboarding, not offboard it", ErrorBody
        ),
        404: _answer("No such onboarding (or one another account started)", ErrorBody),
        409: _answer(
            "The onboarding is still running, has no recorded result, or was offboarded with other options",
            ErrorBody,
        ),
        413: _answer(f"Body larger than {MAX_BODY_BYTES} bytes", ErrorBody),
        415: _answer("A body that is not application/json", ErrorBody),
        422: _answer("The body breaks the contract; every field at fault is named", ErrorBody),
    },
)
def offboard_link(request_id: str) -> Response[OffboardAccepted | ErrorBody]:
    settings = get_entry_settings()
    answer = offboard(
        request_id,
        app.current_event.body,
        caller=_caller(),
        own_account=_own_account(),
        onboarding_machine=settings.state_machine_arn,
        offboarding_machine=settings.offboarding_state_machine_arn,
        sfn=StepFunctions.of_aws(settings.lifecycle_table),
    )
    if isinstance(answer, Refusal):
        return _refused(answer.status, answer.message, answer.errors)
    code, accepted = answer
    logger.info("offboarding accepted", request_id=request_id, status=accepted.status)
    if code == 202 and accepted.status == "offboarding":
        metrics.add_metric(name="OffboardingsRequested", unit=MetricUnit.Count, value=1)
    return _accepted(code, accepted)


@app.put(
    "/links/<request_id>",
    summary="Change an onboarding in place",
    description=(
        "The body is the new desired request. The change converges: it adds what is new and"
        " updates in place what AWS can update (a CodeArtifact repository's upstreams and"
        " description); what AWS cannot change in place (the connection, the domain, a repository's"
        " external connection) is refused with 422 naming the field. What the new request drops is"
        " left in place. A change is an execution of its own (changeId); GET follows the latest."
        " The same body again starts nothing and answers from the change that runs it."
    ),
    responses={
        200: _answer(
            "The same body as the latest change (or the onboarding): nothing new is started",
            ChangeAccepted,
            _FOLLOW,
        ),
        202: _answer("Change started (or still running)", ChangeAccepted, _FOLLOW),
        400: _answer("Malformed JSON, or a Content-Type header sent twice", ErrorBody),
        403: _answer(
            "The deployment's own account may read another team's onboarding, not change it", ErrorBody
        ),
        404: _answer("No such onboarding (or one another account started)", ErrorBody),
        409: _answer(
            "The onboarding or a change of it is running, it is offboarded, or it has had as many"
            " changes as one takes",
            ErrorBody,
        ),
        413: _answer(f"Body larger than {MAX_BODY_BYTES} bytes", ErrorBody),
        415: _answer("Not application/json", ErrorBody),
        422: _answer(
            "The request breaks the contract, or changes what cannot be changed in place; every"
            " field at fault is named",
            ErrorBody,
        ),
    },
)
def change_link(request_id: str) -> Response[ChangeAccepted | ErrorBody]:
    settings = get_entry_settings()
    own_account = _own_account()
    deployment = Deployment.of(settings, own_account)
    shared = shared_connections(settings.shared_connection_arns)
    body = app.current_event.body or ""

    def judged(owner: str) -> Any:
        verdict = judge(body, caller=owner, idempotency_key=None, deployment=deployment, change=True)
        verdict = check_connection(verdict, connection_service, shared=shared)
        return check_codeartifact(verdict, deployment, onboarding=request_id)

    answer = change(
        request_id,
        judged,
        caller=_caller(),
        own_account=own_account,
        onboarding_machine=settings.state_machine_arn,
        offboarding_machine=settings.offboarding_state_machine_arn,
        calls=StepFunctions.of_aws(settings.lifecycle_table),
    )
    if isinstance(answer, Refusal):
        return _refused(answer.status, answer.message, answer.errors)
    code, accepted = answer
    logger.info(
        "change accepted", request_id=request_id, change_id=accepted.change_id, status=accepted.status
    )
    if code == 202 and accepted.change_id is not None:
        metrics.add_metric(name="ChangesRequested", unit=MetricUnit.Count, value=1)
    return _accepted(code, accepted)


@app.get(
    "/links",
    summary="List the caller's onboardings, newest first",
    description=(
        "A page may hold fewer than limit items (even none) and still have a nextToken: follow it"
        " until it is absent. Each page reads at most limit executions. The nextToken is opaque:"
        " encrypted with AWS KMS, good only for the caller and the state it was given to."
    ),
    responses={
        200: _answer("A page of the caller's onboardings", LinkList),
        422: _answer("state, limit or nextToken is not one this listing takes; each is named", ErrorBody),
    },
)
def list_links() -> Response[LinkList | ErrorBody]:
    settings = get_api_settings()
    params = app.current_event.query_string_parameters or {}
    query = query_of({k: params.get(k) for k in ("state", "limit", "nextToken")})
    if isinstance(query, list):
        return _refused(422, "; ".join(f"{e.field}: {e.message}" for e in query), query)
    key = settings.listing_token_key_arn
    page = list_page(
        query,
        caller=_caller(),
        own_account=_own_account(),
        onboarding_machine=settings.state_machine_arn,
        offboarding_machine=settings.offboarding_state_machine_arn,
        calls=ListCalls(
            page=list_executions,
            describe=describe_execution,
            encrypt=partial(kms.encrypt, key),
            decrypt=partial(kms.decrypt, key),
        ),
    )
    if isinstance(page, list):
        return _refused(422, "; ".join(f"{e.field}: {e.message}" for e in page), page)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=page)


@app.not_found
def _not_found(_: Exception) -> Response[Any]:
    return _error(404, "no such route")


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False, clear_state=True
)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    identity = (event.get("requestContext") or {}).get("identity") or {}
    # who called (the audit trail), on every log line of this invocation
    logger.append_keys(caller_account=identity.get("accountId"), caller_principal=identity.get("userArn"))
    refused = _gate(event)
    if refused is not None:
        return refused
    return app.resolve(event, context)
