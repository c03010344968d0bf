"""Create or reuse a host (``connection.host``), wait until a person has set it up, clean it up,
remove it when offboarding.

A host created through the API is ``PENDING`` until a person completes "Set up host" in the
console; a host with a VPC configuration passes ``VPC_CONFIG_INITIALIZING`` first and may end in
``VPC_CONFIG_FAILED_INITIALIZATION``
(https://docs.aws.amazon.com/codeconnections/latest/APIReference/API_Host.html). The wait for the
host and the handshake wait after it are one wait: one deadline (``handshakeTimeoutHours``), one
backoff schedule (:mod:`repolink.workflow.backoff`), one count of checks against the history
quota (``MAX_CHECKS``): the connection's poll continues the host's.

Tenancy: a host is reused by name only when this caller's onboardings created it (its ownership
tags), as a connection is. A host the deployment shares is named by ``connection.hostArn``.

Removal (``remove_host``, after its connection's, :mod:`repolink.workflow.connection`): a host is
deleted only when its ``repolink:request-id`` and ``repolink:owner-account`` tags name this
onboarding and no connection is made on it any more.
"""

from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from typing import Any

from repolink.adapters.connections import Host, Hosts
from repolink.errors import (
    AwsNotFound,
    FieldError,
    HostConflict,
    HostNotFound,
    HostNotOwned,
    HostSetupFailed,
    HostSetupTimedOut,
)
from repolink.models.sections import ConnectionSpec, HostSpec, VpcConfigurationSpec
from repolink.models.state.common import HostSetup, HostState, PollState
from repolink.models.state.offboarding import OffboardedHost, Removed
from repolink.workflow.backoff import HISTORY_EVENTS_QUOTA, next_wait
from repolink.workflow.ledger import NOT_OURS, REUSED, Ledger
from repolink.workflow.poll import Schedule, after_check
from repolink.workflow.tenancy import OWNER_TAG, REQUEST_TAG, may_use_host

#: a host's statuses while it is being set up (it is still worth waiting)
SETTING_UP = frozenset({"PENDING", "VPC_CONFIG_INITIALIZING"})
#: the statuses a host does not come back from by itself
FAILED = frozenset({"VPC_CONFIG_FAILED_INITIALIZATION", "VPC_CONFIG_DELETING"})


def _vpc(spec: VpcConfigurationSpec | None) -> dict[str, Any] | None:
    if spec is None:
        return None
    vpc: dict[str, Any] = {
        "VpcId": spec.vpc_id,
        "SubnetIds": list(spec.subnet_ids),
        "SecurityGroupIds": list(spec.security_group_ids),
    }
    if spec.tls_certificate is not None:
        vpc["TlsCertificate"] = spec.tls_certificate
    return vpc


def _same_network(wanted: dict[str, Any] | None, found: dict[str, Any] | None) -> bool:
    def key(vpc: dict[str, Any] | None) -> tuple[Any, ...] | None:
        if not vpc:
            return None
        return (
            vpc.get("VpcId"),
            frozenset(vpc.get("SubnetIds", ())),
            frozenset(vpc.get("SecurityGroupIds", ())),
        )

    return key(wanted) == key(found)


def _difference(spec: HostSpec, provider: str, found: Host) -> str | None:
    """Why ``found`` is not the host the request describes (``None``: it is)."""
    if found.endpoint != spec.provider_endpoint:
        return f"providerEndpoint {found.endpoint!r}, not {spec.provider_endpoint!r}"
    if found.provider != provider:
        return f"provider {found.provider!r}, not {provider!r}"
    if not _same_network(_vpc(spec.vpc_configuration), found.vpc):
        return "another vpcConfiguration"
    return None


def _owned(tags: dict[str, str], caller: str) -> bool:
    return tags.get(OWNER_TAG) == caller


def _tags_or_none(hosts: Hosts, arn: str) -> dict[str, str] | None:
    try:
        return hosts.tags(arn)
    except AwsNotFound:
        return None


def _candidates(hosts: Hosts, name: str) -> Iterable[tuple[Host, dict[str, str]]]:
    for found in hosts.find_by_name(name):
        tags = _tags_or_none(hosts, found.arn)
        if tags is not None:
            yield found, tags


def _find(
    hosts: Hosts, spec: HostSpec, provider: str, *, caller: str
) -> tuple[Host, dict[str, str]] | FieldError | None:
    """This caller's host of that name and settings; or why the name cannot be used (another
    team's host, or one made by hand: never saying whose; ours with other settings: naming the
    field); or ``None``, when no host has that name."""
    candidates = list(_candidates(hosts, spec.name))
    mine = [(found, tags) for found, tags in candidates if _owned(tags, caller)]
    for found, tags in mine:
        if _difference(spec, provider, found) is None:
            return found, tags
    if mine:
        found = mine[0][0]
        return FieldError(
            "connection.host.providerEndpoint",
            f"this account's host {spec.name!r} ({found.arn}) has {_difference(spec, provider, found)};"
            " use its settings or choose another name",
        )
    if candidates:
        return FieldError(
            "connection.host.name",
            f"a host named {spec.name!r} exists that this account's onboardings did not create; choose"
            " another name",
        )
    return None


def host_arn_refusal(tags: dict[str, str] | None, *, caller: str) -> FieldError | None:
    """Why ``caller`` may not make a connection on the host ``connection.hostArn`` names, from its
    tags (``None``: it may; a host that is not there is refused later, as not AVAILABLE). The
    message never says whose it is."""
    if tags is None or may_use_host(tags, caller=caller):
        return None
    return FieldError(
        "connection.hostArn",
        "this account may not use that host: another account's onboardings created it",
    )


def refusal(hosts: Hosts, spec: ConnectionSpec, *, caller: str) -> FieldError | None:
    """Why ``caller`` may not have the host the request describes or names (``None``: it may):
    checked at accept, before anything starts, and again in the task."""
    if spec.host_arn:
        return host_arn_refusal(_tags_or_none(hosts, spec.host_arn), caller=caller)
    if spec.host is None or spec.provider is None:
        return None
    found = _find(hosts, spec.host, spec.provider, caller=caller)
    return found if isinstance(found, FieldError) else None


def _state(hosts: Hosts, found: Host, *, created: bool, region: str) -> HostState:
    return HostState(
        arn=found.arn,
        name=found.name,
        service=hosts.service,
        provider=found.provider,
        provider_endpoint=found.endpoint,
        status=found.status,
        created=created,
        console_url=hosts.console_url(found.arn, region),
    )


def create_or_reuse(
    hosts: Hosts,
    spec: ConnectionSpec,
    *,
    request_id: str,
    region: str,
    first_wait: int,
    caller: str,
) -> HostSetup:
    """Reuse this caller's host of that name and endpoint, or create one: never a second one.

    ``CreateHost`` has no idempotency token and host names are not unique, so it is sent once
    (no SDK retry). Whatever becomes of it, a retry of this step (the state machine's, after a
    lost answer or throttling) first finds the host by name: one carrying this request's id is
    the one it created, and counts as ``created`` (cleanup applies).
    """
    host, provider = spec.host, spec.provider
    assert host is not None and provider is not None  # guaranteed by the request model
    poll = PollState(attempt=0, wait_seconds=first_wait, waited_seconds=0)
    found = _find(hosts, host, provider, caller=caller)
    if isinstance(found, FieldError):
        refused = HostConflict if found.field.endswith("providerEndpoint") else HostNotOwned
        raise refused(str(found))
    if found is not None:
        existing, tags = found
        ours = tags.get(REQUEST_TAG) == request_id
        return HostSetup(host=_state(hosts, existing, created=ours, region=region), poll=poll)
    tags = {**spec.tags, REQUEST_TAG: request_id, OWNER_TAG: caller}
    # a failure here (a lost answer is a TransientAwsError) fails the step; its retry finds the
    # host by name above, if CreateHost took effect
    created = hosts.create(host.name, provider, host.provider_endpoint, _vpc(host.vpc_configuration), tags)
    return HostSetup(host=_state(hosts, created, created=True, region=region), poll=poll)


def check_setup(
    hosts: Hosts,
    host: HostState,
    poll: PollState,
    *,
    timeout_hours: int,
    base: int,
    cap: int,
    request_id: str,
) -> HostSetup:
    """One check after one Wait (the poll step, ``workflow.poll``): AVAILABLE, still being set up
    (with the next Wait), or failed."""
    try:
        current = hosts.get(host.arn)
    except HostNotFound as exc:
        raise HostSetupFailed(
            f"host {host.arn} was deleted while the onboarding waited for its setup"
        ) from exc
    ready = current.status == "AVAILABLE"
    if not ready and (current.status in FAILED or current.status not in SETTING_UP):
        raise HostSetupFailed(
            f"host {host.arn} is {current.status}: its VPC configuration could not be set up; check the"
            f" VPC, subnets and security groups (docs/runbook.md), then send the request again"
        )
    after = after_check(poll, Schedule(timeout_hours, base, cap, request_id), ready=ready)
    if isinstance(after, PollState):
        return HostSetup(host=replace(host, status=current.status), poll=after)
    checks = after.poll.attempt
    if after.why == "deadline":
        raise HostSetupTimedOut(
            f"host {host.arn} was still {current.status} after {timeout_hours}h ({checks}"
            f" checks); nobody set it up at {host.console_url}"
        )
    raise HostSetupTimedOut(
        f"host {host.arn} was still {current.status} after {checks} checks, the most one"
        f" execution has room for within Step Functions' {HISTORY_EVENTS_QUOTA:,}-event history;"
        f" nobody set it up at {host.console_url}"
    )


def handshake_poll(
    setup: HostSetup, *, timeout_hours: int, base: int, cap: int, request_id: str
) -> PollState:
    """The handshake's poll, continuing the host's: the same deadline and schedule (so the checks of
    both waits together fit one execution's history, as one wait's do). A host set up at the
    deadline leaves a Wait of 0: one check, then the handshake's own timeout and cleanup."""
    timeout = timeout_hours * 3600
    waited = setup.poll.waited_seconds
    attempt = setup.poll.attempt
    wait = next_wait(attempt, waited, timeout, base=base, cap=cap, request_id=request_id)
    return PollState(attempt=attempt, wait_seconds=wait, waited_seconds=waited)


def clean_up(hosts: Hosts, host: HostState) -> bool:
    """Delete the host if this onboarding created it, it is still not AVAILABLE, and no connection
    is made on it.

    The status is read again first: a person may have finished the setup just as the timeout
    fired, and a host that is set up is never thrown away. A host in ``VPC_CONFIG_INITIALIZING``
    cannot be deleted (DeleteHost's documentation): it is kept, and the failure says so.
    """
    if not host.created:
        return False
    try:
        current = hosts.get(host.arn)
    except HostNotFound:
        return False
    if current.status in ("AVAILABLE", "VPC_CONFIG_INITIALIZING", "VPC_CONFIG_DELETING"):
        return False
    if hosts.connections_on(host.arn):
        return False
    hosts.delete(host.arn)
    return True


# -- removal (offboarding) ----------------------------------------------------------------------


def remove_host(
    svc: Hosts, host: OffboardedHost, already_deleted: bool, ledger: Ledger, request_id: str, caller: str
) -> None:
    """The host, after its connection: only one this onboarding created, with nothing on it."""
    kind = f"{host.service}:host"
    if already_deleted:
        return
    if not host.created:
        ledger.keep(kind, host.name, host.arn, REUSED)
        return
    try:
        tags = svc.tags(host.arn)
    except (AwsNotFound, HostNotFound):
        ledger.removed.append(Removed(type=kind, name=host.name, arn=host.arn))
        return
    if tags.get(REQUEST_TAG) != request_id or tags.get(OWNER_TAG) != caller:
        ledger.keep(kind, host.name, host.arn, NOT_OURS)
        return
    users = svc.connections_on(host.arn)
    if users:
        ledger.keep(
            kind, host.name, host.arn, f"connections are still made on it: {', '.join(sorted(users))}"
        )
        return
    ledger.remove(kind, host.name, host.arn, partial(svc.delete, host.arn))
