"""Whose a CodeArtifact domain and its repositories are: the accept check, and the messages the
task repeats (``targets.codeartifact``).

A request may use a domain of the deployment's account that its caller's onboardings created,
one made outside repolink, or one the deployment lists in ``SharedDomains``; a domain another
team's onboarding created is refused as a whole (no repository made in it, no statement written
into its policy). In a domain it may use but does not own (a shared one), each repository the
request names, and each upstream it names outside the request, must be the caller's or made
outside repolink: another team's is neither reused, nor an upstream, nor has its policy written
(``workflow.tenancy.claim``).

Only the deployment's own account is checked: CodeArtifact makes repolink's domains there
(``CreateDomain`` creates in the caller's account). A delegated ``domainOwner``'s domain
(``AccountDelegations``) is its owner's, who governs it with its domain policy; the request
bounds already keep a caller to its own account and those the deployment delegates to it.

A refusal never says whose a resource is, nor its settings: a domain or repository another
team owns reads as "its own onboardings did not create it", whatever the team.
"""

from collections.abc import Mapping
from typing import Literal

from repolink.adapters import codeartifact as ca
from repolink.errors import AwsNotFound, FieldError
from repolink.models.sections import CodeArtifactSpec
from repolink.workflow.tenancy import claim


def domain_refused(domain: str) -> str:
    return (
        f"domain {domain!r} is not one this account may use: its own onboardings did not create it,"
        " and the deployment does not share it (SharedDomains); choose another domain"
    )


def repository_refused(domain: str, name: str) -> str:
    return (
        f"repository {name!r} of domain {domain!r} is not one this account may reuse: its own"
        " onboardings did not create it; choose another name"
    )


def upstream_refused(domain: str, name: str) -> str:
    return (
        f"repository {name!r} of domain {domain!r} is not one this account may name as an upstream:"
        " its own onboardings did not create it"
    )


#: what an existing domain of the deployment's account is to a caller's onboarding: ``refused``
#: (another team's, and not shared), ``own`` (the caller's and not shared: no other team made
#: repositories in it, so its repositories need no reads), or ``shared`` (made outside repolink,
#: or listed in ``SharedDomains``: each repository is checked)
Standing = Literal["refused", "own", "shared"]


def standing(
    tags: Mapping[str, str], domain: str, *, caller: str, request_id: str, shared: frozenset[str]
) -> Standing:
    """The domain with ``tags`` to ``caller``'s onboarding ``request_id`` (accept, and the task)."""
    if domain in shared:
        return "shared"
    whose = claim(tags, caller=caller, request_id=request_id)
    return "refused" if whose == "foreign" else "own" if whose == "own" else "shared"


def refusals(
    spec: CodeArtifactSpec,
    *,
    caller: str,
    request_id: str,
    own_account: str,
    partition: str,
    region: str,
    shared: frozenset[str],
) -> list[FieldError]:
    """Every field of ``spec`` that names a domain or repository ``caller``'s onboarding
    ``request_id`` may not use (empty: it may use them all).

    Calls, at most: one ``ListTagsForResource`` of the domain (a domain that does not exist, or
    that is the caller's own and not listed in ``SharedDomains``, needs nothing more); for a
    shared domain, ``ListRepositoriesInDomain`` (one page per 1,000 repositories: one, at
    CodeArtifact's default quota of repositories per domain) and one ``ListTagsForResource`` per
    distinct repository the request names, or upstream it names outside the request, that
    exists: the request's repositories and upstreams (at most 100 and 10 each, by contract)
    bound it, and a new onboarding's usually do not exist yet.
    """
    if spec.domain_owner not in (None, own_account):
        return []
    arn = ca.domain_arn(partition, region, own_account, spec.domain)
    tags = ca.tags_if_any(arn)
    if tags is None:
        return []  # no such domain: what the request makes there is its own
    found_standing = standing(tags, spec.domain, caller=caller, request_id=request_id, shared=shared)
    if found_standing == "refused":
        return [FieldError("codeartifact.domain", domain_refused(spec.domain))]
    if found_standing == "own":
        return []
    try:
        existing = set(ca.repositories_in(spec.domain, own_account))
    except AwsNotFound:
        return []  # deleted meanwhile
    requested = {r.name for r in spec.repositories}
    foreign: dict[str, bool] = {}

    def is_foreign(name: str) -> bool:
        if name not in existing:
            return False
        if name not in foreign:
            tags = ca.tags_if_any(ca.repository_arn(arn, name))
            whose = "unclaimed" if tags is None else claim(tags, caller=caller, request_id=request_id)
            foreign[name] = whose == "foreign"
        return foreign[name]

    found: list[FieldError] = []
    for i, repo in enumerate(spec.repositories):
        if is_foreign(repo.name):
            found.append(
                FieldError(f"codeartifact.repositories[{i}].name", repository_refused(spec.domain, repo.name))
            )
        for j, upstream in enumerate(repo.upstreams):
            if upstream not in requested and is_foreign(upstream):
                found.append(
                    FieldError(
                        f"codeartifact.repositories[{i}].upstreams[{j}]",
                        upstream_refused(spec.domain, upstream),
                    )
                )
    return found
