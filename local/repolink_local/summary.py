"""Run one onboarding on the local engine and summarise it (what ``repolink local run`` prints)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin

from repolink_local.deployment import SimulatedDeployment
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.iam import AccessDenied
from repolink_local.patches import LambdaServiceError
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.standins.faults import FaultInjector
from repolink_local.standins.protocol import ServiceError

RESULT_TYPES = ("RepositoryLinkCompleted", "RepositoryLinkFailed")


def resources(detail: dict[str, Any]) -> list[dict[str, str]]:
    """Every linked or created resource named in a result event's detail."""
    found: list[dict[str, str]] = []
    host = detail.get("host")
    if host and not detail.get("hostDeleted"):
        found.append({"type": f"{host['service']}:host", "name": host["name"], "arn": host["arn"]})
    connection = detail.get("connection")
    if connection and not detail.get("connectionDeleted"):
        found.append(
            {
                "type": f"{connection['service']}:connection",
                "name": connection["name"],
                "arn": connection["arn"],
            }
        )
    for link in detail.get("gitSyncRepositories", []):
        if not link.get("linkDeleted"):
            arn = link["repositoryLinkArn"]
            name = f"{link['ownerId']}/{link['repositoryName']}"
            found.append({"type": f"{arn.split(':')[2]}:repository-link", "name": name, "arn": arn})
    for repo in detail.get("protonRepositories", []):
        found.append({"type": "proton:repository", "name": repo["name"], "arn": repo["arn"]})
    codeartifact = detail.get("codeartifact") or {}
    if codeartifact.get("domainArn"):
        found.append(
            {"type": "codeartifact:domain", "name": codeartifact["domain"], "arn": codeartifact["domainArn"]}
        )
    for repo in codeartifact.get("repositories", []):
        found.append({"type": "codeartifact:repository", "name": repo["name"], "arn": repo["arn"]})
    return found


def summarise(
    request_id: str, result: ExecutionResult, faults_injected: dict[str, int] | None = None
) -> dict[str, Any]:
    final = next((e for e in reversed(result.events) if e["detail-type"] in RESULT_TYPES), None)
    detail: dict[str, Any] = final["detail"] if final else {}
    connection = detail.get("connection")
    summary: dict[str, Any] = {
        "status": result.status,
        "requestId": request_id,
        "executionArn": result.execution_arn,
        "result": final["detail-type"] if final else None,
        "connection": {"arn": connection["arn"], "status": connection["status"]} if connection else None,
        "resources": resources(detail),
        "events": [{"detailType": e["detail-type"], "detail": e["detail"]} for e in result.events],
        "stateTransitions": result.state_transitions,
        "lambdaInvocations": result.lambda_invocations,
        "apiCalls": result.api_calls,
        "virtualSecondsWaited": sum(result.waits),
        "retrySleeps": result.retry_sleeps,
        "metrics": result.metrics,
        "faultsInjected": faults_injected or {},
    }
    if final and final["detail-type"] == "RepositoryLinkFailed":
        summary["failure"] = {k: detail[k] for k in ("step", "error", "cause")}
        summary["failures"] = detail.get("failures", [])
    return summary


def lambda_service_faults(
    rules: Sequence[FaultRule], seed: int
) -> Callable[[str], LambdaServiceError | None] | None:
    """Rules on ``lambda:FunctionName`` (or ``lambda:*``) make the Lambda *service* fail the invoke."""
    if not rules:
        return None
    injector = FaultInjector([replace(r, operation=r.operation.removeprefix("lambda:")) for r in rules], seed)

    def fault(function_name: str) -> LambdaServiceError | None:
        try:
            injector.check("lambda", function_name)
        except ServiceError as error:
            return LambdaServiceError(error.code, error.message)
        return None

    return fault


@dataclass
class LocalWorld:
    """One simulated deployment and the world around it: the handshake a person completes (or
    not), the host a request names, injected faults."""

    deployment: SimulatedDeployment = field(default_factory=SimulatedDeployment)
    handshake: HandshakePolicy = field(default_factory=lambda: HandshakePolicy("after", 3))
    host_status: str = "AVAILABLE"
    faults: Sequence[FaultRule] = ()
    seed: int = 0
    progress: Callable[[str], None] = lambda _line: None
    log_level: str | None = None

    def standins(self, text: str | None = None) -> StandIns:
        """The stand-ins, holding the host the request ``text`` names, if any (:meth:`add_host`)."""
        aws_faults = [f for f in self.faults if not f.operation.startswith("lambda:")]
        standins = StandIns(
            account_id=self.deployment.account,
            region=self.deployment.region,
            handshake=self.handshake,
            faults=aws_faults,
            seed=self.seed,
        )
        if text is not None:
            self.add_host(standins, text)
        return standins

    def add_host(self, standins: StandIns, text: str) -> None:
        """The host a request's ``connection.hostArn`` names exists in this world (in
        ``host_status``), unless it does already: a world serving many requests keeps its hosts.
        A host the request describes (``connection.host``) is the workflow's to create; its
        setup follows ``handshake``, as a connection's does."""
        try:
            connection = json.loads(text).get("connection") or {}
        except (ValueError, AttributeError, RecursionError):
            connection = {}
        host_arn = connection.get("hostArn") if isinstance(connection, dict) else None
        if not (isinstance(host_arn, str) and host_arn.count(":") >= 5):
            return
        if host_arn.rsplit("/", 1)[-1] not in standins.connections.hosts:
            standins.connections.add_host(host_arn, str(connection.get("provider") or ""), self.host_status)

    def engine(self, standins: StandIns) -> LocalEngine:
        lambda_faults = lambda_service_faults(
            [f for f in self.faults if f.operation.startswith("lambda:")], self.seed
        )
        return LocalEngine(
            standins,
            progress=self.progress,
            log_level=self.log_level,
            lambda_faults=lambda_faults,
            **self.deployment.engine_options(),
        )


def _post(engine: LocalEngine, world: LocalWorld, text: str, caller: str, key: str | None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    code, _, answer = engine.api("POST", "/links", text, headers=headers, caller_account=caller)
    world.progress(f"POST /links -> {code} {json.dumps(answer)} (as {caller})")
    return code, answer


def run_locally(
    world: LocalWorld,
    text: str,
    *,
    caller: str,
    idempotency_key: str | None = None,
    offboard: dict[str, Any] | None = None,
    change: str | None = None,
    recheck_after: float | None = None,
) -> dict[str, Any]:
    """A full onboarding: POST to the API as ``caller``, then follow the execution to its end;
    with ``recheck_after``, the person finishes the handshake (or the host's setup) that many
    virtual seconds after the connection (or host) is created, and POSTs a recheck then;
    with ``change`` (the new request's text), then PUT it as ``caller`` and follow the change;
    with ``offboard`` (the DELETE's body), then DELETE it as ``caller`` and follow the offboarding."""
    if recheck_after is not None:
        world = replace(world, handshake=HandshakePolicy("at", seconds=recheck_after))
    standins = world.standins(text)
    with world.engine(standins) as engine:
        rechecks: list[tuple[int, Any]] = []
        if recheck_after is not None:
            # it is created as the run starts (the virtual clock moves only while the workflow waits)
            request_id = _request_id(text, caller)
            rechecks = engine.recheck_at(
                engine.clock.now() + recheck_after, request_id, caller_account=caller
            )
        code, accepted = _post(engine, world, text, caller, idempotency_key)
        if code != 202:
            return {"status": "REJECTED", "httpStatus": code, "response": accepted}
        result = engine.wait(accepted["executionArn"])
        for answered, body in rechecks:
            world.progress(f"POST /links/{accepted['requestId']}/recheck -> {answered} {json.dumps(body)}")
        changed = None if change is None else _change(engine, world, accepted["requestId"], caller, change)
        offboarded = (
            None if offboard is None else _offboard(engine, world, accepted["requestId"], caller, offboard)
        )
    summary = summarise(accepted["requestId"], result, dict(standins.faults_injected))
    summary["detectionDelaySeconds"] = detection_delay(standins)
    if recheck_after is not None:
        summary["rechecks"] = [{"httpStatus": answered, "response": body} for answered, body in rechecks]
    if changed is not None:
        summary["change"] = changed
    if offboarded is not None:
        summary["offboarding"] = offboarded
    return summary


def detection_delay(standins: StandIns) -> float | None:
    """Virtual seconds from the handshake's completion to the check that saw it (None: it was
    never completed, or never seen)."""
    seen = [
        c.seen_available_clock - c.handshake_done_clock
        for c in standins.connections.list()
        if c.handshake_done_clock is not None and c.seen_available_clock is not None
    ]
    return round(max(seen), 3) if seen else None


def _request_id(text: str, caller: str) -> str:
    """The id the API gives the request ``text`` of ``caller`` (an invalid one: the POST says why)."""
    from repolink.errors import RepolinkError
    from repolink.models.validation import validate_request
    from repolink_local.deployment import request_id_of

    try:
        return request_id_of(validate_request(json.loads(text)).wire(), caller)
    except (ValueError, RepolinkError):
        return "rl-" + "0" * 40


def _change(
    engine: LocalEngine, world: LocalWorld, request_id: str, caller: str, text: str
) -> dict[str, Any]:
    """PUT the new request, follow the change it starts, and say how it ended."""
    headers = {"Content-Type": "application/json"}
    code, _, answer = engine.api("PUT", f"/links/{request_id}", text, headers=headers, caller_account=caller)
    world.progress(f"PUT /links/{request_id} -> {code}")
    if code not in (200, 202):
        return {"status": "REFUSED", "httpStatus": code, "response": answer}
    result = engine.wait(answer["executionArn"])
    summary = summarise(request_id, result, {})
    return {"changeId": answer["changeId"], "httpStatus": code, **summary}


def _offboard(
    engine: LocalEngine, world: LocalWorld, request_id: str, caller: str, body: dict[str, Any]
) -> dict[str, Any]:
    """DELETE the onboarding, follow its offboarding, and say what it removed and retained."""
    text = json.dumps(body) if body else None
    headers = {"Content-Type": "application/json"} if body else {}
    code, _, answer = engine.api(
        "DELETE", f"/links/{request_id}", text, headers=headers, caller_account=caller
    )
    world.progress(f"DELETE /links/{request_id} -> {code}")
    if code not in (200, 202):
        return {"status": "REFUSED", "httpStatus": code, "response": answer}
    result = engine.wait(answer["executionArn"])
    output = result.output or {}
    return {
        "status": str(output.get("status", result.status)).upper(),
        "httpStatus": code,
        "executionArn": answer["executionArn"],
        "removed": output.get("removed", []),
        "retained": output.get("retained", []),
        **({"step": output["step"], "error": output["error"]} if output.get("step") else {}),
    }


def run_via_api(
    world: LocalWorld, text: str, *, caller: str, idempotency_key: str | None = None
) -> dict[str, Any]:
    """POST the request as API Gateway would, then follow GET /links/{id} until it ends."""
    import time

    with world.engine(world.standins(text)) as engine:
        code, accepted = _post(engine, world, text, caller, idempotency_key)
        if code != 202:
            return {"status": "REJECTED", "httpStatus": code, "response": accepted}
        seen: tuple[Any, ...] = ()
        give_up = time.monotonic() + 120
        path = urljoin("/links", accepted["statusUrl"])  # statusUrl is relative to the URL posted to
        while True:
            code, _, status = engine.api("GET", path, caller_account=caller)
            shown = (status["status"], status["step"], status["connectionStatus"])
            if shown != seen:
                link = f" - a person opens {status['consoleUrl']}" if status.get("consoleUrl") else ""
                world.progress(f"GET {path} -> {code} {shown[0]} at {shown[1]!r}{link}")
                seen = shown
            if status["status"] != "running" or time.monotonic() > give_up:
                return {"status": status["status"].upper(), "httpStatus": code, "response": status}
            time.sleep(0.02)


def run_via_event(
    world: LocalWorld,
    text: str,
    *,
    caller: str,
    idempotency_key: str | None = None,
    recheck_after: float | None = None,
) -> dict[str, Any]:
    """Deliver a RepositoryLinkRequested event from ``caller`` and follow the execution; with
    ``recheck_after``, the person finishes the handshake (or host setup) that many virtual seconds
    after it begins, and a RepositoryLinkRecheckRequested event from ``caller`` follows then."""
    try:
        request: Any = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return {"status": "REJECTED", "rejected": [{"reason": f"the request is not valid JSON: {exc}"}]}
    detail: dict[str, Any] = {"request": request}
    if idempotency_key:
        detail["idempotencyKey"] = idempotency_key
    if recheck_after is not None:
        world = replace(world, handshake=HandshakePolicy("at", seconds=recheck_after))
    standins = world.standins(text)
    with world.engine(standins) as engine:
        rechecks: list[Any] = []
        if recheck_after is not None:
            recheck = {"requestId": _request_id(text, caller)}

            def ask() -> None:
                kind = "RepositoryLinkRecheckRequested"
                rechecks.append(engine.put_event(recheck, account=caller, detail_type=kind))

            engine.clock.at(engine.clock.now() + recheck_after, ask)
        try:
            accepted = engine.put_event(detail, account=caller)
        except AccessDenied as denied:
            return {"status": "REJECTED", "rejected": [{"reason": str(denied)}]}
        world.progress(f"RepositoryLinkRequested from {caller} -> {accepted}")
        if accepted.get("status") != "accepted":
            rejected = [
                e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
            ]
            return {"status": "REJECTED", "rejected": rejected}
        result = engine.wait(accepted["executionArn"])
    summary = summarise(accepted["requestId"], result, dict(standins.faults_injected))
    summary["detectionDelaySeconds"] = detection_delay(standins)
    if recheck_after is not None:
        summary["rechecks"] = rechecks
    return summary
