"""Change an onboarding in place: the one path ``PUT /links/{id}`` takes, answered as the API answers.

1. the id must be a request id, and the onboarding one the caller may see (``workflow.tenancy``;
   any other account reads 404, as if it did not exist); only the account that owns it may
   change it (the deployment's own account, which reads every onboarding, gets 403 on another
   team's);
2. an onboarding offboarded, being offboarded or whose offboarding failed (its offboarding
   execution, or an offboarding claimed: ``workflow.lifecycle``) is refused with 409 naming that
   state (``status``), whatever the body: it is checked before the body, and before a duplicate
   is answered, so no PUT after an offboarding looks as if the change stood;
3. the body is the new desired request, judged by the one accept path
   (:func:`~repolink.workflow.accept.judge` and its connection check, as the owner sent it: 400,
   413, 422 naming the field);
4. what AWS cannot change in place, or what the offboarding would lose track of, is refused with
   422 naming the field, compared with every request the onboarding and its changes ran (their
   inputs), not only the latest: once one had a connection or a domain, the section stays
   (``connection``, ``codeartifact``), and so do the connection's service, name, provider, host
   and ARN, and the domain, its owner and key; a repository's external connection once it has
   one; a running onboarding or change (other than the same body's) is refused with 409;
5. a change is an execution of the onboarding state machine itself, which converges (what exists
   with the same settings counts as done; a repository this onboarding created whose upstreams or
   description differ is updated in place). It runs with the onboarding's request id, so what it
   creates carries the onboarding's ownership tag and the offboarding removes it too; its input
   records ``changeOf``. Changes are named ``ID-change-N`` in the order asked for
   (``workflow.idempotency.change_name``): a body equal to the latest change's (or, with none,
   the onboarding's) is a duplicate and is answered from it, starting nothing, unless that
   failed (then the same body again is a retry: a change of its own). Before it starts, the
   change claims its number (``workflow.lifecycle``): refused once an offboarding is claimed, so a
   change and an offboarding racing are one start and one 409, and two different bodies racing
   for the same N too;
6. with ``"prune": true``, what the onboarding's results so far (``offboard.recorded_result``)
   hold that the new request no longer lists (:func:`dropped`) goes in the input as ``prune``:
   the onboarding machine removes it after converging, with the offboarding's removal steps.

Calls: GetItem of the onboarding's claims; DescribeExecution of the onboarding, of each offboarding
attempt and of each change up to one past the latest (at most ``MAX_CHANGES + 1``); when the
change is new, UpdateItem (the claim) and StartExecution; with ``prune``, GetExecutionHistory
pages of the finished ones that failed (as an offboarding reads them).
"""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from repolink.adapters.stepfunctions import execution_arn
from repolink.errors import (
    ContractViolation,
    FieldError,
    ResourceConflict,
    StateConflict,
)
from repolink.models.api import ChangeAccepted
from repolink.workflow.accept import Verdict
from repolink.workflow.idempotency import MAX_CHANGES, canonical, change_name
from repolink.workflow.lifecycle import ChangeClaim
from repolink.workflow.lineage import change_executions, latest_offboarding, offboard_status, state_of
from repolink.workflow.offboard import StepFunctions, owned_onboarding, recorded_result
from repolink.workflow.tenancy import acts_in

#: connection fields no connection service updates: another value is another connection
CONNECTION_FIXED = ("service", "name", "provider", "hostArn", "host", "arn")
#: CodeArtifact fields fixed once the domain exists (CodeArtifact has no UpdateDomain)
DOMAIN_FIXED = ("domain", "domainOwner", "encryptionKey")


def recorded_request(execution: dict[str, Any]) -> dict[str, Any]:
    """The request an onboarding or change execution ran, from its input."""
    try:
        request = json.loads(execution.get("input") or "{}").get("request")
    except (ValueError, AttributeError):
        return {}
    return request if isinstance(request, dict) else {}


def digest(request: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(request).encode()).hexdigest()


#: what each section's loss means, and why it is refused
_KEPT = {
    "connection": "a change keeps the onboarding's connection (the offboarding removes it)",
    "codeartifact": "a change keeps the onboarding's domain (the offboarding removes it); list no"
    " repositories, with prune, to remove them",
}


def fixed_fields(
    asked: list[dict[str, Any]], after: dict[str, Any], caller: str | None = None
) -> list[FieldError]:
    """What the new request changes that AWS cannot change in place, each field named, compared
    with every request the onboarding ran (``asked``: its own, then each change's): once one had
    a connection or a domain, every later request keeps it, the same one. An ``account`` absent
    is the ``caller``'s: naming it, or no longer naming it, keeps the same target."""
    found = []
    for section, fixed, why in (
        (
            "connection",
            CONNECTION_FIXED,
            "a connection's {key} cannot be changed in place; offboard"
            " and onboard again to use another connection",
        ),
        (
            "codeartifact",
            DOMAIN_FIXED,
            "CodeArtifact cannot change a domain's {key} (a rename is"
            " another domain); offboard and onboard again",
        ),
    ):
        had = [request[section] for request in asked if isinstance(request.get(section), dict)]
        new = after.get(section)
        if not had:
            continue
        if not isinstance(new, dict):
            found.append(FieldError(section, f"the onboarding has a {section} section: {_KEPT[section]}"))
            continue
        for key in fixed:
            differs = [old.get(key) for old in had if old.get(key) != new.get(key)]
            if differs:
                message = f"the onboarding has {json.dumps(differs[0])}: " + why.format(key=key)
                found.append(FieldError(f"{section}.{key}", message))

    # where the onboarding acts: what it made there stays there
    def account(request: dict[str, Any]) -> object:
        return request.get("account") or caller

    where = [account(request) for request in asked if account(request) != account(after)]
    if asked and where:
        acted = json.dumps(where[0]) if where[0] else "its caller's account"
        message = (
            f"the onboarding acts in {acted}: an onboarding cannot move to another account;"
            " offboard and onboard again there"
        )
        found.append(FieldError("account", message))
    externals: dict[object, set[str]] = {}
    for request in asked:
        for repo in (request.get("codeartifact") or {}).get("repositories") or []:
            if isinstance(repo, dict) and repo.get("externalConnection"):
                externals.setdefault(repo.get("name"), set()).add(repo["externalConnection"])
    for position, repo in enumerate((after.get("codeartifact") or {}).get("repositories") or []):
        external = repo.get("externalConnection")
        other = sorted(e for e in externals.get(repo.get("name"), set()) if e != external)
        if external is not None and other:
            found.append(
                FieldError(
                    f"codeartifact.repositories[{position}].externalConnection",
                    f"the repository has {other[0]!r}, and a repository takes one external"
                    " connection; it is not replaced in place",
                )
            )
    return found


def _dropped_keys(before: list[dict[str, Any]], after: dict[str, Any] | None) -> list[str]:
    """The tag keys any of ``before`` (sections of the requests asked so far) set that ``after``
    no longer has."""
    had = {key for section in before for key in (section.get("tags") or {})}
    return sorted(had - set((after or {}).get("tags") or {}))


def _untags(recorded: dict[str, Any], request: dict[str, Any], asked: list[dict[str, Any]]) -> dict[str, Any]:
    """The tag keys to take off what stays: the domain and repositories this onboarding created,
    and its repository links, each key one its requests set and ``request`` no longer has."""
    codeartifact, links = [], []
    result = recorded.get("codeartifact") or {}
    wanted = request.get("codeartifact")
    if isinstance(wanted, dict) and result.get("domainCreated") and result.get("domainArn"):
        sections = [a["codeartifact"] for a in asked if isinstance(a.get("codeartifact"), dict)]
        if keys := _dropped_keys(sections, wanted):
            codeartifact.append({"arn": result["domainArn"], "name": result.get("domain"), "keys": keys})
        stays = {r.get("name"): r for r in wanted.get("repositories") or []}
        for repo in result.get("repositories") or []:
            if repo.get("outcome") != "created" or repo.get("name") not in stays:
                continue
            before = [
                r for s in sections for r in s.get("repositories") or [] if r.get("name") == repo.get("name")
            ]
            if keys := _dropped_keys(before, stays[repo["name"]]):
                codeartifact.append({"arn": repo["arn"], "name": repo["name"], "keys": keys})

    def key(repo: dict[str, Any]) -> tuple[str, str]:
        return str(repo.get("ownerId")).lower(), str(repo.get("repositoryName")).lower()

    stays = {key(r): r for r in (request.get("gitSync") or {}).get("repositories") or []}
    for link in recorded.get("gitSyncRepositories") or []:
        if link.get("outcome") != "created" or link.get("linkDeleted") or key(link) not in stays:
            continue
        before = [
            r
            for a in asked
            for r in (a.get("gitSync") or {}).get("repositories") or []
            if key(r) == key(link)
        ]
        if keys := _dropped_keys(before, stays[key(link)]):
            name = f"{link.get('ownerId')}/{link.get('repositoryName')}"
            links.append({"arn": link["repositoryLinkArn"], "name": name, "keys": keys})
    return {"codeartifact": codeartifact, "gitSync": links}


def dropped(
    recorded: dict[str, Any], request: dict[str, Any], asked: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """What ``recorded`` (the onboarding's result, its changes' united) has that ``request`` no
    longer lists, as the offboarding's removal steps take it: whole Git sync repositories, or the
    stacks a repository that stays no longer syncs (``keepLinks``: those links stay); Proton
    repositories; CodeArtifact repositories (``keepDomain``: the domain always stays: a change
    keeps the onboarding's domain, :func:`fixed_fields`, and one without a codeartifact section
    is refused before this when the onboarding has one);
    and the tag keys ``asked`` (the requests the onboarding and its changes ran) set on what
    stays that ``request`` no longer has (``codeartifactUntag``, ``gitSyncUntag``). The
    connection and its host are never pruned: a change can neither drop nor replace them."""
    wanted = {
        (str(r.get("ownerId")).lower(), str(r.get("repositoryName")).lower()): {
            s.get("resourceName") for s in r.get("syncConfigurations") or []
        }
        for r in (request.get("gitSync") or {}).get("repositories") or []
    }
    git, keep_links = [], []
    for repo in recorded.get("gitSyncRepositories") or []:
        key = (str(repo.get("ownerId")).lower(), str(repo.get("repositoryName")).lower())
        if key not in wanted:
            git.append(repo)
            continue
        stacks = [s for s in repo.get("syncConfigurations") or [] if s.get("resourceName") not in wanted[key]]
        if stacks:
            git.append({**repo, "syncConfigurations": stacks})
            keep_links.append(repo.get("repositoryLinkArn"))
    names = {str(r.get("name")).lower() for r in (request.get("proton") or {}).get("repositories") or []}
    proton = [r for r in recorded.get("protonRepositories") or [] if str(r.get("name")).lower() not in names]
    codeartifact, wanted_ca = recorded.get("codeartifact"), request.get("codeartifact")
    section = None
    if isinstance(codeartifact, dict) and codeartifact.get("domainArn") and isinstance(wanted_ca, dict):
        listed = {r.get("name") for r in wanted_ca.get("repositories") or []}
        gone = [r for r in codeartifact.get("repositories") or [] if r.get("name") not in listed]
        if gone:
            section = {**codeartifact, "repositories": gone, "sharing": []}
    untag = _untags(recorded, request, asked or [])
    return {
        "gitSyncRepositories": git,
        "keepLinks": keep_links,
        "protonRepositories": proton,
        "codeartifact": section,
        "keepDomain": True,
        "codeartifactUntag": untag["codeartifact"],
        "gitSyncUntag": untag["gitSync"],
    }


def change(
    request_id: str,
    judged: Callable[[str], Verdict],
    *,
    caller: str,
    own_account: str,
    onboarding_machine: str,
    offboarding_machine: str,
    calls: StepFunctions,
) -> ChangeAccepted:
    """The answer to ``PUT /links/{request_id}`` from ``caller``'s account: the change, started
    (``running``) or found (the same body again); a refusal is raised. ``judged(owner)`` is the
    accept path's verdict on the body as the onboarding's owner sent it."""
    onboarding, owner = owned_onboarding(
        request_id, "change", caller=caller, own_account=own_account, machine=onboarding_machine, sfn=calls
    )
    # offboarded (or being offboarded, or failed to): nothing changes it any more, whatever the body
    claims = calls.read_claims(request_id)
    _, offboarding = latest_offboarding(calls.describe, offboarding_machine, request_id)
    if offboarding is not None or claims.offboarding:
        raise _offboarded(request_id, offboard_status(offboarding) if offboarding else "offboarding")
    command = judged(owner).accepted_command()
    body = command.request
    changes = change_executions(calls.describe, onboarding_machine, request_id)
    number = len(changes)
    current = changes[-1] if changes else onboarding
    current_name = change_name(request_id, number) if changes else None
    state = state_of(current)
    if state != "failed" and digest(recorded_request(current)) == digest(body):
        # the same body again (a duplicate PUT, a redelivered event): answered from what runs it;
        # after a failure, the same body is a retry, a change of its own
        arn = str(
            current.get("executionArn") or execution_arn(onboarding_machine, current_name or request_id)
        )
        return _accepted(request_id, current_name, arn, state)
    if current.get("status") == "RUNNING":
        what = f"change {current_name}" if current_name else "the onboarding"
        raise _running(request_id, what)
    # what the onboarding and every change ran: none may lose its connection or domain
    asked = [recorded_request(execution) for execution in (onboarding, *changes)]
    fixed = fixed_fields(asked, body, caller=owner)
    if fixed:
        raise ContractViolation.naming(fixed)
    if number >= MAX_CHANGES:
        raise StateConflict(
            f"onboarding {request_id} has had {MAX_CHANGES} changes, as many as one takes; offboard"
            " and onboard again",
            [FieldError("status", f"{MAX_CHANGES} changes")],
        )
    name = change_name(request_id, number + 1)
    document = {
        "requestId": request_id,
        "callerAccount": owner,
        # a change acts where its onboarding did
        "targetAccount": acts_in(onboarding, own_account),
        "request": body,
        "changeOf": request_id,
    }
    if body.get("prune"):
        recorded = recorded_result(
            request_id, onboarding, changes, onboarding_machine=onboarding_machine, sfn=calls
        )
        if recorded is None:
            raise StateConflict(
                f"onboarding {request_id} has no recorded result to prune from (its report step failed);"
                " change it without prune, and remove what it no longer lists by hand",
                [FieldError("prune", "no recorded result")],
            )
        document["prune"] = dropped(recorded, body, asked)
    # the claim: refused once an offboarding is claimed, or while another body holds this number
    refused = calls.claim(request_id, ChangeClaim(number + 1, digest(body)))
    if refused is not None and refused.offboarding:
        raise _offboarded(request_id, "offboarding")
    if refused is not None:
        raise _running(request_id, f"change {name}, asked for meanwhile")
    try:
        arn = calls.start(onboarding_machine, name, document)
    except ResourceConflict:
        # another body's PUT took this change's number first: that change is running now
        raise _running(request_id, f"change {name}, started meanwhile") from None
    return _accepted(request_id, name, arn, "running")


def _running(request_id: str, what: str) -> StateConflict:
    return StateConflict(
        f"onboarding {request_id} is running ({what}); change it once that has finished",
        [FieldError("status", "running")],
    )


def _offboarded(request_id: str, state: str) -> StateConflict:
    return StateConflict(
        f"onboarding {request_id} is {state}: a change no longer applies; onboard again instead",
        [FieldError("status", state)],
    )


def _accepted(request_id: str, name: str | None, arn: str, state: Any) -> ChangeAccepted:
    return ChangeAccepted(
        request_id=request_id, change_id=name, execution_arn=arn, status_url=request_id, status=state
    )
