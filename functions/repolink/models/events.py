"""The events repolink puts on its bus (and takes from it): detail-type names and detail shapes."""

import re
from dataclasses import dataclass, field
from typing import Annotated, Literal

from repolink.models.ids import REQUEST_ID_PATTERN
from repolink.models.rules import STRICT, Check, Doc, anchored, fail
from repolink.models.state.common import Failure
from repolink.models.state.offboarding import Removed, Retained
from repolink.models.state.results import CodeArtifactResult, GitSyncLinkResult, ProtonLinkResult
from repolink.models.wire import Wire

SOURCE = "repolink"
PENDING_HANDSHAKE = "ConnectionPendingHandshake"
PENDING_HOST_SETUP = "HostPendingSetup"
COMPLETED = "RepositoryLinkCompleted"
FAILED = "RepositoryLinkFailed"
REQUESTED = "RepositoryLinkRequested"
REJECTED = "RepositoryLinkRejected"


@dataclass(frozen=True, kw_only=True)
class ConnectionSummary(Wire):
    arn: str
    name: str
    service: str
    provider: str
    status: str
    created: bool


@dataclass(frozen=True, kw_only=True)
class ConnectionPendingHandshakeDetail(Wire):
    request_id: str
    connection: ConnectionSummary
    console_url: Annotated[str, Doc("The page where a person completes the handshake")]
    recheck_url: Annotated[
        str,
        Doc(
            "POST here (no body) once it is done, and the onboarding checks at once instead of at its"
            " next poll: links/ID/recheck, relative to the API's stage URL (https://HOST/v1/)"
        ),
    ]
    handshake_timeout_hours: int
    instructions: str


@dataclass(frozen=True, kw_only=True)
class HostSummary(Wire):
    arn: str
    name: str
    service: str
    provider: str
    provider_endpoint: str
    status: str
    created: Annotated[bool, Doc("True when this onboarding created the host; false when it reused one")]


@dataclass(frozen=True, kw_only=True)
class HostPendingSetupDetail(Wire):
    request_id: str
    host: HostSummary
    console_url: Annotated[str, Doc("The host's console page, where a person chooses Set up host")]
    recheck_url: Annotated[
        str,
        Doc(
            "POST here (no body) once it is done, and the onboarding checks at once instead of at its"
            " next poll: links/ID/recheck, relative to the API's stage URL (https://HOST/v1/)"
        ),
    ]
    handshake_timeout_hours: Annotated[
        int, Doc("The deadline of the host's setup and the connection's handshake together")
    ]
    instructions: str


@dataclass(frozen=True, kw_only=True)
class Removals(Wire):
    """What an offboarding (or a change's prune) removed and what it retained."""

    removed: Annotated[list[Removed], Doc("Deleted (or found gone), newest first")] = field(
        default_factory=list
    )
    retained: Annotated[list[Retained], Doc("Left in place, each with the reason")] = field(
        default_factory=list
    )


@dataclass(frozen=True, kw_only=True)
class Succeeded(Wire):
    """Everything that was linked or created, whether the onboarding as a whole succeeded or not."""

    connection: ConnectionSummary | None = None
    host: Annotated[
        HostSummary | None, Doc("The host the connection is made on, when the request described one (host)")
    ] = None
    git_sync_repositories: Annotated[
        list[GitSyncLinkResult],
        Doc("Each repository linked for Git sync: its repository link, and the stacks synced from it"),
    ] = field(default_factory=list)
    proton_repositories: list[ProtonLinkResult] = field(default_factory=list)
    codeartifact: CodeArtifactResult | None = None
    arns: list[str] = field(default_factory=list)
    change_id: Annotated[
        str | None,
        Doc("The change (PUT /links/{id}) this event reports, ID-change-N; null: the onboarding itself"),
    ] = None
    pruned: Annotated[
        Removals | None,
        Doc(
            "A change with prune: true: what it removed of what the new request no longer lists, and"
            " what it kept, and why; null: nothing was pruned"
        ),
    ] = None


@dataclass(frozen=True, kw_only=True)
class RepositoryLinkCompletedDetail(Succeeded):
    request_id: str
    status: Literal["succeeded"] = "succeeded"


@dataclass(frozen=True, kw_only=True)
class Stopped(Wire):
    """Where a workflow stopped and why: the step, AWS's (or our) error and cause, and each
    failure of a branch or item (an onboarding's or an offboarding's failure event)."""

    step: str
    error: str
    cause: str
    failures: list[Failure]


@dataclass(frozen=True, kw_only=True)
class RepositoryLinkFailedDetail(Succeeded, Stopped):
    request_id: str
    status: Literal["failed"] = "failed"
    connection_deleted: bool = False
    host_deleted: bool = False


@dataclass(frozen=True, kw_only=True)
class FieldProblem(Wire):
    field: str
    message: str


@dataclass(frozen=True, kw_only=True)
class RepositoryLinkRejectedDetail(Wire):
    """An invalid RepositoryLinkRequested event: nothing was started; here is why."""

    source_event_id: str
    source_account: str
    idempotency_key: str | None = None
    reason: str
    errors: list[FieldProblem]


OFFBOARD_REQUESTED = "RepositoryLinkOffboardRequested"
#: ``{"requestId": "rl-..."}``: the handshake (or host setup) is done, check it now, as
#: POST /links/{id}/recheck does
RECHECK_REQUESTED = "RepositoryLinkRecheckRequested"
#: ``{"requestId": "rl-...", "request": <the request contract>}``: change it, as PUT /links/{id} does
CHANGE_REQUESTED = "RepositoryLinkChangeRequested"
OFFBOARDED = "RepositoryLinkOffboarded"
OFFBOARD_FAILED = "RepositoryLinkOffboardFailed"


def _request_id(value: str) -> str:
    if not re.fullmatch(REQUEST_ID_PATTERN, value):
        fail("is not a request id (rl- and 40 hexadecimal digits)")
    return value


@dataclass(frozen=True, kw_only=True)
class RepositoryLinkOffboardRequestedDetail(Wire):
    """Offboard an onboarding of the sending account (the envelope's ``account``), as
    ``DELETE /links/{id}`` does."""

    request_id: Annotated[
        str, Check(_request_id, {"pattern": anchored(REQUEST_ID_PATTERN)}), Doc("The onboarding's requestId")
    ]
    delete_packages: Annotated[
        bool,
        STRICT,
        Doc(
            "Delete CodeArtifact repositories it created even when they hold packages (the packages are lost)"
        ),
    ] = False


@dataclass(frozen=True, kw_only=True)
class RepositoryLinkRecheckRequestedDetail(Wire):
    """The person finished the handshake (or the host's setup) of an onboarding of the sending
    account: its wait ends now, as ``POST /links/{id}/recheck`` ends it."""

    request_id: Annotated[
        str, Check(_request_id, {"pattern": anchored(REQUEST_ID_PATTERN)}), Doc("The onboarding's requestId")
    ]


@dataclass(frozen=True, kw_only=True)
class RepositoryLinkOffboardedDetail(Removals):
    """The onboarding is offboarded: what it created is removed, but for what is retained, and why."""

    request_id: str
    status: Literal["offboarded"] = "offboarded"


@dataclass(frozen=True, kw_only=True)
class RepositoryLinkOffboardFailedDetail(Removals, Stopped):
    """The offboarding stopped at a step: what it removed and retained so far, and why it failed."""

    request_id: str
    status: Literal["failed"] = "failed"
