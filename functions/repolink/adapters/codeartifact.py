"""AWS CodeArtifact domains, repositories, external connections and their permission policies:
provisioned, and removed again."""

from dataclasses import field
from typing import Any

from repolink.adapters.aws import call, client, delete_idempotently, pages
from repolink.errors import AwsNotFound
from repolink.models.record import record

#: ListRepositoriesInDomain's maxResults maximum in botocore's model
LIST_PAGE_SIZE = 1000

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {
    "codeartifact": frozenset(
        {
            "DescribeDomain",
            "CreateDomain",
            "DescribeRepository",
            "CreateRepository",
            # a change (PUT /links/{id}): a repository's upstreams and description, in place
            "UpdateRepository",
            # a change: the tags of a domain or repository this onboarding created, in place
            "TagResource",
            # a change with prune: the tag keys the new request dropped
            "UntagResource",
            "AssociateExternalConnection",
            "ListTagsForResource",
            "GetDomainPermissionsPolicy",
            "PutDomainPermissionsPolicy",
            "GetRepositoryPermissionsPolicy",
            "PutRepositoryPermissionsPolicy",
            # offboarding
            "ListPackages",
            "ListRepositoriesInDomain",
            "DeleteRepository",
            "DeleteDomain",
        }
    )
}


@record
class Domain:
    name: str
    arn: str
    owner: str


@record
class Repository:
    name: str
    arn: str
    description: str = ""
    upstreams: tuple[str, ...] = ()
    external_connections: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


@record
class Policy:
    """A resource policy as CodeArtifact keeps it: the JSON text and its revision (optimistic locking)."""

    document: str
    revision: str


def _owner(owner: str | None) -> dict[str, str]:
    return {"domainOwner": owner} if owner else {}


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def _domain(raw: dict[str, Any]) -> Domain:
    return Domain(name=raw["name"], arn=raw["arn"], owner=raw.get("owner", ""))


def _repository(raw: dict[str, Any]) -> Repository:
    return Repository(
        name=raw["name"],
        arn=raw["arn"],
        description=raw.get("description", "") or "",
        upstreams=tuple(u["repositoryName"] for u in raw.get("upstreams", [])),
        external_connections=tuple(c["externalConnectionName"] for c in raw.get("externalConnections", [])),
    )


def describe_domain(domain: str, owner: str | None) -> Domain:
    raw = call(client("codeartifact"), "DescribeDomain", domain=domain, **_owner(owner))["domain"]
    return _domain(raw)


def create_domain(domain: str, encryption_key: str | None, tags: dict[str, str]) -> Domain:
    params: dict[str, Any] = {"domain": domain, "tags": _tags(tags)}
    if encryption_key:
        params["encryptionKey"] = encryption_key
    return _domain(call(client("codeartifact"), "CreateDomain", **params)["domain"])


def describe_repository(domain: str, owner: str | None, name: str) -> Repository:
    raw = call(client("codeartifact"), "DescribeRepository", domain=domain, repository=name, **_owner(owner))[
        "repository"
    ]
    return _repository(raw)


def create_repository(
    domain: str,
    owner: str | None,
    name: str,
    description: str | None,
    upstreams: list[str],
    tags: dict[str, str],
) -> Repository:
    params: dict[str, Any] = {
        "domain": domain,
        "repository": name,
        "upstreams": [{"repositoryName": u} for u in upstreams],
        "tags": _tags(tags),
        **_owner(owner),
    }
    if description:
        params["description"] = description
    return _repository(call(client("codeartifact"), "CreateRepository", **params)["repository"])


def update_repository(
    domain: str, owner: str | None, name: str, description: str | None, upstreams: list[str]
) -> Repository:
    """Set the repository's upstreams (the whole list, in search order) and, when given, its
    description (UpdateRepository: https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_UpdateRepository.html)."""
    params: dict[str, Any] = {
        "domain": domain,
        "repository": name,
        "upstreams": [{"repositoryName": u} for u in upstreams],
        **_owner(owner),
    }
    if description is not None:
        params["description"] = description
    return _repository(call(client("codeartifact"), "UpdateRepository", **params)["repository"])


def domain_arn(partition: str, region: str, account: str, domain: str) -> str:
    """The ARN of domain ``domain`` of ``account`` (CodeArtifact's ARN format, as below)."""
    return f"arn:{partition}:codeartifact:{region}:{account}:domain/{domain}"


def repository_arn(domain_arn: str, name: str) -> str:
    """The ARN of repository ``name`` of the domain ``domain_arn`` (CodeArtifact's ARN format:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodeartifact.html#awscodeartifact-resources-for-iam-policies)."""
    head, _, domain = domain_arn.partition(":domain/")
    return f"{head}:repository/{domain}/{name}"


def tags_of(arn: str) -> dict[str, str]:
    """A domain's or repository's tags."""
    raw = call(client("codeartifact"), "ListTagsForResource", resourceArn=arn)
    return {t["key"]: t["value"] for t in raw.get("tags", [])}


def tags_if_any(arn: str) -> dict[str, str] | None:
    """A domain's or repository's tags; None when it does not exist (``ResourceNotFoundException``)."""
    try:
        return tags_of(arn)
    except AwsNotFound:
        return None


def tag_resource(arn: str, tags: dict[str, str]) -> None:
    """Add ``tags`` to a domain or repository, or set the value of those it has; its other tags
    stay (TagResource: https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_TagResource.html).
    Sending it again sets the same values: a lost answer's retry is harmless."""
    call(client("codeartifact"), "TagResource", resourceArn=arn, tags=_tags(tags))


def untag_resource(arn: str, keys: list[str]) -> None:
    """Remove the tags ``keys`` from a domain or repository; a key it lacks is no error, so a lost
    answer's retry is harmless (UntagResource:
    https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_UntagResource.html)."""
    call(client("codeartifact"), "UntagResource", resourceArn=arn, tagKeys=sorted(keys))


def associate_external_connection(domain: str, owner: str | None, name: str, connection: str) -> Repository:
    raw = call(
        client("codeartifact"),
        "AssociateExternalConnection",
        domain=domain,
        repository=name,
        externalConnection=connection,
        **_owner(owner),
    )["repository"]
    return _repository(raw)


def _policy(raw: dict[str, Any]) -> Policy:
    return Policy(document=raw["document"], revision=raw["revision"])


def get_policy(domain: str, owner: str | None, repository: str | None) -> Policy | None:
    """The domain's policy (``repository`` None) or the repository's; None when it has none
    (CodeArtifact answers ``ResourceNotFoundException``: a missing domain or repository is
    found before, by the steps that ensure them)."""
    aws = client("codeartifact")
    try:
        if repository is None:
            raw = call(aws, "GetDomainPermissionsPolicy", domain=domain, **_owner(owner))
        else:
            raw = call(
                aws, "GetRepositoryPermissionsPolicy", domain=domain, repository=repository, **_owner(owner)
            )
    except AwsNotFound:
        return None
    return _policy(raw["policy"])


def put_policy(
    domain: str, owner: str | None, repository: str | None, document: str, revision: str | None
) -> Policy:
    """Set the policy, only if its revision is still ``revision`` (``None``: it had none when read).

    A stale revision is refused with ``ConflictException`` (:class:`AwsConflict`): someone wrote
    the policy since it was read, so the caller reads it again and merges once more."""
    params: dict[str, Any] = {"domain": domain, "policyDocument": document, **_owner(owner)}
    if revision is not None:
        params["policyRevision"] = revision
    aws = client("codeartifact")
    if repository is None:
        raw = call(aws, "PutDomainPermissionsPolicy", **params)
    else:
        raw = call(aws, "PutRepositoryPermissionsPolicy", repository=repository, **params)
    return _policy(raw["policy"])


def holds_packages(domain: str, owner: str | None, name: str) -> bool:
    """Whether the repository holds any package of its own (one ``ListPackages`` call of one
    item: what its upstreams hold is not listed, as AWS documents for ListPackages:
    https://docs.aws.amazon.com/codeartifact/latest/ug/upstream-repo-api-behavior.html)."""
    listed = call(
        client("codeartifact"), "ListPackages", domain=domain, repository=name, maxResults=1, **_owner(owner)
    )
    return bool(listed.get("packages"))


def repositories_in(domain: str, owner: str | None) -> list[str]:
    """The names of every repository of the domain (``ListRepositoriesInDomain``, every page)."""
    listed = pages(
        client("codeartifact"),
        "ListRepositoriesInDomain",
        page_field="nextToken",
        domain=domain,
        maxResults=LIST_PAGE_SIZE,
        **_owner(owner),
    )
    return [r["name"] for page in listed for r in page.get("repositories", [])]


def delete_repository(domain: str, owner: str | None, name: str) -> None:
    """Delete the repository; one already gone counts as deleted (a lost answer, a retried step)."""
    delete_idempotently(
        lambda: call(
            client("codeartifact"), "DeleteRepository", domain=domain, repository=name, **_owner(owner)
        ),
        lambda: describe_repository(domain, owner, name),
    )


def delete_domain(domain: str, owner: str | None) -> None:
    """Delete the domain (AWS refuses one that holds repositories: ``ConflictException``); one
    already gone counts as deleted."""
    delete_idempotently(
        lambda: call(client("codeartifact"), "DeleteDomain", domain=domain, **_owner(owner)),
        lambda: describe_domain(domain, owner),
    )
