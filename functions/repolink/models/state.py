"""What the state machine passes between tasks: each task's input and output, in one place.

Field names are camelCase on the wire (see :class:`WireModel`); the ASL refers to them by path.
"""

from typing import Literal

from pydantic import Field

from repolink.models.base import WireModel
from repolink.models.providers import ConnectionService
from repolink.models.request import CodeArtifactSpec, ConnectionSpec, ProtonRepositorySpec

ConnectionStatus = Literal["PENDING", "AVAILABLE", "ERROR", "DELETED"]


class ConnectionState(WireModel):
    """A source connection as the workflow tracks it, whichever service serves it."""

    arn: str
    name: str
    service: ConnectionService
    provider: str
    status: ConnectionStatus
    created: bool = Field(description="True only when this onboarding created it (cleanup may delete it)")
    console_url: str
    host_arn: str | None = None


class PollState(WireModel):
    """Where the handshake wait is: how many checks so far, the next Wait, the time waited."""

    attempt: int = Field(ge=0)
    wait_seconds: int = Field(ge=0)
    waited_seconds: int = Field(ge=0)


class Handshake(WireModel):
    """Output of the create and check steps; the ASL keeps it at ``$.handshake``."""

    connection: ConnectionState
    poll: PollState


class CreateConnectionInput(WireModel):
    request_id: str
    connection: ConnectionSpec


class CheckConnectionInput(WireModel):
    request_id: str
    connection: ConnectionState
    poll: PollState
    handshake_timeout_hours: int = Field(ge=1)


class ConnectionTaskInput(WireModel):
    """Input of the steps that act on a known connection (announce, clean up)."""

    request_id: str
    connection: ConnectionState
    handshake_timeout_hours: int = Field(default=72, ge=1)


class LinkProtonInput(WireModel):
    request_id: str
    connection: ConnectionState
    repository: ProtonRepositorySpec


class ProtonLinkResult(WireModel):
    name: str
    provider: str
    arn: str
    outcome: Literal["created", "existing"]


class ProvisionCodeArtifactInput(WireModel):
    request_id: str
    codeartifact: CodeArtifactSpec


class Failure(WireModel):
    """Why a step failed: the step's name, the error name, and a readable cause."""

    step: str
    error: str
    cause: str


class CodeArtifactRepositoryResult(WireModel):
    name: str
    arn: str
    upstreams: list[str] = Field(default_factory=list)
    external_connection: str | None = None
    outcome: Literal["created", "existing"]


class CodeArtifactResult(WireModel):
    status: Literal["succeeded", "failed"]
    domain: str
    domain_arn: str | None = None
    domain_created: bool = False
    repositories: list[CodeArtifactRepositoryResult] = Field(default_factory=list)
    failure: Failure | None = None


class ReportOutcomeInput(WireModel):
    request_id: str
    branches: list[dict[str, object]]
