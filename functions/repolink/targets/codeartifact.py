"""AWS CodeArtifact: the domain, repositories in dependency order, external connections, sharing.

Needs no source connection, so the state machine runs it in parallel with the handshake wait.
Idempotent: an existing domain or repository with the same settings counts as done (a repository
is described before it is created; ``ConflictException`` on create -> describe -> compare, for
one made meanwhile); one with other settings is a clear failure, except within a change
(``PUT /links/{id}``, ``workflow.change``): a repository this onboarding created (its ownership
tag says so) whose upstreams or description differ is updated in place (``UpdateRepository``),
and a domain or repository it created whose tags lack or differ from the request's gets them
(``TagResource`` with the new and changed keys only; repolink's own tag is never sent). One it
reused is never changed. Keys the new request drops stay on the resource (a change with
``"prune": true`` takes them off afterwards, ``remove_codeartifact`` below). They count
against CodeArtifact's 200 tags per resource, so a change that would pass it fails naming the
field (``TooManyTags``) before any ``TagResource``. Each result says what it updated
(``updated``, ``domainUpdated``).

Provenance comes from the ownership tag, not from "it already existed": every domain and
repository this target creates carries ``repolink:request-id`` (and ``repolink:owner-account``,
the onboarding's account), so a retried step (a lost response, throttling past an attempt) still
reports what this onboarding created as ``created``. A resource in another account (a delegated
``domainOwner``'s) counts as ``existing``.

Tenancy, checked at accept (``workflow.domains``) and again here, since either may change in
between: a domain of this account another team's onboarding created, and not listed in
``SharedDomains``, is refused before anything is made or written in it (``DomainNotOwned``); a
repository another team's onboarding created is neither reused nor updated, nor named as an
upstream of one this onboarding creates or updates (``RepositoryNotOwned``). Both are permanent
failures whose cause says neither whose the resource is nor its settings. The tags of what exists
are read anyway (provenance); an upstream from outside the request is read only in a domain that
is not the caller's own.

Sharing (``consumers``) comes last: the domain's policy, then each repository's that this
onboarding created, each read, merged (:mod:`repolink.workflow.sharing`) and written only when it
lacks something, with the revision it was read at. A revision gone stale (someone wrote the policy
meanwhile, or a lost answer made botocore send the write again) is refused with
``ConflictException``: the policy is read and merged again, so no one's statement is lost.

Removal (offboarding, a change's prune: ``remove_codeartifact``, in the order
:mod:`repolink.workflow.removal` gives): the repositories this onboarding created, downstreams
first, then its domain. A repository or domain is deleted only when its ``repolink:request-id``
tag names this onboarding; a repository only when it holds no packages (or the request says
``deletePackages``) and no repository that stays lists it as an upstream; the domain only when it
then holds no repositories. Sharing only adds, so a domain that stays keeps repolink's statements
in its policy, and the result says so. Everything else is retained, with the reason.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import Literal

from repolink.adapters import codeartifact as ca
from repolink.errors import (
    AwsConflict,
    AwsNotFound,
    AwsRequestRejected,
    DomainNotFound,
    DomainNotOwned,
    QuotaExceeded,
    RepolinkError,
    RepositoryNotOwned,
    ResourceConflict,
    TooManyTags,
    TransientAwsError,
    UpstreamNotFound,
)
from repolink.models.sections import CodeArtifactRepositorySpec, CodeArtifactSpec
from repolink.models.state.common import Failure, Outcome
from repolink.models.state.offboarding import RemovalResult, Removed, Untag
from repolink.models.state.results import (
    CodeArtifactRepositoryResult,
    CodeArtifactResult,
    CodeArtifactSharingResult,
    RepositoryUpdate,
)
from repolink.models.tags import RESERVED_CODEARTIFACT_TAG, RESERVED_CODEARTIFACT_TAGS, TAGS_MAX
from repolink.workflow import sharing
from repolink.workflow.domains import domain_refused, repository_refused, standing, upstream_refused
from repolink.workflow.ledger import NOT_OURS, REUSED, Ledger, reported, untag_keys
from repolink.workflow.plan import order_repositories
from repolink.workflow.tenancy import OWNER_TAG, claim

#: how many times a policy is read, merged and written when others keep writing it meanwhile
POLICY_WRITE_ATTEMPTS = 5


class CodeArtifactTarget:
    section = "codeartifact"
    needs_connection = False

    def __init__(
        self,
        request_id: str = "",
        account: str = "",
        *,
        changing: bool = False,
        caller: str = "",
        shared: frozenset[str] = frozenset(),
    ) -> None:
        #: the onboarding's request id, tagged on what it creates (empty: tag nothing, claim nothing)
        self.request_id = request_id
        #: the account the function runs in: only its resources can be this onboarding's
        self.account = account
        #: a change of the onboarding runs: what it created is updated to the request in place
        self.changing = changing
        #: the account the onboarding belongs to, tagged on what it creates; another team's
        #: domain and repositories are refused (empty: no tenancy check, as without a request id)
        self.caller = caller
        #: ``SharedDomains``: domains of this account every team may use
        self.shared = shared
        #: the domain being provisioned is the caller's own and not shared (set as it is ensured):
        #: no other team made repositories in it, so upstreams need no reads
        self._domain_is_own = True

    def _tags(self, tags: dict[str, str]) -> dict[str, str]:
        if not self.request_id:
            return dict(tags)
        mine = {RESERVED_CODEARTIFACT_TAG: self.request_id}
        if self.caller:
            mine[OWNER_TAG] = self.caller
        return {**tags, **mine}

    def _read(self, arn: str) -> dict[str, str] | None:
        """The tags of a resource of this account (one ``ListTagsForResource``); None for
        another account's, or without a request id."""
        # what it creates lands in its own account; another account's domain (a delegated
        # domainOwner) was there before, and its tags are not ours to read
        if not self.request_id or arn.split(":")[4] != self.account:
            return None
        return ca.tags_of(arn)

    def _mine(self, tags: dict[str, str] | None) -> dict[str, str] | None:
        """``tags`` when this onboarding created the resource (a retried step finds it existing)."""
        return tags if tags is not None and tags.get(RESERVED_CODEARTIFACT_TAG) == self.request_id else None

    def _foreign(self, tags: dict[str, str] | None) -> bool:
        """Whether the resource with ``tags`` is another team's (``workflow.tenancy.claim``)."""
        if tags is None or not self.caller:
            return False
        return claim(tags, caller=self.caller, request_id=self.request_id) == "foreign"

    def _check_upstreams(
        self, spec: CodeArtifactSpec, repo: CodeArtifactRepositorySpec, requested: set[str], domain: ca.Domain
    ) -> None:
        """In a domain that is not the caller's own, refuse an upstream from outside the request
        that another team's onboarding created (one ``ListTagsForResource`` each; the request's
        own repositories were checked as they were ensured, upstreams first)."""
        if not self.caller or domain.arn.split(":")[4] != self.account:
            return
        if spec.domain not in self.shared and self._domain_is_own:
            return
        for upstream in repo.upstreams:
            if upstream in requested:
                continue
            if self._foreign(ca.tags_if_any(ca.repository_arn(domain.arn, upstream))):
                where = f"codeartifact.repositories[{repo.name}].upstreams"
                raise RepositoryNotOwned(f"{where}: {upstream_refused(spec.domain, upstream)}")

    @staticmethod
    def _retag(arn: str, current: dict[str, str], wanted: dict[str, str], where: str) -> bool:
        """Give a resource this onboarding created the request's tags it lacks or holds with
        another value (one ``TagResource``; none when it has them all); whether it was tagged.

        Refused before the call when the resource would pass CodeArtifact's 200 tags: AWS
        answers ``ServiceQuotaExceededException`` for a TagResource that would exceed a limit
        (https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_TagResource.html)."""
        missing = {
            k: v for k, v in wanted.items() if k not in RESERVED_CODEARTIFACT_TAGS and current.get(k) != v
        }
        if not missing:
            return False
        total = len(current.keys() | missing.keys())
        if total > TAGS_MAX:
            kept = sorted(current.keys() - wanted.keys() - set(RESERVED_CODEARTIFACT_TAGS))
            raise TooManyTags(
                f"{where}: the resource would have {total} tags, CodeArtifact allows {TAGS_MAX}"
                f" (repolink's own included): it holds {len(kept)} the request does not name"
                f" ({', '.join(kept[:5])}{', ...' if len(kept) > 5 else ''}), which a change leaves"
            )
        ca.tag_resource(arn, missing)
        return True

    def apply(
        self, spec: CodeArtifactSpec, context: None = None, *, last_attempt: bool = False
    ) -> CodeArtifactResult:
        """Provision everything; a permanent failure is reported with what was done before it.

        Transient errors (:class:`TransientAwsError`) propagate so the state machine retries the
        whole step, which is safe because every part of it is idempotent; on the ``last_attempt``
        the state machine has, one is reported like a permanent failure, with what was done.
        """
        result = CodeArtifactResult(status="succeeded", domain=spec.domain)
        step = "EnsureDomain"
        try:
            domain, owned = self._ensure_domain(spec)
            result = replace(result, domain_arn=domain.arn, domain_created=owned is not None)
            if self.changing and owned is not None:
                step = "TagDomain"
                if self._retag(domain.arn, owned, dict(spec.tags), "codeartifact.tags"):
                    result = replace(result, domain_updated=["tags"])
            requested = {r.name for r in spec.repositories}
            done: list[CodeArtifactRepositoryResult] = []
            for repo in order_repositories(spec.repositories):
                step = f"CreateRepository:{repo.name}"
                found, outcome, owned, updated = self._ensure_repository(spec, repo, requested, domain)
                if self.changing and owned is not None:
                    step = f"TagRepository:{repo.name}"
                    where = f"codeartifact.repositories[{repo.name}].tags"
                    if self._retag(found.arn, owned, dict(repo.tags), where):
                        updated = [*updated, "tags"]
                if repo.external_connection:
                    step = f"AssociateExternalConnection:{repo.name}"
                    found = self._ensure_external_connection(spec, repo, found)
                done.append(
                    CodeArtifactRepositoryResult(
                        name=found.name,
                        arn=found.arn,
                        upstreams=list(found.upstreams),
                        external_connection=found.external_connections[0]
                        if found.external_connections
                        else None,
                        outcome=outcome,
                        updated=updated,
                    )
                )
                result = replace(result, repositories=list(done))
            if spec.consumers is not None:
                consumers = sharing.Consumers(
                    tuple(spec.consumers.accounts),
                    (spec.consumers.organization_id,) if spec.consumers.organization_id else (),
                )
                step = "ShareDomain"
                shared = [self._share(spec, None, domain.arn, consumers)]
                result = replace(result, sharing=list(shared))
                for made in done:
                    if made.outcome == "created":
                        step = f"ShareRepository:{made.name}"
                        shared.append(self._share(spec, made.name, made.arn, consumers))
                        result = replace(result, sharing=list(shared))
        except TransientAwsError as exc:
            if not last_attempt:
                raise
            failure = Failure(step=f"CodeArtifact.{step}", error=type(exc).__name__, cause=str(exc))
            return replace(result, status="failed", failure=failure)
        except RepolinkError as exc:
            failure = Failure(step=f"CodeArtifact.{step}", error=type(exc).__name__, cause=str(exc))
            return replace(result, status="failed", failure=failure)
        return result

    def _ensure_domain(self, spec: CodeArtifactSpec) -> tuple[ca.Domain, dict[str, str] | None]:
        """The domain, and its tags when this onboarding created it (None: it was there); another
        team's is refused (``DomainNotOwned``) unless the deployment shares it."""
        self._domain_is_own = True
        try:
            found = ca.describe_domain(spec.domain, spec.domain_owner)
        except AwsNotFound:
            pass
        else:
            return found, self._claimed(spec, found)
        if not spec.create_domain:
            raise DomainNotFound(
                f"codeartifact.domain: domain {spec.domain!r} does not exist"
                f"{' in account ' + spec.domain_owner if spec.domain_owner else ''}; "
                "set createDomain to create it"
            )
        tags = self._tags(dict(spec.tags))
        try:
            return ca.create_domain(spec.domain, spec.encryption_key, tags), tags
        except (AwsConflict, QuotaExceeded) as refused:
            # created meanwhile (a concurrent or a retried run: the tag tells), or the SDK's retry
            # of a creation whose answer was lost met the quota that creation reached
            found = _after_refusal(refused, lambda: ca.describe_domain(spec.domain, spec.domain_owner))
            return found, self._claimed(spec, found)

    def _claimed(self, spec: CodeArtifactSpec, found: ca.Domain) -> dict[str, str] | None:
        """An existing domain: refused when another team's and not shared; its tags when this
        onboarding created it."""
        tags = self._read(found.arn)
        if tags is not None and self.caller:
            found_standing = standing(
                tags, spec.domain, caller=self.caller, request_id=self.request_id, shared=self.shared
            )
            if found_standing == "refused":
                raise DomainNotOwned(f"codeartifact.domain: {domain_refused(spec.domain)}")
            self._domain_is_own = found_standing == "own"
        return self._mine(tags)

    def _ensure_repository(
        self, spec: CodeArtifactSpec, repo: CodeArtifactRepositorySpec, requested: set[str], domain: ca.Domain
    ) -> tuple[ca.Repository, Outcome, dict[str, str] | None, list[RepositoryUpdate]]:
        """The repository, found with the same settings or created; which of the two; its tags
        when this onboarding created it (None otherwise); and what was updated in place.

        Described first: a shared upstream (every team's ``pypi-store``) usually exists already,
        and a read spends CodeArtifact's 800-per-second read quota, not its 100-per-second write one.
        """
        try:
            found = ca.describe_repository(spec.domain, spec.domain_owner, repo.name)
        except AwsNotFound:
            pass
        else:
            return self._found(spec, repo, found, requested, domain)
        self._check_upstreams(spec, repo, requested, domain)
        upstreams = list(repo.upstreams)
        tags = self._tags(dict(repo.tags))
        try:
            created = ca.create_repository(
                spec.domain, spec.domain_owner, repo.name, repo.description, upstreams, tags
            )
        except (AwsConflict, QuotaExceeded) as refused:
            # created meanwhile (a concurrent onboarding sharing it), or a lost answer
            again = _after_refusal(
                refused, lambda: ca.describe_repository(spec.domain, spec.domain_owner, repo.name)
            )
            return self._found(spec, repo, again, requested, domain)
        except AwsNotFound as exc:
            missing = [u for u in upstreams if u not in requested]
            raise UpstreamNotFound(
                f"codeartifact.repositories[{repo.name}].upstreams: "
                f"{', '.join(missing) or ', '.join(upstreams)} is neither in the request nor in "
                f"domain {spec.domain!r} ({exc.aws_message})"
            ) from None
        return created, "created", tags, []

    def _found(
        self,
        spec: CodeArtifactSpec,
        repo: CodeArtifactRepositorySpec,
        found: ca.Repository,
        requested: set[str],
        domain: ca.Domain,
    ) -> tuple[ca.Repository, Outcome, dict[str, str] | None, list[RepositoryUpdate]]:
        """A repository that exists: whose it is (its tags say; another team's is refused before
        its settings are compared), converged to the request."""
        tags = self._read(found.arn)
        if self._foreign(tags):
            raise RepositoryNotOwned(
                f"codeartifact.repositories[{repo.name}]: {repository_refused(spec.domain, repo.name)}"
            )
        owned = self._mine(tags)
        if self.changing and owned is not None and list(found.upstreams) != list(repo.upstreams):
            self._check_upstreams(spec, repo, requested, domain)
        converged, updated = self._converge(spec, repo, found, ours=owned is not None)
        return converged, "created" if owned is not None else "existing", owned, updated

    @staticmethod
    def _share(
        spec: CodeArtifactSpec, repository: str | None, arn: str, consumers: sharing.Consumers
    ) -> CodeArtifactSharingResult:
        """The domain's policy (``repository`` None) or the repository's, granting ``consumers``."""
        actions: tuple[str, ...]
        if repository is None:
            actions, resource, what = (
                sharing.DOMAIN_ACTIONS,
                arn,
                "codeartifact.consumers: the domain's policy",
            )
        else:
            actions, resource = sharing.REPOSITORY_ACTIONS, sharing.REPOSITORY_RESOURCE
            what = f"codeartifact.consumers: repository {repository}'s policy"
        wrote = False
        for _ in range(POLICY_WRITE_ATTEMPTS):
            current = ca.get_policy(spec.domain, spec.domain_owner, repository)
            merged = sharing.merge(
                current.document if current else None,
                consumers,
                actions,
                resource,
                partition=arn.split(":")[1],
                what=what,
            )
            if merged.document is None:
                outcome: Literal["written", "unchanged"] = "written" if wrote else "unchanged"
                return CodeArtifactSharingResult(
                    resource_arn=arn, repository=repository, outcome=outcome, sids=list(merged.sids)
                )
            wrote = True
            try:
                ca.put_policy(
                    spec.domain,
                    spec.domain_owner,
                    repository,
                    merged.document,
                    current.revision if current else None,
                )
            except AwsConflict:  # written meanwhile: read it again, merge again
                continue
            return CodeArtifactSharingResult(
                resource_arn=arn, repository=repository, outcome="written", sids=list(merged.sids)
            )
        operation = "PutRepositoryPermissionsPolicy" if repository else "PutDomainPermissionsPolicy"
        raise TransientAwsError(
            "codeartifact",
            operation,
            "ConflictException",
            f"{what} changed under each of {POLICY_WRITE_ATTEMPTS} writes; the step is retried",
        )

    @staticmethod
    def _ensure_external_connection(
        spec: CodeArtifactSpec, repo: CodeArtifactRepositorySpec, found: ca.Repository
    ) -> ca.Repository:
        """The repository with the requested external connection, associating it if it lacks one."""
        wanted = repo.external_connection
        if wanted is None or wanted in found.external_connections:
            return found
        if found.external_connections:
            raise ResourceConflict(
                f"codeartifact.repositories[{repo.name}].externalConnection: the repository "
                f"already has {found.external_connections[0]!r}; a repository takes one"
            )
        try:
            return ca.associate_external_connection(spec.domain, spec.domain_owner, repo.name, wanted)
        except AwsConflict:  # associated meanwhile
            final = ca.describe_repository(spec.domain, spec.domain_owner, repo.name)
            if wanted not in final.external_connections:
                raise
            return final

    def _converge(
        self, spec: CodeArtifactSpec, repo: CodeArtifactRepositorySpec, found: ca.Repository, *, ours: bool
    ) -> tuple[ca.Repository, list[RepositoryUpdate]]:
        """``found`` when it has the request's settings; within a change, a repository this
        onboarding created (``ours``), updated to them, with what was updated; otherwise the
        conflict, named."""
        updated: list[RepositoryUpdate] = []
        if list(found.upstreams) != list(repo.upstreams):
            updated.append("upstreams")
        if repo.description is not None and found.description != repo.description:
            updated.append("description")
        if not updated or not self.changing or not ours:
            self._compare(repo, found)
            return found, []
        try:
            changed = ca.update_repository(
                spec.domain, spec.domain_owner, repo.name, repo.description, list(repo.upstreams)
            )
        except AwsNotFound as exc:
            raise UpstreamNotFound(
                f"codeartifact.repositories[{repo.name}].upstreams: {', '.join(repo.upstreams)} is not"
                f" in domain {spec.domain!r} ({exc.aws_message})"
            ) from None
        return changed, updated

    @staticmethod
    def _compare(repo: CodeArtifactRepositorySpec, found: ca.Repository) -> None:
        field = f"codeartifact.repositories[{repo.name}]"
        if list(found.upstreams) != list(repo.upstreams):
            raise ResourceConflict(
                f"{field}.upstreams: the repository exists with upstreams {list(found.upstreams)}, "
                f"the request asks for {list(repo.upstreams)} (order is search priority)"
            )
        if repo.description is not None and found.description != repo.description:
            raise ResourceConflict(f"{field}.description: the repository exists with another description")


def _after_refusal[Found](refused: AwsRequestRejected, describe: Callable[[], Found]) -> Found:
    """What a refused creation meant to make, when it exists after all; else the refusal."""
    try:
        return describe()
    except AwsNotFound:
        raise refused from None


# -- removal (offboarding, a change's prune) ----------------------------------------------------


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

    def work(ledger: Ledger) -> None:
        def ours(tags: dict[str, str]) -> bool:
            return tags.get(RESERVED_CODEARTIFACT_TAG) == request_id

        for item in untag:
            kind = "codeartifact:domain" if ":domain/" in item.arn else "codeartifact:repository"
            untag_keys(ledger, kind, item, ca.tags_of, ca.untag_resource, ours)
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

    return reported("CodeArtifact.Remove", work)


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
    ledger: Ledger,
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
