"""The REST API: ``POST /links`` starts an onboarding, ``GET /links/{id}`` follows it,
``PUT /links/{id}`` changes it in place (``workflow.change``), ``DELETE /links/{id}`` offboards it
(``workflow.offboard``), ``GET /links`` lists the caller's (``workflow.listing``), ``POST
/links/{id}/recheck`` wakes its wait on a person (``workflow.recheck``; template.yaml routes it to
the recheck function, ``handlers/recheck.py``, which answers it with this resolver: the only
function that may wake a wait).

IAM (SigV4) authentication is enforced by API Gateway (see template.yaml). The media type is
checked before routing; the body then goes through the one accept path
(:func:`~repolink.workflow.accept.judge`: size, syntax, key, contract, bounds, request id), the
same every entry point takes. The resolver runs without its OpenAPI validation, whose pydantic
import would cost a third of a cold start. No bad input reaches Step Functions, and none gets a 5xx.
"""

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse, OpenAPIResponseHeader
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.errors import (
    ContractViolation,
    FieldError,
    MalformedRequest,
    Refused,
    RequestTooLarge,
    UnsupportedMediaType,
)
from repolink.models.api import (
    MAX_BODY_BYTES,
    ChangeAccepted,
    ErrorBody,
    FieldProblem,
    LinkAccepted,
    LinkList,
    OffboardAccepted,
    RecheckAccepted,
    accepted_status,
    http_status,
)
from repolink.models.ids import REQUEST_ID_PATTERN
from repolink.models.settings import get_api_settings, get_entry_settings, get_recheck_settings
from repolink.models.status import LinkStatus
from repolink.models.wire import encode
from repolink.observability import logger, metrics, tracer
from repolink.workflow import verbs
from repolink.workflow.accept import KEY_FIELD
from repolink.workflow.verbs import Caller


def _json(body: object) -> str:
    """Response bodies as camelCase JSON, ``null`` fields included, as the OpenAPI document says."""
    return json.dumps(encode(body, drop_none=False), separators=(",", ":"))


app = APIGatewayRestResolver(serializer=_json)
REQUEST_ID = f"^{REQUEST_ID_PATTERN}$"


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


def _error(status: int, message: str, errors: Iterable[FieldError] = ()) -> Response[Any]:
    """An error answer: the message, and every field at fault."""
    problems = [FieldProblem(field=e.field, message=e.message) for e in errors]
    body = ErrorBody(message=message, errors=problems)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body.wire())


def _accepted(accepted: LinkAccepted | OffboardAccepted | ChangeAccepted) -> Response[Any]:
    """An accepted verb: its status (``models.api.accepted_status``), answer, and Location to follow it."""
    return Response(
        status_code=accepted_status(accepted),
        content_type=content_types.APPLICATION_JSON,
        body=accepted,
        headers={"Location": accepted.status_url},
    )


def _caller() -> Caller:
    """Who asks: the account the IAM-authenticated caller signed as; and the deployment's account,
    the one the function runs in."""
    signer = app.current_event.request_context.identity.account_id or "unknown"
    return Caller(account=signer, own_account=app.lambda_context.invoked_function_arn.split(":")[4])


class AmbiguousHeader(MalformedRequest):
    """A header sent more than once, with differing values: which one counts is anyone's guess."""

    def __init__(self, name: str, values: list[str]) -> None:
        message = f"{name} is given {len(values)} different values; send it once"
        super().__init__(message, [FieldError(name, message)])


def header(event: Mapping[str, Any], name: str) -> str | None:
    """The value of header ``name`` in an API Gateway proxy event, whatever its case; ``None``
    when it is absent. The one reader of request headers, for the gate and the routes alike.

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


def gate(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Refuse what is HTTP's own business before the route runs (a Powertools middleware): a POST
    or PUT (or a DELETE with a body) that is not JSON text, or whose headers say two things at once."""
    event = app.current_event.raw_event
    method = event.get("httpMethod")
    bodiless = method == "DELETE" or str(event.get("resource", "")).endswith("/recheck")
    if (method in ("POST", "PUT") and not bodiless) or (bodiless and event.get("body")):
        content_type, _ = header(event, "Content-Type"), header(event, KEY_FIELD)
        media_type = (content_type or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise UnsupportedMediaType(
                f"Content-Type must be application/json, not {media_type or 'missing'!r}"
            )
        if event.get("isBase64Encoded"):
            body = event.get("body") or ""
            if len(body) * 3 // 4 > MAX_BODY_BYTES:
                raise RequestTooLarge(f"the request body is over the limit of {MAX_BODY_BYTES} bytes")
            raise UnsupportedMediaType("send the request as application/json text, not base64")
    return next_middleware(app)


app.use(middlewares=[gate])


@app.exception_handler(Refused)
def _refused(refused: Refused) -> Response[Any]:
    """Every refusal, whatever refused it, answered as models/api.py's HTTP_STATUS says."""
    return _error(http_status(refused), refused.message, refused.errors)


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
    event = app.current_event
    key = header(event.raw_event, KEY_FIELD) or None  # unambiguous: the gate made sure
    settings = get_entry_settings()
    return _accepted(
        verbs.onboard(
            event.body or "", caller=_caller(), key=key, settings=settings, context=app.lambda_context
        )
    )


@app.get(
    "/links/<request_id>",
    summary="Follow an onboarding",
    responses={
        200: _answer("The onboarding: its status, step, and what it linked or created so far", LinkStatus),
        404: _answer("No such onboarding (or one another account started)", ErrorBody),
    },
)
def get_link(request_id: str) -> Response[LinkStatus | ErrorBody]:
    found = verbs.status(request_id, caller=_caller(), settings=get_entry_settings())
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=found)


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
    body = app.current_event.body
    return _accepted(verbs.offboard(request_id, body, caller=_caller(), settings=get_entry_settings()))


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
    body = app.current_event.body or ""
    return _accepted(verbs.change(request_id, body, caller=_caller(), settings=get_entry_settings()))


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
    params = app.current_event.query_string_parameters or {}
    page = verbs.list_links(params, caller=_caller(), settings=get_api_settings())
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=page)


@app.post(
    "/links/<request_id>/recheck",
    summary="Recheck an onboarding's wait on a person, now",
    description=(
        "The handshake (or the host's setup) is done: the onboarding's wait ends and it checks at"
        " once, instead of at its next poll. No body. At most one wake per onboarding per 10"
        " seconds: a recheck in between is answered 202 with woken false and adds no check."
    ),
    responses={
        202: _answer("The wait is woken (or a check already runs)", RecheckAccepted),
        403: _answer(
            "The deployment's own account may read another team's onboarding, not recheck it", ErrorBody
        ),
        404: _answer("No such onboarding (or one another account started)", ErrorBody),
        409: _answer("The onboarding does not wait on a person (finished, or not yet waiting)", ErrorBody),
        422: _answer("A body was sent: a recheck takes none", ErrorBody),
    },
)
def recheck_link(request_id: str) -> Response[RecheckAccepted | ErrorBody]:
    from repolink.handlers import recheck

    if app.current_event.body:
        raise ContractViolation("a recheck takes no body", [FieldError("(root)", "must be empty")])
    settings = get_recheck_settings()
    accepted = verbs.recheck(request_id, caller=_caller(), settings=settings, now=recheck.CLOCK())
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=accepted)


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
    return app.resolve(event, context)
