"""AWS CodeArtifact domains, repositories, upstreams, external connections and permission policies."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from repolink.adapters.quotas import quota
from repolink_local.standins.protocol import ServiceError, broken
from repolink_local.standins.quotas import in_scope, refuse_beyond

#: the public external connections CodeArtifact offers
EXTERNAL_CONNECTIONS = {
    "public:npmjs": "npm",
    "public:pypi": "pypi",
    "public:maven-central": "maven",
    "public:maven-googleandroid": "maven",
    "public:maven-gradleplugins": "maven",
    "public:maven-commonsware": "maven",
    "public:maven-clojars": "maven",
    "public:nuget-org": "nuget",
    "public:crates-io": "cargo",
    "public:ruby-gems-org": "ruby",
}
UPSTREAMS_MAX = quota("upstreams").limit
#: tags per domain or repository (botocore's TagList: max 200)
TAGS_MAX = 200


def _control(text: str) -> bool:
    """Whether ``text`` holds a character of Unicode category C (what ``\\P{C}`` refuses)."""
    return any(unicodedata.category(ch).startswith("C") for ch in text)


@dataclass
class StoredPolicy:
    document: str
    revision: str

    def view(self, arn: str) -> dict[str, Any]:
        return {"policy": {"resourceArn": arn, "revision": self.revision, "document": self.document}}


@dataclass
class StoredDomain:
    name: str
    owner: str
    arn: str
    encryption_key: str
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass
class StoredRepository:
    name: str
    domain: StoredDomain
    arn: str
    description: str = ""
    upstreams: list[str] = field(default_factory=list)
    external_connections: list[str] = field(default_factory=list)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "administratorAccount": self.domain.owner,
            "domainName": self.domain.name,
            "domainOwner": self.domain.owner,
            "arn": self.arn,
            "description": self.description,
            "upstreams": [{"repositoryName": u} for u in self.upstreams],
            "externalConnections": [
                {"externalConnectionName": c, "packageFormat": EXTERNAL_CONNECTIONS[c], "status": "Available"}
                for c in self.external_connections
            ],
            "createdTime": self.created,
        }


class CodeArtifactApi:
    def __init__(self, account: str, region: str) -> None:
        self.account, self.region = account, region
        self.domains: dict[str, StoredDomain] = {}
        self.repositories: dict[tuple[str, str], StoredRepository] = {}
        #: each domain's and repository's tags, by ARN
        self.tags: dict[str, dict[str, str]] = {}
        #: each domain's and repository's permission policy, by ARN
        self.policies: dict[str, StoredPolicy] = {}
        self._revisions = 0
        #: the packages each repository holds of its own (domain, repository) -> package summaries
        self.packages: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def publish(self, domain: str, repository: str, package: str, package_format: str = "pypi") -> None:
        """A package published to (or cached in) a repository: what a team's builds leave there."""
        repo = self._repository({"domain": domain, "repository": repository})
        self.packages.setdefault((repo.domain.name, repo.name), []).append(
            {"format": package_format, "package": package}
        )

    def _domain(self, p: dict[str, Any]) -> StoredDomain:
        owner = p.get("domainOwner")
        found = self.domains.get(p["domain"])
        if found is None or (owner and owner != self.account):
            raise ServiceError("ResourceNotFoundException", f"Domain {p['domain']} not found")
        return found

    def _repository(self, p: dict[str, Any]) -> StoredRepository:
        domain = self._domain(p)
        found = self.repositories.get((domain.name, p["repository"]))
        if found is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Repository {p['repository']} not found in domain {domain.name}"
            )
        return found

    def _domain_view(self, d: StoredDomain) -> dict[str, Any]:
        count = sum(1 for (name, _) in self.repositories if name == d.name)
        return {
            "name": d.name,
            "owner": d.owner,
            "arn": d.arn,
            "status": "Active",
            "createdTime": d.created,
            "encryptionKey": d.encryption_key,
            "repositoryCount": count,
            "assetSizeBytes": 0,
        }

    def CreateDomain(self, p: dict[str, Any]) -> dict[str, Any]:
        tags = self._tags_of(p)
        if p["domain"] in self.domains:
            raise ServiceError("ConflictException", f"Domain {p['domain']} already exists")
        key = (
            p.get("encryptionKey") or f"arn:aws:kms:{self.region}:{self.account}:key/aws-managed-codeartifact"
        )
        arn = f"arn:aws:codeartifact:{self.region}:{self.account}:domain/{p['domain']}"
        made = (d.arn for d in self.domains.values())
        refuse_beyond("domains", in_scope(made, arn), "codeartifact", resource_type="domain")
        domain = StoredDomain(p["domain"], self.account, arn, key)
        self.domains[domain.name] = domain
        self.tags[domain.arn] = tags
        return {"domain": self._domain_view(domain)}

    @staticmethod
    def _tags_of(p: dict[str, Any]) -> dict[str, str]:
        """The tags a create or TagResource names; CodeArtifact takes at most 200 per resource
        (botocore's TagList sets max 200). Keys match \\P{C}+ and values \\P{C}*, which the codec's
        regular expressions cannot say (API_Tag.html)."""
        for i, t in enumerate(p.get("tags", []), start=1):
            for member in ("key", "value"):
                if _control(t[member]):
                    pattern = "\\P{C}+" if member == "key" else "\\P{C}*"
                    raise ServiceError(
                        "ValidationException",
                        broken(f"tags.{i}.member.{member}", f"satisfy regular expression pattern: {pattern}"),
                    )
        tags = {t["key"]: t["value"] for t in p.get("tags", [])}
        if len(tags) > TAGS_MAX:
            raise ServiceError(
                "ValidationException", f"{len(tags)} tags; a resource takes at most {TAGS_MAX}"
            )
        return tags

    def _tagged(self, arn: str) -> dict[str, str]:
        """The tags of a domain or repository of this account; any other ARN is not found."""
        known = {d.arn for d in self.domains.values()} | {r.arn for r in self.repositories.values()}
        if arn not in known:
            raise ServiceError("ResourceNotFoundException", f"Resource {arn} not found")
        return self.tags.setdefault(arn, {})

    def ListTagsForResource(self, p: dict[str, Any]) -> dict[str, Any]:
        tags = self._tagged(p["resourceArn"])
        return {"tags": [{"key": k, "value": v} for k, v in sorted(tags.items())]}

    def TagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        """Adds the keys the resource lacks and sets the value of those it has; the others stay
        (https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_TagResource.html).
        A resource holds at most 200 tags: AWS documents ``ServiceQuotaExceededException`` for
        a TagResource that would exceed a limit, and says no more; nothing is applied then."""
        given = self._tags_of(p)
        tags = self._tagged(p["resourceArn"])
        total = len(tags.keys() | given.keys())
        if total > TAGS_MAX:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Resource {p['resourceArn']} would have {total} tags; a resource takes at most {TAGS_MAX}",
            )
        tags.update(given)
        return {}

    def UntagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        """Removes the keys the resource has; one it lacks is no error
        (https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_UntagResource.html)."""
        tags = self._tagged(p["resourceArn"])
        for key in p.get("tagKeys") or []:
            tags.pop(key, None)
        return {}

    def DescribeDomain(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"domain": self._domain_view(self._domain(p))}

    def CreateRepository(self, p: dict[str, Any]) -> dict[str, Any]:
        tags = self._tags_of(p)
        domain = self._domain(p)
        name = p["repository"]
        description = p.get("description", "")
        if _control(description):
            raise ServiceError(
                "ValidationException",
                broken("description", "satisfy regular expression pattern: \\P{C}*"),
            )
        upstreams = [u["repositoryName"] for u in p.get("upstreams", [])]
        if len(upstreams) > UPSTREAMS_MAX:
            raise ServiceError(
                "ValidationException", f"A repository can have at most {UPSTREAMS_MAX} upstream repositories"
            )
        if (domain.name, name) in self.repositories:
            raise ServiceError(
                "ConflictException", f"Repository {name} already exists in domain {domain.name}"
            )
        held = sum(1 for r in self.repositories.values() if r.domain is domain)
        refuse_beyond("repositories", held, "codeartifact", resource_type="repository")
        for upstream in upstreams:
            if (domain.name, upstream) not in self.repositories:
                raise ServiceError(
                    "ResourceNotFoundException",
                    f"Upstream repository {upstream} not found in domain {domain.name}",
                )
        repo = StoredRepository(
            name,
            domain,
            f"arn:aws:codeartifact:{self.region}:{self.account}:repository/{domain.name}/{name}",
            description,
            upstreams,
        )
        self.repositories[(domain.name, name)] = repo
        self.tags[repo.arn] = tags
        return {"repository": repo.view()}

    def DescribeRepository(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"repository": self._repository(p).view()}

    def UpdateRepository(self, p: dict[str, Any]) -> dict[str, Any]:
        """As CreateRepository checks them: the description's pattern, at most ten upstreams,
        each in the domain; ``upstreams`` replaces the list, in search order
        (https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_UpdateRepository.html)."""
        repo = self._repository(p)
        description = p.get("description", repo.description)
        if _control(description):
            raise ServiceError(
                "ValidationException",
                broken("description", "satisfy regular expression pattern: \\P{C}*"),
            )
        upstreams = (
            [u["repositoryName"] for u in p.get("upstreams", [])] if "upstreams" in p else repo.upstreams
        )
        if len(upstreams) > UPSTREAMS_MAX:
            raise ServiceError(
                "ValidationException", f"A repository can have at most {UPSTREAMS_MAX} upstream repositories"
            )
        for upstream in upstreams:
            if upstream == repo.name:
                raise ServiceError("ValidationException", f"Repository {upstream} cannot be its own upstream")
            if (repo.domain.name, upstream) not in self.repositories:
                raise ServiceError(
                    "ResourceNotFoundException",
                    f"Upstream repository {upstream} not found in domain {repo.domain.name}",
                )
        repo.description, repo.upstreams = description, list(upstreams)
        return {"repository": repo.view()}

    def DeleteRepository(self, p: dict[str, Any]) -> dict[str, Any]:
        repo = self._repository(p)
        del self.repositories[(repo.domain.name, repo.name)]
        # "All packages in the repository become permanently unavailable"
        # (https://docs.aws.amazon.com/codeartifact/latest/ug/delete-repo.html)
        self.packages.pop((repo.domain.name, repo.name), None)
        self.tags.pop(repo.arn, None)
        self.policies.pop(repo.arn, None)
        return {"repository": repo.view()}

    def DeleteDomain(self, p: dict[str, Any]) -> dict[str, Any]:
        domain = self._domain(p)
        held = [name for (d, name) in self.repositories if d == domain.name]
        if held:
            # "You cannot delete a domain that contains repositories"
            # (https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_DeleteDomain.html)
            raise ServiceError(
                "ConflictException", f"Domain {domain.name} contains repositories: {', '.join(sorted(held))}"
            )
        view = self._domain_view(domain)
        del self.domains[domain.name]
        self.tags.pop(domain.arn, None)
        self.policies.pop(domain.arn, None)
        return {"domain": {**view, "status": "Deleted"}}

    def ListPackages(self, p: dict[str, Any]) -> dict[str, Any]:
        """The repository's own packages (not its upstreams', as AWS documents for ListPackages)."""
        repo = self._repository(p)
        held = self.packages.get((repo.domain.name, repo.name), [])
        start = int(p.get("nextToken") or 0)
        size = int(p.get("maxResults") or 100)
        page = held[start : start + size]
        following = {"nextToken": str(start + size)} if start + size < len(held) else {}
        return {"packages": [dict(package) for package in page], **following}

    def AssociateExternalConnection(self, p: dict[str, Any]) -> dict[str, Any]:
        repo = self._repository(p)
        wanted = p["externalConnection"]
        if wanted not in EXTERNAL_CONNECTIONS:
            raise ServiceError("ValidationException", f"External connection {wanted} is not supported")
        if repo.external_connections:
            # "A repository can have at most one external connection": AWS answers ConflictException
            raise ServiceError(
                "ConflictException",
                f"Repository {repo.name} already has external connection {repo.external_connections[0]}",
            )
        repo.external_connections.append(wanted)
        return {"repository": repo.view()}

    def DisassociateExternalConnection(self, p: dict[str, Any]) -> dict[str, Any]:
        repo = self._repository(p)
        if p["externalConnection"] not in repo.external_connections:
            raise ServiceError(
                "ResourceNotFoundException", f"External connection {p['externalConnection']} not associated"
            )
        repo.external_connections.remove(p["externalConnection"])
        return {"repository": repo.view()}

    def ListRepositoriesInDomain(self, p: dict[str, Any]) -> dict[str, Any]:
        domain = self._domain(p)
        repos = [r for (d, _), r in self.repositories.items() if d == domain.name]
        return {
            "repositories": [
                {k: v for k, v in r.view().items() if k not in ("upstreams", "externalConnections")}
                for r in repos
            ]
        }

    # --- permission policies: one per domain and per repository, written with optimistic locking

    def _policy_target(self, p: dict[str, Any]) -> str:
        return self._repository(p).arn if "repository" in p else self._domain(p).arn

    def _get_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        arn = self._policy_target(p)
        if arn not in self.policies:
            raise ServiceError("ResourceNotFoundException", f"No resource policy is set on {arn}")
        return self.policies[arn].view(arn)

    def _put_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        arn = self._policy_target(p)
        self._check_revision(arn, p.get("policyRevision"))
        try:
            document = json.loads(p["policyDocument"])
        except ValueError:
            raise ServiceError("ValidationException", "The policy document is not valid JSON") from None
        statements = document.get("Statement") if isinstance(document, dict) else None
        if not isinstance(statements, list | dict) or not statements:
            raise ServiceError("ValidationException", "The policy document must have a Statement")
        self._revisions += 1
        # opaque to clients, as AWS's are: only equality means anything
        digest = hashlib.sha256(f"{self._revisions}:{p['policyDocument']}".encode()).digest()
        revision = base64.b64encode(digest[:24]).decode()
        self.policies[arn] = StoredPolicy(p["policyDocument"], revision)
        return self.policies[arn].view(arn)

    def _check_revision(self, arn: str, revision: str | None) -> None:
        """Optimistic locking: a revision given must be the policy's current one; none given
        writes whatever is there (PutDomainPermissionsPolicy's policyRevision is optional)."""
        if revision is None:
            return
        current = self.policies.get(arn)
        if current is None or current.revision != revision:
            raise ServiceError(
                "ConflictException",
                f"The policy revision {revision} is not the current revision of the policy on {arn}",
            )

    def _delete_policy(self, p: dict[str, Any]) -> dict[str, Any]:
        arn = self._policy_target(p)
        if arn not in self.policies:
            raise ServiceError("ResourceNotFoundException", f"No resource policy is set on {arn}")
        self._check_revision(arn, p.get("policyRevision"))
        return self.policies.pop(arn).view(arn)

    def GetDomainPermissionsPolicy(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._get_policy(p)

    def PutDomainPermissionsPolicy(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._put_policy(p)

    def DeleteDomainPermissionsPolicy(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._delete_policy(p)

    def GetRepositoryPermissionsPolicy(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._get_policy(p)

    def PutRepositoryPermissionsPolicy(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._put_policy(p)

    def DeleteRepositoryPermissionsPolicy(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._delete_policy(p)
