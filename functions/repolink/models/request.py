"""The onboarding request: one JSON contract, whether it comes from the API or from EventBridge.

Field-level rules come from the AWS API models (botocore ``service-2.json``: names, patterns,
lengths, enums); cross-field rules (which provider needs a host, what Proton can link, upstream
cycles) are each model's ``__post_init__``. The models are plain dataclasses, read without
pydantic (cold start): the entry points validate untrusted JSON against them with
:func:`repolink.models.validation.validate_request` (``models/wire.py`` reads the wire shape;
every error carries the wire path of the field at fault), while the task handlers read the
already validated request back with ``from_wire``. pydantic only builds the published schemas.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from repolink.errors import UnsupportedProvider
from repolink.models.providers import (
    CONNECTION_SERVICES,
    GIT_SYNC_PROVIDER_TYPES,
    PROTON_PROVIDER_BY_CONNECTION_PROVIDER,
    proton_provider_for,
)
from repolink.models.rules import STRICT, Bounds, Doc, Schema, fail, given, is_one_of, when
from repolink.models.sections import (
    AccountId,
    CodeArtifactSpec,
    ConnectionSpec,
    Flag,
    GitSyncSpec,
    ProtonSpec,
)
from repolink.models.wire import Wire


def _linked_through_the_connection(section: str, providers: Iterable[str]) -> Schema:
    """``section`` needs a connection: a codeconnections or codestar-connections one, of one of
    ``providers`` (the schema of the rule ``OnboardingRequest.__post_init__`` applies)."""
    service = {"enum": [s for s in CONNECTION_SERVICES if s != "apprunner"]}
    needed = {
        "properties": {
            "connection": {"properties": {"service": service, "provider": {"enum": [*providers, None]}}}
        }
    }
    return when(given(section), {"allOf": [given("connection"), needed]})


@dataclass(frozen=True, kw_only=True)
class OnboardingRequest(Wire):
    """The whole request. At least one of ``connection``, ``gitSync``, ``proton``, ``codeartifact``."""

    connection: ConnectionSpec | None = None
    proton: ProtonSpec | None = None
    codeartifact: CodeArtifactSpec | None = None
    git_sync: GitSyncSpec | None = None
    account: Annotated[
        AccountId | None,
        Doc(
            "The account the onboarding acts in, where the deployment has a spoke role"
            " (SpokeRoleName): the caller's own when not given; another only as the tenancy rules"
            " allow (AccountDelegations; the deployment's account may name any admitted one)"
        ),
    ] = None
    handshake_timeout_hours: Annotated[int, STRICT, Bounds(ge=1, le=168)] = 72
    cleanup_on_timeout: Flag = False
    # None when not given, so it is left out of the wire form: the request id of a request
    # without it (its digest) is what it was before prune existed
    prune: Annotated[
        bool | None,
        STRICT,
        Doc(
            "Only in a change (PUT /links/{id}, RepositoryLinkChangeRequested): true removes what"
            " this onboarding created that the new request no longer lists (CodeArtifact"
            " repositories, Git sync repositories and stacks), with the offboarding's care: a"
            " repository holding packages, or an upstream of one that stays, is kept and listed"
            " with the reason"
        ),
    ] = None

    schema_rules: ClassVar[Mapping[str, Any]] = {
        "allOf": [
            {"anyOf": [given("connection"), given("gitSync"), given("proton"), given("codeartifact")]},
            _linked_through_the_connection("gitSync", GIT_SYNC_PROVIDER_TYPES),
            when(
                {
                    "allOf": [
                        given("gitSync"),
                        {"properties": {"connection": is_one_of("service", "codestar-connections")}},
                    ]
                },
                {
                    "properties": {
                        "gitSync": {
                            "properties": {
                                "repositories": {
                                    "items": {
                                        "properties": {
                                            "syncConfigurations": {
                                                "items": {
                                                    "properties": {"pullRequestComment": {"enum": [False]}}
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                },
            ),
            _linked_through_the_connection("proton", PROTON_PROVIDER_BY_CONNECTION_PROVIDER),
        ],
        "description": (
            "gitSync and proton link repositories through the connection: a codeconnections or"
            " codestar-connections one, of a provider the target supports (pullRequestComment"
            " needs codeconnections)."
        ),
    }

    def __post_init__(self) -> None:
        if all(s is None for s in (self.connection, self.git_sync, self.proton, self.codeartifact)):
            fail("the request has nothing to do: give connection, gitSync, proton or codeartifact")
        if self.git_sync is not None:
            self._check_git_sync_connection(self.connection, self.git_sync)
        if self.proton is None:
            return
        if self.connection is None:
            fail(
                "proton links repositories through a connection: add a codeconnections or "
                "codestar-connections connection",
                "connection",
            )
        if self.connection.service == "apprunner":
            fail(
                "Proton cannot use App Runner connections; use codeconnections or codestar-connections",
                "connection",
                "service",
            )
        if self.connection.provider is not None:
            try:
                proton_provider_for(self.connection.provider)
            except UnsupportedProvider as exc:
                fail(str(exc), "connection", "provider")

    @staticmethod
    def _check_git_sync_connection(connection: ConnectionSpec | None, git_sync: GitSyncSpec) -> None:
        if connection is None:
            fail(
                "gitSync links repositories through a connection: add a codeconnections or "
                "codestar-connections connection",
                "connection",
            )
        if connection.service == "apprunner":
            fail(
                "Git sync cannot use App Runner connections; use codeconnections or codestar-connections",
                "connection",
                "service",
            )
        if connection.service == "codestar-connections" and any(
            config.pull_request_comment
            for repo in git_sync.repositories
            for config in repo.sync_configurations
        ):
            fail(
                "codestar-connections' API has no pull request comments (PullRequestComment came with"
                " codeconnections): use service codeconnections, or set pullRequestComment to false",
                "connection",
                "service",
            )
        if connection.provider is not None and connection.provider not in GIT_SYNC_PROVIDER_TYPES:
            fail(
                f"CloudFormation Git sync cannot link repositories of provider {connection.provider!r};"
                f" it supports {', '.join(GIT_SYNC_PROVIDER_TYPES)}",
                "connection",
                "provider",
            )
