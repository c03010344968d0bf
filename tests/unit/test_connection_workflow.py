"""create_or_reuse / check_handshake / clean_up against an in-memory ConnectionService."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace

import pytest

from repolink.adapters.connections import Connection
from repolink.errors import (
    AwsAccessDenied,
    AwsRequestRejected,
    ConnectionConflict,
    ConnectionNotFound,
    ConnectionNotOwned,
    HandshakeFailed,
    HandshakeTimedOut,
)
from repolink.models.sections import ConnectionSpec
from repolink.models.state.common import ConnectionState, PollState
from repolink.workflow.connection import check_handshake, clean_up, create_or_reuse
from repolink.workflow.tenancy import OWNER_TAG, REQUEST_TAG

pytestmark = pytest.mark.unit

ARN = "arn:aws:codeconnections:us-east-1:123456789012:connection/{}"
TEAM, OTHER_TEAM = "111111111111", "222222222222"


@dataclass
class FakeConnections:
    service: str = "codeconnections"
    items: dict[str, Connection] = field(default_factory=dict)
    tag_sets: dict[str, dict[str, str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    created: int = 0

    def find_by_name(self, name: str) -> Connection | None:
        return next((c for c in self.items.values() if c.name == name), None)

    def create(self, name: str, provider: str, host_arn: str | None, tags: dict[str, str]) -> Connection:
        self.created += 1
        conn = Connection(ARN.format(f"id{self.created}"), name, provider, "PENDING", host_arn)
        self.items[conn.arn] = conn
        self.tag_sets[conn.arn] = dict(tags)
        return conn

    def get(self, arn: str) -> Connection:
        if arn not in self.items:
            raise ConnectionNotFound(arn)
        return self.items[arn]

    def tags(self, arn: str) -> dict[str, str]:
        return self.tag_sets.get(arn, {})

    def delete(self, arn: str) -> None:
        self.deleted.append(arn)
        self.items.pop(arn, None)

    def console_url(self, arn: str, region: str) -> str:
        return f"https://console/{arn}"

    def set_status(self, arn: str, status: str) -> None:
        self.items[arn] = replace(self.items[arn], status=status)  # type: ignore[arg-type]


def spec(**kwargs: object) -> ConnectionSpec:
    return ConnectionSpec.from_wire({"name": "acme-github", "provider": "GitHub", **kwargs})


def go(
    svc: FakeConnections,
    s: ConnectionSpec,
    request_id: str = "rl-1",
    caller: str = TEAM,
    shared: frozenset[str] = frozenset(),
) -> ConnectionState:
    handshake = create_or_reuse(
        svc,  # type: ignore[arg-type]
        s,
        request_id=request_id,
        region="us-east-1",
        first_wait=15,
        caller=caller,
        shared=shared,
    )
    return handshake.connection


def test_creates_a_tagged_connection_when_none_exists() -> None:
    svc = FakeConnections()
    conn = go(svc, spec(tags={"team": "payments"}))
    assert conn.created and conn.status == "PENDING" and svc.created == 1
    assert svc.tag_sets[conn.arn] == {"team": "payments", REQUEST_TAG: "rl-1", OWNER_TAG: TEAM}
    assert conn.console_url.endswith(conn.arn)


def test_a_rerun_of_the_same_request_reuses_and_still_owns_it() -> None:
    svc = FakeConnections()
    first = go(svc, spec())
    again = go(svc, spec())
    assert svc.created == 1
    assert again.arn == first.arn and again.created


def test_another_request_reuses_but_does_not_own_it() -> None:
    svc = FakeConnections()
    first = go(svc, spec(), "rl-1")
    other = go(svc, spec(), "rl-2")
    assert other.arn == first.arn and not other.created and svc.created == 1


def test_same_name_with_another_provider_is_a_conflict_not_a_second_connection() -> None:
    svc = FakeConnections()
    go(svc, spec())
    with pytest.raises(ConnectionConflict, match=r"connection\.name"):
        go(svc, spec(provider="Bitbucket"))
    assert svc.created == 1


def test_reusing_by_arn_never_creates_and_never_owns() -> None:
    svc = FakeConnections()
    existing = go(svc, spec(), "rl-0")
    conn = go(svc, ConnectionSpec.from_wire({"arn": existing.arn}), "rl-0")
    assert conn.arn == existing.arn and not conn.created and svc.created == 1


def test_reusing_a_missing_arn_fails_as_one_the_caller_may_not_use() -> None:
    # a connection that does not exist reads the same as another team's: nothing is disclosed
    with pytest.raises(ConnectionNotOwned, match=r"connection\.arn: this account may not use"):
        go(FakeConnections(), ConnectionSpec.from_wire({"arn": ARN.format("missing")}))


def test_another_team_can_reuse_neither_by_name_nor_by_arn_and_nothing_is_created() -> None:
    svc = FakeConnections()
    theirs = go(svc, spec(), caller=TEAM)
    svc.set_status(theirs.arn, "AVAILABLE")
    with pytest.raises(ConnectionNotOwned, match=r"connection\.name") as by_name:
        go(svc, spec(), "rl-2", caller=OTHER_TEAM)
    with pytest.raises(ConnectionNotOwned, match=r"connection\.arn") as by_arn:
        go(svc, ConnectionSpec.from_wire({"arn": theirs.arn}), "rl-2", caller=OTHER_TEAM)
    assert svc.created == 1
    for refused in (by_name, by_arn):
        assert "AVAILABLE" not in str(refused.value)
        assert theirs.arn not in str(refused.value)


def test_a_shared_connection_may_be_reused_by_every_team() -> None:
    svc = FakeConnections()
    theirs = go(svc, spec(), caller=TEAM)
    shared = frozenset({theirs.arn})
    by_arn = go(svc, ConnectionSpec.from_wire({"arn": theirs.arn}), "rl-2", caller=OTHER_TEAM, shared=shared)
    by_name = go(svc, spec(), "rl-3", caller=OTHER_TEAM, shared=shared)
    assert by_arn.arn == by_name.arn == theirs.arn
    assert not by_arn.created
    assert not by_name.created


def _name_in_use(name: str) -> AwsRequestRejected:
    # what the CodeConnections stand-in (and AWS) answers; App Runner's code differs, the adapter
    # translates both to AwsRequestRejected
    return AwsRequestRejected(
        "codeconnections", "CreateConnection", "ResourceUnavailableException", f"name {name} is in use"
    )


@dataclass
class AnswerLost(FakeConnections):
    """CreateConnection takes effect, its answer is lost, and the SDK's retry of it is refused
    because the name is now in use. ``meanwhile``: instead, another onboarding (request id,
    account) created that name between our lookup and our create."""

    meanwhile: tuple[str, str] | None = None

    def create(self, name: str, provider: str, host_arn: str | None, tags: dict[str, str]) -> Connection:
        if self.meanwhile is not None:
            request_id, account = self.meanwhile
            tags = {REQUEST_TAG: request_id, OWNER_TAG: account}
        super().create(name, provider, host_arn, tags)
        raise _name_in_use(name)


def test_a_connection_whose_creation_answer_was_lost_is_adopted_as_ours() -> None:
    svc = AnswerLost()
    conn = go(svc, spec(), "rl-1")
    assert svc.created == 1
    assert list(svc.items) == [conn.arn]
    assert conn.created, "adopted as created by this onboarding, so cleanup may delete it"
    assert conn.status == "PENDING"
    assert clean_up(svc, conn) is True
    assert svc.deleted == [conn.arn]


def test_a_connection_another_onboarding_of_the_team_created_meanwhile_is_not_adopted() -> None:
    svc = AnswerLost(meanwhile=("rl-other", TEAM))
    with pytest.raises(ConnectionConflict, match=r"connection\.name: another onboarding created") as refused:
        go(svc, spec(), "rl-1")
    assert isinstance(refused.value.__cause__, AwsRequestRejected)
    assert svc.deleted == []


def test_a_connection_another_team_created_meanwhile_is_not_adopted_nor_disclosed() -> None:
    svc = AnswerLost(meanwhile=("rl-1", OTHER_TEAM))  # even with the same request id
    with pytest.raises(ConnectionNotOwned, match=r"connection\.name: .* this account may not use") as refused:
        go(svc, spec(), "rl-1", caller=TEAM)
    assert next(iter(svc.items)) not in str(refused.value)
    assert svc.deleted == []


@dataclass
class Refusing(FakeConnections):
    """CreateConnection is refused and nothing is created (a quota, a bad parameter, IAM)."""

    refusal: Exception = field(default_factory=lambda: _name_in_use("acme-github"))
    lookups: int = 0

    def find_by_name(self, name: str) -> Connection | None:
        self.lookups += 1
        return super().find_by_name(name)

    def create(self, name: str, provider: str, host_arn: str | None, tags: dict[str, str]) -> Connection:
        raise self.refusal


def test_a_refusal_with_no_connection_of_that_name_stays_the_refusal() -> None:
    refusal = AwsRequestRejected("codeconnections", "CreateConnection", "LimitExceededException", "quota")
    with pytest.raises(AwsRequestRejected) as raised:
        go(Refusing(refusal=refusal), spec())
    assert raised.value is refusal


def test_an_access_denied_create_is_not_looked_up_again() -> None:
    denied = AwsAccessDenied("codeconnections", "CreateConnection", "AccessDeniedException", "no")
    svc = Refusing(refusal=denied)
    with pytest.raises(AwsAccessDenied):
        go(svc, spec())
    assert svc.lookups == 1  # the lookup before the create only


def _pending(svc: FakeConnections) -> ConnectionState:
    return go(svc, spec())


def check(svc: FakeConnections, conn: ConnectionState, poll: PollState, hours: int = 1):  # type: ignore[no-untyped-def]
    return check_handshake(svc, conn, poll, timeout_hours=hours, base=15, cap=300, request_id="rl-1")  # type: ignore[arg-type]


def test_check_counts_the_wait_and_schedules_the_next_one() -> None:
    svc = FakeConnections()
    conn = _pending(svc)
    out = check(svc, conn, PollState(attempt=0, wait_seconds=15, waited_seconds=0))
    assert out.connection.status == "PENDING"
    assert out.poll.attempt == 1 and out.poll.waited_seconds == 15
    assert 27 <= out.poll.wait_seconds <= 30


def test_check_reports_available() -> None:
    svc = FakeConnections()
    conn = _pending(svc)
    svc.set_status(conn.arn, "AVAILABLE")
    out = check(svc, conn, PollState(attempt=3, wait_seconds=60, waited_seconds=100))
    assert out.connection.status == "AVAILABLE" and out.poll.wait_seconds == 0


@pytest.mark.parametrize("status", ["ERROR", "DELETED"])
def test_check_raises_handshake_failed(status: str) -> None:
    svc = FakeConnections()
    conn = _pending(svc)
    svc.set_status(conn.arn, status)
    with pytest.raises(HandshakeFailed, match=status):
        check(svc, conn, PollState(attempt=0, wait_seconds=15, waited_seconds=0))


def test_check_times_out_exactly_at_the_deadline() -> None:
    svc = FakeConnections()
    conn = _pending(svc)
    poll = PollState(attempt=9, wait_seconds=300, waited_seconds=3000)
    with pytest.raises(HandshakeTimedOut, match="1h"):
        for _ in range(10):  # bounded: the deadline is at most a few checks away
            poll = check(svc, conn, poll, hours=1).poll
            assert poll.waited_seconds + poll.wait_seconds <= 3600  # never waits past the deadline
    assert poll.waited_seconds + poll.wait_seconds == 3600  # the last check falls on the deadline


def test_cleanup_deletes_only_what_we_created_and_is_still_pending() -> None:
    svc = FakeConnections()
    ours = _pending(svc)
    assert clean_up(svc, ours) is True and svc.deleted == [ours.arn]  # type: ignore[arg-type]


def test_cleanup_keeps_a_reused_connection() -> None:
    svc = FakeConnections()
    reused = dataclasses.replace(_pending(svc), created=False)
    assert clean_up(svc, reused) is False and svc.deleted == []  # type: ignore[arg-type]


def test_cleanup_keeps_a_connection_that_became_available_meanwhile() -> None:
    svc = FakeConnections()
    ours = _pending(svc)
    svc.set_status(ours.arn, "AVAILABLE")
    assert clean_up(svc, ours) is False and svc.deleted == []  # type: ignore[arg-type]


def test_cleanup_of_a_vanished_connection_is_a_no_op() -> None:
    svc = FakeConnections()
    ours = _pending(svc)
    svc.items.clear()
    assert clean_up(svc, ours) is False  # type: ignore[arg-type]


def test_check_stops_at_the_history_budget_even_when_the_schedule_changed_since() -> None:
    # a redeploy with a smaller PollCapSeconds would make a 168h wait need more checks than one
    # execution's 25,000 history events hold: the check ends the wait (through cleanup) first
    from repolink.workflow.backoff import MAX_CHECKS

    svc = FakeConnections()
    conn = _pending(svc)
    last = PollState(attempt=MAX_CHECKS - 2, wait_seconds=60, waited_seconds=3600)
    assert check(svc, conn, last, hours=168).connection.status == "PENDING"
    with pytest.raises(HandshakeTimedOut, match="25,000-event history"):
        check(svc, conn, replace(last, attempt=MAX_CHECKS - 1), hours=168)
