"""The verbs, whatever the entry: onboard, status, change, offboard, list and recheck.

The REST API (``handlers/api.py``) and the EventBridge ingest (``handlers/ingest_event.py``) only
translate into these and out of them. Each verb takes who asks (``Caller``: the API's signer or
the event's source account, and the deployment's own account) and the deployment's settings, and
returns what was accepted or found; a refusal is raised as a typed exception
(:class:`~repolink.errors.Refused`), which the API answers in one place (its exception handler,
``models.api.HTTP_STATUS``) and the ingest in one place (``RepositoryLinkRejected``).

What each verb decides lives in its own module: the accept path (``workflow.accept``), a change
(``workflow.change``), an offboarding (``workflow.offboard``), the listing (``workflow.listing``),
reading an execution (``workflow.history``) and finding an onboarding's executions
(``workflow.lineage``). This module wires them to AWS, logs what was accepted and counts it.

Each verb imports its own modules when it first runs (the accept path, which onboard and change
share, is imported with this module): a handler's cold start pays for the verb it serves, not for
all six. The API serves every verb; the EventBridge ingest never lists, reads a status nor rechecks.
"""

import re
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.accounts import acting_in, domain_owner_of, reach, target_of
from repolink.adapters.stepfunctions import describe_execution, execution_arn, history_pages, list_executions
from repolink.errors import (
    FieldError,
    NoSuchOnboarding,
    ResourceConflict,
    SpokeRoleUnavailable,
    StateConflict,
)
from repolink.models.api import ChangeAccepted, LinkAccepted, LinkList, OffboardAccepted, RecheckAccepted
from repolink.models.ids import REQUEST_ID_PATTERN
from repolink.models.record import record
from repolink.models.settings import ApiSettings, EntrySettings, RecheckSettings, listed
from repolink.observability import logger, metrics
from repolink.workflow.accept import (
    KEY_FIELD,
    Deployment,
    Verdict,
    check_codeartifact,
    check_connection,
    judge,
)
from repolink.workflow.bounds import partition_of
from repolink.workflow.idempotency import change_name
from repolink.workflow.tenancy import may_see

if TYPE_CHECKING:  # only status() answers one, and the ingest never asks: not loaded at import
    from repolink.models.status import LinkStatus

#: what an onboarding's key reused with another request is refused with
KEY_REUSED = "this Idempotency-Key was used with a different request; use a new key for a new request"


@record
class Caller:
    """Who asks (the API's IAM signer, an event's source account), and the account the
    deployment runs in (which may read every team's onboardings, and act on none)."""

    account: str
    own_account: str


def status_url(request_id: str) -> str:
    """Where to follow an onboarding: the relative reference ``links/ID``, which resolves against
    the URL a POST went to (``https://HOST/v1/links``) as ``https://HOST/v1/links/ID``, the stage
    kept, the way a client resolves a Location header (RFC 9110, 10.2.2)."""
    return f"links/{request_id}"


def _verdict(
    body: object,
    *,
    caller: str,
    key: str | None,
    settings: EntrySettings,
    own_account: str,
    onboarding: str | None = None,
    parsed: bool,
) -> Verdict:
    """The accept path's verdict, the checks that read AWS included (a reused connection or
    host, a CodeArtifact domain and its repositories: whose they are)."""
    # imported here: only an onboarding or a change reads a connection (issue 23's cold start)
    from repolink.adapters.connections import connection_service

    deployment = Deployment.of(settings, own_account)
    verdict = judge(
        body,
        caller=caller,
        idempotency_key=key,
        deployment=deployment,
        change=onboarding is not None,
        parsed=parsed,
    )
    command = verdict.command
    target = None
    if command is not None:
        target = target_of(
            command.target,
            own_account=own_account,
            role_name=settings.spoke_role_name,
            request_id=onboarding or command.request_id,
            caller=caller,
            partition=partition_of(settings.region),
            domain_owner=domain_owner_of(command.request.get("codeartifact")),
        )
    # the checks that read AWS read the target account, through its spoke role
    with acting_in(target, own_account):
        try:
            reach()
        except SpokeRoleUnavailable as refused:
            return Verdict(refused=refused)
        verdict = check_connection(
            verdict, connection_service, shared=listed(settings.shared_connection_arns)
        )
        if target is not None and target.codeartifact:
            # the team's own domain, in its account (the deployment's SharedDomains are its own)
            deployment = replace(deployment, account=target.account, shared_domains=frozenset())
        return check_codeartifact(verdict, deployment, onboarding=onboarding)


def onboard(
    body: object,
    *,
    caller: Caller,
    key: str | None,
    settings: EntrySettings,
    context: LambdaContext,
    parsed: bool = False,
) -> LinkAccepted:
    """Start an onboarding of ``body`` (JSON text, or with ``parsed`` an event's request), once:
    a duplicate (the same key, or the same request without one) is answered with the same one."""
    # Powertools' idempotency utility: this verb's alone
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

    from repolink.workflow.start import start_once

    command = _verdict(
        body, caller=caller.account, key=key, settings=settings, own_account=caller.own_account, parsed=parsed
    ).accepted_command()
    try:
        started = start_once(command, settings, context)
    except (IdempotencyValidationError, ResourceConflict):
        # the key's record, or (after the record expired) the execution of its name, holds another request
        raise StateConflict(
            KEY_REUSED, [FieldError(KEY_FIELD, "was used with a different request")]
        ) from None
    accepted = LinkAccepted(
        request_id=started["requestId"],
        execution_arn=started["executionArn"],
        status_url=status_url(started["requestId"]),
    )
    logger.info("onboarding accepted", request_id=accepted.request_id, keyed=key is not None)
    metrics.add_metric(name="OnboardingsRequested", unit=MetricUnit.Count, value=1)
    return accepted


def status(request_id: str, *, caller: Caller, settings: EntrySettings) -> "LinkStatus":
    """The onboarding as it is now: its latest change's execution once it has finished (a change
    says what the onboarding became), and its offboarding's state once it has one."""
    from repolink.workflow.history import link_status, offboarded
    from repolink.workflow.lineage import latest_change, latest_offboarding

    absent = NoSuchOnboarding(f"no onboarding {request_id}")
    if not re.fullmatch(REQUEST_ID_PATTERN, request_id):
        raise absent
    arn = execution_arn(settings.state_machine_arn, request_id)
    execution = describe_execution(arn)
    if execution is None or not may_see(execution, caller=caller.account, own_account=caller.own_account):
        raise absent  # another team's onboarding answers as if it did not exist
    if execution.get("status") != "RUNNING":
        number, latest = latest_change(describe_execution, settings.state_machine_arn, request_id)
        if latest is not None:
            execution, arn = (
                latest,
                execution_arn(settings.state_machine_arn, change_name(request_id, number)),
            )
    # a bounded read of the history, newest first (workflow/history.py states the bound)
    found = link_status(request_id, execution, lambda **page: history_pages(arn, **page))
    if found.status == "running" and found.step in WAITING_STEPS:
        found = replace(found, recheck_url=f"{request_id}/recheck")
    if execution["executionArn"] != execution_arn(settings.state_machine_arn, request_id):
        found = replace(found, change_id=str(execution["executionArn"]).rsplit(":", 1)[-1])
    if found.status != "running":
        _, offboarding_execution = latest_offboarding(
            describe_execution, settings.offboarding_state_machine_arn, request_id
        )
        if offboarding_execution is not None:
            pages_arn = str(offboarding_execution["executionArn"])
            found = offboarded(found, offboarding_execution, lambda **page: history_pages(pages_arn, **page))
    return found


#: the steps of the waits on a person, where GET answers a recheckUrl (a recheck during the check
#: itself answers 202 and adds nothing: the check runs)
WAITING_STEPS = frozenset(
    {
        "Wait before checking the handshake",
        "Check the handshake",
        "Wait before checking the host",
        "Check the host setup",
    }
)


def recheck(request_id: str, *, caller: Caller, settings: RecheckSettings, now: float) -> RecheckAccepted:
    """Wake the onboarding's current wait on a person (``workflow.recheck``): its owner only, as a
    change or an offboarding. 409 when it does not wait (finished, or not yet waiting), naming
    its state; at most one wake per 10 seconds, a recheck in between answered 202, woken: false."""
    from repolink.adapters.dynamodb import get_item, update_if
    from repolink.adapters.stepfunctions import send_task_success
    from repolink.workflow.offboard import StepFunctions, owned_onboarding
    from repolink.workflow.recheck import Wait, key_of, wake

    onboarding, _ = owned_onboarding(
        request_id,
        "recheck",
        caller=caller.account,
        own_account=caller.own_account,
        machine=settings.state_machine_arn,
        sfn=StepFunctions.of_aws(settings.lifecycle_table),
    )
    state = str(onboarding.get("status", "")).lower()
    if state != "running":
        message = (
            f"onboarding {request_id} is {state}: only an onboarding that waits on a person is rechecked"
        )
        raise StateConflict(message, [FieldError("status", f"is {state}")])
    table = settings.lifecycle_table
    wait = Wait.of_item(get_item(table, key_of(request_id)))
    if wait is None or not wait.live(now):
        message = f"onboarding {request_id} is running, not waiting on a person: nothing to recheck"
        raise StateConflict(message, [FieldError("status", "is running, not waiting on a person")])
    woken = wake(lambda key, **expression: update_if(table, key, **expression), request_id, wait, now=now)
    # a wait that ended meanwhile (its timeout, or it was woken) answers TaskTimedOut or
    # InvalidToken: harmless, its check runs anyway
    woken = woken and send_task_success(wait.token, wait.waited(now))
    logger.info("recheck", request_id=request_id, waiting=wait.waiting, woken=woken)
    metrics.add_metric(name="RechecksWoken" if woken else "RechecksAbsorbed", unit=MetricUnit.Count, value=1)
    return RecheckAccepted(
        request_id=request_id,
        waiting="HostSetup" if wait.waiting == "HostSetup" else "Handshake",
        woken=woken,
    )


def _lifecycle(caller: Caller, settings: EntrySettings) -> dict[str, Any]:
    """What a change and an offboarding act with: who asks, the two state machines, Step
    Functions' calls and the onboarding's claims (``workflow.lifecycle``)."""
    from repolink.workflow.offboard import StepFunctions

    return {
        "caller": caller.account,
        "own_account": caller.own_account,
        "onboarding_machine": settings.state_machine_arn,
        "offboarding_machine": settings.offboarding_state_machine_arn,
        "calls": StepFunctions.of_aws(settings.lifecycle_table),
    }


def change(
    request_id: str, body: object, *, caller: Caller, settings: EntrySettings, parsed: bool = False
) -> ChangeAccepted:
    """Change the onboarding to ``body``, its new desired request (``workflow.change``)."""
    from repolink.workflow import change as changes

    def judged(owner: str) -> Verdict:
        return _verdict(
            body,
            caller=owner,
            key=None,
            settings=settings,
            own_account=caller.own_account,
            onboarding=request_id,
            parsed=parsed,
        )

    accepted = changes.change(request_id, judged, **_lifecycle(caller, settings))
    logger.info(
        "change accepted", request_id=request_id, change_id=accepted.change_id, status=accepted.status
    )
    if accepted.status == "running" and accepted.change_id is not None:
        metrics.add_metric(name="ChangesRequested", unit=MetricUnit.Count, value=1)
    return accepted


def offboard(request_id: str, body: object, *, caller: Caller, settings: EntrySettings) -> OffboardAccepted:
    """Offboard the onboarding, with the options ``body`` holds (``workflow.offboard``)."""
    from repolink.workflow import offboard as offboarding

    accepted = offboarding.offboard(request_id, body, **_lifecycle(caller, settings))
    logger.info("offboarding accepted", request_id=request_id, status=accepted.status)
    if accepted.status == "offboarding":
        metrics.add_metric(name="OffboardingsRequested", unit=MetricUnit.Count, value=1)
    return accepted


def list_links(params: dict[str, Any], *, caller: Caller, settings: ApiSettings) -> LinkList:
    """A page of the caller's onboardings, newest first (``workflow.listing``)."""
    from repolink.adapters import kms
    from repolink.workflow.listing import ListCalls, query_of
    from repolink.workflow.listing import list_links as list_page

    query = query_of({k: params.get(k) for k in ("state", "limit", "nextToken")})
    key = settings.listing_token_key_arn
    return list_page(
        query,
        caller=caller.account,
        own_account=caller.own_account,
        onboarding_machine=settings.state_machine_arn,
        offboarding_machine=settings.offboarding_state_machine_arn,
        calls=ListCalls(
            page=list_executions,
            describe=describe_execution,
            encrypt=partial(kms.encrypt, key),
            decrypt=partial(kms.decrypt, key),
        ),
    )
