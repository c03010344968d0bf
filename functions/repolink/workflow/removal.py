"""Offboarding: remove what an onboarding created, newest first, and keep (and say why) the rest.

The order is the reverse of creation: sync configurations, repository links, the connection,
its host (``remove_git_sync``, ``remove_connection``); CodeArtifact repositories downstream first, then the
domain (``remove_codeartifact``). What to remove comes from the onboarding's recorded result;
before each deletion the resource's ownership is read again from AWS, and a resource whose tag
does not name this onboarding is retained, never deleted:

- a sync configuration has no tags: it is deleted only when AWS still has it syncing the stack
  from the repository link, branch and file this onboarding made it with;
- a repository link, connection, CodeArtifact repository or domain: only when its
  ``repolink:request-id`` tag (and, for connections and links, ``repolink:owner-account``) names
  this onboarding;
- a connection only when no repository link uses it any more (another onboarding may have reused
  it); a host only when no connection is made on it any more; a repository link only when no
  sync configuration is left on it;
- a CodeArtifact repository only when it holds no packages, or the request says
  ``deletePackages``, and when no repository that stays lists it as an upstream; the domain only
  when it then holds no repositories.

Everything reused (``outcome: existing``, ``created: false``) is retained with that reason. Each
deletion is idempotent: a resource already gone counts as removed (a retried step, or a
``Delete`` whose answer was lost and which the SDK sent again). A permanent failure is reported
with what was done before it (``RemovalResult.failure``); a transient one propagates, and the
state machine retries the whole step, which reads everything again.

Not removed: AWS Proton repositories. Proton reached end of support on 2026-10-07 and its
resources can no longer be accessed, so they are listed as retained with that reason.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import partial
from typing import ClassVar, Literal

from repolink.adapters import codeartifact as ca
from repolink.adapters.connections import ConnectionService, GitSync, Hosts
from repolink.errors import AwsNotFound, ConnectionNotFound, HostNotFound, RepolinkError, TransientAwsError
from repolink.models.events import (
    FAILED,
    OFFBOARD_FAILED,
    OFFBOARDED,
    Removals,
    RepositoryLinkCompletedDetail,
    RepositoryLinkFailedDetail,
    RepositoryLinkOffboardedDetail,
    RepositoryLinkOffboardFailedDetail,
    Succeeded,
)
from repolink.models.providers import GIT_SYNC_TYPE, PROTON_END_OF_SUPPORT
from repolink.models.state.common import Failure
from repolink.models.state.offboarding import (
    OffboardedConnection,
    OffboardedHost,
    RemovalResult,
    Removed,
    Retained,
    Untag,
)
from repolink.models.state.results import CodeArtifactResult, GitSyncLinkResult, ProtonLinkResult
from repolink.models.tags import RESERVED_CODEARTIFACT_TAG
from repolink.models.wire import Wire
from repolink.workflow.outcome import StepError, readable_cause
from repolink.workflow.tenancy import OWNER_TAG, REQUEST_TAG

REUSED = "reused: this onboarding did not create it"
NOT_OURS = "its ownership tag does not name this onboarding"
PROTON_GONE = (
    f"AWS Proton reached end of support on {PROTON_END_OF_SUPPORT}; its resources can no longer be accessed"
)


@dataclass
class _Ledger:
    """What a step removed and retained so far, in order."""

    removed: list[Removed] = field(default_factory=list)
    retained: list[Retained] = field(default_factory=list)

    def remove(self, kind: str, name: str, arn: str | None, delete: Callable[[], None]) -> None:
        delete()
        self.removed.append(Removed(type=kind, name=name, arn=arn))

    def keep(self, kind: str, name: str, arn: str | None, reason: str) -> None:
        self.retained.append(Retained(type=kind, name=name, arn=arn, reason=reason))

    def result(self, failure: Failure | None = None) -> RemovalResult:
        return RemovalResult(removed=list(self.removed), retained=list(self.retained), failure=failure)


def _reported(step: str, work: Callable[[_Ledger], None]) -> RemovalResult:
    ledger = _Ledger()
    try:
        work(ledger)
    except TransientAwsError:
        raise  # the state machine retries the step, which reads everything again
    except RepolinkError as exc:
        failure = Failure(step=step, error=type(exc).__name__, cause=str(exc))
        return ledger.result(failure)
    return ledger.result()


def _service_of(arn: str) -> str:
    return arn.split(":")[2]


# -- Git sync -------------------------------------------------------------------------------------


def remove_git_sync(
    svc_for: Callable[[str], GitSync],
    repositories: list[GitSyncLinkResult],
    *,
    request_id: str,
    caller: str,
    keep_links: frozenset[str] = frozenset(),
    untag: Sequence[Untag] = (),
) -> RemovalResult:
    """Each repository's sync configurations this onboarding created, then its link if it created
    it (not those of ``keep_links``, which a change's prune leaves); then, for a prune, the tag
    keys ``untag`` names off the links that stay."""

    def work(ledger: _Ledger) -> None:
        for repo in reversed(repositories):
            svc = svc_for(_service_of(repo.repository_link_arn))
            _remove_repository(svc, repo, ledger, request_id, caller, repo.repository_link_arn in keep_links)

        def ours(tags: dict[str, str]) -> bool:
            return tags.get(REQUEST_TAG) == request_id and tags.get(OWNER_TAG) == caller

        for item in untag:
            svc = svc_for(_service_of(item.arn))
            _untag(ledger, f"{svc.service}:repository-link", item, svc.tags, svc.untag_link, ours)

    return _reported("GitSync.Remove", work)


def _remove_repository(
    svc: GitSync, repo: GitSyncLinkResult, ledger: _Ledger, request_id: str, caller: str, keep_link: bool
) -> None:
    kind = f"{svc.service}:sync-configuration"
    for stack in reversed(repo.sync_configurations):
        if stack.outcome != "created":
            ledger.keep(kind, stack.resource_name, None, REUSED)
            continue
        found = svc.get_sync(stack.resource_name, GIT_SYNC_TYPE)
        if found is None:
            ledger.removed.append(Removed(type=kind, name=stack.resource_name))
            continue
        made = (repo.repository_link_id, stack.branch, stack.config_file)
        if (found.repository_link_id, found.branch, found.config_file) != made:
            ledger.keep(
                kind,
                stack.resource_name,
                None,
                f"the stack is now synced from repository link {found.repository_link_id}, branch"
                f" {found.branch!r}, file {found.config_file!r}: not the configuration this onboarding made",
            )
            continue
        ledger.remove(
            kind, stack.resource_name, None, partial(svc.delete_sync, stack.resource_name, GIT_SYNC_TYPE)
        )
    link_kind, name = f"{svc.service}:repository-link", f"{repo.owner_id}/{repo.repository_name}"
    arn = repo.repository_link_arn
    if repo.link_deleted or keep_link:
        return  # the onboarding deleted it again already, or a change prunes only its stacks
    if repo.outcome != "created":
        ledger.keep(link_kind, name, arn, REUSED)
        return
    try:
        tags = svc.tags(arn)
    except AwsNotFound:
        ledger.removed.append(Removed(type=link_kind, name=name, arn=arn))
        return
    if tags.get(REQUEST_TAG) != request_id or tags.get(OWNER_TAG) != caller:
        ledger.keep(link_kind, name, arn, NOT_OURS)
        return
    left = [s.resource_name for s in svc.syncs_of(repo.repository_link_id, GIT_SYNC_TYPE)]
    if left:
        ledger.keep(link_kind, name, arn, f"stacks are still synced through it: {', '.join(sorted(left))}")
        return
    ledger.remove(link_kind, name, arn, lambda: svc.delete_link(repo.repository_link_id))


def _untag(
    ledger: _Ledger,
    kind: str,
    item: Untag,
    tags_of: Callable[[str], dict[str, str]],
    untag: Callable[[str, list[str]], None],
    ours: Callable[[dict[str, str]], bool],
) -> None:
    """A prune's dropped tag keys off a resource this onboarding created (its ownership tags read
    again first; a resource gone or not ours is left), each key listed as removed
    (``KIND:tag``, ``NAME/KEY``). A key it no longer has counts as removed; repolink's own never
    goes."""
    try:
        tags = tags_of(item.arn)
    except AwsNotFound:
        return  # gone with its tags
    if not ours(tags):
        ledger.keep(kind, item.name, item.arn, NOT_OURS + ": its tags are left as they are")
        return
    keys = sorted(set(item.keys) - {REQUEST_TAG, OWNER_TAG, RESERVED_CODEARTIFACT_TAG})
    present = [key for key in keys if key in tags]
    if present:
        untag(item.arn, present)
    for key in keys:
        ledger.removed.append(Removed(type=f"{kind}:tag", name=f"{item.name}/{key}", arn=item.arn))


# -- the connection --------------------------------------------------------------------------------


def remove_connection(
    svc: ConnectionService,
    links_of: Callable[[str], list[str]] | None,
    connection: OffboardedConnection | None,
    *,
    already_deleted: bool,
    request_id: str,
    caller: str,
    host: tuple[Hosts, OffboardedHost, bool] | None = None,
) -> RemovalResult:
    """The connection, if this onboarding created it and nothing links through it any more; then
    its host (``host``: the adapter, the host, whether the onboarding deleted it already), if this
    onboarding created it and no connection is made on it any more.

    ``links_of(arn)`` names the repository links still on the connection (Git sync's; ``None``
    for App Runner, which has none)."""

    def work(ledger: _Ledger) -> None:
        _connection(ledger)
        if host is not None:
            _remove_host(*host, ledger, request_id, caller)

    def _connection(ledger: _Ledger) -> None:
        if connection is None or already_deleted:
            return
        kind, arn = f"{connection.service}:connection", connection.arn
        if not connection.created:
            ledger.keep(kind, connection.name, arn, REUSED)
            return
        try:
            tags = svc.tags(arn)
        except (AwsNotFound, ConnectionNotFound):
            ledger.removed.append(Removed(type=kind, name=connection.name, arn=arn))
            return
        if tags.get(REQUEST_TAG) != request_id or tags.get(OWNER_TAG) != caller:
            ledger.keep(kind, connection.name, arn, NOT_OURS)
            return
        users = links_of(arn) if links_of is not None else []
        if users:
            reason = (
                f"repository links still use it (another onboarding reuses it): {', '.join(sorted(users))}"
            )
            ledger.keep(kind, connection.name, arn, reason)
            return
        ledger.remove(kind, connection.name, arn, lambda: svc.delete(arn))

    return _reported("Connection.Remove", work)


def _remove_host(
    svc: Hosts, host: OffboardedHost, already_deleted: bool, ledger: _Ledger, request_id: str, caller: str
) -> None:
    """The host, after its connection: only one this onboarding created, with nothing on it."""
    kind = f"{host.service}:host"
    if already_deleted:
        return
    if not host.created:
        ledger.keep(kind, host.name, host.arn, REUSED)
        return
    try:
        tags = svc.tags(host.arn)
    except (AwsNotFound, HostNotFound):
        ledger.removed.append(Removed(type=kind, name=host.name, arn=host.arn))
        return
    if tags.get(REQUEST_TAG) != request_id or tags.get(OWNER_TAG) != caller:
        ledger.keep(kind, host.name, host.arn, NOT_OURS)
        return
    users = svc.connections_on(host.arn)
    if users:
        ledger.keep(
            kind, host.name, host.arn, f"connections are still made on it: {', '.join(sorted(users))}"
        )
        return
    ledger.remove(kind, host.name, host.arn, partial(svc.delete, host.arn))


def links_on(svc: GitSync) -> Callable[[str], list[str]]:
    """The repository links (``OWNER/NAME``) on a connection, either ARN spelling of it."""

    def names(arn: str) -> list[str]:
        same = arn.split(":")[3:]
        return [
            f"{link.owner_id}/{link.repository_name}"
            for link in svc.links()
            if link.connection_arn.split(":")[3:] == same
        ]

    return names


def proton_retained(repositories: list[ProtonLinkResult]) -> list[Retained]:
    """Proton repositories stay: past end of support, they can no longer be accessed."""
    return [
        Retained(
            type="proton:repository",
            name=r.name,
            arn=r.arn,
            reason=REUSED if r.outcome != "created" else PROTON_GONE,
        )
        for r in repositories
    ]


# -- CodeArtifact ----------------------------------------------------------------------------------


def remove_codeartifact(
    result: CodeArtifactResult | None,
    *,
    request_id: str,
    delete_packages: bool,
    keep_domain: bool = False,
    untag: Sequence[Untag] = (),
) -> RemovalResult:
    """The repositories this onboarding created, downstreams first, then its domain (unless
    ``keep_domain``: a change's prune removes repositories only, and the tag keys ``untag`` names
    off the domain and repositories that stay)."""

    def work(ledger: _Ledger) -> None:
        def ours(tags: dict[str, str]) -> bool:
            return tags.get(RESERVED_CODEARTIFACT_TAG) == request_id

        for item in untag:
            kind = "codeartifact:domain" if ":domain/" in item.arn else "codeartifact:repository"
            _untag(ledger, kind, item, ca.tags_of, ca.untag_resource, ours)
        if result is None or result.domain_arn is None:
            return
        domain, owner = result.domain, result.domain_arn.split(":")[4]
        try:
            live = {
                name: ca.describe_repository(domain, owner, name).upstreams
                for name in ca.repositories_in(domain, owner)
            }
        except AwsNotFound:
            live = {}  # the domain is gone, and its repositories with it
        kind = "codeartifact:repository"
        # the result lists the repositories in dependency order (upstreams first)
        for repo in reversed(result.repositories):
            if repo.outcome != "created":
                ledger.keep(kind, repo.name, repo.arn, REUSED)
                continue
            if repo.name not in live:
                ledger.removed.append(Removed(type=kind, name=repo.name, arn=repo.arn))
                continue
            if _tag(repo.arn) != request_id:
                ledger.keep(kind, repo.name, repo.arn, NOT_OURS)
                continue
            users = sorted(d for d, upstreams in live.items() if repo.name in upstreams)
            if users:
                ledger.keep(
                    kind, repo.name, repo.arn, f"an upstream of repositories that stay: {', '.join(users)}"
                )
                continue
            if not delete_packages and ca.holds_packages(domain, owner, repo.name):
                ledger.keep(
                    kind,
                    repo.name,
                    repo.arn,
                    "it holds packages; offboard with deletePackages: true to delete them with it",
                )
                continue
            ledger.remove(kind, repo.name, repo.arn, partial(ca.delete_repository, domain, owner, repo.name))
            del live[repo.name]
        if keep_domain:
            return
        _remove_domain(result, domain, owner, live, ledger, request_id)
        kept = {r.arn for r in ledger.retained}
        for shared in result.sharing:
            if shared.repository is None and shared.resource_arn in kept and shared.outcome == "written":
                ledger.keep(
                    "codeartifact:domain-permissions-policy",
                    domain,
                    shared.resource_arn,
                    f"sharing only adds: statements {', '.join(shared.sids)} of the domain's policy still"
                    " grant the consumers; remove them by hand if no other onboarding shares through them",
                )

    return _reported("CodeArtifact.Remove", work)


def _tag(arn: str) -> str | None:
    try:
        return ca.tags_of(arn).get(RESERVED_CODEARTIFACT_TAG)
    except AwsNotFound:
        return None


def _remove_domain(
    result: CodeArtifactResult,
    domain: str,
    owner: str,
    live: dict[str, tuple[str, ...]],
    ledger: _Ledger,
    request_id: str,
) -> None:
    kind, arn = "codeartifact:domain", result.domain_arn
    if not result.domain_created:
        ledger.keep(kind, domain, arn, REUSED)
        return
    try:
        ca.describe_domain(domain, owner)
    except AwsNotFound:
        ledger.removed.append(Removed(type=kind, name=domain, arn=arn))
        return
    if arn is None or _tag(arn) != request_id:
        ledger.keep(kind, domain, arn, NOT_OURS)
        return
    if live:
        ledger.keep(kind, domain, arn, f"it still holds repositories: {', '.join(sorted(live))}")
        return
    ledger.remove(kind, domain, arn, lambda: ca.delete_domain(domain, owner))


# -- the report ------------------------------------------------------------------------------------

#: the order the steps' results are reported in: the order they remove (newest first)
STEPS = ("gitSync", "connection", "codeartifact")


def decide(
    request_id: str, branches: list[dict[str, object]], replaced: Sequence[Retained] = ()
) -> tuple[str, RepositoryLinkOffboardedDetail | RepositoryLinkOffboardFailedDetail]:
    """The detail type and detail of the offboarding's one result event; ``replaced`` (what a
    change swapped in for the connection, host or domain, ``offboard.union``) is listed retained."""
    found: dict[str, RemovalResult] = {}
    failures: list[Failure] = []
    for raw in branches:
        branch = BranchRemovals.from_wire(raw)
        for step in STEPS:
            output = getattr(branch, _ATTRS[step])
            if output is not None:
                found[step] = output.removal
        if branch.failed_step and branch.failure is not None:
            cause = readable_cause(branch.failure.cause)
            failures.append(Failure(step=branch.failed_step, error=branch.failure.error, cause=cause))
    removed = [r for step in STEPS if step in found for r in found[step].removed]
    retained = [r for step in STEPS if step in found for r in found[step].retained] + list(replaced)
    failures = [f for s in STEPS if s in found and (f := found[s].failure) is not None] + failures
    if not failures:
        return OFFBOARDED, RepositoryLinkOffboardedDetail(
            request_id=request_id, removed=removed, retained=retained
        )
    first = failures[0]
    return OFFBOARD_FAILED, RepositoryLinkOffboardFailedDetail(
        request_id=request_id,
        removed=removed,
        retained=retained,
        step=first.step,
        error=first.error,
        cause=first.cause,
        failures=failures,
    )


def with_pruned(
    detail_type: str,
    detail: RepositoryLinkCompletedDetail | RepositoryLinkFailedDetail,
    branches: list[dict[str, object]],
) -> tuple[str, RepositoryLinkCompletedDetail | RepositoryLinkFailedDetail]:
    """A change's result with what its prune steps (``branches``) removed and retained; a prune
    that failed fails the change, naming its step after any earlier failure."""
    _, removals = decide(detail.request_id, branches)
    pruned = Removals(removed=removals.removed, retained=removals.retained)
    failures = removals.failures if isinstance(removals, RepositoryLinkOffboardFailedDetail) else []
    if isinstance(detail, RepositoryLinkFailedDetail):
        return FAILED, replace(detail, pruned=pruned, failures=[*detail.failures, *failures])
    if not failures:
        return detail_type, replace(detail, pruned=pruned)
    first = failures[0]
    succeeded = {f.name: getattr(detail, f.name) for f in fields(Succeeded)}
    return FAILED, RepositoryLinkFailedDetail(
        **succeeded | {"pruned": pruned},
        request_id=detail.request_id,
        step=first.step,
        error=first.error,
        cause=first.cause,
        failures=failures,
    )


_ATTRS = {"gitSync": "git_sync", "connection": "connection", "codeartifact": "codeartifact"}


@dataclass(frozen=True, kw_only=True)
class StepRemovals(Wire):
    """A removal step's result, as the ASL keeps it (``{"removal": ...}``)."""

    removal: RemovalResult


@dataclass(frozen=True, kw_only=True)
class BranchRemovals(Wire):
    """What a branch of the offboarding leaves in its state (``$.result``)."""

    wire_extra: ClassVar[Literal["forbid", "ignore"]] = "ignore"

    git_sync: StepRemovals | None = None
    connection: StepRemovals | None = None
    codeartifact: StepRemovals | None = None
    failed_step: str | None = None
    failure: StepError | None = None
