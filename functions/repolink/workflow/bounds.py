"""A request may act only inside its caller's bounds: checked at the entry points, after the
contract (``models.request``) and before anything starts.

- ``codeartifact.domainOwner`` and the account of every KMS key must be this account or one the
  caller may reach (its own, or one ``AccountDelegations`` gives it; see
  ``accept.Deployment.reachable_by``): a caller cannot make repolink touch a domain or key in
  another team's account. ``createDomain`` only with this account as owner: CreateDomain
  creates in the caller's account, whatever ``domainOwner`` says.
- A reused ``connection.arn`` (and a ``connection.hostArn``) must be in this partition, account
  and Region: repolink never adopts, polls or links another account's connection.
- Every ARN is in this deployment's partition (``aws``, ``aws-cn``, ``aws-us-gov``..., which
  follows from its Region as botocore's partitions data says), and a KMS key in its Region: AWS
  refuses a key of another Region or partition, after the workflow has started.

Names and tags cannot inject into ARNs or logs: the contract already holds them to the AWS
patterns (no ``:``/``/`` in names that become ARN segments, no control characters anywhere).
"""

import re
from collections.abc import Iterator
from functools import cache
from typing import NamedTuple

from repolink.errors import FieldError
from repolink.models.request import OnboardingRequest


class _Arn(NamedTuple):
    """Where an ARN points: ``arn:PARTITION:service:REGION:ACCOUNT:...``."""

    partition: str
    account: str
    region: str


def _arn(arn: str) -> _Arn:
    parts = arn.split(":", 5)
    return _Arn(parts[1], parts[4], parts[3]) if len(parts) == 6 else _Arn("", "", "")


@cache
def partition_of(region: str) -> str:
    """The partition ``region`` is in (its ARNs' second field), from botocore's partitions data."""
    from botocore.loaders import create_loader

    partitions = create_loader().load_data("partitions")["partitions"]
    for partition in partitions:
        if region in partition["regions"]:
            return str(partition["id"])
    for partition in partitions:
        if re.match(partition["regionRegex"], region):
            return str(partition["id"])
    return "aws"


def _violations(
    request: OnboardingRequest, own_account: str, region: str, allowed: frozenset[str], connections_in: str
) -> Iterator[FieldError]:
    accounts = allowed | {own_account}
    listed = "this account" + (f" or one of {', '.join(sorted(allowed))}" if allowed else "")
    partition = partition_of(region)
    here = _Arn(partition, own_account, region)
    # a connection and its host are the target account's (the deployment's own without spokes)
    there_connections = _Arn(partition, connections_in or own_account, region)
    connection = request.connection
    if connection is not None:
        for field, arn in (("connection.arn", connection.arn), ("connection.hostArn", connection.host_arn)):
            if arn is None:
                continue
            if (there := _arn(arn)) != there_connections:
                yield FieldError(
                    field,
                    f"must be in this partition, account and Region ({', '.join(there_connections)}),"
                    f" not {', '.join(there)}",
                )
    codeartifact = request.codeartifact
    if codeartifact is not None:
        owner = codeartifact.domain_owner
        if owner is not None and owner not in accounts:
            yield FieldError("codeartifact.domainOwner", f"account {owner} is not {listed}")
        elif owner not in (None, own_account, connections_in) and codeartifact.create_domain:
            # CreateDomain has no domainOwner: it creates in the account of the credentials (this
            # one, or the target account through its spoke role)
            yield FieldError(
                "codeartifact.domainOwner",
                f"createDomain creates the domain in this account ({connections_in or own_account}),"
                f" not in {owner};"
                " drop createDomain to use that account's existing domain",
            )
        if codeartifact.encryption_key is not None:
            yield from _key_violations(
                "codeartifact.encryptionKey", codeartifact.encryption_key, here, accounts, listed
            )
    if request.git_sync is not None:
        for i, link in enumerate(request.git_sync.repositories):
            if link.encryption_key_arn is not None:
                yield from _key_violations(
                    f"gitSync.repositories[{i}].encryptionKeyArn",
                    link.encryption_key_arn,
                    here,
                    accounts,
                    listed,
                )
    if request.proton is not None:
        for i, repo in enumerate(request.proton.repositories):
            if repo.encryption_key is not None:
                yield from _key_violations(
                    f"proton.repositories[{i}].encryptionKey", repo.encryption_key, here, accounts, listed
                )


def _key_violations(
    field: str, key: str, here: _Arn, accounts: frozenset[str], listed: str
) -> Iterator[FieldError]:
    """A KMS key must be in this partition and Region (KMS keys are regional), in an account in reach."""
    there = _arn(key)
    if (there.partition, there.region) != (here.partition, here.region):
        yield FieldError(
            field,
            f"the key must be in this partition and Region ({here.partition}, {here.region}),"
            f" not {there.partition}, {there.region}",
        )
    elif there.account not in accounts:
        yield FieldError(field, f"the key's account {there.account} is not {listed}")


def out_of_bounds(
    request: OnboardingRequest,
    *,
    own_account: str,
    region: str,
    allowed_accounts: frozenset[str],
    connections_in: str = "",
) -> list[FieldError]:
    """Every field that reaches outside this account and ``allowed_accounts`` (those the caller
    may reach besides this one); empty when all is in bounds. ``connections_in``: the account a
    reused connection or host must be in (the onboarding's target; this one by default)."""
    return list(_violations(request, own_account, region, allowed_accounts, connections_in))


def git_sync_role_problems(
    request: OnboardingRequest,
    *,
    caller: str,
    own_account: str,
    region: str,
    listed: frozenset[str],
    target: str | None = None,
) -> list[FieldError]:
    """Every gitSync ``roleArn`` must be a role of the caller's own account that is this
    deployment's too (IAM passes only roles of the account the sync configuration is made in),
    and one the deployment lists in ``GitSyncRoleArns`` (the only roles it may pass). With a
    spoke role (``target``: the onboarding's target account), the sync configuration is made in
    the target account, so the role must be that account's; the spoke's own template names the
    roles it may pass there."""
    if request.git_sync is None:
        return []
    if target is not None:
        return _roles_in(request, target, partition_of(region))
    if not listed:
        return [
            FieldError(
                "gitSync",
                "this deployment lists no role CloudFormation Git sync may use: its template parameter"
                " GitSyncRoleArns is empty. An operator sets GitSyncRoleArns to the roles stacks may be"
                " synced as; until then, remove the gitSync section",
            )
        ]
    partition = partition_of(region)
    found: list[FieldError] = []
    for i, repo in enumerate(request.git_sync.repositories):
        for j, config in enumerate(repo.sync_configurations):
            field = f"gitSync.repositories[{i}].syncConfigurations[{j}].roleArn"
            there = _arn(config.role_arn)
            if there.partition != partition:
                found.append(
                    FieldError(
                        field, f"the role must be in this partition ({partition}), not {there.partition}"
                    )
                )
            elif there.account != caller:
                found.append(
                    FieldError(
                        field, f"the role must be in the caller's account ({caller}), not {there.account}"
                    )
                )
            elif there.account != own_account:
                found.append(
                    FieldError(
                        field,
                        f"Git sync runs in this deployment's account ({own_account}), and IAM passes only"
                        f" roles of that account; account {there.account} cannot sync stacks here",
                    )
                )
            elif config.role_arn not in listed:
                found.append(
                    FieldError(
                        field,
                        f"{config.role_arn} is not one of the roles this deployment lets Git sync use"
                        " (its template parameter GitSyncRoleArns)",
                    )
                )
    return found


def _roles_in(request: OnboardingRequest, target: str, partition: str) -> list[FieldError]:
    found = []
    assert request.git_sync is not None
    for i, repo in enumerate(request.git_sync.repositories):
        for j, config in enumerate(repo.sync_configurations):
            there = _arn(config.role_arn)
            if (there.partition, there.account) != (partition, target):
                found.append(
                    FieldError(
                        f"gitSync.repositories[{i}].syncConfigurations[{j}].roleArn",
                        f"Git sync runs in the onboarding's account ({target}, partition {partition}),"
                        f" and IAM passes only roles of that account, not of {there.account}",
                    )
                )
    return found


def consumer_problems(
    request: OnboardingRequest,
    *,
    own_account: str,
    allowed_accounts: frozenset[str],
    allowed_organization: str,
    target: str = "",
) -> list[FieldError]:
    """``codeartifact.consumers`` grants read access to other accounts, so it names only what the
    deployment admits: accounts of ``AllowedAccountIds``, the organization of
    ``AllowedOrganizationId``. And it writes the domain's policy, so the domain is this
    deployment's own: a delegated ``domainOwner``'s policy is its owner's to write (and repolink's
    role may write policies only in its own account)."""
    codeartifact = request.codeartifact
    if codeartifact is None or codeartifact.consumers is None:
        return []
    consumers = codeartifact.consumers
    found: list[FieldError] = []
    # (with a spoke role, the target account's own domain is written through the spoke)
    if codeartifact.domain_owner not in (None, own_account, target or own_account):
        found.append(
            FieldError(
                "codeartifact.consumers",
                f"sharing writes the domain's policy, and domain {codeartifact.domain!r} belongs to account"
                f" {codeartifact.domain_owner}: only a domain of this deployment's account ({own_account})"
                " is shared; ask its owner to share it, or remove consumers",
            )
        )
    listed = ", ".join(sorted(allowed_accounts)) or "none"
    for i, account in enumerate(consumers.accounts):
        if account not in allowed_accounts:
            found.append(
                FieldError(
                    f"codeartifact.consumers.accounts[{i}]",
                    f"account {account} is not one this deployment allows consumers from (its template"
                    f" parameter AllowedAccountIds: {listed})",
                )
            )
    organization = consumers.organization_id
    if organization is not None and organization != allowed_organization:
        found.append(
            FieldError(
                "codeartifact.consumers.organizationId",
                f"organization {organization} is not the one this deployment allows consumers from (its"
                f" template parameter AllowedOrganizationId: {allowed_organization or 'none'})",
            )
        )
    return found
