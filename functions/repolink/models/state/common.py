"""What the connection and host steps pass between them, and what every family reports with
(a failure, an outcome): the state machine's shared shapes.

Field names are camelCase on the wire (see :class:`~repolink.models.wire.Wire`); the ASL refers to
them by path. Plain dataclasses: the task handlers read them with ``from_wire``, without pydantic.
"""

from typing import Annotated, Literal

from repolink.models.providers import ConnectionService
from repolink.models.record import record
from repolink.models.rules import Doc
from repolink.models.wire import Wire

Outcome = Literal["created", "existing"]
"""Whether a link or repository was made by this run, or found made (by an earlier run or by hand)."""


ConnectionStatus = Literal["PENDING", "AVAILABLE", "ERROR", "DELETED"]


@record(kw_only=True)
class ConnectionState(Wire):
    """A source connection as the workflow tracks it, whichever service serves it."""

    arn: str
    name: str
    service: ConnectionService
    provider: str
    status: ConnectionStatus
    created: Annotated[bool, Doc("True only when this onboarding created it (cleanup may delete it)")]
    console_url: str
    host_arn: str | None = None


@record(kw_only=True)
class PollState(Wire):
    """Where the handshake wait is: how many checks so far, the next Wait, the time waited."""

    attempt: int
    wait_seconds: int
    waited_seconds: int


@record(kw_only=True)
class Handshake(Wire):
    """Output of the create and check steps; the ASL keeps it at ``$.handshake``."""

    connection: ConnectionState
    poll: PollState


@record(kw_only=True)
class HostState(Wire):
    """A host (the infrastructure of an installed provider) as the workflow tracks it."""

    arn: str
    name: str
    service: ConnectionService
    provider: str
    provider_endpoint: str
    status: Annotated[
        str, Doc("PENDING until a person sets it up; VPC_CONFIG_* while a VPC host builds; AVAILABLE")
    ]
    created: Annotated[bool, Doc("True only when this onboarding created it (cleanup may delete it)")]
    console_url: str


@record(kw_only=True)
class HostSetup(Wire):
    """Output of the host's create and check steps; the ASL keeps it at ``$.result.host``. The
    wait for the host and the handshake wait after it are one wait: one deadline, one schedule."""

    host: HostState
    poll: PollState


@record(kw_only=True)
class CheckHostInput(Wire):
    request_id: str
    host: HostState
    poll: PollState
    handshake_timeout_hours: int


@record(kw_only=True)
class HostTaskInput(Wire):
    """Input of the steps that act on a known host (announce, clean up)."""

    request_id: str
    host: HostState
    handshake_timeout_hours: int = 72


@record(kw_only=True)
class CheckConnectionInput(Wire):
    request_id: str
    connection: ConnectionState
    poll: PollState
    handshake_timeout_hours: int


@record(kw_only=True)
class ConnectionTaskInput(Wire):
    """Input of the steps that act on a known connection (announce, clean up)."""

    request_id: str
    connection: ConnectionState
    handshake_timeout_hours: int = 72


@record(kw_only=True)
class Failure(Wire):
    """Why a step failed: the step's name, the error name, and a readable cause."""

    step: str
    error: str
    cause: str
