"""One poll step, for every wait on a person: a host's setup and a connection's handshake.

Each check comes after one Wait (``PollState.wait_seconds``). What the check saw decides what
comes next, the same way for both waits: ready (no more Wait), or still waiting with the next
Wait from the schedule (``workflow.backoff``), or overdue: past the request's deadline, or out of
the checks one execution has room for (``MAX_CHECKS``, Step Functions' history quota). What is
being waited for, and what an overdue or failed wait is called, stay with each caller
(``workflow.hosts.check_setup``, ``workflow.connection.check_handshake``).
"""

from typing import Literal

from repolink.models.record import record
from repolink.models.state.common import PollState
from repolink.workflow.backoff import MAX_CHECKS, next_wait


@record
class Schedule:
    """The wait's deadline (the request's ``handshakeTimeoutHours``) and the deployment's backoff
    (``PollBaseSeconds``, ``PollCapSeconds``), its jitter seeded by the request id."""

    timeout_hours: int
    base: int
    cap: int
    request_id: str

    @property
    def timeout(self) -> int:
        return self.timeout_hours * 3600


@record
class Overdue:
    """A wait that must end now, unready: ``deadline`` (the request's timeout has passed) or
    ``history`` (the execution has room for no more checks: a redeploy shortened the schedule
    under it). ``poll`` counts the check that found it so."""

    why: Literal["deadline", "history"]
    poll: PollState


def after_check(poll: PollState, schedule: Schedule, *, ready: bool) -> PollState | Overdue:
    """What follows a check made after ``poll``'s Wait: the poll with no more Wait when ``ready``,
    the poll with the next Wait, or :class:`Overdue`."""
    attempt, waited = poll.attempt + 1, poll.waited_seconds + poll.wait_seconds
    if ready:
        return PollState(attempt=attempt, wait_seconds=0, waited_seconds=waited)
    if waited >= schedule.timeout:
        return Overdue("deadline", PollState(attempt=attempt, wait_seconds=0, waited_seconds=waited))
    if attempt >= MAX_CHECKS:
        # the request was accepted to fit, but the schedule changed since: end here, through
        # cleanup, before the history quota ends the execution with no Catch
        return Overdue("history", PollState(attempt=attempt, wait_seconds=0, waited_seconds=waited))
    base, cap = schedule.base, schedule.cap
    wait = next_wait(attempt, waited, schedule.timeout, base=base, cap=cap, request_id=schedule.request_id)
    return PollState(attempt=attempt, wait_seconds=wait, waited_seconds=waited)
