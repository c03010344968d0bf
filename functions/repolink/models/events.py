"""The events repolink puts on its bus: detail-type names and detail shapes."""

from typing import Literal

from pydantic import Field

from repolink.models.base import WireModel
from repolink.models.state import CodeArtifactResult, Failure, ProtonLinkResult

SOURCE = "repolink"
PENDING_HANDSHAKE = "ConnectionPendingHandshake"
COMPLETED = "RepositoryLinkCompleted"
FAILED = "RepositoryLinkFailed"
REQUESTED = "RepositoryLinkRequested"
REJECTED = "RepositoryLinkRejected"


class ConnectionSummary(WireModel):
    arn: str
    name: str
    service: str
    provider: str
    status: str
    created: bool


class ConnectionPendingHandshakeDetail(WireModel):
    request_id: str
    connection: ConnectionSummary
    console_url: str = Field(description="The page where a person completes the handshake")
    handshake_timeout_hours: int
    instructions: str


class Succeeded(WireModel):
    """Everything that was linked or created, whether the onboarding as a whole succeeded or not."""

    connection: ConnectionSummary | None = None
    proton_repositories: list[ProtonLinkResult] = Field(default_factory=list)
    codeartifact: CodeArtifactResult | None = None
    arns: list[str] = Field(default_factory=list)


class RepositoryLinkCompletedDetail(Succeeded):
    request_id: str
    status: Literal["succeeded"] = "succeeded"


class RepositoryLinkFailedDetail(Succeeded):
    request_id: str
    status: Literal["failed"] = "failed"
    step: str
    error: str
    cause: str
    failures: list[Failure]
    connection_deleted: bool = False


class FieldProblem(WireModel):
    field: str
    message: str


class RepositoryLinkRejectedDetail(WireModel):
    """An invalid RepositoryLinkRequested event: nothing was started; here is why."""

    source_event_id: str
    source_account: str
    idempotency_key: str | None = None
    reason: str
    errors: list[FieldProblem]
