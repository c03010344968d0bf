"""What the REST API answers: the shapes its OpenAPI document publishes."""

from pydantic import Field

from repolink.models.base import WireModel

#: request bodies larger than this are refused with 413 (API Gateway's own limit is 10 MB)
MAX_BODY_BYTES = 64 * 1024
#: an Idempotency-Key header must look like this
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:\-]{1,128}$"


class LinkAccepted(WireModel):
    request_id: str = Field(description="The onboarding's id; duplicates of a request get the same one")
    execution_arn: str
    status_url: str = Field(description="GET this to follow the onboarding")


class FieldProblem(WireModel):
    field: str = Field(description="JSON path of the field at fault, e.g. codeartifact.repositories[1].name")
    message: str


class ErrorBody(WireModel):
    message: str
    errors: list[FieldProblem] = Field(default_factory=list)
