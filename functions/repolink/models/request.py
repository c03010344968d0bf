"""The onboarding request: one JSON contract, whether it comes from the API or from EventBridge.

Field-level rules come from the AWS API models (botocore ``service-2.json``: names, patterns,
lengths, enums); cross-field rules (which provider needs a host, what Proton can link, upstream
cycles) are each model's :class:`~repolink.models.rules.Rules`, from which its ``__post_init__`` and
its published schema both derive. The models are plain dataclasses, read without
pydantic (cold start): the entry points validate untrusted JSON against them with
:func:`repolink.models.validation.validate_request` (``models/wire.py`` reads the wire shape;
every error carries the wire path of the field at fault), while the task handlers read the
already validated request back with ``from_wire``. pydantic only builds the published schemas.
"""

from typing import Annotated

from repolink.errors import UnsupportedProvider
from repolink.models.providers import (
    CONNECTION_SERVICES,
    GIT_SYNC_PROVIDER_TYPES,
    PROTON_PROVIDER_BY_CONNECTION_PROVIDER,
    proton_provider_for,
)
from repolink.models.record import record
from repolink.models.rules import (
    STRICT,
    Bounds,
    Doc,
    Rule,
    Rules,
    all_of,
    any_of,
    each,
    given,
    inside,
    is_one_of,
)
from repolink.models.sections import (
    AccountId,
    CodeArtifactSpec,
    ConnectionSpec,
    Flag,
    GitSyncSpec,
    ProtonSpec,
)
from repolink.models.wire import Wire


def _through_the_connection(section: str, target: str) -> list[Rule]:
    """``section`` links repositories through the request's connection: there is one, and it is a
    codeconnections or codestar-connections one."""
    linking = [service for service in CONNECTION_SERVICES if service != "apprunner"]
    return [
        Rule(
            given("connection"),
            f"{section} links repositories through a connection: add a codeconnections or "
            "codestar-connections connection",
            "connection",
            when=given(section),
            stop=True,
        ),
        Rule(
            inside("connection", is_one_of("service", *linking, default="codeconnections")),
            f"{target} cannot use App Runner connections; use codeconnections or codestar-connections",
            "connection",
            "service",
            when=given(section),
            stop=True,
        ),
    ]


def _provider(request: "OnboardingRequest") -> str | None:
    return None if request.connection is None else request.connection.provider


def _proton_cannot_link(request: "OnboardingRequest") -> str:
    try:
        proton_provider_for(str(_provider(request)))
    except UnsupportedProvider as exc:
        return str(exc)
    raise AssertionError("a provider Proton links is not a problem")


@record(kw_only=True)
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

    rules = Rules(
        Rule(
            any_of(given("connection"), given("gitSync"), given("proton"), given("codeartifact")),
            "the request has nothing to do: give connection, gitSync, proton or codeartifact",
            stop=True,
        ),
        *_through_the_connection("gitSync", "Git sync"),
        Rule(
            inside(
                "gitSync",
                each(
                    "repositories",
                    each("syncConfigurations", is_one_of("pullRequestComment", False, default=False)),
                ),
            ),
            "codestar-connections' API has no pull request comments (PullRequestComment came with"
            " codeconnections): use service codeconnections, or set pullRequestComment to false",
            "connection",
            "service",
            when=all_of(given("gitSync"), inside("connection", is_one_of("service", "codestar-connections"))),
            stop=True,
        ),
        Rule(
            inside("connection", is_one_of("provider", *GIT_SYNC_PROVIDER_TYPES, None)),
            lambda request: (
                "CloudFormation Git sync cannot link repositories of provider"
                f" {_provider(request)!r}; it supports {', '.join(GIT_SYNC_PROVIDER_TYPES)}"
            ),
            "connection",
            "provider",
            when=given("gitSync"),
            stop=True,
        ),
        *_through_the_connection("proton", "Proton"),
        Rule(
            inside("connection", is_one_of("provider", *PROTON_PROVIDER_BY_CONNECTION_PROVIDER, None)),
            _proton_cannot_link,
            "connection",
            "provider",
            when=given("proton"),
            stop=True,
        ),
        said=(
            "gitSync and proton link repositories through the connection: a codeconnections or"
            " codestar-connections one, of a provider the target supports (pullRequestComment"
            " needs codeconnections)."
        ),
    )
