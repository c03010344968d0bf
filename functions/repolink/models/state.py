"""What the state machine passes between tasks: each task's input and output, in one place.

Field names are camelCase on the wire (see :class:`~repolink.models.wire.Wire`); the ASL refers to
them by path. Plain dataclasses: the task handlers read them with ``from_wire``, without pydantic.
"""

from dataclasses import dataclass, field
from typing import Annotated, Literal

from repolink.models.providers import ConnectionService
from repolink.models.request import (
    CodeArtifactSpec,
    ConnectionSpec,
    GitSyncRepositorySpec,
    ProtonRepositorySpec,
)
from repolink.models.rules import Doc
from repolink.models.wire import Wire

Outcome = Literal["created", "existing"]
"""Whether a link or repository was made by this run, or found made (by an earlier run or by hand)."""

ConnectionStatus = Literal["PENDING", "AVAILABLE", "ERROR", "DELETED"]


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class PollState(Wire):
    """Where the handshake wait is: how many checks so far, the next Wait, the time waited."""

    attempt: int
    wait_seconds: int
    waited_seconds: int


@dataclass(frozen=True, kw_only=True)
class Handshake(Wire):
    """Output of the create and check steps; the ASL keeps it at ``$.handshake``."""

    connection: ConnectionState
    poll: PollState


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class HostSetup(Wire):
    """Output of the host's create and check steps; the ASL keeps it at ``$.result.host``. The
    wait for the host and the handshake wait after it are one wait: one deadline, one schedule."""

    host: HostState
    poll: PollState


#: the ``step`` of the create task's input that asks for the host, not the connection
CREATE_HOST = "CreateHost"


@dataclass(frozen=True, kw_only=True)
class CreateHostInput(Wire):
    step: Literal["CreateHost"]
    request_id: str
    connection: ConnectionSpec
    #: the account the onboarding belongs to (its hosts carry it in their ownership tag)
    caller_account: str


@dataclass(frozen=True, kw_only=True)
class CheckHostInput(Wire):
    request_id: str
    host: HostState
    poll: PollState
    handshake_timeout_hours: int


@dataclass(frozen=True, kw_only=True)
class HostTaskInput(Wire):
    """Input of the steps that act on a known host (announce, clean up)."""

    request_id: str
    host: HostState
    handshake_timeout_hours: int = 72


@dataclass(frozen=True, kw_only=True)
class CreateConnectionInput(Wire):
    request_id: str
    connection: ConnectionSpec
    #: the account the onboarding belongs to (its connections carry it in their ownership tag)
    caller_account: str
    #: the host this onboarding set up first (``connection.host``), AVAILABLE by now; its wait
    #: counts against the handshake's deadline
    host: HostSetup | None = None
    handshake_timeout_hours: int = 72


@dataclass(frozen=True, kw_only=True)
class CheckConnectionInput(Wire):
    request_id: str
    connection: ConnectionState
    poll: PollState
    handshake_timeout_hours: int


@dataclass(frozen=True, kw_only=True)
class ConnectionTaskInput(Wire):
    """Input of the steps that act on a known connection (announce, clean up)."""

    request_id: str
    connection: ConnectionState
    handshake_timeout_hours: int = 72


@dataclass(frozen=True, kw_only=True)
class LinkProtonInput(Wire):
    request_id: str
    connection: ConnectionState
    repository: ProtonRepositorySpec


@dataclass(frozen=True, kw_only=True)
class ProtonLinkResult(Wire):
    name: str
    provider: str
    arn: str
    outcome: Outcome


@dataclass(frozen=True, kw_only=True)
class ProvisionCodeArtifactInput(Wire):
    request_id: str
    codeartifact: CodeArtifactSpec
    #: the account the onboarding belongs to (its domain and repositories carry it in their
    #: ownership tags; another team's are refused)
    caller_account: str
    #: ``$$.State.RetryCount``: how many times the state machine has retried this step
    retry_count: int = 0
    #: ``$$.Execution.Name``: the request id, or a change's name (``workflow.change``)
    execution_name: str = ""

    @property
    def changing(self) -> bool:
        return bool(self.execution_name) and self.execution_name != self.request_id


@dataclass(frozen=True, kw_only=True)
class Failure(Wire):
    """Why a step failed: the step's name, the error name, and a readable cause."""

    step: str
    error: str
    cause: str


@dataclass(frozen=True, kw_only=True)
class LinkGitSyncInput(Wire):
    request_id: str
    #: the account the onboarding belongs to (its repository links carry it in their ownership tag)
    caller_account: str
    connection: ConnectionState
    repository: GitSyncRepositorySpec
    #: ``$$.Execution.Name``: the request id, or a change's name (``workflow.change``)
    execution_name: str = ""

    @property
    def changing(self) -> bool:
        return bool(self.execution_name) and self.execution_name != self.request_id


SyncUpdate = Literal[
    "branch",
    "configFile",
    "roleArn",
    "publishDeploymentStatus",
    "triggerResourceUpdateOn",
    "pullRequestComment",
]
"""What a change updated in place on a stack's sync configuration (the request's field names)."""


@dataclass(frozen=True, kw_only=True)
class GitSyncStackResult(Wire):
    """A stack Git sync keeps in line with a file of a branch (its sync configuration)."""

    resource_name: str
    branch: str
    config_file: str
    outcome: Outcome
    updated: Annotated[
        list[SyncUpdate],
        Doc(
            "What this run updated in place with UpdateSyncConfiguration (a change, on a repository"
            " link this onboarding created): the request's fields the configuration held otherwise;"
            " empty when it had the request's settings already"
        ),
    ] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class GitSyncLinkResult(Wire):
    """One repository: its link, the stacks synced from it, and the stacks that failed."""

    owner_id: str
    repository_name: str
    repository_link_id: str
    repository_link_arn: str
    outcome: Outcome
    sync_configurations: list[GitSyncStackResult] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    #: a link this onboarding created that ended with no stack synced from it was deleted again
    link_deleted: bool = False
    updated: Annotated[
        list[Literal["tags"]],
        Doc(
            "What this run updated in place on the link (a change, on a link this onboarding"
            " created): tags with TagResource; empty when it had the request's tags already"
        ),
    ] = field(default_factory=list)


RepositoryUpdate = Literal["upstreams", "description", "tags"]
"""What a change updated in place on a repository the onboarding created."""


@dataclass(frozen=True, kw_only=True)
class CodeArtifactRepositoryResult(Wire):
    name: str
    arn: str
    upstreams: list[str] = field(default_factory=list)
    external_connection: str | None = None
    outcome: Outcome
    updated: Annotated[
        list[RepositoryUpdate],
        Doc(
            "What this run updated in place (a change, on a repository this onboarding created):"
            " upstreams and description with UpdateRepository, tags with TagResource; empty when"
            " it had the request's settings already"
        ),
    ] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class CodeArtifactSharingResult(Wire):
    """One policy repolink shared through: the domain's, or a repository's it created."""

    resource_arn: str
    repository: Annotated[str | None, Doc("The repository whose policy this is; null for the domain's")] = (
        None
    )
    outcome: Annotated[
        Literal["written", "unchanged"],
        Doc("written: this run added the consumers; unchanged: the policy granted them already"),
    ]
    sids: Annotated[list[str], Doc("The Sids of repolink's statements that grant this request's consumers")]


@dataclass(frozen=True, kw_only=True)
class CodeArtifactResult(Wire):
    status: Literal["succeeded", "failed"]
    domain: str
    domain_arn: str | None = None
    domain_created: bool = False
    domain_updated: Annotated[
        list[Literal["tags"]],
        Doc(
            "What this run updated in place on the domain (a change, on a domain this onboarding"
            " created): tags with TagResource; empty when it had the request's tags already"
        ),
    ] = field(default_factory=list)
    repositories: list[CodeArtifactRepositoryResult] = field(default_factory=list)
    sharing: Annotated[
        list[CodeArtifactSharingResult],
        Doc(
            "The policies that grant codeartifact.consumers access: the domain's, then each"
            " repository's that this onboarding created"
        ),
    ] = field(default_factory=list)
    failure: Failure | None = None


@dataclass(frozen=True, kw_only=True)
class ReportOutcomeInput(Wire):
    request_id: str
    branches: list[dict[str, object]]
    #: ``$$.Execution.Name``: the request id, or a change's name (``workflow.change``)
    execution_name: str = ""
    #: a change's prune steps (``$.pruned``, as the offboarding's branches report); empty: none
    pruned: list[dict[str, object]] = field(default_factory=list)


# --- offboarding: what each removal step is given and reports ------------------------------------


@dataclass(frozen=True, kw_only=True)
class Removed(Wire):
    """A resource this onboarding created, which the offboarding deleted (or found gone)."""

    type: Annotated[str, Doc("SERVICE:KIND, e.g. codeartifact:repository, codeconnections:repository-link")]
    name: str
    arn: str | None = None


@dataclass(frozen=True, kw_only=True)
class Retained(Wire):
    """A resource the offboarding left in place, and why (reused, holding packages, in use, not ours)."""

    type: str
    name: str
    arn: str | None = None
    reason: str


@dataclass(frozen=True, kw_only=True)
class RemovalResult(Wire):
    """What one removal step did; a permanent failure is reported with what was done before it."""

    removed: list[Removed] = field(default_factory=list)
    retained: list[Retained] = field(default_factory=list)
    failure: Failure | None = None


@dataclass(frozen=True, kw_only=True)
class OffboardedConnection(Wire):
    """The onboarding's connection as its result reports it (``ConnectionSummary``)."""

    arn: str
    name: str
    service: ConnectionService
    provider: str
    status: str
    created: bool


@dataclass(frozen=True, kw_only=True)
class OffboardedHost(Wire):
    """The onboarding's host as its result reports it (``HostSummary``)."""

    arn: str
    name: str
    service: ConnectionService
    provider: str
    provider_endpoint: str
    status: str
    created: bool


@dataclass(frozen=True, kw_only=True)
class Untag(Wire):
    """A change's prune: tag keys to take off a resource this onboarding created, which the
    onboarding's requests set and the new request no longer has."""

    arn: str
    name: str
    keys: list[str]


@dataclass(frozen=True, kw_only=True)
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


@dataclass(frozen=True, kw_only=True)
class RemoveCodeArtifactInput(Wire):
    request_id: str
    delete_packages: bool = False
    codeartifact: CodeArtifactResult | None = None
    #: a change's prune: the domain stays (only the repositories listed are removed)
    keep_domain: bool = False
    #: a change's prune: the tag keys to take off the domain and repositories that stay
    untag: list[Untag] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ReportOffboardingInput(Wire):
    request_id: str
    branches: list[dict[str, object]]
    #: what a change swapped in for the onboarding's connection, host or domain: listed as retained
    replaced: list[Retained] = field(default_factory=list)
