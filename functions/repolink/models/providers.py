"""The enums AWS accepts, written out by hand so a cold start never loads botocore's models.

``tests/unit/test_providers.py`` compares every constant here with the installed botocore models, so a
new provider in an SDK upgrade shows up as a failing test rather than as a request we wrongly refuse.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from repolink.errors import UnsupportedProvider

ConnectionService = Literal["codeconnections", "codestar-connections", "apprunner"]
"""The services that can hold a source connection."""

CONNECTION_SERVICES: tuple[ConnectionService, ...] = ("codeconnections", "codestar-connections", "apprunner")

CODECONNECTIONS_PROVIDER_TYPES: tuple[str, ...] = (
    "Bitbucket",
    "GitHub",
    "GitHubEnterpriseServer",
    "GitLab",
    "GitLabSelfManaged",
    "AzureDevOps",
)
"""codeconnections 2023-12-01 ``ProviderType``."""

CODESTAR_CONNECTIONS_PROVIDER_TYPES: tuple[str, ...] = (
    "Bitbucket",
    "GitHub",
    "GitHubEnterpriseServer",
    "GitLab",
    "GitLabSelfManaged",
)
"""codestar-connections 2019-12-01 ``ProviderType`` (no AzureDevOps: that came with the rename)."""

APPRUNNER_PROVIDER_TYPES: tuple[str, ...] = ("GITHUB", "BITBUCKET")
"""apprunner 2020-05-15 ``ProviderType``."""

PROVIDER_TYPES_BY_SERVICE: Mapping[ConnectionService, tuple[str, ...]] = MappingProxyType(
    {
        "codeconnections": CODECONNECTIONS_PROVIDER_TYPES,
        "codestar-connections": CODESTAR_CONNECTIONS_PROVIDER_TYPES,
        "apprunner": APPRUNNER_PROVIDER_TYPES,
    }
)

HOST_PROVIDER_TYPES: frozenset[str] = frozenset({"GitHubEnterpriseServer", "GitLabSelfManaged"})
"""Installed (self-managed) providers: a connection to one of them goes through a host (``hostArn``)."""

PROTON_PROVIDERS: tuple[str, ...] = ("GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET")
"""proton 2020-07-20 ``RepositoryProvider``."""

PROTON_PROVIDER_BY_CONNECTION_PROVIDER: Mapping[str, str] = MappingProxyType(
    {
        "GitHub": "GITHUB",
        "GitHubEnterpriseServer": "GITHUB_ENTERPRISE",
        "Bitbucket": "BITBUCKET",
    }
)
"""A connection's ``ProviderType`` (codeconnections spelling) to the Proton ``RepositoryProvider``."""

GIT_SYNC_PROVIDER_TYPES: tuple[str, ...] = (
    "Bitbucket",
    "GitHub",
    "GitHubEnterpriseServer",
    "GitLab",
    "GitLabSelfManaged",
)
"""The connection providers CloudFormation Git sync links repositories of: GitHub, GitHub
Enterprise, GitLab, GitLab self-managed and Bitbucket (not Azure DevOps), as
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/git-sync-prereq.html lists them."""

GIT_SYNC_TYPE = "CFN_STACK_SYNC"
"""codeconnections ``SyncConfigurationType``: its only value, a CloudFormation stack synced from Git."""
GIT_SYNC_TRIGGERS: tuple[str, ...] = ("ANY_CHANGE", "FILE_CHANGE")
"""codeconnections ``TriggerResourceUpdateOn``."""
GIT_SYNC_TOGGLES: tuple[str, ...] = ("ENABLED", "DISABLED")
"""codeconnections ``PublishDeploymentStatus`` and ``PullRequestComment``."""
GitSyncTrigger = Literal["ANY_CHANGE", "FILE_CHANGE"]

EXTERNAL_CONNECTIONS: tuple[str, ...] = (
    "public:npmjs",
    "public:pypi",
    "public:maven-central",
    "public:maven-googleandroid",
    "public:maven-gradleplugins",
    "public:maven-commonsware",
    "public:maven-clojars",
    "public:nuget-org",
    "public:crates-io",
    "public:ruby-gems-org",
)
"""The public repositories a CodeArtifact repository can take as its (single) external connection.

botocore has no enum for these (``ExternalConnectionName`` is a free pattern); the list is the
CodeArtifact user guide's "Supported external connection repositories".
"""


def proton_provider_for(connection_provider: str) -> str:
    """The Proton repository provider for a connection's provider type.

    Raises :class:`UnsupportedProvider` for a provider Proton cannot link (GitLab, AzureDevOps, ...).
    """
    try:
        return PROTON_PROVIDER_BY_CONNECTION_PROVIDER[connection_provider]
    except KeyError:
        supported = ", ".join(PROTON_PROVIDER_BY_CONNECTION_PROVIDER)
        raise UnsupportedProvider(
            f"Proton cannot link repositories of provider {connection_provider!r}; it supports {supported}"
        ) from None


#: AWS Proton's end of support; the target stays (behind ProtonTarget) for accounts that still answer
PROTON_END_OF_SUPPORT = "2026-10-07"
