"""What the REST API answers: the shapes its OpenAPI document publishes."""

from dataclasses import dataclass, field
from typing import Annotated

from repolink.models.rules import Doc
from repolink.models.wire import Wire

#: request bodies larger than this are refused with 413 (API Gateway's own limit is 10 MB)
MAX_BODY_BYTES = 64 * 1024
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
