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
- ``nextToken`` is opaque: Step Functions' token and the filter it belongs to, base64url JSON;
  one that does not decode, belongs to another filter or that Step Functions refuses is a 422
  naming ``nextToken``.
"""

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from repolink.errors import FieldError
from repolink.models.api import LinkList, LinkSummary
from repolink.workflow.idempotency import change_of, onboarding_of
from repolink.workflow.status import _STATUS, latest_offboarding, offboard_status, timestamp
from repolink.workflow.tenancy import may_see

STATES = ("running", "succeeded", "failed", "offboarded")
LIMIT_DEFAULT, LIMIT_MAX = 50, 100
#: ListExecutions' statusFilter for each state (failed: every unsuccessful end, filtered here)
_FILTER = {"running": "RUNNING", "succeeded": "SUCCEEDED", "offboarded": "SUCCEEDED"}
#: Step Functions' nextToken is at most 1024 characters (botocore's PageToken); ours wraps it
TOKEN_MAX = 2048


@dataclass(frozen=True)
class ListCalls:
    """The calls a listing makes (``adapters.stepfunctions``)."""

    page: Callable[..., tuple[list[dict[str, Any]], str | None]]
    describe: Callable[[str], dict[str, Any] | None]


@dataclass(frozen=True)
class Query:
    state: str | None
    limit: int
    token: str | None


def query_of(params: dict[str, str | None]) -> Query | list[FieldError]:
    """The listing's query string, or the problems with it, each naming its parameter."""
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
    if token is not None and (len(token) > TOKEN_MAX or _decode(token, state) is None):
        problems.append(FieldError("nextToken", "is not a token this listing gave"))
    return problems or Query(state=state, limit=limit, token=token)


def _encode(state: str | None, token: str) -> str:
    raw = json.dumps({"s": state or "", "t": token}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(token: str, state: str | None) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        parsed = json.loads(raw)
    except (ValueError, binascii.Error):
        return None
    if (
        not isinstance(parsed, dict)
        or parsed.get("s") != (state or "")
        or not isinstance(parsed.get("t"), str)
    ):
        return None
    return str(parsed["t"])


def list_links(
    query: Query,
    *,
    caller: str,
    own_account: str,
    onboarding_machine: str,
    offboarding_machine: str,
    calls: ListCalls,
) -> LinkList:
    """One page (see the module docstring for what is read, and the bound). Step Functions
    refusing the token raises ``AwsRequestRejected`` (``InvalidToken``): the API's 422."""
    token = _decode(query.token, query.state) if query.token else None
    offboarded = query.state == "offboarded"
    machine = offboarding_machine if offboarded else onboarding_machine
    executions, following = calls.page(
        machine, status=_FILTER.get(query.state or ""), page_size=query.limit, token=token
    )
    links = []
    for execution in executions:
        name = str(execution["name"])
        request_id = onboarding_of(name) if offboarded else name
        if request_id is None or (not offboarded and (onboarding_of(name) or change_of(name)) is not None):
            continue
        if query.state == "failed" and _STATUS.get(str(execution.get("status"))) != "failed":
            continue
        if caller != own_account:
            described = calls.describe(str(execution["executionArn"]))
            if described is None or not may_see(described, caller=caller, own_account=own_account):
                continue
        summary = _summary(request_id, execution, offboarded, onboarding_machine, offboarding_machine, calls)
        if summary is not None and (query.state in (None, "offboarded") or summary.status == query.state):
            links.append(summary)
    return LinkList(links=links, next_token=_encode(query.state, following) if following else None)


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
    status = _STATUS.get(str(execution.get("status")), "failed")
    if status == "running":
        return LinkSummary(request_id=request_id, status=status, started_at=started)
    _, offboarding = latest_offboarding(calls.describe, offboarding_machine, request_id)
    return LinkSummary(
        request_id=request_id,
        status=status if offboarding is None else offboard_status(offboarding),
        started_at=started,
        stopped_at=stopped,
    )
