"""Run one onboarding on the local engine and summarise it (what ``repolink local run`` prints)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.moto_hooks import LambdaServiceError
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.standins.faults import FaultInjector
from repolink_local.standins.protocol import ServiceError

RESULT_TYPES = ("RepositoryLinkCompleted", "RepositoryLinkFailed")


def resources(detail: dict[str, Any]) -> list[dict[str, str]]:
    """Every linked or created resource named in a result event's detail."""
    found: list[dict[str, str]] = []
    connection = detail.get("connection")
    if connection and not detail.get("connectionDeleted"):
        found.append(
            {
                "type": f"{connection['service']}:connection",
                "name": connection["name"],
                "arn": connection["arn"],
            }
        )
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


def run_locally(
    request: dict[str, Any],
    *,
    handshake: HandshakePolicy,
    faults: Sequence[FaultRule] = (),
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    log_level: str | None = None,
) -> dict[str, Any]:
    from repolink.workflow.idempotency import request_id_for

    request_id = request_id_for(request)
    aws_faults = [f for f in faults if not f.operation.startswith("lambda:")]
    standins = StandIns(handshake=handshake, faults=aws_faults, seed=seed)
    lambda_faults = lambda_service_faults([f for f in faults if f.operation.startswith("lambda:")], seed)
    with LocalEngine(standins, progress=progress, log_level=log_level, lambda_faults=lambda_faults) as engine:
        result = engine.run(request_id, request)
    return summarise(request_id, result, dict(standins.faults_injected))


def run_via_api(
    request: dict[str, Any],
    *,
    handshake: HandshakePolicy,
    faults: Sequence[FaultRule] = (),
    seed: int = 0,
    idempotency_key: str | None = None,
    progress: Callable[[str], None] = lambda _line: None,
    log_level: str | None = None,
) -> dict[str, Any]:
    """POST the request as API Gateway would, then follow GET /links/{id} until it ends."""
    import json
    import time

    standins = StandIns(handshake=handshake, faults=faults, seed=seed)
    headers = {"Content-Type": "application/json"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    with LocalEngine(standins, log_level=log_level) as engine:
        code, _, accepted = engine.api("POST", "/links", json.dumps(request), headers=headers)
        progress(f"POST /links -> {code} {json.dumps(accepted)}")
        if code != 202:
            return {"status": "REJECTED", "httpStatus": code, "response": accepted}
        seen: tuple[Any, ...] = ()
        give_up = time.monotonic() + 120
        while True:
            code, _, status = engine.api("GET", accepted["statusUrl"])
            shown = (status["status"], status["step"], status["connectionStatus"])
            if shown != seen:
                link = f" - a person opens {status['consoleUrl']}" if status.get("consoleUrl") else ""
                progress(f"GET {accepted['statusUrl']} -> {code} {shown[0]} at {shown[1]!r}{link}")
                seen = shown
            if status["status"] != "running" or time.monotonic() > give_up:
                return {"status": status["status"].upper(), "httpStatus": code, "response": status}
            time.sleep(0.02)


def run_via_event(
    request: dict[str, Any],
    *,
    handshake: HandshakePolicy,
    faults: Sequence[FaultRule] = (),
    seed: int = 0,
    idempotency_key: str | None = None,
    account: str = "210987654321",
    progress: Callable[[str], None] = lambda _line: None,
    log_level: str | None = None,
) -> dict[str, Any]:
    """Deliver a RepositoryLinkRequested event from ``account`` and follow the execution."""
    detail: dict[str, Any] = {"request": request}
    if idempotency_key:
        detail["idempotencyKey"] = idempotency_key
    standins = StandIns(handshake=handshake, faults=faults, seed=seed)
    with LocalEngine(standins, log_level=log_level, progress=progress) as engine:
        accepted = engine.put_event(detail, account=account)
        progress(f"RepositoryLinkRequested from {account} -> {accepted}")
        if accepted.get("status") != "accepted":
            rejected = [
                e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
            ]
            return {"status": "REJECTED", "rejected": rejected}
        result = engine.wait(accepted["executionArn"])
    return summarise(accepted["requestId"], result, dict(standins.faults_injected))
