"""Environment variables, parsed once per process into typed settings.

Read lazily (on first use inside a handler), never at import time, so tests can set the environment
before calling a handler and a missing variable fails with a clear message. Plain Python: every
handler reads settings, and a task handler must not load pydantic for nine variables.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import MISSING, fields
from functools import cache

from repolink.models.record import record


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


@record(kw_only=True)
class Settings:
    region: str
    event_bus_name: str
    event_source: str = "repolink"
    poll_base_seconds: int = 15
    poll_cap_seconds: int = 300
    #: the template's SharedConnectionArns: connections every caller may reuse
    shared_connection_arns: str = ""
    #: the template's SharedDomains: CodeArtifact domains of this account every team may use
    shared_domains: str = ""
    #: the template's SpokeRoleName: the role repolink assumes in team accounts (empty: none)
    spoke_role_name: str = ""


@record(kw_only=True)
class EntrySettings(Settings):
    """The entry points (API, EventBridge) also start executions and keep idempotency records."""

    state_machine_arn: str
    #: the offboarding state machine: an onboarding's offboarding is an execution of its own
    offboarding_state_machine_arn: str
    idempotency_table: str
    idempotency_ttl_hours: int = 24 * 7
    #: the template's LifecycleTable: the claims that make change and offboarding exclusive
    lifecycle_table: str
    #: the template's AllowedAccountIds: accounts (besides this one) a request may reach into
    allowed_account_ids: str = ""
    #: the template's AllowedOrganizationId: the organization CodeArtifact consumers may be (empty: none)
    allowed_organization_id: str = ""
    #: the template's ProtonTarget: "disabled" refuses requests with a proton section
    proton_target: str = "disabled"
    #: the template's GitSyncRoleArns: the roles a gitSync roleArn may name (empty: gitSync is refused)
    git_sync_role_arns: str = ""
    #: the template's AccountDelegations: "CALLER:ACCOUNT,ACCOUNT;..." more accounts a caller may reach
    account_delegations: str = ""


@record(kw_only=True)
class ApiSettings(EntrySettings):
    """The API function also seals and opens ``GET /links``'s ``nextToken`` (``workflow.listing``)."""

    #: the template's ListingTokenKey: the KMS key ARN nextTokens are encrypted under
    listing_token_key_arn: str


@record(kw_only=True)
class RecheckSettings(Settings):
    """The recheck function: the onboardings it may wake (ownership is read from their executions)
    and where their waits record their tokens (``workflow.recheck``)."""

    state_machine_arn: str
    lifecycle_table: str


_CONNECTION_ARN = (
    r"arn:aws[a-z-]*:(codeconnections|codestar-connections|apprunner):[a-z0-9-]+:[0-9]{12}:connection/[^,\s]+"
)

#: a CodeArtifact domain name (the request contract's pattern)
_DOMAIN = r"[a-z][a-z0-9-]{0,48}[a-z0-9]"

_ROLE_ARN = r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+"

_KEY_ARN = r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+"

#: field -> (environment variable, bounds for a number or pattern for text; None: any non-empty text)
_ENV: dict[str, tuple[str, tuple[int, int] | str | None]] = {
    "region": ("AWS_REGION", None),
    "event_bus_name": ("EVENT_BUS_NAME", None),
    "event_source": ("EVENT_SOURCE", None),
    "poll_base_seconds": ("POLL_BASE_SECONDS", (1, 3600)),
    "poll_cap_seconds": ("POLL_CAP_SECONDS", (1, 3600)),
    "shared_connection_arns": ("SHARED_CONNECTION_ARNS", rf"|{_CONNECTION_ARN}(,{_CONNECTION_ARN})*"),
    "shared_domains": ("SHARED_DOMAINS", rf"|{_DOMAIN}(,{_DOMAIN})*"),
    "spoke_role_name": ("SPOKE_ROLE_NAME", r"|[A-Za-z0-9+=,.@_-]{1,64}"),
    "account_delegations": (
        "ACCOUNT_DELEGATIONS",
        r"|[0-9]{12}:[0-9]{12}(,[0-9]{12})*(;[0-9]{12}:[0-9]{12}(,[0-9]{12})*)*",
    ),
    "state_machine_arn": ("STATE_MACHINE_ARN", None),
    "offboarding_state_machine_arn": ("OFFBOARDING_STATE_MACHINE_ARN", None),
    "idempotency_table": ("IDEMPOTENCY_TABLE", None),
    "idempotency_ttl_hours": ("IDEMPOTENCY_TTL_HOURS", (1, 24 * 90)),
    "lifecycle_table": ("LIFECYCLE_TABLE", None),
    "allowed_account_ids": ("ALLOWED_ACCOUNT_IDS", r"|[0-9]{12}(,[0-9]{12})*"),
    "allowed_organization_id": ("ALLOWED_ORGANIZATION_ID", r"|o-[a-z0-9]{10,32}"),
    "proton_target": ("PROTON_TARGET", r"enabled|disabled"),
    "git_sync_role_arns": ("GIT_SYNC_ROLE_ARNS", rf"|{_ROLE_ARN}(,{_ROLE_ARN})*"),
    "listing_token_key_arn": ("LISTING_TOKEN_KEY_ARN", _KEY_ARN),
}


def _parse(text: str, rule: tuple[int, int] | str | None) -> int | str:
    """The variable's value, or ValueError saying what is wrong with it."""
    if isinstance(rule, tuple):
        low, high = rule
        try:
            number = int(text)
        except ValueError:
            raise ValueError(f"must be an integer, got {text!r}") from None
        if not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}, got {number}")
        return number
    if isinstance(rule, str):
        if not re.fullmatch(rule, text):
            raise ValueError(f"must match {rule}, got {text!r}")
        return text
    if not text:
        raise ValueError("must not be empty")
    return text


def load[S: Settings](model: type[S], environment: Mapping[str, str]) -> S:
    """``model`` from ``environment`` (a Lambda function's variables), or :class:`SettingsError`
    naming every variable missing or malformed."""
    values: dict[str, int | str] = {}
    problems: list[str] = []
    for spec in fields(model):
        variable, rule = _ENV[spec.name]
        if variable not in environment:
            if spec.default is MISSING:
                problems.append(f"{variable}: required")
            continue
        try:
            values[spec.name] = _parse(environment[variable], rule)
        except ValueError as exc:
            problems.append(f"{variable}: {exc}")
    if problems:
        raise SettingsError(f"invalid Lambda environment: {'; '.join(problems)}")
    return model(**values)  # type: ignore[arg-type]  # each value was parsed for its field's type


@cache
def get_settings() -> Settings:
    return load(Settings, os.environ)


@cache
def get_entry_settings() -> EntrySettings:
    return load(EntrySettings, os.environ)


@cache
def get_api_settings() -> ApiSettings:
    return load(ApiSettings, os.environ)


@cache
def get_recheck_settings() -> RecheckSettings:
    return load(RecheckSettings, os.environ)


def listed(setting: str) -> frozenset[str]:
    """A list parameter as the template passes it (``AllowedAccountIds``, ``GitSyncRoleArns``,
    ``SharedConnectionArns``, ``SharedDomains``): comma-separated, possibly empty."""
    return frozenset(item.strip() for item in setting.split(",") if item.strip())
