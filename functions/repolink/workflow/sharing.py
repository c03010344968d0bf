"""CodeArtifact sharing: the statements repolink adds to a domain's or repository's policy, merged.

A policy holds everyone's statements: repolink's are the ones with its two Sids, one granting the
consumer accounts (``arn:PARTITION:iam::ACCOUNT:root``), one the consumer organizations
(``"Principal": "*"`` with ``aws:PrincipalOrgID``). :func:`merge` adds the consumers a request
names to them and leaves every other statement as it is (statement for statement: the document is
written back from its parsed JSON). It only adds: a principal in repolink's statement stays,
whether or not the request names it, so two onboardings sharing one domain never take each
other's consumers away. When the policy already grants everything, there is nothing to write.

Cross-account reading needs both policies
(https://docs.aws.amazon.com/codeartifact/latest/ug/repo-policies.html): the domain's grants
``codeartifact:GetAuthorizationToken``
(https://docs.aws.amazon.com/codeartifact/latest/ug/domain-policies.html), the repository's the
read-only actions. The consumers' own identity policies must also allow those actions and
``sts:GetServiceBearerToken`` (docs/runbook.md).
"""

import json
from collections.abc import Iterable
from typing import Any

from repolink.errors import PolicyTooLarge
from repolink.models.record import record

POLICY_DOCUMENT_MAX = 7168
"""codeartifact ``PolicyDocument``: at most 7,168 characters."""

ACCOUNTS_SID = "RepolinkConsumerAccounts"
ORGANIZATIONS_SID = "RepolinkConsumerOrganizations"
"""repolink's Sids: letters and digits only, as IAM's policy grammar has them
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html)."""
SIDS = (ACCOUNTS_SID, ORGANIZATIONS_SID)

DOMAIN_ACTIONS = ("codeartifact:GetAuthorizationToken",)
"""What the domain's policy grants consumers: a token for the domain's repositories."""
REPOSITORY_ACTIONS = (
    "codeartifact:DescribePackage",
    "codeartifact:DescribePackageVersion",
    "codeartifact:DescribeRepository",
    "codeartifact:GetPackageVersionAsset",
    "codeartifact:GetPackageVersionReadme",
    "codeartifact:GetRepositoryEndpoint",
    "codeartifact:ListPackageVersionAssets",
    "codeartifact:ListPackageVersionDependencies",
    "codeartifact:ListPackageVersions",
    "codeartifact:ListPackages",
    "codeartifact:ReadFromRepository",
)
"""Read-only access to a repository: its endpoint, its description, its packages, their versions,
assets, readmes and dependencies, and reading packages through package managers. The Read and
List actions of CodeArtifact's repository and package resource types in the Service Authorization
Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodeartifact.html),
as AWS's read-only managed policy grants them (AWSCodeArtifactReadOnlyAccess:
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeArtifactReadOnlyAccess.html),
without the domain-wide and policy-reading ones."""

REPOSITORY_RESOURCE = "*"
"""A repository policy applies to its repository and the packages in it, so AWS's examples set
``Resource`` to ``*`` (https://docs.aws.amazon.com/codeartifact/latest/ug/repo-policies.html): a
repository ARN would not cover the package actions, which IAM authorizes on package ARNs."""


@record
class Consumers:
    accounts: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()


@record
class Merged:
    """The document to write (``None``: the policy grants it all already) and repolink's Sids in it."""

    document: str | None
    sids: tuple[str, ...]


def _values(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _root(account: str, partition: str) -> str:
    return f"arn:{partition}:iam::{account}:root"


def _ordered(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def _accounts_statement(principals: list[str], actions: tuple[str, ...], resource: str) -> dict[str, Any]:
    return {
        "Sid": ACCOUNTS_SID,
        "Effect": "Allow",
        "Principal": {"AWS": principals},
        "Action": list(actions),
        "Resource": resource,
    }


def _organizations_statement(
    organizations: list[str], actions: tuple[str, ...], resource: str
) -> dict[str, Any]:
    return {
        "Sid": ORGANIZATIONS_SID,
        "Effect": "Allow",
        "Principal": "*",
        "Action": list(actions),
        "Resource": resource,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": organizations}},
    }


def _principals(statement: dict[str, Any], partition: str) -> list[str]:
    """The AWS principals of ``statement``; a bare account id is its root, as IAM reads it."""
    principal = statement.get("Principal")
    found = _values(principal.get("AWS")) if isinstance(principal, dict) else []
    return [_root(p, partition) if isinstance(p, str) and p.isdigit() else p for p in found]


def _as_iam_reads(statement: Any, partition: str) -> Any:
    """``statement`` with a bare account id among its AWS principals as the root ARN IAM reads."""
    if not isinstance(statement, dict) or not isinstance(statement.get("Principal"), dict):
        return statement
    principal = {**statement["Principal"]}
    if "AWS" in principal:
        principal["AWS"] = _principals(statement, partition)
    return {**statement, "Principal": principal}


def _organizations(statement: dict[str, Any]) -> list[str]:
    condition = statement.get("Condition")
    equals = condition.get("StringEquals") if isinstance(condition, dict) else None
    return _values(equals.get("aws:PrincipalOrgID")) if isinstance(equals, dict) else []


_SCALARS = ("Sid", "Effect", "Version", "Principal", "NotPrincipal")
"""Keys whose string is itself (``"Principal": "*"`` is everyone), not a list of one value."""


def _canonical(value: Any, key: str = "") -> Any:
    """``value`` as IAM reads it: ``"Action": "x"`` is ``"Action": ["x"]``, and a list's order
    means nothing."""
    if isinstance(value, dict):
        return {k: _canonical(v, k) for k, v in value.items()}
    if isinstance(value, list) or (isinstance(value, str) and key not in _SCALARS):
        return sorted({json.dumps(item, sort_keys=True) for item in _values(value)})
    return value


def merge(
    current: str | None,
    consumers: Consumers,
    actions: tuple[str, ...],
    resource: str,
    *,
    partition: str,
    what: str,
) -> Merged:
    """``current`` (a policy's JSON, or ``None`` for none) granting ``actions`` on ``resource`` to
    ``consumers`` too. ``what`` names the policy in a :class:`PolicyTooLarge` message."""
    document: dict[str, Any] = json.loads(current) if current else {"Version": "2012-10-17", "Statement": []}
    statements: list[Any] = _values(document.get("Statement"))
    by_sid = {
        s.get("Sid"): i for i, s in enumerate(statements) if isinstance(s, dict) and s.get("Sid") in SIDS
    }
    wanted: list[dict[str, Any]] = []
    if consumers.accounts:
        had = _principals(statements[by_sid[ACCOUNTS_SID]], partition) if ACCOUNTS_SID in by_sid else []
        principals = _ordered([*had, *(_root(a, partition) for a in consumers.accounts)])
        wanted.append(_accounts_statement(principals, actions, resource))
    if consumers.organizations:
        had = _organizations(statements[by_sid[ORGANIZATIONS_SID]]) if ORGANIZATIONS_SID in by_sid else []
        wanted.append(_organizations_statement(_ordered([*had, *consumers.organizations]), actions, resource))
    changed = False
    for statement in wanted:
        at = by_sid.get(statement["Sid"])
        if at is None:
            statements.append(statement)
            changed = True
        elif _canonical(_as_iam_reads(statements[at], partition)) != _canonical(statement):
            statements[at] = statement
            changed = True
    sids = tuple(s["Sid"] for s in wanted)
    if not changed:
        return Merged(None, sids)
    text = json.dumps({**document, "Statement": statements}, separators=(",", ":"))
    if len(text) > POLICY_DOCUMENT_MAX:
        raise PolicyTooLarge(
            f"{what}: with repolink's statements the policy would be {len(text)} characters, and"
            f" CodeArtifact takes at most {POLICY_DOCUMENT_MAX}; the statements already there take"
            f" {len(current or '')}"
        )
    return Merged(text, sids)
