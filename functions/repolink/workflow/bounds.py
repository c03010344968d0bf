"""A request may act only inside its caller's bounds: checked at the entry points, after the
contract (``models.request``) and before anything starts.

- ``codeartifact.domainOwner`` and the account of every KMS key must be this account or one the
  caller may reach (its own, or one ``AccountDelegations`` gives it; see
  ``accept.Deployment.reachable_by``): a caller cannot make repolink touch a domain or key in
  another team's account. ``createDomain`` only with this account as owner: CreateDomain
  creates in the caller's account, whatever ``domainOwner`` says.
- A reused ``connection.arn`` (and a ``connection.hostArn``) must be in this account and Region:
  repolink never adopts, polls or links another account's connection.

Names and tags cannot inject into ARNs or logs: the contract already holds them to the AWS
patterns (no ``:``/``/`` in names that become ARN segments, no control characters anywhere).
"""

from collections.abc import Iterator

from repolink.errors import FieldError
from repolink.models.request import OnboardingRequest


def _arn_account_and_region(arn: str) -> tuple[str, str]:
    parts = arn.split(":", 5)
    return (parts[4], parts[3]) if len(parts) == 6 else ("", "")


def _violations(
    request: OnboardingRequest, own_account: str, region: str, allowed: frozenset[str]
) -> Iterator[FieldError]:
    accounts = allowed | {own_account}
    listed = "this account" + (f" or one of {', '.join(sorted(allowed))}" if allowed else "")
    connection = request.connection
    if connection is not None:
        for field, arn in (("connection.arn", connection.arn), ("connection.hostArn", connection.host_arn)):
            if arn is None:
                continue
            account, arn_region = _arn_account_and_region(arn)
            if (account, arn_region) != (own_account, region):
                yield FieldError(
                    field, f"must be in this account and Region ({own_account}, {region}), not {account}"
                )
    codeartifact = request.codeartifact
    if codeartifact is not None:
        owner = codeartifact.domain_owner
        if owner is not None and owner not in accounts:
            yield FieldError("codeartifact.domainOwner", f"account {owner} is not {listed}")
        elif owner not in (None, own_account) and codeartifact.create_domain:
            # CreateDomain has no domainOwner: it always creates in the caller's own account
            yield FieldError(
                "codeartifact.domainOwner",
                f"createDomain creates the domain in this account ({own_account}), not in {owner};"
                " drop createDomain to use that account's existing domain",
            )
        if codeartifact.encryption_key is not None:
            account, _ = _arn_account_and_region(codeartifact.encryption_key)
            if account not in accounts:
                yield FieldError("codeartifact.encryptionKey", f"the key's account {account} is not {listed}")
    if request.proton is not None:
        for i, repo in enumerate(request.proton.repositories):
            if repo.encryption_key is None:
                continue
            account, _ = _arn_account_and_region(repo.encryption_key)
            if account not in accounts:
                yield FieldError(
                    f"proton.repositories[{i}].encryptionKey", f"the key's account {account} is not {listed}"
                )


def out_of_bounds(
    request: OnboardingRequest, *, own_account: str, region: str, allowed_accounts: frozenset[str]
) -> list[FieldError]:
    """Every field that reaches outside this account and ``allowed_accounts`` (those the caller
    may reach besides this one); empty when all is in bounds."""
    return list(_violations(request, own_account, region, allowed_accounts))


def allowed_accounts(setting: str) -> frozenset[str]:
    """``AllowedAccountIds`` as the template passes it: comma-separated, possibly empty."""
    return frozenset(a.strip() for a in setting.split(",") if a.strip())
