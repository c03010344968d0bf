"""Fault runs: transient failures everywhere, then a permanent denial on each operation in turn.

Used by ``bench/faults.py`` (printed tables) and by the invariant tests in CI.

- **Transient**: every call to the stand-in services fails 20% of the time (half
  ``ThrottlingException``, half ``InternalServerException``) and every Lambda invoke fails 20% of
  the time as the Lambda *service* (``TooManyRequestsException``, ``ServiceException``). Each
  onboarding must still finish, and create nothing twice.
- **Permanent**: ``AccessDeniedException`` on one operation, every time. The onboarding must end
  in ``RepositoryLinkFailed`` naming the step and the cause, listing what succeeded before it,
  and leave no pending connection it created when the request asked for cleanup (unless the
  denied operation is the very one cleanup needs, which the failure event then says).
- **Lost responses**: on each mutating operation an onboarding calls, through the API, its entry
  path included (the idempotency record, StartExecution), the first call takes effect and its
  answer is lost (the SDK sees a read timeout and retries). The onboarding must end as a clean
  run does: one execution, nothing created twice, no pending connection left behind. The
  offboarding's deletes have rows of their own: the request onboarded cleanly, then offboarded
  (DELETE) with the delete's first answer lost, must end as a clean offboarding does.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.patches import LambdaServiceError
from repolink_local.standins import LOST_RESPONSE, SERVICES, FaultRule, HandshakePolicy, StandIns
from repolink_local.standins.faults import mutating, service_id
from repolink_local.summary import RESULT_TYPES, lambda_service_faults
from repolink_local.template import OFFBOARDING, SAMPLE_PARAMETERS


def transient_rules(rate: float = 0.2) -> list[FaultRule]:
    """``rate`` of calls fail, split evenly between two transient errors (the second rule only
    sees calls the first let through, hence its higher conditional rate)."""
    half = rate / 2
    second = half / (1 - half)
    return [
        FaultRule("ThrottlingException", "*", half),
        FaultRule("InternalServerException", "*", second),
        FaultRule("TooManyRequestsException", "lambda:*", half),
        FaultRule("ServiceException", "lambda:*", second),
    ]


@dataclass
class FaultRun:
    label: str
    status: str
    result_event: str | None
    step: str | None
    error: str | None
    cause: str | None
    succeeded_before: list[str]
    failures: list[dict[str, Any]]
    faults_injected: dict[str, int]
    dangling_connections: int
    duplicated_resources: int
    connection_deleted: bool
    #: hosts this run created that are still not set up, when the request asked for cleanup
    dangling_hosts: int = 0
    api_calls: dict[str, int] = field(default_factory=dict)
    #: the API's answer to the POST (runs through the API only)
    http_status: int | None = None
    #: executions of the state machine (more than one would be a duplicated onboarding)
    executions: int = 1
    #: a 202 for an execution that never ran: an onboarding lost
    accepted_not_started: bool = False
    #: events published more than once with the same detail type and detail
    repeated_events: int = 0
    #: an offboarding row: the result event is RepositoryLinkOffboarded, and ``duplicated_resources``
    #: counts what it removed or retained otherwise than a clean offboarding (and what it left)
    offboarding: bool = False

    @property
    def orphans(self) -> int:
        """What the run left that nobody will finish: pending connections it created (when the
        request asked for cleanup), and an onboarding accepted but never started."""
        return self.dangling_connections + self.dangling_hosts + int(self.accepted_not_started)


def run_with_faults(
    request: dict[str, Any],
    faults: Sequence[FaultRule],
    *,
    label: str,
    seed: int = 0,
    handshake: HandshakePolicy | None = None,
    via_api: bool = False,
) -> FaultRun:
    """One onboarding of ``request`` under ``faults``: started by the engine, or (``via_api``) by a
    POST to the API, which adds the entry path's calls (the idempotency record, StartExecution)."""
    aws = [f for f in faults if not f.operation.startswith("lambda:")]
    lambdas = lambda_service_faults([f for f in faults if f.operation.startswith("lambda:")], seed)
    standins = StandIns(handshake=handshake or HandshakePolicy("after", 2), faults=aws, seed=seed)
    lambda_faults: Counter[str] = Counter()

    def counted(function_name: str) -> LambdaServiceError | None:
        fault = lambdas(function_name) if lambdas is not None else None
        if fault is not None:
            lambda_faults[f"lambda:{function_name}:{fault.error_type}"] += 1
        return fault

    # the sample's deployment (its Git sync role listed), keeping the Proton target for its rows
    deployed = {**SAMPLE_PARAMETERS, "ProtonTarget": "enabled"}
    with LocalEngine(standins, lambda_faults=counted, log_level="CRITICAL", parameters=deployed) as engine:
        if via_api:
            run = _through_the_api(engine, label, request, standins)
        else:
            result = engine.run(request_id_of(request), request, deadline_seconds=300)
            run = _describe(label, request, result, standins)
    run.faults_injected = dict(sorted((Counter(run.faults_injected) + lambda_faults).items()))
    return run


def _through_the_api(
    engine: LocalEngine, label: str, request: dict[str, Any], standins: StandIns
) -> FaultRun:
    code, _, answer = engine.api(
        "POST", "/links", json.dumps(request), headers={"Content-Type": "application/json"}
    )
    executions = engine.executions()
    started = code == 202 and any(e["executionArn"] == answer["executionArn"] for e in executions)
    if not started:
        return FaultRun(
            label=label,
            status="NOT STARTED",
            result_event=None,
            step=None,
            error=None,
            cause=json.dumps(answer)[:300],
            succeeded_before=[],
            failures=[],
            faults_injected=dict(sorted(standins.faults_injected.items())),
            dangling_connections=0,
            duplicated_resources=0,
            connection_deleted=False,
            http_status=code,
            executions=len(executions),
            accepted_not_started=code == 202,
        )
    result = engine.wait(answer["executionArn"], deadline_seconds=300)
    run = _describe(label, request, result, standins)
    run.http_status, run.executions = code, len(engine.executions())
    run.duplicated_resources += max(0, run.executions - 1)
    return run


def _describe(label: str, request: dict[str, Any], result: ExecutionResult, standins: StandIns) -> FaultRun:
    outcome = next((e for e in reversed(result.events) if e["detail-type"] in RESULT_TYPES), None)
    detail: dict[str, Any] = outcome["detail"] if outcome else {}
    succeeded = [r["name"] for r in detail.get("protonRepositories", [])]
    succeeded += [
        f"git-sync:{r['ownerId']}/{r['repositoryName']}:{c['resourceName']}"
        for r in detail.get("gitSyncRepositories", [])
        for c in r["syncConfigurations"]
    ]
    codeartifact = detail.get("codeartifact") or {}
    succeeded += [f"codeartifact:{r['name']}" for r in codeartifact.get("repositories", [])]
    connection = detail.get("connection")
    if connection and connection.get("status") == "AVAILABLE":
        succeeded.insert(0, f"connection:{connection['name']}")
    ours = [c for c in standins.connections.list() if c.status != "AVAILABLE"]
    cleanup_asked = bool(request.get("cleanupOnTimeout"))
    asked_repos = len(request.get("codeartifact", {}).get("repositories", []))
    git_sync = request.get("gitSync", {}).get("repositories", [])
    wants_host = bool((request.get("connection") or {}).get("host"))
    hosts = list(standins.connections.hosts.values())
    duplicated = (
        max(0, len(standins.connections.list()) - (1 if "connection" in request else 0))
        + max(0, len(hosts) - int(wants_host))
        + max(0, len(standins.codeartifact.repositories) - asked_repos)
        + max(0, len(standins.proton.repositories) - len(request.get("proton", {}).get("repositories", [])))
        + max(0, len(standins.connections.repository_links) - len(git_sync))
        + max(
            0,
            len(standins.connections.sync_configurations)
            - sum(len(r["syncConfigurations"]) for r in git_sync),
        )
        + max(0, len([e for e in result.events if e["detail-type"] in RESULT_TYPES]) - 1)
    )
    published = Counter((e["detail-type"], json.dumps(e["detail"], sort_keys=True)) for e in result.events)
    return FaultRun(
        label=label,
        status=result.status,
        result_event=outcome["detail-type"] if outcome else None,
        step=detail.get("step"),
        error=detail.get("error"),
        cause=detail.get("cause"),
        succeeded_before=succeeded,
        failures=list(detail.get("failures", [])),
        faults_injected=dict(sorted(standins.faults_injected.items())),
        dangling_connections=len(ours) if cleanup_asked else 0,
        dangling_hosts=len([h for h in hosts if h.status != "AVAILABLE"]) if cleanup_asked else 0,
        duplicated_resources=duplicated,
        connection_deleted=bool(detail.get("connectionDeleted")),
        api_calls=result.api_calls,
        repeated_events=sum(n - 1 for n in published.values()),
    )


def transient_runs(request: dict[str, Any], runs: int, *, rate: float = 0.2) -> list[FaultRun]:
    return [
        run_with_faults(request, transient_rules(rate), label=f"seed {seed}", seed=seed)
        for seed in range(runs)
    ]


def operations_called(request: dict[str, Any]) -> list[str]:
    """The stand-in operations a clean run of ``request`` calls, in a stable order, plus the
    cleanup's DeleteConnection (which only a failed handshake reaches)."""
    clean = run_with_faults(request, [], label="clean")
    ops = [op for op in clean.api_calls if op.split(":")[0] in SERVICES]
    service = request.get("connection", {}).get("service", "codeconnections")
    if "connection" in request and service != "apprunner":
        ops.append(f"{service}:DeleteConnection")
    return sorted(set(ops))


def permanent_runs(request: dict[str, Any], operations: Sequence[str]) -> list[FaultRun]:
    """One run per operation, each with that operation denied every time. Denying
    DeleteConnection only matters on a failed handshake, so that run's handshake ends in ERROR."""
    runs = []
    for op in operations:
        handshake = HandshakePolicy("error") if op.endswith(":DeleteConnection") else None
        rule = FaultRule("AccessDeniedException", op, 1.0)
        runs.append(run_with_faults(request, [rule], label=op, handshake=handshake))
    return runs


#: botocore service ids (as the engine counts calls) that are not also the service's name
_SERVICE_NAMES = {"sfn": "stepfunctions", "eventbridge": "events"}


def _service_name(counted_id: str) -> str:
    name = _SERVICE_NAMES.get(counted_id, counted_id)
    if service_id(name) != counted_id:
        raise ValueError(f"the service with id {counted_id!r} is not {name!r}: add it to _SERVICE_NAMES")
    return name


def mutating_operations_called(request: dict[str, Any]) -> list[str]:
    """The mutating operations (``service:Operation``, botocore service names; :func:`mutating`)
    a clean run of ``request`` through the API calls, plus the cleanup's DeleteConnection (which
    only a failed handshake reaches). The idempotency store's DeleteItem is called only when
    starting fails, so a clean run does not list it."""
    clean = run_with_faults(request, [], label="clean", via_api=True)
    ops = set()
    for counted in clean.api_calls:
        counted_id, operation = counted.split(":", 1)
        service = _service_name(counted_id)
        if mutating(service, operation):
            ops.add(f"{service}:{operation}")
    if "connection" in request:
        ops.add(f"{request['connection'].get('service', 'codeconnections')}:DeleteConnection")
    return sorted(ops)


def lost_response_runs(request: dict[str, Any], operations: Sequence[str]) -> list[FaultRun]:
    """One onboarding through the API per operation, whose first call takes effect and loses its
    answer. Losing DeleteConnection's answer only matters after a failed handshake, so that run's
    handshake ends in ERROR (and the onboarding in RepositoryLinkFailed, by design); DeleteHost's
    only after a host nobody sets up, so that run's host waits in vain (a one-hour deadline)."""
    runs = []
    for op in operations:
        handshake, asked = None, request
        if op.endswith(":DeleteConnection"):
            handshake = HandshakePolicy("error")
        elif op.endswith(":DeleteHost"):
            handshake, asked = HandshakePolicy("never"), request | {"handshakeTimeoutHours": 1}
        rule = FaultRule(LOST_RESPONSE, op, 1.0, times=1)
        runs.append(run_with_faults(asked, [rule], label=op, handshake=handshake, via_api=True))
    return runs


def on_other_connection_services(request: dict[str, Any]) -> list[dict[str, Any]]:
    """``request`` with its connection on CodeStar Connections and on App Runner (which takes
    ``GITHUB`` and links nothing), for the rows only those services have."""
    connection = request["connection"]
    codestar = request | {"connection": connection | {"service": "codestar-connections"}}
    runner = {k: v for k, v in request.items() if k not in ("gitSync", "proton")} | {
        "connection": {"service": "apprunner", "name": connection["name"], "provider": "GITHUB"}
    }
    return [codestar, runner]


#: a Proton section, for the deployments that keep the Proton target (ProtonTarget=enabled)
PROTON = {"repositories": [{"name": "acme/proton-templates"}]}


@dataclass(frozen=True)
class LostRow:
    """One row of the lost-answer matrix: ``operation`` (``service:Operation``) loses its first
    answer while ``request`` is onboarded, or (``offboarding``) while it is offboarded."""

    operation: str
    request: dict[str, Any] = field(compare=False)
    offboarding: bool = False


def lost_response_rows(request: dict[str, Any]) -> list[LostRow]:
    """The rows of :func:`lost_response_matrix`, none run yet (but the clean run that finds the
    mutating operations ``request`` calls): run each with :func:`run_lost_row`."""
    rows = [LostRow(op, request) for op in mutating_operations_called(request)]
    for variant in on_other_connection_services(request):
        service = variant["connection"]["service"]
        ops = [f"{service}:CreateConnection", f"{service}:DeleteConnection"]
        if "gitSync" in variant:
            ops += [f"{service}:CreateRepositoryLink", f"{service}:CreateSyncConfiguration"]
        rows += [LostRow(op, variant) for op in ops]
    if "proton" not in request:
        with_proton = {k: v for k, v in request.items() if k != "gitSync"} | {"proton": PROTON}
        rows.append(LostRow("proton:CreateRepository", with_proton))
    for service in ("codeconnections", "codestar-connections"):
        on_host = on_a_new_host(request, service)
        rows += [LostRow(f"{service}:{op}", on_host) for op in ("CreateHost", "DeleteHost")]
    codestar = on_other_connection_services(request)[0]
    for op in OFFBOARDING_DELETES:
        rows.append(LostRow(op, codestar if "codestar" in op else request, offboarding=True))
    return rows


def run_lost_row(row: LostRow) -> FaultRun:
    if row.offboarding:
        return offboarding_lost_response_runs(row.request, [row.operation])[0]
    return lost_response_runs(row.request, [row.operation])[0]


def lost_response_matrix(request: dict[str, Any]) -> list[FaultRun]:
    """A lost answer on each mutating operation: those a clean run of ``request`` calls, the
    connection (and Git sync) calls of the two other connection services, Proton's, the hosts',
    and the offboarding's deletes."""
    return [run_lost_row(row) for row in lost_response_rows(request)]


def on_a_new_host(request: dict[str, Any], service: str) -> dict[str, Any]:
    """``request`` with its connection on a host it describes (``connection.host``), on ``service``."""
    connection = {
        "service": service,
        "name": "acme-ghes",
        "provider": "GitHubEnterpriseServer",
        "host": {"name": "acme-ghes", "providerEndpoint": "https://ghe.example.com"},
    }
    return {k: v for k, v in request.items() if k not in ("proton",)} | {"connection": connection}


#: what an offboarding of the sample deletes, besides DeleteConnection and DeleteRepositoryLink
#: (whose lost answers the onboarding's cleanup rows and tests/statemachine/test_git_sync.py hold)
OFFBOARDING_DELETES = (
    "codeconnections:DeleteSyncConfiguration",
    "codestar-connections:DeleteSyncConfiguration",
    "codeartifact:DeleteRepository",
    "codeartifact:DeleteDomain",
)


def _offboarded(request: dict[str, Any], rules: Sequence[FaultRule], label: str) -> tuple[FaultRun, Any]:
    """``request`` onboarded through the API without faults, then offboarded (DELETE) under
    ``rules``; the run, and what AWS holds afterwards."""
    standins = StandIns(handshake=HandshakePolicy("after", 2))
    with LocalEngine(standins, log_level="CRITICAL", parameters=dict(SAMPLE_PARAMETERS)) as engine:
        json_headers = {"Content-Type": "application/json"}
        code, _, accepted = engine.api("POST", "/links", json.dumps(request), headers=json_headers)
        assert code == 202, accepted
        engine.wait(accepted["executionArn"], deadline_seconds=300)
        standins.faults = list(rules)
        code, _, answer = engine.api("DELETE", f"/links/{accepted['requestId']}")
        result = engine.wait(answer["executionArn"], deadline_seconds=300)
        offboardings = engine.executions(OFFBOARDING)
    events = [e for e in result.events if e["detail-type"].startswith("RepositoryLinkOffboard")]
    detail = result.output if isinstance(result.output, dict) else {}
    left = (
        len(standins.connections.list())
        + len(standins.connections.repository_links)
        + len(standins.connections.sync_configurations)
        + len(standins.codeartifact.repositories)
    )
    run = FaultRun(
        label=label,
        status=result.status,
        result_event=events[-1]["detail-type"] if events else None,
        step=detail.get("step"),
        error=detail.get("error"),
        cause=detail.get("cause"),
        succeeded_before=[f"{r['type']}:{r['name']}" for r in detail.get("removed", [])],
        failures=list(detail.get("failures", [])),
        faults_injected=dict(sorted(standins.faults_injected.items())),
        dangling_connections=0,
        duplicated_resources=left + max(0, len(events) - 1),
        connection_deleted=False,
        api_calls=result.api_calls,
        http_status=code,
        executions=len(offboardings),
        offboarding=True,
    )
    return run, detail.get("retained", [])


@functools.cache
def _clean_offboarding(request: str) -> tuple[FaultRun, Any]:
    """The clean offboarding each of one request's offboarding rows is held to, run once."""
    return _offboarded(json.loads(request), [], "clean offboarding")


def offboarding_lost_response_runs(request: dict[str, Any], operations: Sequence[str]) -> list[FaultRun]:
    """Per delete of ``operations``: ``request`` onboarded, then offboarded with that delete's
    first call taking effect and its answer lost. Each row is held to the clean offboarding: the
    same removals (in the same order) and retentions, nothing left behind, one offboarding."""
    clean, clean_retained = _clean_offboarding(json.dumps(request, sort_keys=True))
    runs = []
    for op in operations:
        run, retained = _offboarded(request, [FaultRule(LOST_RESPONSE, op, 1.0, times=1)], op)
        if run.succeeded_before != clean.succeeded_before or retained != clean_retained:
            run.duplicated_resources += 1
        runs.append(run)
    return runs


def lost_response_held(run: FaultRun) -> bool:
    """The row ended as the same onboarding without the fault does (Completed; Failed for the
    DeleteConnection rows, whose handshake fails by design; Offboarded for the offboarding's
    rows), with its one answer lost, nothing created twice and nothing orphaned."""
    by_design = run.label.endswith((":DeleteConnection", ":DeleteHost"))
    expected = "RepositoryLinkFailed" if by_design else "RepositoryLinkCompleted"
    if run.offboarding:
        expected = "RepositoryLinkOffboarded"
    lost = sum(n for key, n in run.faults_injected.items() if key.endswith(f":{LOST_RESPONSE}"))
    return (
        run.result_event == expected
        and lost == 1
        and run.executions == 1
        and run.duplicated_resources == 0
        and run.orphans == 0
    )
