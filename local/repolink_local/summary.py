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
