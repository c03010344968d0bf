"""What each link target reports (the Parallel branches' results), and the input of the step
that reports them.

Field names are camelCase on the wire (see :class:`~repolink.models.wire.Wire`); the ASL refers to
them by path. Plain dataclasses: the task handlers read them with ``from_wire``, without pydantic.
"""

from dataclasses import field
from typing import Annotated, Literal

from repolink.models.record import record
from repolink.models.rules import Doc
from repolink.models.state.common import Failure, Outcome
from repolink.models.wire import Wire


@record(kw_only=True)
class ProtonLinkResult(Wire):
    name: str
    provider: str
    arn: str
    outcome: Outcome


SyncUpdate = Literal[
    "branch",
    "configFile",
    "roleArn",
    "publishDeploymentStatus",
    "triggerResourceUpdateOn",
    "pullRequestComment",
]
"""What a change updated in place on a stack's sync configuration (the request's field names)."""


@record(kw_only=True)
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


@record(kw_only=True)
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


@record(kw_only=True)
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


@record(kw_only=True)
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


@record(kw_only=True)
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


@record(kw_only=True)
class ReportOutcomeInput(Wire):
    request_id: str
    branches: list[dict[str, object]]
    #: ``$$.Execution.Name``: the request id, or a change's name (``workflow.change``)
    execution_name: str = ""
    #: a change's prune steps (``$.pruned``, as the offboarding's branches report); empty: none
    pruned: list[dict[str, object]] = field(default_factory=list)
