"""Offboarding: what each removal step is given and reports.

Field names are camelCase on the wire (see :class:`~repolink.models.wire.Wire`); the ASL refers to
them by path. Plain dataclasses: the task handlers read them with ``from_wire``, without pydantic.
"""

from dataclasses import field
from typing import Annotated

from repolink.models.providers import ConnectionService
from repolink.models.record import record
from repolink.models.rules import Doc
from repolink.models.state.common import Failure
from repolink.models.state.results import CodeArtifactResult, GitSyncLinkResult, ProtonLinkResult
from repolink.models.wire import Wire


@record(kw_only=True)
class Removed(Wire):
    """A resource this onboarding created, which the offboarding deleted (or found gone)."""

    type: Annotated[str, Doc("SERVICE:KIND, e.g. codeartifact:repository, codeconnections:repository-link")]
    name: str
    arn: str | None = None


@record(kw_only=True)
class Retained(Wire):
    """A resource the offboarding left in place, and why (reused, holding packages, in use, not ours)."""

    type: str
    name: str
    arn: str | None = None
    reason: str


@record(kw_only=True)
class RemovalResult(Wire):
    """What one removal step did; a permanent failure is reported with what was done before it."""

    removed: list[Removed] = field(default_factory=list)
    retained: list[Retained] = field(default_factory=list)
    failure: Failure | None = None


@record(kw_only=True)
class OffboardedConnection(Wire):
    """The onboarding's connection as its result reports it (``ConnectionSummary``)."""

    arn: str
    name: str
    service: ConnectionService
    provider: str
    status: str
    created: bool


@record(kw_only=True)
class OffboardedHost(Wire):
    """The onboarding's host as its result reports it (``HostSummary``)."""

    arn: str
    name: str
    service: ConnectionService
    provider: str
    provider_endpoint: str
    status: str
    created: bool


@record(kw_only=True)
class Untag(Wire):
    """A change's prune: tag keys to take off a resource this onboarding created, which the
    onboarding's requests set and the new request no longer has."""

    arn: str
    name: str
    keys: list[str]


@record(kw_only=True)
class RemoveSourceInput(Wire):
    """Input of the Git sync and connection removal steps: the onboarding's source links."""

    request_id: str
    caller_account: str
    connection: OffboardedConnection | None = None
    #: the onboarding's cleanup deleted the connection already
    connection_deleted: bool = False
    git_sync_repositories: list[GitSyncLinkResult] = field(default_factory=list)
    proton_repositories: list[ProtonLinkResult] = field(default_factory=list)
    host: OffboardedHost | None = None
    #: the onboarding's cleanup deleted the host already
    host_deleted: bool = False
    #: a change's prune: the repository links the new request still lists (only their dropped
    #: stacks' sync configurations are removed)
    keep_links: list[str] = field(default_factory=list)
    #: a change's prune: the tag keys to take off repository links that stay
    untag: list[Untag] = field(default_factory=list)


@record(kw_only=True)
class RemoveCodeArtifactInput(Wire):
    request_id: str
    delete_packages: bool = False
    codeartifact: CodeArtifactResult | None = None
    #: a change's prune: the domain stays (only the repositories listed are removed)
    keep_domain: bool = False
    #: a change's prune: the tag keys to take off the domain and repositories that stay
    untag: list[Untag] = field(default_factory=list)


@record(kw_only=True)
class ReportOffboardingInput(Wire):
    request_id: str
    branches: list[dict[str, object]]
    #: what a change swapped in for the onboarding's connection, host or domain: listed as retained
    replaced: list[Retained] = field(default_factory=list)
