"""Offboard an onboarding: the one path ``DELETE /links/{id}`` takes, answered as the API answers.

1. the id must be a request id, and the onboarding one the caller may see (``workflow.tenancy``;
   any other account reads 404, as if it did not exist); only the account that owns it may
   offboard it (the deployment's own account, which reads every onboarding, gets 403 on another
   team's);
2. the options (an optional body, ``{"deletePackages": false}``) are read like any request: plain
   JSON (400), the contract (422 naming the field);
3. a running onboarding is refused with 409 naming its state: stopping it could leave a resource
   whose create is in flight out of its recorded result, and the result is what offboarding
   removes. Offboard it once it has finished (or timed out);
4. the onboarding's result (what it created, with provenance from its ownership tags) is read
   the way GET reads it (``workflow.history.onboarding_outcome``), and with it each change's
   (``ID-change-N``, ``workflow.change``): a change runs with the onboarding's request id, so
   what it created carries the same ownership tag; the union is removed, the latest result of
   each resource winning (a change that dropped a repository leaves it in an earlier result). A
   running change is refused with 409 as a running onboarding is;
5. the offboarding is an execution of its own, named from the request id
   (``workflow.idempotency.offboarding_name``): an offboarding that exists is answered from (202
   running, 200 finished), starting nothing; a new one is started, and StartExecution's own
   idempotency (same name, same input) makes a racing duplicate the same execution. The same
   onboarding offboarded again with other options is refused (409): it changes nothing;
6. once the latest offboarding has failed (``offboard-failed``: a denied delete, say, since
   fixed), a DELETE retries it: a new offboarding, ``ID-offboard-2`` and so on up to
   ``MAX_OFFBOARDINGS``, from the same recorded results and with the new DELETE's options. Every
   removal reads AWS again, so what the failed one removed counts as removed (found gone).

Calls: DescribeExecution of the onboarding and of each change (one more past the latest), at most
``NEWEST_PAGES`` GetExecutionHistory calls for each failed one, DescribeExecution of each
offboarding attempt (one more past the latest), and StartExecution when there is none (or the
latest failed).
"""

import json
import re
import time
from collections.abc import Callable
from typing import Any, Literal

from repolink.adapters.stepfunctions import execution_arn
from repolink.errors import (
    ContractViolation,
    FieldError,
    MalformedJson,
    MalformedRequest,
    NoSuchOnboarding,
    NotTheOwner,
    RequestTooLarge,
    RequestValidationError,
    ResourceConflict,
    StateConflict,
)
from repolink.models.api import MAX_BODY_BYTES, OffboardAccepted, OffboardOptions
from repolink.models.ids import REQUEST_ID_PATTERN
from repolink.models.record import record
from repolink.models.validation import validate_as
from repolink.workflow.history import HistoryPages, onboarding_outcome
from repolink.workflow.idempotency import MAX_OFFBOARDINGS, change_name, offboarding_name
from repolink.workflow.lifecycle import Claim, Claims, OffboardingClaim, of_table
from repolink.workflow.lineage import change_executions, latest_offboarding, offboard_status
from repolink.workflow.tenancy import acts_in, may_see, owner_of


@record
class StepFunctions:
    """The calls an offboarding or a change makes: Step Functions' (``adapters.stepfunctions``)
    and the onboarding's claims (``workflow.lifecycle``), passed in for the local tools and tests."""

    describe: Callable[[str], dict[str, Any] | None]
    pages_of: Callable[[str], HistoryPages]
    start: Callable[[str, str, dict[str, Any]], str]
    #: the onboarding's claims, read strongly consistent
    read_claims: Callable[[str], Claims]
    #: write a claim if its condition holds: None when written, else the claims that stood
    claim: Callable[[str, Claim], Claims | None]

    @classmethod
    def of_aws(cls, lifecycle_table: str) -> "StepFunctions":
        """The deployed functions' calls: Step Functions itself, and the lifecycle table."""
        from repolink.adapters.stepfunctions import describe_execution, history_pages, start_execution

        read, write = of_table(lifecycle_table)
        return cls(
            describe=describe_execution,
            pages_of=lambda arn: lambda **page: history_pages(arn, **page),
            start=start_execution,
            read_claims=read,
            claim=write,
        )


def options_of(body: object) -> OffboardOptions:
    """The offboarding's options from the request body (none: the defaults)."""
    if body is None or body == "" or body == b"":
        return OffboardOptions()
    size = len(body.encode()) if isinstance(body, str) else len(body) if isinstance(body, bytes) else 0
    if size > MAX_BODY_BYTES:
        raise RequestTooLarge(f"the request is {size} bytes; the limit is {MAX_BODY_BYTES}")
    try:
        return validate_as(OffboardOptions, body)
    except MalformedJson as exc:
        raise MalformedRequest(str(exc), exc.errors) from None
    except RequestValidationError as exc:
        raise ContractViolation(str(exc), exc.errors) from None


def offboarding_input(
    request_id: str, caller: str, options: OffboardOptions, detail: dict[str, Any], target: str = ""
) -> dict[str, Any]:
    """The offboarding execution's input: who asked, where the onboarding acted (``target``, the
    caller's account by default), the options, and what the onboarding reported it did (every key
    present, so the ASL's paths always resolve)."""
    return {
        "requestId": request_id,
        "callerAccount": caller,
        "targetAccount": target or caller,
        "deletePackages": options.delete_packages,
        "onboarding": {
            "connection": detail.get("connection"),
            "connectionDeleted": bool(detail.get("connectionDeleted")),
            "gitSyncRepositories": list(detail.get("gitSyncRepositories") or []),
            "protonRepositories": list(detail.get("protonRepositories") or []),
            "codeartifact": detail.get("codeartifact"),
            "host": detail.get("host"),
            "hostDeleted": bool(detail.get("hostDeleted")),
            # what a change swapped in for the connection, host or domain (``union``): listed
            "replaced": list(detail.get("replaced") or []),
        },
    }


def _merged(earlier: list[Any], later: list[Any], key: str, nested: str | None = None) -> list[Any]:
    """Both lists' items by ``key``, the later's report of each winning, except that one either
    reports ``created`` stays created: a change finds what the onboarding created existing, and
    a sync configuration (which has no tags) then reads as found, not made."""
    found: dict[object, Any] = {}
    for item in [*earlier, *later]:
        if not isinstance(item, dict):
            continue
        name = item.get(key) or json.dumps(item, sort_keys=True)
        before = found.get(name)
        if isinstance(before, dict):
            item = dict(item)
            if before.get("outcome") == "created":
                item["outcome"] = "created"
            if nested:
                item[nested] = _merged(
                    list(before.get(nested) or []), list(item.get(nested) or []), "resourceName"
                )
        found[name] = item
    return list(found.values())


def _upstreams_first(repositories: list[Any]) -> list[Any]:
    """The repositories in dependency order, as a result lists them (removal goes in reverse)."""
    names = {r.get("name") for r in repositories if isinstance(r, dict)}
    placed: list[Any] = []
    done: set[object] = set()
    pending = list(repositories)
    while pending:
        ready = [
            r
            for r in pending
            if not isinstance(r, dict) or all(u in done or u not in names for u in r.get("upstreams") or [])
        ]
        ready = ready or pending[:1]  # a cycle (AWS refuses one): keep the order given
        for repo in ready:
            placed.append(repo)
            pending.remove(repo)
            done.add(repo.get("name") if isinstance(repo, dict) else None)
    return placed


def _without(result: dict[str, Any], pruned: object) -> dict[str, Any]:
    """``result`` without what a later change pruned (``pruned.removed``): gone, it is no longer
    the onboarding's to offboard. A tag key taken off (``KIND:tag``, its resource's ARN) leaves
    its resource in."""
    removed = pruned.get("removed") if isinstance(pruned, dict) else None
    if not removed:
        return dict(result)
    removed = [r for r in removed if isinstance(r, dict) and not str(r.get("type")).endswith(":tag")]
    arns = {r.get("arn") for r in removed if r.get("arn")}
    stacks = {
        r.get("name")
        for r in removed
        if isinstance(r, dict) and str(r.get("type")).endswith(":sync-configuration")
    }
    kept = dict(result)
    links = []
    for repo in result.get("gitSyncRepositories") or []:
        if not isinstance(repo, dict) or repo.get("repositoryLinkArn") in arns:
            continue
        configs = [s for s in repo.get("syncConfigurations") or [] if s.get("resourceName") not in stacks]
        links.append({**repo, "syncConfigurations": configs})
    kept["gitSyncRepositories"] = links
    codeartifact = result.get("codeartifact")
    if isinstance(codeartifact, dict):
        repositories = [r for r in codeartifact.get("repositories") or [] if r.get("arn") not in arns]
        kept["codeartifact"] = {**codeartifact, "repositories": repositories}
        if codeartifact.get("domainArn") in arns:
            kept["codeartifact"] = None
    return kept


#: why a connection, host or domain a change replaced (before changes were refused that:
#: ``workflow.change.fixed_fields``) is listed, not removed: the offboarding removes one of each
REPLACED = (
    "a change replaced it with the onboarding's own (changes may no longer do that); the offboarding"
    " removes the onboarding's, so remove this by hand if it is no longer needed (docs/runbook.md)"
)


def _replaced(section: str, found: dict[str, Any]) -> list[dict[str, Any]]:
    """A later execution's connection, host or CodeArtifact result that is not the onboarding's
    own, as the offboarding lists it (retained, with :data:`REPLACED`)."""
    if section == "codeartifact":
        items = [
            {"type": "codeartifact:repository", "name": r.get("name"), "arn": r.get("arn")}
            for r in reversed(found.get("repositories") or [])
            if isinstance(r, dict)
        ]
        domain = {"type": "codeartifact:domain", "name": found.get("domain"), "arn": found.get("domainArn")}
        return [{**item, "reason": REPLACED} for item in [*items, domain]]
    kind = f"{found.get('service') or 'codeconnections'}:{section}"
    return [{"type": kind, "name": found.get("name"), "arn": found.get("arn"), "reason": REPLACED}]


def union(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """Two results of one onboarding (its own, a change's) as one: every resource either reports,
    the later's report of a resource winning. The connection, its host and the domain are the
    earlier's: a later one replaces it only where the earlier has none (or its connection or host
    was deleted again); one a change swapped in (as changes could, before ``workflow.change``
    refused it) is listed in ``replaced`` instead, which the offboarding reports as retained."""
    merged = _without(earlier, later.get("pruned"))
    earlier = merged
    replaced = list(earlier.get("replaced") or [])
    for section in ("connection", "host"):
        new, old = later.get(section), earlier.get(section)
        if not isinstance(new, dict) or not new.get("arn"):
            continue
        gone = bool(earlier.get(f"{section}Deleted"))
        if not isinstance(old, dict) or not old.get("arn") or old.get("arn") == new.get("arn") or gone:
            merged[section] = new
            merged[f"{section}Deleted"] = bool(later.get(f"{section}Deleted"))
        elif not later.get(f"{section}Deleted"):
            replaced += _replaced(section, new)
    merged["gitSyncRepositories"] = _merged(
        list(earlier.get("gitSyncRepositories") or []),
        list(later.get("gitSyncRepositories") or []),
        "repositoryLinkArn",
        nested="syncConfigurations",
    )
    merged["protonRepositories"] = _merged(
        list(earlier.get("protonRepositories") or []), list(later.get("protonRepositories") or []), "arn"
    )
    old, new = earlier.get("codeartifact"), later.get("codeartifact")
    domain = old.get("domainArn") if isinstance(old, dict) else None
    if isinstance(new, dict) and domain and new.get("domainArn") not in (None, domain):
        replaced += _replaced("codeartifact", new)
    elif isinstance(new, dict):
        both = dict(new)
        if isinstance(old, dict):
            both["domainCreated"] = bool(old.get("domainCreated") or new.get("domainCreated"))
            both["sharing"] = _merged(
                list(old.get("sharing") or []), list(new.get("sharing") or []), "resourceArn"
            )
            repositories = _merged(
                list(old.get("repositories") or []), list(new.get("repositories") or []), "arn"
            )
            both["repositories"] = _upstreams_first(repositories)
        merged["codeartifact"] = both
    merged["replaced"] = list({(r["type"], r["arn"]): r for r in replaced}.values())
    return merged


def owned_onboarding(
    request_id: str, verb: str, *, caller: str, own_account: str, machine: str, sfn: StepFunctions
) -> tuple[dict[str, Any], str]:
    """The onboarding ``request_id`` names and its owner, when ``caller`` may ``verb`` it:
    NoSuchOnboarding for an id of another form (no call) or an onboarding the caller may not see
    (as if it did not exist), NotTheOwner for the deployment's own account on a team's."""
    absent = NoSuchOnboarding(f"no onboarding {request_id}")
    if not re.fullmatch(REQUEST_ID_PATTERN, request_id):
        raise absent
    onboarding = sfn.describe(execution_arn(machine, request_id))
    if onboarding is None or not may_see(onboarding, caller=caller, own_account=own_account):
        raise absent  # another team's onboarding answers as if it did not exist
    owner = owner_of(onboarding, own_account)
    if caller != owner:
        raise NotTheOwner(f"onboarding {request_id} belongs to account {owner}: only it may {verb} it")
    return onboarding, owner


def recorded_result(
    request_id: str,
    onboarding: dict[str, Any],
    changes: list[dict[str, Any]],
    *,
    onboarding_machine: str,
    sfn: StepFunctions,
) -> dict[str, Any] | None:
    """What the onboarding and its ``changes`` (their executions, in order) made, as one result
    (:func:`union`); None when the onboarding's report step failed and there is no result to read."""
    detail = onboarding_outcome(onboarding, sfn.pages_of(execution_arn(onboarding_machine, request_id)))
    for number, changed in enumerate(changes, start=1):
        arn = execution_arn(onboarding_machine, change_name(request_id, number))
        outcome = onboarding_outcome(changed, sfn.pages_of(arn))
        if detail is not None and outcome is not None:
            detail = union(detail, outcome)
    return detail


def offboard(
    request_id: str,
    body: object,
    *,
    caller: str,
    own_account: str,
    onboarding_machine: str,
    offboarding_machine: str,
    calls: StepFunctions,
) -> OffboardAccepted:
    """The answer to ``DELETE /links/{request_id}`` with ``body`` from ``caller``'s account: the
    offboarding, started (``offboarding``) or found (its status); a refusal is raised."""
    onboarding, owner = owned_onboarding(
        request_id,
        "offboard",
        caller=caller,
        own_account=own_account,
        machine=onboarding_machine,
        sfn=calls,
    )
    options = options_of(body)
    if onboarding.get("status") == "RUNNING":
        raise _running(request_id, "the onboarding")
    # the claims first: a change claimed after this read changes the token the claim below needs
    claims = calls.read_claims(request_id)
    changes = change_executions(calls.describe, onboarding_machine, request_id)
    if changes and changes[-1].get("status") == "RUNNING":
        raise _running(request_id, f"change {change_name(request_id, len(changes))}")
    if not claims.change_started_or_crashed(len(changes), time.time()):
        raise _running(request_id, f"change {change_name(request_id, claims.change)}, being started")
    attempt, existing = latest_offboarding(calls.describe, offboarding_machine, request_id)
    failed = existing is not None and offboard_status(existing) == "offboard-failed"
    if failed and attempt < MAX_OFFBOARDINGS:
        existing = None  # a retry: each removal reads AWS again, so what is gone counts as removed
    name = offboarding_name(request_id, attempt if existing is not None else attempt + 1)
    arn = execution_arn(offboarding_machine, name)
    if existing is None:
        detail = recorded_result(
            request_id, onboarding, changes, onboarding_machine=onboarding_machine, sfn=calls
        )
        if detail is None:
            raise StateConflict(
                f"onboarding {request_id} has no recorded result to offboard from (its report step"
                " failed); remove its resources by hand (docs/runbook.md)",
                [FieldError("status", str(onboarding.get("status", "")).lower())],
            )
        # no change may start from here on, and none was claimed since the claims were read
        refused = calls.claim(request_id, OffboardingClaim(attempt + 1, claims.change_token))
        if refused is not None and refused.change_token != claims.change_token:
            raise _running(
                request_id, f"change {change_name(request_id, refused.change)}, asked for meanwhile"
            )
        if refused is not None:
            raise StateConflict(
                f"onboarding {request_id} is being offboarded (attempt {refused.offboarding}, asked for"
                " meanwhile)",
                [FieldError("status", "offboarding")],
            )
        document = offboarding_input(request_id, owner, options, detail, acts_in(onboarding, own_account))
        try:
            arn = calls.start(offboarding_machine, name, document)
        except ResourceConflict:
            existing = calls.describe(arn)  # a racing DELETE with other options started it
            if existing is None:
                raise
        else:
            return _accepted(request_id, arn, "offboarding")
    recorded = json.loads(existing.get("input") or "{}").get("deletePackages")
    if recorded != options.delete_packages:
        raise StateConflict(
            f"onboarding {request_id} is offboarded already with deletePackages={str(recorded).lower()};"
            " an offboarding runs once (docs/runbook.md says how to remove what it retained)",
            [FieldError("deletePackages", f"the offboarding has {str(recorded).lower()}")],
        )
    return _accepted(request_id, arn, offboard_status(existing))


def _running(request_id: str, what: str) -> StateConflict:
    return StateConflict(
        f"onboarding {request_id} is running ({what}); offboard it once it has finished",
        [FieldError("status", "running")],
    )


def _accepted(
    request_id: str, arn: str, status: Literal["offboarding", "offboarded", "offboard-failed"]
) -> OffboardAccepted:
    return OffboardAccepted(
        # relative to the DELETE's own URL (https://HOST/v1/links/ID) it is that URL: GET it
        request_id=request_id,
        execution_arn=arn,
        status_url=request_id,
        status=status,
    )
