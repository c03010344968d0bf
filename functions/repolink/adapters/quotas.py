"""AWS's resource quotas for what repolink creates: one table, each row with its documentation.

A row says which ``Create`` operation AWS refuses once the quota is reached, with which error
code and message (from botocore's service model: the error shapes each operation models, and
their documentation), and whether AWS can raise the quota. :func:`repolink.adapters.aws.translate`
reads it to turn that refusal into :class:`repolink.errors.QuotaExceeded`, a permanent failure
naming the quota; the local stand-ins read it to refuse the creation beyond the limit, per
account and Region, as AWS does.

How a quota refusal is told from throttling: by operation and code, never by the message.
CodeConnections answers ``LimitExceededException`` for a quota on every ``Create*`` (its
``CreateRepositoryLink`` and ``CreateSyncConfiguration`` model ``ThrottlingException`` apart;
``CreateConnection`` and ``CreateHost`` model no throttling error at all), and for the tag limit
on ``TagResource`` (not a row here: the targets refuse too many tags before the call). botocore's
``standard`` retry mode lists ``LimitExceededException`` among its throttling codes
(``botocore/retries/standard.py``), so it sends such a create up to five times before the
refusal reaches us; what reaches us is then permanent. CodeArtifact and App Runner answer
``ServiceQuotaExceededException``, which nothing retries.

Rows that share an operation and code (the three sync-configuration quotas) are told apart by
counting (:func:`sync_configuration_quota`), since AWS's message is not a contract.
"""

from typing import Literal

from repolink.models.record import record

CONNECTIONS_DOC = "https://docs.aws.amazon.com/dtconsole/latest/userguide/limits-connections.html"
APPRUNNER_DOC = "https://docs.aws.amazon.com/apprunner/latest/dg/architecture.html#architecture.quotas"
CODEARTIFACT_DOC = "https://docs.aws.amazon.com/codeartifact/latest/ug/service-limits.html"

#: codeconnections and codestar-connections: one resource under two names, so one count and one
#: quota (``models.providers.CONNECTION_SERVICES`` adds App Runner, whose quota is its own)
CODECONNECTIONS_NAMES = ("codeconnections", "codestar-connections")

Scope = Literal["account", "repository link", "branch", "domain", "repository"]


@record
class ResourceQuota:
    """One of AWS's resource quotas, per account and Region (narrower when ``per`` says so)."""

    key: str
    #: how a failure names it: "repository links in 222222222222 (100, not adjustable)"
    resource: str
    services: tuple[str, ...]
    operation: str
    limit: int
    adjustable: bool
    #: what one count covers: the account (in one Region), or one repository link, branch, domain...
    per: Scope
    #: the error code AWS answers the create beyond the limit with; None: AWS documents none, and
    #: the request contract refuses it before any call
    code: str | None
    #: the message AWS's error carries (the error shape's documentation; not a contract)
    message: str
    doc: str

    def describe(self, account: str | None) -> str:
        """``repository links in 222222222222 (100, not adjustable)``."""
        where = f" in {account}" if account else ""
        per = "" if self.per == "account" else f" per {self.per}"
        raisable = "adjustable" if self.adjustable else "not adjustable"
        return f"{self.resource}{where} ({self.limit}{per}, {raisable})"


_CONNECTIONS_MESSAGE = "Exceeded the maximum limit for connections."
_CODEARTIFACT_MESSAGE = (
    "The operation did not succeed because it would have exceeded a service limit for your account."
)


def _connections(
    key: str, resource: str, operation: str, limit: int, *, adjustable: bool = False, per: Scope = "account"
) -> ResourceQuota:
    """A row of the Developer Tools console's "Quotas for connections": both connection services,
    answered ``LimitExceededException``."""
    code = "LimitExceededException"
    return ResourceQuota(
        key,
        resource,
        CODECONNECTIONS_NAMES,
        operation,
        limit,
        adjustable,
        per,
        code,
        _CONNECTIONS_MESSAGE,
        CONNECTIONS_DOC,
    )


QUOTAS: tuple[ResourceQuota, ...] = (
    _connections("connections", "connections", "CreateConnection", 250, adjustable=True),
    _connections("hosts", "hosts", "CreateHost", 50),
    _connections("repository-links", "repository links", "CreateRepositoryLink", 100),
    _connections(
        "sync-configurations", "CloudFormation stack sync configurations", "CreateSyncConfiguration", 100
    ),
    _connections(
        "sync-configurations-per-link",
        "sync configurations",
        "CreateSyncConfiguration",
        100,
        per="repository link",
    ),
    _connections(
        "sync-configurations-per-branch", "sync configurations", "CreateSyncConfiguration", 50, per="branch"
    ),
    ResourceQuota(
        "apprunner-connections",
        "App Runner connections",
        ("apprunner",),
        "CreateConnection",
        10,
        True,
        "account",
        "ServiceQuotaExceededException",
        "App Runner can't create this resource. You've reached your account quota for this resource type.",
        APPRUNNER_DOC,
    ),
    ResourceQuota(
        "domains",
        "CodeArtifact domains",
        ("codeartifact",),
        "CreateDomain",
        10,
        True,
        "account",
        "ServiceQuotaExceededException",
        _CODEARTIFACT_MESSAGE,
        CODEARTIFACT_DOC,
    ),
    ResourceQuota(
        "repositories",
        "CodeArtifact repositories",
        ("codeartifact",),
        "CreateRepository",
        1000,
        True,
        "domain",
        "ServiceQuotaExceededException",
        _CODEARTIFACT_MESSAGE,
        CODEARTIFACT_DOC,
    ),
    ResourceQuota(
        "upstreams",
        "direct upstream repositories",
        ("codeartifact",),
        "CreateRepository",
        10,
        False,
        "repository",
        None,
        "",
        CODEARTIFACT_DOC,
    ),
)

BY_KEY = {q.key: q for q in QUOTAS}


def quota(key: str) -> ResourceQuota:
    return BY_KEY[key]


def answered(service: str, operation: str, code: str) -> ResourceQuota | None:
    """The quota AWS refused ``operation`` for, when ``code`` is its answer to a quota reached;
    of rows sharing the operation and code, the account-wide one (the first)."""
    for row in QUOTAS:
        if row.code == code and row.operation == operation and service in row.services:
            return row
    return None


def sync_configuration_quota(on_link: int, on_branch: int) -> ResourceQuota:
    """Which of the three sync-configuration quotas a refused ``CreateSyncConfiguration`` reached,
    from the configurations its repository link already has (``on_link``) and those of them on
    the branch asked for (``on_branch``)."""
    if on_branch >= quota("sync-configurations-per-branch").limit:
        return quota("sync-configurations-per-branch")
    if on_link >= quota("sync-configurations-per-link").limit:
        return quota("sync-configurations-per-link")
    return quota("sync-configurations")
