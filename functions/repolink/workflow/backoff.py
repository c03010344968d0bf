"""How long to wait between handshake checks: exponential backoff with a cap.

A person completes the handshake in minutes or days, so polling starts fast and settles at the
cap. A small jitter, derived from the request id and attempt (reproducible, yet different for
each onboarding), keeps many concurrent onboardings from checking in lockstep, since
connection APIs have small quotas.
"""

import hashlib


def _doubled(attempt: int, *, base: int, cap: int) -> int:
    """The wait before jitter: ``base`` doubled ``attempt`` times, at most ``cap``."""
    return int(min(cap, base * 2 ** min(attempt, 32)))


def poll_delay(attempt: int, *, base: int, cap: int, request_id: str = "", jitter: float = 0.1) -> int:
    """Seconds to wait before check number ``attempt + 1`` (``attempt`` counts from 0)."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    raw = _doubled(attempt, base=base, cap=cap)
    digest = hashlib.sha256(f"{request_id}:{attempt}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 2**32  # in [0, 1)
    jittered = round(raw * (1 - jitter * fraction))
    return max(1, min(cap, jittered))


def next_wait(attempt: int, waited: int, timeout: int, *, base: int, cap: int, request_id: str = "") -> int:
    """The next Wait, never past the deadline: the last check falls exactly on the timeout."""
    remaining = max(0, timeout - waited)
    return min(poll_delay(attempt, base=base, cap=cap, request_id=request_id), remaining)


# The wait and Step Functions' history quota. A Standard execution ends at 25,000 history events
# (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "Execution history"),
# and no Catch sees that failure: no result event, no cleanup. So every accepted combination of
# handshakeTimeoutHours and the deployment's PollBaseSeconds/PollCapSeconds must fit, with room
# for retries; the check step also stops at MAX_CHECKS whatever the parameters became since (a
# redeploy changes PollCapSeconds under running executions). docs/architecture.md says why
# refusing was chosen over continuing in a new execution.

#: Step Functions' hard quota on one execution's history (Standard workflows)
HISTORY_EVENTS_QUOTA = 25_000
#: one round of the wait: the callback wait (entered, scheduled, started, submitted, timed out or
#: succeeded, exited: a recheck can wake it, workflow/recheck.py), the check Task (entered,
#: scheduled, started, succeeded, exited) and the Choice (entered, exited);
#: tests/statemachine/test_limits.py measures it on the deployed ASL
EVENTS_PER_CHECK = 13
#: everything outside the wait, with the most Proton repositories a request may name (7 events
#: each in the Map) and every other step once; measured by the same test
EVENTS_OUTSIDE_THE_WAIT = 900
#: kept for retries: each retried attempt of a Task adds 3 events (failed, scheduled, started)
RETRY_RESERVE = 2_400
#: the most handshake checks one execution makes
MAX_CHECKS = (HISTORY_EVENTS_QUOTA - EVENTS_OUTSIDE_THE_WAIT - RETRY_RESERVE) // EVENTS_PER_CHECK


def checks_needed(timeout_seconds: int, *, base: int, cap: int, jitter: float = 0.1) -> int:
    """The most checks a wait of ``timeout_seconds`` can take: every Wait at its shortest jitter
    (:func:`poll_delay` shortens a wait by less than ``jitter``), the last one clipped to the
    deadline, as :func:`next_wait` does."""
    waited, checks, attempt = 0, 0, 0
    while True:
        waited += max(1, min(cap, int(_doubled(attempt, base=base, cap=cap) * (1 - jitter))))
        checks += 1
        if waited >= timeout_seconds:
            return checks
        attempt += 1


def longest_timeout_hours(*, base: int, cap: int, upper: int) -> int:
    """The longest whole-hour handshake timeout (at most ``upper``) whose checks fit MAX_CHECKS; 0
    when not even one hour fits."""
    for hours in range(upper, 0, -1):
        if checks_needed(hours * 3600, base=base, cap=cap) <= MAX_CHECKS:
            return hours
    return 0
