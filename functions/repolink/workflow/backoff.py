"""How long to wait between handshake checks: exponential backoff with a cap.

A person completes the handshake in minutes or days, so polling starts fast and settles at the
cap. A small jitter, derived from the request id and attempt (reproducible, yet different for
each onboarding), keeps many concurrent onboardings from checking in lockstep, since
connection APIs have small quotas.
"""

import hashlib


def poll_delay(attempt: int, *, base: int, cap: int, request_id: str = "", jitter: float = 0.1) -> int:
    """Seconds to wait before check number ``attempt + 1`` (``attempt`` counts from 0)."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    raw: int = min(cap, base * 2 ** min(attempt, 32))
    digest = hashlib.sha256(f"{request_id}:{attempt}".encode()).digest()
    fraction = int.from_bytes(digest[:4], "big") / 2**32  # in [0, 1)
    jittered = round(raw * (1 - jitter * fraction))
    return max(1, min(cap, jittered))


def next_wait(attempt: int, waited: int, timeout: int, *, base: int, cap: int, request_id: str = "") -> int:
    """The next Wait, never past the deadline: the last check falls exactly on the timeout."""
    remaining = max(0, timeout - waited)
    return min(poll_delay(attempt, base=base, cap=cap, request_id=request_id), remaining)
