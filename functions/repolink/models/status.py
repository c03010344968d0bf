"""The answers ``GET /links/{id}`` and ``GET /links`` give about an onboarding: its status, the
resources it made or found, and when it ran (read from its executions by ``workflow.history``)."""

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from repolink.models.events import Removals
from repolink.models.rules import Doc
from repolink.models.state.common import Outcome
from repolink.models.state.offboarding import Removed, Retained
from repolink.models.state.results import CodeArtifactSharingResult
from repolink.models.wire import Wire

Status = Literal["running", "succeeded", "failed", "offboarding", "offboarded", "offboard-failed"]

OffboardStatus = Literal["offboarding", "offboarded", "offboard-failed"]


def timestamp(value: Any) -> str | None:
    """A Step Functions date (a ``datetime`` from botocore) as the API answers it: RFC 3339, with
    the ``T`` (``2026-12-01T19:12:18.716000+00:00``); absent stays absent."""
    if value is None or value == "":
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


@dataclass(frozen=True, kw_only=True)
class Resource(Wire):
    type: str
    name: str
    arn: str
    outcome: Annotated[
        Outcome | None, Doc("created: this onboarding made it; existing: it was there (reused)")
    ] = None
    updated: Annotated[
        list[str],
        Doc(
            "What the execution GET reports (a change) updated in place on it, as its result says:"
            " upstreams, description, tags (CodeArtifact), tags (a repository link); empty: nothing"
        ),
    ] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class LinkStatus(Wire):
    request_id: str
    status: Annotated[
        Status,
        Doc(
            "The onboarding's execution: running, succeeded or failed; once it has finished, its"
            " offboarding's: offboarding, offboarded or offboard-failed"
        ),
    ]
    step: str | None = None
    connection_status: str | None = None
    connection_arn: str | None = None
    host_status: Annotated[
        str | None, Doc("The status of the host the request described (connection.host), if any")
    ] = None
    host_arn: str | None = None
    console_url: Annotated[
        str | None, Doc("Where a person completes the pending host setup, or the pending handshake")
    ] = None
    recheck_url: Annotated[
        str | None,
        Doc(
            "While it waits on a person: POST here (no body) once the handshake or host setup is done,"
            " and it checks at once; ID/recheck, relative to this GET's URL"
        ),
    ] = None
    resources: list[Resource] = field(default_factory=list)
    sharing: Annotated[
        list[CodeArtifactSharingResult],
        Doc("The CodeArtifact policies that grant codeartifact.consumers access, once written or found"),
    ] = field(default_factory=list)
    error: str | None = None
    cause: str | None = None
    started_at: Annotated[str | None, Doc("When the execution started (RFC 3339)")] = None
    stopped_at: Annotated[str | None, Doc("When the execution stopped (RFC 3339); absent while running")] = (
        None
    )
    removed: Annotated[list[Removed], Doc("Offboarded: what was deleted, newest first")] = field(
        default_factory=list
    )
    retained: Annotated[list[Retained], Doc("Offboarded: what was left in place, and why")] = field(
        default_factory=list
    )
    change_id: Annotated[
        str | None,
        Doc(
            "The latest change (PUT /links/{id}) this status reports, ID-change-N; null: the"
            " onboarding itself, never changed"
        ),
    ] = None
    pruned: Annotated[
        Removals | None,
        Doc(
            "The latest change, when it pruned (prune: true): what it removed of what the new request"
            " no longer lists, and what it kept, and why"
        ),
    ] = None
