"""AWS CodeArtifact: the domain, repositories in dependency order, external connections, sharing.

Needs no source connection, so the state machine runs it in parallel with the handshake wait.
Idempotent: an existing domain or repository with the same settings counts as done (a repository
is described before it is created; ``ConflictException`` on create -> describe -> compare, for
one made meanwhile); one with other settings is a clear failure, except within a change
(``PUT /links/{id}``, ``workflow.change``): a repository this onboarding created (its ownership
tag says so) whose upstreams or description differ is updated in place (``UpdateRepository``);
one it reused is never changed.

Provenance comes from the ownership tag, not from "it already existed": every domain and
repository this target creates carries ``repolink:request-id``, so a retried step (a lost
response, throttling past an attempt) still reports what this onboarding created as ``created``.
A resource in another account (a delegated ``domainOwner``'s) counts as ``existing``.

Sharing (``consumers``) comes last: the domain's policy, then each repository's that this
onboarding created, each read, merged (:mod:`repolink.workflow.sharing`) and written only when it
lacks something, with the revision it was read at. A revision gone stale (someone wrote the policy
meanwhile, or a lost answer made botocore send the write again) is refused with
``ConflictException``: the policy is read and merged again, so no one's statement is lost.
"""

from dataclasses import replace
from typing import Literal

from repolink.adapters import codeartifact as ca
from repolink.errors import (
    AwsConflict,
    AwsNotFound,
    DomainNotFound,
    RepolinkError,
    ResourceConflict,
    TransientAwsError,
    UpstreamNotFound,
)
from repolink.models.request import RESERVED_CODEARTIFACT_TAG, CodeArtifactRepositorySpec, CodeArtifactSpec
from repolink.models.state import (
    CodeArtifactRepositoryResult,
    CodeArtifactResult,
    CodeArtifactSharingResult,
    Failure,
    Outcome,
)
from repolink.workflow import sharing
from repolink.workflow.plan import order_repositories

#: how many times a policy is read, merged and written when others keep writing it meanwhile
POLICY_WRITE_ATTEMPTS = 5


class CodeArtifactTarget:
    section = "codeartifact"
    needs_connection = False

    def __init__(self, request_id: str = "", account: str = "", *, changing: bool = False) -> None:
        #: the onboarding's request id, tagged on what it creates (empty: tag nothing, claim nothing)
        self.request_id = request_id
        #: the account the function runs in: only its resources can be this onboarding's
        self.account = account
        #: a change of the onboarding runs: what it created is updated to the request in place
        self.changing = changing

    def _tags(self, tags: dict[str, str]) -> dict[str, str]:
        return {**tags, RESERVED_CODEARTIFACT_TAG: self.request_id} if self.request_id else dict(tags)

    def _provenance(self, found: ca.Repository) -> Outcome:
        return "created" if self._ours(found.arn) else "existing"

    def _ours(self, arn: str) -> bool:
        """Whether this onboarding created the resource (a retried step finds it existing)."""
        # what it creates lands in its own account; another account's domain (a delegated
        # domainOwner) was there before, and its tags are not ours to read
        if not self.request_id or arn.split(":")[4] != self.account:
            return False
        return ca.tags_of(arn).get(RESERVED_CODEARTIFACT_TAG) == self.request_id

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
            domain, created = self._ensure_domain(spec)
            result = replace(result, domain_arn=domain.arn, domain_created=created)
            requested = {r.name for r in spec.repositories}
            done: list[CodeArtifactRepositoryResult] = []
            for repo in order_repositories(spec.repositories):
                step = f"CreateRepository:{repo.name}"
                found, outcome = self._ensure_repository(spec, repo, requested)
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

    def _ensure_domain(self, spec: CodeArtifactSpec) -> tuple[ca.Domain, bool]:
        try:
            found = ca.describe_domain(spec.domain, spec.domain_owner)
        except AwsNotFound:
            pass
        else:
            return found, self._ours(found.arn)
        if not spec.create_domain:
            raise DomainNotFound(
                f"codeartifact.domain: domain {spec.domain!r} does not exist"
                f"{' in account ' + spec.domain_owner if spec.domain_owner else ''}; "
                "set createDomain to create it"
            )
        try:
            return ca.create_domain(spec.domain, spec.encryption_key, self._tags(dict(spec.tags))), True
        except AwsConflict:  # created meanwhile (a concurrent or a retried run: the tag tells)
            found = ca.describe_domain(spec.domain, spec.domain_owner)
            return found, self._ours(found.arn)

    def _ensure_repository(
        self, spec: CodeArtifactSpec, repo: CodeArtifactRepositorySpec, requested: set[str]
    ) -> tuple[ca.Repository, Outcome]:
        """The repository, found with the same settings or created, and which of the two.

        Described first: a shared upstream (every team's ``pypi-store``) usually exists already,
        and a read spends CodeArtifact's 800-per-second read quota, not its 100-per-second write one.
        """
        try:
            found = ca.describe_repository(spec.domain, spec.domain_owner, repo.name)
        except AwsNotFound:
            pass
        else:
            return self._converge(spec, repo, found), self._provenance(found)
        upstreams = list(repo.upstreams)
        try:
            created = ca.create_repository(
                spec.domain,
                spec.domain_owner,
                repo.name,
                repo.description,
                upstreams,
                self._tags(dict(repo.tags)),
            )
            outcome: Outcome = "created"
        except AwsConflict:  # created meanwhile (a concurrent onboarding sharing it, or a lost answer)
            created = ca.describe_repository(spec.domain, spec.domain_owner, repo.name)
            created = self._converge(spec, repo, created)
            outcome = self._provenance(created)
        except AwsNotFound as exc:
            missing = [u for u in upstreams if u not in requested]
            raise UpstreamNotFound(
                f"codeartifact.repositories[{repo.name}].upstreams: "
                f"{', '.join(missing) or ', '.join(upstreams)} is neither in the request nor in "
                f"domain {spec.domain!r} ({exc.aws_message})"
            ) from None
        return created, outcome

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
        self, spec: CodeArtifactSpec, repo: CodeArtifactRepositorySpec, found: ca.Repository
    ) -> ca.Repository:
        """``found`` when it has the request's settings; within a change, a repository this
        onboarding created, updated to them; otherwise the conflict, named."""
        same = list(found.upstreams) == list(repo.upstreams) and (
            repo.description is None or found.description == repo.description
        )
        if same or not self.changing or not self._ours(found.arn):
            self._compare(repo, found)
            return found
        try:
            return ca.update_repository(
                spec.domain, spec.domain_owner, repo.name, repo.description, list(repo.upstreams)
            )
        except AwsNotFound as exc:
            raise UpstreamNotFound(
                f"codeartifact.repositories[{repo.name}].upstreams: {', '.join(repo.upstreams)} is not"
                f" in domain {spec.domain!r} ({exc.aws_message})"
            ) from None

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
