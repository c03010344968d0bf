"""Create or reuse a source connection, check on its handshake, and remove it when offboarding.

Removal (``remove_connection``, in the order :mod:`repolink.workflow.removal` gives): the
connection is deleted only when its ``repolink:request-id`` and ``repolink:owner-account`` tags
name this onboarding and no repository link uses it any more (another onboarding may have reused
it); then its host (``remove_host``, :mod:`repolink.workflow.hosts`). Everything else is retained,
with the reason.
"""

from collections.abc import Callable
from dataclasses import replace

from repolink.adapters.connections import Connection, ConnectionService, GitSync, Hosts
from repolink.errors import (
    AwsAccessDenied,
    AwsNotFound,
    AwsRequestRejected,
    ConnectionConflict,
    ConnectionNotFound,
    ConnectionNotOwned,
    FieldError,
    HandshakeFailed,
    HandshakeTimedOut,
    HostNotAvailable,
    HostNotOwned,
)
from repolink.models.sections import ConnectionSpec
from repolink.models.state.common import ConnectionState, Handshake, PollState
from repolink.models.state.offboarding import OffboardedConnection, OffboardedHost, RemovalResult, Removed
from repolink.workflow.backoff import HISTORY_EVENTS_QUOTA
from repolink.workflow.hosts import host_arn_refusal, remove_host
from repolink.workflow.ledger import NOT_OURS, REUSED, Ledger, reported
from repolink.workflow.poll import Schedule, after_check
from repolink.workflow.tenancy import OWNER_TAG, REQUEST_TAG, may_reuse


def _state(svc: ConnectionService, conn: Connection, *, created: bool, region: str) -> ConnectionState:
    return ConnectionState(
        arn=conn.arn,
        name=conn.name,
        service=svc.service,
        provider=conn.provider,
        status=conn.status,
        created=created,
        console_url=svc.console_url(conn.arn, region),
        host_arn=conn.host_arn,
    )


def _check_same(spec: ConnectionSpec, found: Connection) -> None:
    if spec.provider and found.provider != spec.provider:
        raise ConnectionConflict(
            f"connection.name: a connection named {found.name!r} exists with provider "
            f"{found.provider!r} ({found.arn}); the request asks for {spec.provider!r}. "
            "Choose another name or reuse that connection by its arn."
        )
    if spec.host_arn and found.host_arn and found.host_arn != spec.host_arn:
        raise ConnectionConflict(
            f"connection.hostArn: connection {found.name!r} uses host {found.host_arn}, "
            f"the request asks for {spec.host_arn}"
        )


def _require_available_host(svc: ConnectionService, host_arn: str, region: str) -> None:
    """A connection on a host that is not set up would never finish its handshake: refuse first."""
    status = svc.host_status(host_arn)
    if status != "AVAILABLE":
        raise HostNotAvailable(
            f"connection.hostArn: host {host_arn} is {status}, not AVAILABLE; a person completes"
            f" its setup at {svc.console_url(host_arn, region)} (Set up host), then send the request again"
        )


def _tags_or_none(svc: ConnectionService, arn: str) -> dict[str, str] | None:
    try:
        return svc.tags(arn)
    except (AwsNotFound, ConnectionNotFound):
        return None


def refusal(
    svc: ConnectionService, spec: ConnectionSpec, *, caller: str, shared: frozenset[str]
) -> FieldError | None:
    """Why ``caller`` may not use the connection the request names (``None``: it may).

    Reuse by ARN or by name is only of a connection ``caller``'s own onboardings created, or one
    the deployment shares. The message never says whose it is, nor its status; a connection
    that does not exist reads the same as one that is not the caller's.
    """
    if spec.arn:
        tags = _tags_or_none(svc, spec.arn)
        if tags is None or not may_reuse(tags, spec.arn, caller=caller, shared=shared):
            return FieldError(
                "connection.arn",
                "this account may not use that connection: its own onboardings did not create it,"
                " and the deployment does not share it (SharedConnectionArns)",
            )
        return None
    found = svc.find_by_name(spec.name) if spec.name else None
    if found is None:
        return None
    return _name_refusal(spec, found, _tags_or_none(svc, found.arn) or {}, caller=caller, shared=shared)


def _name_refusal(
    spec: ConnectionSpec, found: Connection, tags: dict[str, str], *, caller: str, shared: frozenset[str]
) -> FieldError | None:
    if may_reuse(tags, found.arn, caller=caller, shared=shared):
        return None
    return FieldError(
        "connection.name",
        f"a connection named {spec.name!r} exists that this account may not use; choose another name",
    )


def _adopt_after_conflict(
    svc: ConnectionService, name: str, refused: AwsRequestRejected, *, request_id: str, caller: str
) -> Connection:
    """The connection ``CreateConnection`` was refused for, when it is the one this request created.

    A read timeout after ``CreateConnection`` took effect makes the SDK send it again, and the
    retry is refused because the name is now in use (neither service's model has a conflict
    error for it: CodeConnections answers ``ResourceUnavailableException``, App Runner
    ``InvalidRequestException``). The connection is then ours when its ownership tags carry this
    request's id and account: it is adopted as created, so cleanup may delete it. Any other
    connection of that name (made meanwhile by another onboarding) is not adopted, and no
    connection of that name means the refusal was about something else: both stay failures.
    """
    found = svc.find_by_name(name)
    if found is None:
        raise refused
    tags = svc.tags(found.arn)
    if tags.get(REQUEST_TAG) == request_id and tags.get(OWNER_TAG) == caller:
        return found
    if tags.get(OWNER_TAG) != caller:
        raise ConnectionNotOwned(
            f"connection.name: a connection named {name!r} exists that this account may not use; "
            "choose another name"
        ) from refused
    raise ConnectionConflict(
        f"connection.name: another onboarding created a connection named {name!r} ({found.arn}) "
        "while this one was creating it; send the request again to reuse it, or choose another name"
    ) from refused


def create_or_reuse(
    svc: ConnectionService,
    spec: ConnectionSpec,
    *,
    request_id: str,
    region: str,
    first_wait: int,
    caller: str,
    shared: frozenset[str] = frozenset(),
) -> Handshake:
    """Reuse the named ARN, or a same-name connection, or create one: never a second one.

    Only a connection ``caller`` may use is reused (checked at accept, and again here). A
    connection counts as ``created`` by this onboarding only when it carries our request-id
    tag, so a retried or redelivered step still knows it may clean the connection up; so does
    one whose creation answer was lost (:func:`_adopt_after_conflict`).
    """
    poll = PollState(attempt=0, wait_seconds=first_wait, waited_seconds=0)
    if spec.arn:
        refused = refusal(svc, spec, caller=caller, shared=shared)
        if refused is not None:
            raise ConnectionNotOwned(str(refused))
        found = svc.get(spec.arn)
        return Handshake(connection=_state(svc, found, created=False, region=region), poll=poll)
    assert spec.name is not None and spec.provider is not None  # guaranteed by the request model
    found_or_none = svc.find_by_name(spec.name)
    if found_or_none is None:
        if spec.host_arn:
            refused_host = host_arn_refusal(_tags_or_none(svc, spec.host_arn), caller=caller)
            if refused_host is not None:
                raise HostNotOwned(str(refused_host))
            _require_available_host(svc, spec.host_arn, region)
        tags = {**spec.tags, REQUEST_TAG: request_id, OWNER_TAG: caller}
        try:
            conn = svc.create(spec.name, spec.provider, spec.host_arn, tags)
        except AwsAccessDenied:
            raise
        except AwsRequestRejected as exc:
            conn = _adopt_after_conflict(svc, spec.name, exc, request_id=request_id, caller=caller)
        return Handshake(connection=_state(svc, conn, created=True, region=region), poll=poll)
    tags = svc.tags(found_or_none.arn)
    refused = _name_refusal(spec, found_or_none, tags, caller=caller, shared=shared)
    if refused is not None:
        raise ConnectionNotOwned(str(refused))
    _check_same(spec, found_or_none)
    ours = tags.get(REQUEST_TAG) == request_id
    return Handshake(connection=_state(svc, found_or_none, created=ours, region=region), poll=poll)


def check_handshake(
    svc: ConnectionService,
    connection: ConnectionState,
    poll: PollState,
    *,
    timeout_hours: int,
    base: int,
    cap: int,
    request_id: str,
) -> Handshake:
    """One check after one Wait (the poll step, ``workflow.poll``): AVAILABLE, still pending
    (with the next Wait), or an error."""
    current = svc.get(connection.arn)
    updated = replace(connection, status=current.status)
    if current.status in ("ERROR", "DELETED"):
        raise HandshakeFailed(
            f"connection {connection.arn} is {current.status}: the handshake with "
            f"{connection.provider} failed or was refused; finish or recreate it at {connection.console_url}"
        )
    schedule = Schedule(timeout_hours, base, cap, request_id)
    after = after_check(poll, schedule, ready=current.status == "AVAILABLE")
    if isinstance(after, PollState):
        return Handshake(connection=updated, poll=after)
    checks, waited = after.poll.attempt, after.poll.waited_seconds
    if after.why == "deadline":
        raise HandshakeTimedOut(
            f"connection {connection.arn} was still {current.status} after {timeout_hours}h "
            f"({checks} checks); nobody completed the handshake at {connection.console_url}"
        )
    raise HandshakeTimedOut(
        f"connection {connection.arn} was still {current.status} after {checks} checks"
        f" ({waited // 3600}h of the {timeout_hours}h asked), the most one execution has room for"
        f" within Step Functions' {HISTORY_EVENTS_QUOTA:,}-event history; nobody completed the"
        f" handshake at {connection.console_url}"
    )


def clean_up(svc: ConnectionService, connection: ConnectionState) -> bool:
    """Delete the connection if this onboarding created it and it is still not AVAILABLE.

    The status is read again first: a person may have finished the handshake just as the
    timeout fired, and a working connection is never thrown away.
    """
    if not connection.created:
        return False
    try:
        current = svc.get(connection.arn)
    except ConnectionNotFound:
        return False
    if current.status == "AVAILABLE":
        return False
    svc.delete(connection.arn)
    return True


# -- removal (offboarding) ----------------------------------------------------------------------


def remove_connection(
    svc: ConnectionService,
    links_of: Callable[[str], list[str]] | None,
    connection: OffboardedConnection | None,
    *,
    already_deleted: bool,
    request_id: str,
    caller: str,
    host: tuple[Hosts, OffboardedHost, bool] | None = None,
) -> RemovalResult:
    """The connection, if this onboarding created it and nothing links through it any more; then
    its host (``host``: the adapter, the host, whether the onboarding deleted it already), if this
    onboarding created it and no connection is made on it any more.

    ``links_of(arn)`` names the repository links still on the connection (Git sync's; ``None``
    for App Runner, which has none)."""

    def work(ledger: Ledger) -> None:
        _connection(ledger)
        if host is not None:
            remove_host(*host, ledger, request_id, caller)

    def _connection(ledger: Ledger) -> None:
        if connection is None or already_deleted:
            return
        kind, arn = f"{connection.service}:connection", connection.arn
        if not connection.created:
            ledger.keep(kind, connection.name, arn, REUSED)
            return
        try:
            tags = svc.tags(arn)
        except (AwsNotFound, ConnectionNotFound):
            ledger.removed.append(Removed(type=kind, name=connection.name, arn=arn))
            return
        if tags.get(REQUEST_TAG) != request_id or tags.get(OWNER_TAG) != caller:
            ledger.keep(kind, connection.name, arn, NOT_OURS)
            return
        users = links_of(arn) if links_of is not None else []
        if users:
            reason = (
                f"repository links still use it (another onboarding reuses it): {', '.join(sorted(users))}"
            )
            ledger.keep(kind, connection.name, arn, reason)
            return
        ledger.remove(kind, connection.name, arn, lambda: svc.delete(arn))

    return reported("Connection.Remove", work)


def links_on(svc: GitSync) -> Callable[[str], list[str]]:
    """The repository links (``OWNER/NAME``) on a connection, either ARN spelling of it."""

    def names(arn: str) -> list[str]:
        same = arn.split(":")[3:]
        return [
            f"{link.owner_id}/{link.repository_name}"
            for link in svc.links()
            if link.connection_arn.split(":")[3:] == same
        ]

    return names
