"""Accept a request: the one path every entry takes, and the only request-id formula.

The API, the EventBridge ingest, ``repolink validate`` and every ``repolink local`` mode call
:func:`judge`; it answers what the API answers, without starting anything:

1. size: the request must fit :data:`~repolink.models.api.MAX_BODY_BYTES` (413);
2. syntax: the body (text, or the event's parsed ``detail``) must be plain, unambiguous JSON
   (:func:`~repolink.models.validation.plain_json`: no repeated key, no ``NaN``, nesting bounded; 400),
   parsed once: a JSON string holding a request is a string, not a request (422);
3. the ``Idempotency-Key``, when given, must match its pattern (400);
4. the contract (:func:`~repolink.models.validation.validate_request`, 422);
5. the deployment's switches (``ProtonTarget``, ``GitSyncRoleArns``) and the request's bounds
   (``workflow.bounds``, 422): a domain or key only in the caller's own account, the deployment's,
   or one delegated to it; a Git sync role of the caller's account that the deployment lists;
   a handshake wait that fits one execution's history with the deployment's poll schedule;
   CodeArtifact consumers the deployment allows, on a domain of its own account;
6. the request id, from the caller's account and its key or the request's digest;
7. with :func:`check_connection` and :func:`check_codeartifact`, the checks that read AWS: a
   reused connection must be one the caller may use, and a CodeArtifact domain and the
   repositories the request names must not be another team's (``workflow.tenancy``,
   ``workflow.domains``, 422).

Only then does :func:`repolink.workflow.start.start_once` run it, once (Powertools idempotency
on DynamoDB). This module imports no handler machinery, so the local tools judge without it.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING

from repolink.errors import (
    ContractViolation,
    FieldError,
    MalformedJson,
    MalformedRequest,
    Refused,
    RequestTooLarge,
    RequestValidationError,
)
from repolink.models.api import IDEMPOTENCY_KEY_PATTERN, MAX_BODY_BYTES, http_status
from repolink.models.providers import PROTON_END_OF_SUPPORT
from repolink.models.providers import ConnectionService as ServiceName
from repolink.models.record import record
from repolink.models.request import OnboardingRequest
from repolink.models.settings import EntrySettings, listed
from repolink.models.validation import ROOT_FIELD, plain_json, validate_request
from repolink.workflow.backoff import HISTORY_EVENTS_QUOTA, MAX_CHECKS, checks_needed, longest_timeout_hours
from repolink.workflow.bounds import (
    consumer_problems,
    git_sync_role_problems,
    out_of_bounds,
    partition_of,
)
from repolink.workflow.idempotency import StartCommand, canonical, command_for

if TYPE_CHECKING:  # the checks that read AWS load them when they run (a cold start's GET never does)
    from repolink.adapters.connections import ConnectionService

#: the field a refused Idempotency-Key is reported at (the entry point may rename it)
KEY_FIELD = "Idempotency-Key"


@record
class Deployment:
    """What a verdict depends on besides the request: where repolink runs, and its parameters."""

    account: str
    region: str
    allowed_account_ids: frozenset[str] = frozenset()
    #: ``AllowedOrganizationId``: the one organization CodeArtifact consumers may name ("" for none)
    allowed_organization_id: str = ""
    proton_target: str = "disabled"
    #: the roles a gitSync roleArn may name (``GitSyncRoleArns``); empty: gitSync is refused
    git_sync_role_arns: frozenset[str] = frozenset()
    #: more accounts a caller may reach (``AccountDelegations``), by caller
    delegations: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: the handshake wait's schedule (``PollBaseSeconds``, ``PollCapSeconds``)
    poll_base_seconds: int = 15
    poll_cap_seconds: int = 300
    #: ``SharedDomains``: domains of this account every team makes its repositories in
    shared_domains: frozenset[str] = frozenset()
    #: ``SpokeRoleName``: the role repolink assumes in team accounts ("": it acts only here)
    spoke_role_name: str = ""

    @classmethod
    def of(cls, settings: EntrySettings, account: str) -> "Deployment":
        return cls(
            account=account,
            region=settings.region,
            allowed_account_ids=listed(settings.allowed_account_ids),
            allowed_organization_id=settings.allowed_organization_id,
            proton_target=settings.proton_target,
            git_sync_role_arns=listed(settings.git_sync_role_arns),
            delegations=delegations(settings.account_delegations),
            poll_base_seconds=settings.poll_base_seconds,
            poll_cap_seconds=settings.poll_cap_seconds,
            shared_domains=listed(settings.shared_domains),
            spoke_role_name=settings.spoke_role_name,
        )

    def reachable_by(self, caller: str) -> frozenset[str]:
        """The accounts ``caller``'s request may reach (a domainOwner, a key's account): its own,
        the deployment's, and those delegated to it that the deployment admits at all."""
        delegated = self.delegations.get(caller, frozenset()) & (self.allowed_account_ids | {self.account})
        return frozenset({caller, self.account}) | delegated

    def target_of(self, request: OnboardingRequest, caller: str) -> str:
        """The account an onboarding acts in: this one without a spoke role; with one, the
        request's ``account``, else the caller's."""
        if not self.spoke_role_name:
            return self.account
        return request.account or caller

    def target_problems(self, request: OnboardingRequest, caller: str) -> list[FieldError]:
        """``account`` names where the onboarding acts: a team its own account, the accounts
        ``AccountDelegations`` gives it, the deployment's own account any admitted one."""
        account = request.account
        if account is None:
            return []
        if not self.spoke_role_name:
            if account == self.account:
                return []
            return [
                FieldError(
                    "account",
                    f"this deployment acts only in its own account ({self.account}): its template"
                    " parameter SpokeRoleName is empty; remove account",
                )
            ]
        if account == caller:
            return []
        reachable = self.reachable_by(caller)
        if self.allowed_organization_id:
            # an account of the organisation is admitted too, and only AWS knows the members: the
            # spoke's AssumeRole is allowed only there (aws:ResourceOrgID), so one outside is
            # refused at accept, before anything starts (SpokeRoleUnavailable). So the
            # deployment's account may name any, and a delegate counts though it is in no list
            if caller == self.account:
                return []
            reachable |= self.delegations.get(caller, frozenset())
        if caller == self.account:
            reachable |= self.allowed_account_ids
        if account in reachable:
            return []
        return [
            FieldError(
                "account",
                f"account {account} is not one caller {caller} may make repolink act in (its own, the"
                " accounts AccountDelegations gives it, or this deployment's)",
            )
        ]


@record
class Verdict:
    """What the API answers a request: accepted (it would start: ``command``), or ``refused``,
    naming every field at fault."""

    refused: Refused | None = None
    command: StartCommand | None = None
    #: the request as read (an accepted verdict only)
    request: OnboardingRequest | None = None

    @property
    def accepted(self) -> bool:
        return self.command is not None

    @property
    def request_id(self) -> str | None:
        return self.command.request_id if self.command else None

    @property
    def status(self) -> int:
        """The API's answer: 202, or the refusal's status (``models.api.http_status``)."""
        return 202 if self.refused is None else http_status(self.refused)

    @property
    def message(self) -> str:
        return "accepted" if self.refused is None else self.refused.message

    @property
    def errors(self) -> tuple[FieldError, ...]:
        return () if self.refused is None else self.refused.errors

    def accepted_command(self) -> StartCommand:
        """The command to start, or the refusal raised."""
        if self.refused is not None:
            raise self.refused
        assert self.command is not None
        return self.command


def _refused(kind: type[Refused], message: str, *errors: FieldError) -> Verdict:
    return Verdict(refused=kind(message, errors))


def _size(body: object, parsed: bool) -> int:
    if not parsed and isinstance(body, bytes | bytearray):
        return len(body)
    if not parsed and isinstance(body, str):
        return len(body.encode())
    try:
        return len(canonical(body).encode())  # type: ignore[arg-type]
    except (TypeError, ValueError, RecursionError):
        return 0  # not JSON-able: the contract check names it


def _deployment_rules(request: OnboardingRequest, deployment: Deployment, caller: str) -> list[FieldError]:
    found = []
    if request.proton is not None and deployment.proton_target != "enabled":
        found.append(
            FieldError(
                "proton",
                f"AWS Proton reached end of support on {PROTON_END_OF_SUPPORT} and its resources can no"
                " longer be accessed; this deployment has its Proton target turned off"
                " (ProtonTarget=disabled). Its successor is CloudFormation Git sync: link the"
                " repositories in a gitSync section instead, and remove the proton section.",
            )
        )
    found += deployment.target_problems(request, caller)
    found += git_sync_role_problems(
        request,
        caller=caller,
        own_account=deployment.account,
        region=deployment.region,
        listed=deployment.git_sync_role_arns,
        target=deployment.target_of(request, caller) if deployment.spoke_role_name else None,
    )
    found += consumer_problems(
        request,
        own_account=deployment.account,
        allowed_accounts=deployment.allowed_account_ids,
        allowed_organization=deployment.allowed_organization_id,
        target=deployment.target_of(request, caller),
    )
    if request.connection is not None and (problem := _history_problem(request, deployment)):
        found.append(problem)
    return found


def _history_problem(request: OnboardingRequest, deployment: Deployment) -> FieldError | None:
    """The handshake wait must fit one execution's history (``workflow.backoff``, MAX_CHECKS)."""
    hours = request.handshake_timeout_hours
    base, cap = deployment.poll_base_seconds, deployment.poll_cap_seconds
    needed = checks_needed(hours * 3600, base=base, cap=cap)
    if needed <= MAX_CHECKS:
        return None
    longest = longest_timeout_hours(base=base, cap=cap, upper=hours)
    return FieldError(
        "handshakeTimeoutHours",
        f"a {hours}h wait takes up to {needed} handshake checks with this deployment's"
        f" PollBaseSeconds={base} and PollCapSeconds={cap}, and one execution has room for"
        f" {MAX_CHECKS} within Step Functions' {HISTORY_EVENTS_QUOTA:,}-event history:"
        f" at most {longest}h here (a larger PollCapSeconds allows longer waits)",
    )


#: why ``prune`` is refused outside a change
PRUNE_ONLY_IN_A_CHANGE = (
    "only a change (PUT /links/{id}, RepositoryLinkChangeRequested) prunes: a new onboarding has"
    " nothing to remove"
)


def judge(
    body: object,
    *,
    caller: str,
    idempotency_key: str | None,
    deployment: Deployment,
    change: bool = False,
    parsed: bool = False,
) -> Verdict:
    """The verdict on ``body`` (JSON text, or with ``parsed`` the request as an event carries
    it, parsed already) from ``caller``'s account; ``change``: the body is a change's new desired
    request (``workflow.change``). The body is parsed once, here: what it holds must be a JSON
    object, so a JSON string holding a request is refused (422), never read as one."""
    size = _size(body, parsed)
    if size > MAX_BODY_BYTES:
        message = f"the request is {size} bytes; the limit is {MAX_BODY_BYTES}"
        return _refused(RequestTooLarge, message, FieldError(ROOT_FIELD, message))
    try:
        body = plain_json(body, parsed=parsed)
    except MalformedJson as exc:
        return _refused(MalformedRequest, str(exc), *exc.errors)
    if idempotency_key is not None and not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, idempotency_key):
        return _refused(
            MalformedRequest,
            f"invalid {KEY_FIELD}",
            FieldError(KEY_FIELD, f"must match {IDEMPOTENCY_KEY_PATTERN}"),
        )
    try:
        request = validate_request(body, parsed=True)
    except RequestValidationError as exc:
        return _refused(ContractViolation, str(exc), *exc.errors)
    if request.prune and not change:
        return _refused(
            ContractViolation, PRUNE_ONLY_IN_A_CHANGE, FieldError("prune", PRUNE_ONLY_IN_A_CHANGE)
        )
    target = deployment.target_of(request, caller)
    beyond = _deployment_rules(request, deployment, caller) + out_of_bounds(
        request,
        own_account=deployment.account,
        region=deployment.region,
        allowed_accounts=deployment.reachable_by(caller) - {deployment.account},
        connections_in=target,
    )
    if beyond:
        return Verdict(refused=ContractViolation.naming(beyond))
    command = command_for(request, idempotency_key=idempotency_key, caller=caller, target=target)
    return Verdict(command=command, request=request)


def check_connection(
    verdict: Verdict, service_for: Callable[[ServiceName], "ConnectionService"], *, shared: frozenset[str]
) -> Verdict:
    """The last check before anything starts, the only one that reads AWS: a connection the
    request reuses (by ARN or by name) must be one the caller may use (``workflow.tenancy``)."""
    # imported here: only an onboarding or a change runs this check (issue 23's cold start)
    from repolink.adapters.connections import Hosts
    from repolink.workflow import hosts
    from repolink.workflow.connection import refusal

    if verdict.command is None or verdict.request is None or verdict.request.connection is None:
        return verdict
    spec = verdict.request.connection
    refused = refusal(service_for(spec.service), spec, caller=verdict.command.caller, shared=shared)
    if refused is None and (spec.host is not None or spec.host_arn) and spec.service != "apprunner":
        # a same-name host: reused only when it is the caller's and has this endpoint; a host
        # named by ARN: not one repolink created for another account
        refused = hosts.refusal(Hosts(spec.service), spec, caller=verdict.command.caller)
    if refused is None:
        return verdict
    return Verdict(refused=ContractViolation.naming([refused]))


def check_codeartifact(verdict: Verdict, deployment: Deployment, *, onboarding: str | None = None) -> Verdict:
    """Beside :func:`check_connection`: the CodeArtifact domain, and the repositories and
    upstreams the request names, must not be another team's (``workflow.domains``, with its bound
    on the calls). ``onboarding``: a change's onboarding id, whose resources are the caller's
    (the change runs with it); a new onboarding's is the verdict's own."""
    if verdict.command is None or verdict.request is None or verdict.request.codeartifact is None:
        return verdict
    from repolink.workflow import domains  # imported here, as in check_connection

    refused = domains.refusals(
        verdict.request.codeartifact,
        caller=verdict.command.caller,
        request_id=onboarding or verdict.command.request_id,
        own_account=deployment.account,
        partition=partition_of(deployment.region),
        region=deployment.region,
        shared=deployment.shared_domains,
    )
    if not refused:
        return verdict
    return Verdict(refused=ContractViolation.naming(refused))


def delegations(setting: str) -> dict[str, frozenset[str]]:
    """``AccountDelegations`` as the template passes it: ``CALLER:ACCOUNT,ACCOUNT;CALLER:...``."""
    found: dict[str, frozenset[str]] = {}
    for entry in filter(None, (e.strip() for e in setting.split(";"))):
        caller, _, accounts = entry.partition(":")
        found[caller] = found.get(caller, frozenset()) | {a for a in accounts.split(",") if a}
    return found
