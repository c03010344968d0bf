"""``GET /links``: a page of the caller's onboardings, newest first (the executions are the store).

``ListExecutions`` says neither whose an execution is nor whether it was offboarded, so each
listed onboarding may cost two ``DescribeExecution`` calls: its own (its input records the
owner; not made for the deployment's own account, which sees every onboarding) and, once it has
finished, its offboarding's (``ID-offboard``). Recording the owner in something ListExecutions
returns would need it in the execution's name, which is the request id, the one formula. So:

- **bound per GET**: one ``ListExecutions`` call of ``limit`` executions (1..100) and at most
  ``2 * limit`` ``DescribeExecution`` calls: at most 201 calls (plus one per retried offboarding
  of a listed onboarding: its latest attempt is the one that says, ``workflow.offboard``);
  ``state=running`` needs no offboarding read (at most 101); ``state=offboarded`` lists the
  offboarding machine's succeeded executions and reads each one's owner from its own input (at
  most 101);
- **pages are filtered, not filled**: a page holds the caller's among ``limit`` executions, so it
  may hold fewer than ``limit`` (even none) and still carry a ``nextToken``; follow it until it
  is absent (as DynamoDB's Scan with a filter answers);
- **newest first**, as ListExecutions orders them; offboarding executions are never listed as
  onboardings;
- ``nextToken`` is opaque and tamper-proof: Step Functions' own token (which names executions
  of every team) encrypted with AWS KMS under the stack's own key (``ListingTokenKey``), with the
  caller's account and the filter as the encryption context. A token decrypts only for the caller
  and the ``state`` it was given to, nothing in it is readable, and one altered by a bit does not
  decrypt (AES-GCM authenticates it). A token that is over-long, not canonical base64url, does
  not decrypt for this caller and filter, holds an inner token Step Functions would refuse, or
  that Step Functions refuses (``InvalidToken``: its tokens expire after 24 hours) is a 422
  naming ``nextToken``. Why KMS ``Encrypt``: a reviewed authenticated encryption with no key
  material in the function and no import (a data key with local AES-GCM would load
  ``cryptography`` on a cold start; a MAC alone, KMS ``GenerateMac``, would leave the other
  teams' execution names readable; a token kept in a table would cost a write per page).

**Bounds of the token** (botocore's models): Step Functions' ``ListExecutions`` ``nextToken`` is
1..3096 characters (``ListExecutionsPageToken``), KMS ``Encrypt`` takes 1..4096 bytes and
``Decrypt`` a ciphertext of 1..6144 bytes. KMS does not document its ciphertext's overhead
(outside measurements put it near 140 bytes), but it must decrypt what it made of 4096 bytes, so
the overhead is at most 6144 - 4096 = 2048 bytes. The largest token is then the encryption of a
3096-byte inner token: 3096 + 2048 = 5144 bytes, 6859 characters of unpadded base64url
(5144 = 3 * 1714 + 2: 1714 * 4 + 3). A longer one is refused before any call.
"""

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any

from repolink.errors import AwsRequestRejected, ContractViolation, FieldError
from repolink.models.api import LinkList, LinkSummary
from repolink.models.record import record
from repolink.models.status import timestamp
from repolink.workflow.idempotency import change_of, onboarding_of
from repolink.workflow.lineage import latest_offboarding, offboard_status, state_of
from repolink.workflow.tenancy import may_see

STATES = ("running", "succeeded", "failed", "offboarded")
LIMIT_DEFAULT, LIMIT_MAX = 50, 100
#: ListExecutions' statusFilter for each state (failed: every unsuccessful end, filtered here)
_FILTER = {"running": "RUNNING", "succeeded": "SUCCEEDED", "offboarded": "SUCCEEDED"}
#: Step Functions' ListExecutions nextToken: 1..3096 characters (botocore's ListExecutionsPageToken)
INNER_MAX = 3096
#: KMS: Encrypt's largest plaintext, Decrypt's largest ciphertext (botocore's PlaintextType, CiphertextType)
KMS_PLAINTEXT_MAX, KMS_CIPHERTEXT_MAX = 4096, 6144
#: the largest ciphertext of an inner token: KMS's overhead is at most 6144 - 4096 bytes
CIPHERTEXT_MAX = INNER_MAX + (KMS_CIPHERTEXT_MAX - KMS_PLAINTEXT_MAX)
#: its unpadded base64url: 4 characters per 3 bytes, and 2 or 3 for the 1 or 2 bytes left
TOKEN_MAX = CIPHERTEXT_MAX // 3 * 4 + (0, 2, 3)[CIPHERTEXT_MAX % 3]
REFUSAL = "is not a token this listing gave"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


@record
class ListCalls:
    """The calls a listing makes (``adapters.stepfunctions``, and ``adapters.kms`` under the
    stack's key for the token: ``decrypt`` answers None for a ciphertext not made with the context)."""

    page: Callable[..., tuple[list[dict[str, Any]], str | None]]
    describe: Callable[[str], dict[str, Any] | None]
    encrypt: Callable[[bytes, dict[str, str]], bytes]
    decrypt: Callable[[bytes, dict[str, str]], bytes | None]


@record
class Query:
    state: str | None
    limit: int
    token: str | None


def query_of(params: dict[str, str | None]) -> Query:
    """The listing's query string; ContractViolation naming each parameter at fault."""
    problems = []
    state = params.get("state") or None
    if state is not None and state not in STATES:
        problems.append(FieldError("state", f"must be one of {', '.join(STATES)}"))
    raw = params.get("limit")
    limit = LIMIT_DEFAULT
    if raw is not None:
        if not re.fullmatch(r"[0-9]{1,3}", raw) or not 1 <= int(raw) <= LIMIT_MAX:
            problems.append(FieldError("limit", f"must be an integer from 1 to {LIMIT_MAX}"))
        else:
            limit = int(raw)
    token = params.get("nextToken") or None
    if token is not None and _ciphertext(token) is None:
        problems.append(FieldError("nextToken", REFUSAL))
    if problems:
        raise _refused(problems)
    return Query(state=state, limit=limit, token=token)


def _refused(problems: list[FieldError]) -> ContractViolation:
    return ContractViolation("; ".join(f"{e.field}: {e.message}" for e in problems), problems)


def _ciphertext(token: str) -> bytes | None:
    """The ciphertext ``token`` carries, or None: over-long, or not unpadded base64url in its one
    canonical spelling (a character changed in the unused low bits of the last one is refused too)."""
    if len(token) > TOKEN_MAX or not _BASE64URL.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, binascii.Error):
        return None
    return raw if raw and _text(raw) == token else None


def _text(ciphertext: bytes) -> str:
    return base64.urlsafe_b64encode(ciphertext).decode().rstrip("=")


def _context(caller: str, state: str | None) -> dict[str, str]:
    """What a token is bound to: KMS's encryption context (not secret: CloudTrail shows it)."""
    return {"caller": caller, "state": state or "any"}


def _seal(inner: str, context: dict[str, str], calls: ListCalls) -> str:
    if not 1 <= len(inner) <= INNER_MAX or not inner.isascii():
        raise ValueError(f"Step Functions gave a nextToken outside its own model ({len(inner)} characters)")
    return _text(calls.encrypt(inner.encode(), context))


def _open(token: str, context: dict[str, str], calls: ListCalls) -> str | None:
    """Step Functions' token inside ``token``, or None: not made for this caller and filter, or
    holding a token Step Functions would refuse (so it is never sent)."""
    ciphertext = _ciphertext(token)
    plaintext = None if ciphertext is None else calls.decrypt(ciphertext, context)
    if plaintext is None or not plaintext.isascii() or not 1 <= len(plaintext) <= INNER_MAX:
        return None
    return plaintext.decode()


def list_links(
    query: Query,
    *,
    caller: str,
    own_account: str,
    onboarding_machine: str,
    offboarding_machine: str,
    calls: ListCalls,
) -> LinkList:
    """One page (see the module docstring for what is read, and the bound); ContractViolation
    naming ``nextToken`` when the token is not one this listing gave this caller and filter."""
    context = _context(caller, query.state)
    token = _open(query.token, context, calls) if query.token else None
    if query.token and token is None:
        raise _refused([FieldError("nextToken", REFUSAL)])
    offboarded = query.state == "offboarded"
    machine = offboarding_machine if offboarded else onboarding_machine
    try:
        executions, following = calls.page(
            machine, status=_FILTER.get(query.state or ""), page_size=query.limit, token=token
        )
    except AwsRequestRejected as exc:
        if exc.code != "InvalidToken":  # expired (24 hours), or one it no longer knows
            raise
        raise _refused([FieldError("nextToken", REFUSAL)]) from None
    links = []
    for execution in executions:
        name = str(execution["name"])
        request_id = onboarding_of(name) if offboarded else name
        if request_id is None or (not offboarded and (onboarding_of(name) or change_of(name)) is not None):
            continue
        if query.state == "failed" and state_of(execution) != "failed":
            continue
        if caller != own_account:
            described = calls.describe(str(execution["executionArn"]))
            if described is None or not may_see(described, caller=caller, own_account=own_account):
                continue
        summary = _summary(request_id, execution, offboarded, onboarding_machine, offboarding_machine, calls)
        if summary is not None and (query.state in (None, "offboarded") or summary.status == query.state):
            links.append(summary)
    return LinkList(links=links, next_token=_seal(following, context, calls) if following else None)


def _summary(
    request_id: str,
    execution: dict[str, Any],
    offboarded: bool,
    onboarding_machine: str,
    offboarding_machine: str,
    calls: ListCalls,
) -> LinkSummary | None:
    started, stopped = timestamp(execution.get("startDate")), timestamp(execution.get("stopDate"))
    if offboarded:
        return LinkSummary(request_id=request_id, status="offboarded", stopped_at=stopped)
    status = state_of(execution)
    if status == "running":
        return LinkSummary(request_id=request_id, status=status, started_at=started)
    _, offboarding = latest_offboarding(calls.describe, offboarding_machine, request_id)
    return LinkSummary(
        request_id=request_id,
        status=status if offboarding is None else offboard_status(offboarding),
        started_at=started,
        stopped_at=stopped,
    )
