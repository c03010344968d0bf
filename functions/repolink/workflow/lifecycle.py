"""Change and offboarding exclude each other: each claims the onboarding's lifecycle item with a
conditional write before it starts its execution.

Why a DynamoDB item, and not the executions alone: a change (``ID-change-N`` of the onboarding
machine) and an offboarding (``ID-offboard`` of the offboarding machine) are two names on two
machines, so Step Functions' name guarantee cannot make them exclusive; and checking the other's
execution before starting is read-then-start: two invocations can both read "none" and both
start. One item per onboarding, written only when a condition on what the writer read still
holds, is atomic whatever the timing: of a change and an offboarding racing, the second write
fails. The item cannot live in the idempotency table: those records are Powertools' (its key and
schema, expired after ``IdempotencyTtlHours``), and these must last as long as the executions they
guard. So a table of its own (``LifecycleTable``: SSE, point-in-time recovery, a TTL), keyed
``id`` = ``lifecycle#ID`` so that other per-onboarding items (recheck tokens) may share it.

The item:
- ``change``: the number of the latest change claimed, with ``changeToken`` (new for each claim),
  ``changeDigest`` (its body's) and ``changeClaimedAt`` (epoch seconds);
- ``offboarding``: the attempt of the latest offboarding claimed (``ID-offboard``: 1,
  ``ID-offboard-2``: 2...), with ``offboardingClaimedAt``;
- ``expiresAt`` (the TTL): :data:`RETENTION_SECONDS` after the latest claim.

A change claims ``change = N+1`` (N: the latest change execution) only if no offboarding was
claimed, and no other body holds N+1 (the same body again may take it again: a retry after a
start that crashed between its claim and StartExecution; another body may take a claim older than
:data:`CLAIM_EXPIRY_SECONDS`, a start that crashed). An offboarding claims ``offboarding = k`` only
if ``changeToken`` is still what it read (absent, if it read none) after verifying that change's
execution finished, or that the claim is older than :data:`CLAIM_EXPIRY_SECONDS` with no execution
(a crashed start: no invocation lives that long, so none can still start it). Offboarding
attempts do not exclude each other (a retry, ``ID-offboard-2``, claims attempt 2; two DELETEs
claiming the same attempt are one execution by name). Once an offboarding is claimed, no change
ever is: a PUT answers 409.

Onboardings from before the table have no item: it reads as nothing claimed, and the first claim
creates it; an offboarding started before the table is still found by its execution
(``workflow.lineage.latest_offboarding``), which every change reads too.

The TTL: an onboarding's executions can be read (and so changed or offboarded) for 90 days after
they close (Step Functions' retention); both verbs refuse a running onboarding, so the onboarding
closed before any claim, and is gone from Step Functions 90 days after it at the latest. Past
:data:`RETENTION_SECONDS` (100 days) after its latest claim, the item guards nothing any more.
"""

import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from repolink.models.record import record

#: no Lambda invocation runs longer (its maximum timeout, 900 s), plus a minute for clock skew:
#: a claim this old whose execution never appeared was a start that crashed
CLAIM_EXPIRY_SECONDS = 900 + 60
#: how long an item outlives its latest claim (the TTL): past Step Functions' 90-day retention
RETENTION_SECONDS = 100 * 24 * 3600


def key_of(request_id: str) -> dict[str, str]:
    return {"id": f"lifecycle#{request_id}"}


@record
class Claims:
    """What was claimed of one onboarding (nothing: none, or an onboarding older than the table)."""

    change: int = 0
    change_token: str | None = None
    change_digest: str = ""
    change_claimed_at: float = 0.0
    offboarding: int = 0

    @classmethod
    def of_item(cls, item: dict[str, Any]) -> "Claims":
        def number(value: object) -> float:
            return float(value) if isinstance(value, (int, float, Decimal)) else 0.0

        token = item.get("changeToken")
        return cls(
            change=int(number(item.get("change"))),
            change_token=token if isinstance(token, str) else None,
            change_digest=str(item.get("changeDigest") or ""),
            change_claimed_at=number(item.get("changeClaimedAt")),
            offboarding=int(number(item.get("offboarding"))),
        )

    def change_started_or_crashed(self, number: int, now: float) -> bool:
        """Whether the change claimed is the latest execution (``number``), or none runs it:
        its start crashed after the claim (nothing can start it any more)."""
        return self.change <= number or self.change_claimed_at < now - CLAIM_EXPIRY_SECONDS


@record
class ChangeClaim:
    """Claim change ``number`` for the body of ``digest``."""

    number: int
    digest: str


@record
class OffboardingClaim:
    """Claim offboarding ``attempt``, provided the change claim is still ``change_token`` (None: none)."""

    attempt: int
    change_token: str | None


Claim = ChangeClaim | OffboardingClaim
#: the adapter's conditional update: (key, update, condition, names, values) -> None when
#: written, else the item as it stood (``adapters.dynamodb.update_if`` on the table)
UpdateIf = Callable[..., dict[str, Any] | None]


def write_claim(
    update_if: UpdateIf, request_id: str, claim: Claim, now: float | None = None
) -> Claims | None:
    """Write ``claim`` if its condition holds: None when written, else what was claimed instead."""
    now = time.time() if now is None else now
    values: dict[str, Any] = {":now": Decimal(str(round(now, 3))), ":expires": int(now) + RETENTION_SECONDS}
    if isinstance(claim, ChangeClaim):
        names = {"#change": "change", "#offboarding": "offboarding"}
        values |= {
            ":n": claim.number,
            ":token": uuid.uuid4().hex,
            ":digest": claim.digest,
            ":stale": Decimal(str(round(now - CLAIM_EXPIRY_SECONDS, 3))),
        }
        update = (
            "SET #change = :n, changeToken = :token, changeDigest = :digest, changeClaimedAt = :now,"
            " expiresAt = :expires"
        )
        condition = (
            "attribute_not_exists(#offboarding) AND (attribute_not_exists(#change) OR #change < :n"
            " OR (#change = :n AND (changeDigest = :digest OR changeClaimedAt < :stale)))"
        )
    else:
        names = {"#offboarding": "offboarding"}
        values |= {":k": claim.attempt}
        update = "SET #offboarding = :k, offboardingClaimedAt = :now, expiresAt = :expires"
        condition = "(attribute_not_exists(#offboarding) OR #offboarding <= :k) AND "
        if claim.change_token is None:
            condition += "attribute_not_exists(changeToken)"
        else:
            condition += "changeToken = :token"
            values[":token"] = claim.change_token
    refused = update_if(key_of(request_id), update=update, condition=condition, names=names, values=values)
    return None if refused is None else Claims.of_item(refused)


def of_table(table: str) -> tuple[Callable[[str], Claims], Callable[[str, Claim], Claims | None]]:
    """The claims of ``table`` (``LifecycleTable``): read, and write one."""
    from repolink.adapters.dynamodb import get_item, update_if

    def read(request_id: str) -> Claims:
        return Claims.of_item(get_item(table, key_of(request_id)))

    def write(request_id: str, claim: Claim) -> Claims | None:
        return write_claim(lambda key, **expression: update_if(table, key, **expression), request_id, claim)

    return read, write
