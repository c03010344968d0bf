"""CloudFormation Git sync: one repository link per repository, one sync configuration per stack.

A repository is linked to the request's AVAILABLE connection once (``CreateRepositoryLink``); a
link to the same owner and repository on the same connection is reused, whoever made it. Each
stack then gets its sync configuration (``CreateSyncConfiguration``, ``CFN_STACK_SYNC``); an
identical one counts as done, and a stack already synced from anywhere else is a failure naming
it. Applying twice (a retried step, a lost answer) leaves one of each.

Provenance: a link is this onboarding's when its ownership tags carry this request's id and
account. Sync configurations have no tags, so a stack's configuration on a link this onboarding
made is this onboarding's (``created``), and one on a link others made is ``existing``.

Within a change (``PUT /links/{id}``, ``workflow.change``) what this onboarding made converges to
the request in place: a stack's configuration on its link whose branch, file or settings differ
is updated (``UpdateSyncConfiguration``, every value sent, so a lost answer sent again sets the
same), and its link gets the request's new and changed tags (``TagResource``; the ownership tags
are never touched). Each result says what it updated (a stack's ``updated``: the fields; a
link's: ``tags``), its ``outcome`` staying ``created``. A tag key the new request no longer has
is left on the link here (a change with ``"prune": true`` takes it off afterwards,
``remove_git_sync`` below). A configuration on a link others made, or synced from another
repository or link, is never changed: it stays a conflict naming the stack.

A stack that fails is reported and the others go on (the branch reports, it doesn't throw). A
link this onboarding created (its ownership tags carry this request's id) that ends with no
stack synced from it is deleted again; a reused link is never deleted, nor is a sync configuration.

Removal (offboarding, a change's prune: ``remove_git_sync``, in the order
:mod:`repolink.workflow.removal` gives): each repository's sync configurations, then its link.
A sync configuration has no tags: it is deleted only when AWS still has it syncing the stack from
the repository link, branch and file this onboarding made it with. A repository link is deleted
only when its ``repolink:request-id`` and ``repolink:owner-account`` tags name this onboarding and
no sync configuration is left on it. Everything else is retained, with the reason.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from repolink.adapters.connections import GitSync, RepositoryLink, SyncConfiguration
from repolink.adapters.quotas import sync_configuration_quota
from repolink.errors import (
    AwsConflict,
    AwsNotFound,
    AwsRequestRejected,
    QuotaExceeded,
    ResourceConflict,
    TooManyTags,
    UnsupportedProvider,
)
from repolink.models.providers import GIT_SYNC_PROVIDER_TYPES, GIT_SYNC_TYPE
from repolink.models.sections import GitSyncRepositorySpec, SyncConfigurationSpec
from repolink.models.state.common import ConnectionState, Failure, Outcome
from repolink.models.state.offboarding import RemovalResult, Removed, Untag
from repolink.models.state.results import GitSyncLinkResult, GitSyncStackResult, SyncUpdate
from repolink.models.tags import TAGS_MAX
from repolink.workflow.ledger import NOT_OURS, REUSED, Ledger, reported, untag_keys
from repolink.workflow.tenancy import OWNER_TAG, REQUEST_TAG

#: the Failure step of a stack whose sync configuration could not be made
SYNC_STEP = "GitSync.CreateSyncConfiguration"
#: the Failure step of a stack whose sync configuration could not be updated in place (a change)
UPDATE_STEP = "GitSync.UpdateSyncConfiguration"
#: the Failure step of a link whose tags could not be updated in place (a change)
TAG_STEP = "GitSync.TagResource"


@dataclass(frozen=True)
class GitSyncContext:
    connection: ConnectionState
    request_id: str
    caller: str
    #: a change of the onboarding runs: what it made is updated to the request in place
    changing: bool = False


def _toggle(on: bool) -> str:
    return "ENABLED" if on else "DISABLED"


def _same_connection(a: str, b: str) -> bool:
    """One connection under either name: ``codeconnections`` and ``codestar-connections`` ARNs of
    one connection differ only in the service field."""
    return a.split(":")[3:] == b.split(":")[3:]


def _where(spec: GitSyncRepositorySpec) -> str:
    return f"gitSync.repositories[{spec.owner_id}/{spec.repository_name}]"


class GitSyncTarget:
    section = "gitSync"
    needs_connection = True

    def __init__(self, svc: GitSync | None = None) -> None:
        self._svc = svc

    def apply(self, spec: GitSyncRepositorySpec, context: GitSyncContext) -> GitSyncLinkResult:
        connection = context.connection
        if connection.provider not in GIT_SYNC_PROVIDER_TYPES:
            raise UnsupportedProvider(
                f"CloudFormation Git sync cannot link repositories of provider {connection.provider!r};"
                f" it supports {', '.join(GIT_SYNC_PROVIDER_TYPES)}"
            )
        svc = self._svc or GitSync(
            "codestar-connections" if connection.service == "codestar-connections" else "codeconnections"
        )
        link, outcome, tags = _link(svc, spec, context)
        stacks: list[GitSyncStackResult] = []
        failures: list[Failure] = []
        ours = outcome == "created"
        retagged = False
        if ours and context.changing:
            try:
                retagged = _retag(svc, spec, link, tags)
            except (
                TooManyTags,
                AwsRequestRejected,
            ) as exc:  # a refusal, a denied role: reported, stacks go on
                where = f"{TAG_STEP}:{spec.owner_id}/{spec.repository_name}"
                failures.append(Failure(step=where, error=type(exc).__name__, cause=str(exc)))
        for config in spec.sync_configurations:
            done = _sync(svc, spec, link, config, ours=ours, changing=context.changing)
            if isinstance(done, Failure):
                failures.append(done)
            else:
                stacks.append(done)
        deleted = False
        if ours and not stacks and not svc.syncs_of(link.id, GIT_SYNC_TYPE):
            svc.delete_link(link.id)
            deleted = True
        return GitSyncLinkResult(
            owner_id=link.owner_id,
            repository_name=link.repository_name,
            repository_link_id=link.id,
            repository_link_arn=link.arn,
            outcome=outcome,
            sync_configurations=stacks,
            failures=failures,
            link_deleted=deleted,
            updated=["tags"] if retagged else [],
        )


def _find(svc: GitSync, spec: GitSyncRepositorySpec, provider: str) -> RepositoryLink | None:
    """The account's link of this provider's owner/repository (names are case-insensitive)."""
    owner, name = spec.owner_id.lower(), spec.repository_name.lower()
    for link in svc.links():
        same = link.owner_id.lower() == owner and link.repository_name.lower() == name
        if same and link.provider == provider:
            return link
    return None


def _adopt(
    svc: GitSync, spec: GitSyncRepositorySpec, link: RepositoryLink, context: GitSyncContext
) -> tuple[Outcome, dict[str, str]]:
    """Reuse ``link`` when it is on this connection (with the key asked for, if one is); it counts
    as created by this onboarding only when its ownership tags carry this request and account.
    Its tags come back with the verdict."""
    if not _same_connection(link.connection_arn, context.connection.arn):
        raise ResourceConflict(
            f"{_where(spec)}: already linked through connection {link.connection_arn} (repository link"
            f" {link.id}), not {context.connection.arn}; unlink it there first or use that connection"
        )
    if spec.encryption_key_arn and link.encryption_key_arn != spec.encryption_key_arn:
        raise ResourceConflict(
            f"{_where(spec)}.encryptionKeyArn: the existing repository link {link.id} uses"
            f" {link.encryption_key_arn or 'an AWS owned key'}, the request asks for"
            f" {spec.encryption_key_arn}"
        )
    tags = svc.tags(link.arn)
    ours = tags.get(REQUEST_TAG) == context.request_id and tags.get(OWNER_TAG) == context.caller
    return ("created" if ours else "existing"), tags


def _link(
    svc: GitSync, spec: GitSyncRepositorySpec, context: GitSyncContext
) -> tuple[RepositoryLink, Outcome, dict[str, str]]:
    """The repository's link, whether this onboarding made it, and its tags."""
    found = _find(svc, spec, context.connection.provider)
    if found is not None:
        return found, *_adopt(svc, spec, found, context)
    tags = {**spec.tags, REQUEST_TAG: context.request_id, OWNER_TAG: context.caller}
    try:
        made = svc.create_link(
            context.connection.arn, spec.owner_id, spec.repository_name, spec.encryption_key_arn, tags
        )
        return made, "created", tags
    except (AwsConflict, QuotaExceeded):
        # a lost answer (the SDK sent it again and the link now exists: refused as a duplicate, or
        # for the quota the lost one reached) or a link made meanwhile: the one link there is,
        # never a second; none there is the refusal it was
        found = _find(svc, spec, context.connection.provider)
        if found is None:
            raise
        return found, *_adopt(svc, spec, found, context)


def _retag(svc: GitSync, spec: GitSyncRepositorySpec, link: RepositoryLink, tags: dict[str, str]) -> bool:
    """A change: this onboarding's link gets the request's new and changed tags (the request's
    tags never name the ownership keys, so those stay as they are); keys the request dropped stay
    too (a pruning change takes them off afterwards). Whether it was tagged."""
    differing = {key: value for key, value in spec.tags.items() if tags.get(key) != value}
    if not differing:
        return False
    total = len(tags.keys() | differing.keys())
    if total > TAGS_MAX:
        # refused before the call: AWS answers LimitExceededException, which botocore retries
        # as a throttle before it gives up
        raise TooManyTags(
            f"{_where(spec)}.tags: the repository link would have {total} tags, CodeConnections"
            f" allows {TAGS_MAX} (repolink's own counted; keys a change drops stay on the link)"
        )
    svc.tag_link(link.arn, differing)
    return True


def _wanted(svc: GitSync, link: RepositoryLink, config: SyncConfigurationSpec) -> SyncConfiguration:
    # codestar-connections' API has no PullRequestComment (the request model refuses asking for
    # comments through it): it is left out there, as AWS answers it
    comments = _toggle(config.pull_request_comment) if svc.service == "codeconnections" else None
    return SyncConfiguration(
        resource_name=config.resource_name,
        repository_link_id=link.id,
        branch=config.branch,
        config_file=config.config_file,
        role_arn=config.role_arn,
        publish_deployment_status=_toggle(config.publish_deployment_status),
        trigger_resource_update_on=config.trigger_resource_update_on,
        pull_request_comment=comments,
    )


#: a sync configuration's fields, by request (wire) name
_FIELDS: tuple[tuple[str, SyncUpdate], ...] = (
    ("branch", "branch"),
    ("config_file", "configFile"),
    ("role_arn", "roleArn"),
    ("publish_deployment_status", "publishDeploymentStatus"),
    ("trigger_resource_update_on", "triggerResourceUpdateOn"),
    ("pull_request_comment", "pullRequestComment"),
)
_SETTINGS = (
    ("role_arn", "roleArn"),
    ("publish_deployment_status", "publishDeploymentStatus"),
    ("trigger_resource_update_on", "triggerResourceUpdateOn"),
    ("pull_request_comment", "pullRequestComment"),
)


def _sync(
    svc: GitSync,
    spec: GitSyncRepositorySpec,
    link: RepositoryLink,
    config: SyncConfigurationSpec,
    *,
    ours: bool,
    changing: bool,
) -> GitSyncStackResult | Failure:
    """The stack's sync configuration, made, found or (a change, on this onboarding's ``link``)
    updated; a permanent failure of it (a conflict, a refusal, a denied role) as a Failure, so
    the other stacks go on. A transient error still fails the step, which is retried whole."""
    wanted = _wanted(svc, link, config)
    step = SYNC_STEP
    outcome: Outcome = "created"
    updated: list[SyncUpdate] = []
    try:
        try:
            svc.create_sync(wanted, GIT_SYNC_TYPE)
        except (AwsConflict, QuotaExceeded) as refused:
            found = svc.get_sync(config.resource_name, GIT_SYNC_TYPE)
            if found is None and isinstance(refused, QuotaExceeded):
                raise _sync_quota(svc, link, config, refused) from None
            if found is None:
                raise
            outcome = "created" if ours else "existing"
            if found != wanted:
                if not (changing and ours and found.repository_link_id == link.id):
                    _check_same(spec, config, wanted, found)
                step = UPDATE_STEP
                svc.update_sync(wanted, GIT_SYNC_TYPE)
                updated = [wire for attr, wire in _FIELDS if getattr(found, attr) != getattr(wanted, attr)]
    except (ResourceConflict, AwsRequestRejected) as exc:
        return Failure(step=f"{step}:{config.resource_name}", error=type(exc).__name__, cause=str(exc))
    return GitSyncStackResult(
        resource_name=config.resource_name,
        branch=config.branch,
        config_file=config.config_file,
        outcome=outcome,
        updated=updated,
    )


def _sync_quota(
    svc: GitSync, link: RepositoryLink, config: SyncConfigurationSpec, refused: QuotaExceeded
) -> QuotaExceeded:
    """The refusal naming which sync-configuration quota it reached (AWS answers all three with
    one code): the link's configurations are counted, on one read, only once refused."""
    on_link = svc.syncs_of(link.id, GIT_SYNC_TYPE)
    on_branch = sum(1 for c in on_link if c.branch == config.branch)
    return refused.naming(sync_configuration_quota(len(on_link), on_branch))


def _check_same(
    spec: GitSyncRepositorySpec,
    config: SyncConfigurationSpec,
    wanted: SyncConfiguration,
    found: SyncConfiguration,
) -> None:
    """An existing sync configuration of the stack is done only when it is the one asked for."""
    where = f"{_where(spec)}.syncConfigurations[{config.resource_name}]"
    source = (found.repository_link_id, found.branch, found.config_file)
    if source != (wanted.repository_link_id, wanted.branch, wanted.config_file):
        origin = f"{found.owner_id}/{found.repository_name}" if found.owner_id else "another repository"
        raise ResourceConflict(
            f"{where}: stack {config.resource_name!r} is already synced from {origin} (repository link"
            f" {found.repository_link_id}, branch {found.branch!r}, file {found.config_file!r}); the request"
            f" asks for {spec.owner_id}/{spec.repository_name} branch {config.branch!r} file"
            f" {config.config_file!r}. repolink changes a sync configuration only on a repository link"
            " this onboarding created, and only within a change: delete that one first, or choose"
            " another stack"
        )
    differing = [wire for attr, wire in _SETTINGS if getattr(found, attr) != getattr(wanted, attr)]
    if differing:
        raise ResourceConflict(
            f"{where}: stack {config.resource_name!r} is already synced from this branch and file with"
            f" other settings ({', '.join(differing)}); repolink changes a sync configuration only on a"
            " repository link this onboarding created, and only within a change"
        )


# -- removal (offboarding, a change's prune) ----------------------------------------------------


def _service_of(arn: str) -> str:
    return arn.split(":")[2]


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

    def work(ledger: Ledger) -> None:
        for repo in reversed(repositories):
            svc = svc_for(_service_of(repo.repository_link_arn))
            _remove_repository(svc, repo, ledger, request_id, caller, repo.repository_link_arn in keep_links)

        def ours(tags: dict[str, str]) -> bool:
            return tags.get(REQUEST_TAG) == request_id and tags.get(OWNER_TAG) == caller

        for item in untag:
            svc = svc_for(_service_of(item.arn))
            untag_keys(ledger, f"{svc.service}:repository-link", item, svc.tags, svc.untag_link, ours)

    return reported("GitSync.Remove", work)


def _remove_repository(
    svc: GitSync, repo: GitSyncLinkResult, ledger: Ledger, request_id: str, caller: str, keep_link: bool
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
