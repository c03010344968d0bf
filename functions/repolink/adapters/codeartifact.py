"""AWS CodeArtifact domains, repositories and external connections."""

from dataclasses import dataclass, field
from typing import Any

from repolink.adapters.aws import call, client

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {
    "codeartifact": frozenset(
        {
            "DescribeDomain",
            "CreateDomain",
            "DescribeRepository",
            "CreateRepository",
            "AssociateExternalConnection",
            "ListTagsForResource",
        }
    )
}


@dataclass(frozen=True)
class Domain:
    name: str
    arn: str
    owner: str


@dataclass(frozen=True)
class Repository:
    name: str
    arn: str
    description: str = ""
    upstreams: tuple[str, ...] = ()
    external_connections: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


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


def tags_of(arn: str) -> dict[str, str]:
    """A domain's or repository's tags."""
    raw = call(client("codeartifact"), "ListTagsForResource", resourceArn=arn)
    return {t["key"]: t["value"] for t in raw.get("tags", [])}


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
