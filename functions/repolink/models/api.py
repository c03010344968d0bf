"""What the REST API answers: the shapes its OpenAPI document publishes."""

from dataclasses import dataclass, field
from typing import Annotated, Literal

from repolink.errors import (
    ContractViolation,
    MalformedRequest,
    NoSuchOnboarding,
    NotTheOwner,
    Refused,
    RequestTooLarge,
    StateConflict,
    UnsupportedMediaType,
)
from repolink.models.rules import STRICT, Doc
from repolink.models.wire import Wire

#: request bodies larger than this are refused with 413 (API Gateway's own limit is 10 MB)
MAX_BODY_BYTES = 64 * 1024
#: what the API answers each kind of refusal (``errors.Refused``): the one mapping to HTTP
HTTP_STATUS: dict[type[Refused], int] = {
    MalformedRequest: 400,
    NotTheOwner: 403,
    NoSuchOnboarding: 404,
    StateConflict: 409,
    RequestTooLarge: 413,
    UnsupportedMediaType: 415,
    ContractViolation: 422,
}


def http_status(refused: Refused) -> int:
    """The HTTP status the API answers ``refused`` with."""
    return next(HTTP_STATUS[kind] for kind in type(refused).__mro__ if kind in HTTP_STATUS)


#: an Idempotency-Key header must look like this
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:\-]{1,128}$"


@dataclass(frozen=True, kw_only=True)
class LinkAccepted(Wire):
    request_id: Annotated[str, Doc("The onboarding's id; duplicates of a request get the same one")]
    execution_arn: str
    status_url: Annotated[
        str,
        Doc(
            "GET this to follow the onboarding: links/ID, a reference relative to the URL the request"
            " was sent to (https://HOST/v1/links resolves it to https://HOST/v1/links/ID), as Location is"
        ),
    ]


@dataclass(frozen=True, kw_only=True)
class FieldProblem(Wire):
    field: Annotated[str, Doc("JSON path of the field at fault, e.g. codeartifact.repositories[1].name")]
    message: str


@dataclass(frozen=True, kw_only=True)
class ErrorBody(Wire):
    message: str
    errors: list[FieldProblem] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class OffboardOptions(Wire):
    """The body of ``DELETE /links/{id}`` (optional: no body is ``{}``)."""

    delete_packages: Annotated[
        bool,
        STRICT,
        Doc(
            "Delete CodeArtifact repositories this onboarding created even when they hold packages"
            " (their packages are lost). Without it, such a repository, and its domain, are retained"
        ),
    ] = False


@dataclass(frozen=True, kw_only=True)
class OffboardAccepted(Wire):
    request_id: Annotated[str, Doc("The onboarding's id")]
    execution_arn: Annotated[str, Doc("The offboarding's execution (one per onboarding)")]
    status_url: Annotated[
        str,
        Doc(
            "GET this to follow the offboarding: ID, a reference relative to the URL the DELETE was"
            " sent to (https://HOST/v1/links/ID resolves it to itself), as Location is"
        ),
    ]
    status: Literal["offboarding", "offboarded", "offboard-failed"]


@dataclass(frozen=True, kw_only=True)
class ChangeAccepted(Wire):
    request_id: Annotated[str, Doc("The onboarding's id")]
    change_id: Annotated[
        str | None,
        Doc(
            "The change's id (ID-change-N, N counting the onboarding's changes); null when the"
            " request is the onboarding's own and nothing was started"
        ),
    ]
    execution_arn: Annotated[str, Doc("The change's execution, of the onboarding state machine")]
    status_url: Annotated[
        str,
        Doc(
            "GET this to follow the change: ID, a reference relative to the URL the PUT was sent to"
            " (https://HOST/v1/links/ID resolves it to itself), as Location is"
        ),
    ]
    status: Literal["running", "succeeded", "failed"]


@dataclass(frozen=True, kw_only=True)
class RecheckAccepted(Wire):
    request_id: Annotated[str, Doc("The onboarding's id")]
    waiting: Annotated[
        Literal["Handshake", "HostSetup"],
        Doc("What the onboarding waits for: a connection's handshake, or a host's setup"),
    ]
    woken: Annotated[
        bool,
        Doc(
            "True when this recheck woke the wait; false when a wake less than 10 seconds ago (or the"
            " wait's own timeout) already runs the check: the check runs either way"
        ),
    ]


@dataclass(frozen=True, kw_only=True)
class LinkSummary(Wire):
    request_id: str
    status: Annotated[
        Literal["running", "succeeded", "failed", "offboarding", "offboarded", "offboard-failed"],
        Doc("As GET /links/{id} answers it"),
    ]
    started_at: Annotated[str | None, Doc("When the execution started (RFC 3339)")] = None
    stopped_at: Annotated[str | None, Doc("When the execution stopped (RFC 3339); absent while running")] = (
        None
    )


@dataclass(frozen=True, kw_only=True)
class LinkList(Wire):
    """A page of the caller's onboardings, newest first. A page may hold fewer than ``limit``
    items (even none) and still have a ``nextToken``: follow it until it is absent."""

    links: list[LinkSummary] = field(default_factory=list)
    next_token: Annotated[str | None, Doc("Pass as nextToken for the next page; absent on the last")] = None


def accepted_status(accepted: LinkAccepted | OffboardAccepted | ChangeAccepted) -> int:
    """The HTTP status of an accepted verb: 202 while what it asked for runs, 200 when it found
    it finished (a duplicate of a finished change or offboarding: nothing new started)."""
    if isinstance(accepted, ChangeAccepted | OffboardAccepted):
        return 202 if accepted.status in ("running", "offboarding") else 200
    return 202
