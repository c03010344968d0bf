"""Recheck: a person (or a portal) says "I'm done", and the onboarding's current wait ends now.

Each wait of the handshake loop and of the host-setup loop is a callback task
(``lambda:invoke.waitForTaskToken``) whose timeout is the backoff delay. Its first act is
:func:`register`: the task token goes into the onboarding's wait record, ``id`` = ``wait#ID`` in
``LifecycleTable`` (SSE, point-in-time recovery, the TTL ``expiresAt``), beside its lifecycle
item. Nobody wakes it: it times out, and the check runs as it always did. A recheck wakes it
(:func:`wake`, then ``SendTaskSuccess`` with the seconds actually waited, which the task writes
over ``poll.waitSeconds``: the deadline counts real waiting, not the delay that was planned).

Why a Lambda stores the token, not ``aws-sdk:dynamodb:putItem.waitForTaskToken``: the record
needs a TTL, an epoch number, and a JSONPath state machine has no clock to compute one from; the
function has. It is the function that also wakes (the only one granted ``states:SendTaskSuccess``,
which has no resource type), so the record's shape lives in this one module.

Bounded cost: at most one wake per onboarding per :data:`WAKE_INTERVAL_SECONDS`. The wake is a
conditional UpdateItem on the record (``lastWake`` older than the interval, and the token still the
one read), so of concurrent rechecks one wins; the others, and every recheck in between, answer
202 and add no check. ``lastWake`` outlives the wait it woke (registering the next wait keeps
it), so a client that loops on recheck cannot multiply the checks.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

#: at most one wake per onboarding in this many seconds (issue 25: "Bounded cost")
WAKE_INTERVAL_SECONDS = 10
#: a wait counts as live this long past its timeout: the check that follows it runs meanwhile (a
#: recheck then loses the race, harmlessly), and the next wait registers itself
GRACE_SECONDS = 60
#: how long a wait record outlives its wait (the TTL); nothing reads it once the wait is over
RETENTION_SECONDS = 7 * 24 * 3600

#: what is waited for: a connection's handshake, or a host's setup
Waiting = Literal["Handshake", "HostSetup"]


def key_of(request_id: str) -> dict[str, str]:
    return {"id": f"wait#{request_id}"}


@dataclass(frozen=True)
class Wait:
    """The onboarding's latest wait, as its record holds it."""

    token: str
    waiting: str
    started_at: float
    wait_seconds: int
    last_wake: float = 0.0

    @classmethod
    def of_item(cls, item: dict[str, Any]) -> "Wait | None":
        if not isinstance(item.get("token"), str):
            return None
        return cls(
            token=str(item["token"]),
            waiting=str(item.get("waiting") or "Handshake"),
            started_at=float(item.get("startedAt") or 0),
            wait_seconds=int(item.get("waitSeconds") or 0),
            last_wake=float(item.get("lastWake") or 0),
        )

    def live(self, now: float) -> bool:
        """Whether the onboarding still waits (or is in the check right after this wait)."""
        return now <= self.started_at + self.wait_seconds + GRACE_SECONDS

    def waited(self, now: float) -> int:
        """The whole seconds waited by ``now`` (at least 1, at most the wait's timeout)."""
        return max(1, min(self.wait_seconds, int(now - self.started_at)))


#: the adapter's UpdateItem: (key, update=, names=, values=) -> None
Update = Callable[..., None]
#: the adapter's conditional UpdateItem: None when written, else the item as it stood
UpdateIf = Callable[..., dict[str, Any] | None]


def _number(value: float) -> Decimal:
    return Decimal(str(round(value, 3)))


def register(
    update: Update, request_id: str, *, token: str, waiting: str, wait_seconds: int, now: float
) -> None:
    """Record the wait that begins now (replacing the previous one's token, keeping ``lastWake``)."""
    update(
        key_of(request_id),
        update=(
            "SET #token = :token, waiting = :waiting, startedAt = :now, waitSeconds = :seconds,"
            " expiresAt = :expires"
        ),
        names={"#token": "token"},
        values={
            ":token": token,
            ":waiting": waiting,
            ":now": _number(now),
            ":seconds": int(wait_seconds),
            ":expires": int(now) + int(wait_seconds) + RETENTION_SECONDS,
        },
    )


def wake(update_if: UpdateIf, request_id: str, wait: Wait, *, now: float) -> bool:
    """Claim the wake of ``wait``: True when this recheck may send it, False when another wake
    came less than :data:`WAKE_INTERVAL_SECONDS` ago, or the wait was replaced meanwhile."""
    refused = update_if(
        key_of(request_id),
        update="SET lastWake = :now",
        condition="#token = :token AND (attribute_not_exists(lastWake) OR lastWake <= :recent)",
        names={"#token": "token"},
        values={
            ":now": _number(now),
            ":token": wait.token,
            ":recent": _number(now - WAKE_INTERVAL_SECONDS),
        },
    )
    return refused is None
