"""What ``GET /links/{id}`` answers, read from the execution itself (no second store to drift).

The state outputs in the execution history hold everything: the connection (and its console
link) after the create and check steps, CodeArtifact's results, each Proton link, and the final
outcome with the error and cause.
"""

import json
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from repolink.models.rules import Doc
from repolink.models.wire import Wire

CONNECTION_STEPS = ("Create or reuse the connection", "Check the handshake")
CODEARTIFACT_STEP = "Provision CodeArtifact"
PROTON_STEP = "Link one Proton repository"
OUTCOME_STEP = "Report the outcome"

_STATUS: dict[str, Literal["running", "succeeded", "failed"]] = {
    "RUNNING": "running",
    "SUCCEEDED": "succeeded",
    "FAILED": "failed",
    "TIMED_OUT": "failed",
    "ABORTED": "failed",
    "PENDING_REDRIVE": "failed",
}


@dataclass(frozen=True, kw_only=True)
class Resource(Wire):
    type: str
    name: str
    arn: str


@dataclass(frozen=True, kw_only=True)
class LinkStatus(Wire):
    request_id: str
    status: Literal["running", "succeeded", "failed"]
    step: str | None = None
    connection_status: str | None = None
    connection_arn: str | None = None
    console_url: Annotated[str | None, Doc("Where a person completes the pending handshake")] = None
    resources: list[Resource] = field(default_factory=list)
    error: str | None = None
    cause: str | None = None
    started_at: str | None = None
    stopped_at: str | None = None


def _output(event: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = json.loads(event["stateExitedEventDetails"].get("output") or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def link_status(request_id: str, execution: dict[str, Any], history: list[dict[str, Any]]) -> LinkStatus:
    step: str | None = None
    connection: dict[str, Any] = {}
    resources: dict[str, Resource] = {}
    outcome: dict[str, Any] = {}
    for event in history:
        if "stateEnteredEventDetails" in event:
            step = event["stateEnteredEventDetails"]["name"]
            continue
        if "stateExitedEventDetails" not in event:
            continue
        name, output = event["stateExitedEventDetails"]["name"], _output(event)
        if name != PROTON_STEP and isinstance(output.get("result"), dict):
            output = output["result"]  # a branch keeps its results under $.result
        if name in CONNECTION_STEPS:
            connection = output.get("handshake", {}).get("connection", connection)
        elif name == CODEARTIFACT_STEP:
            result = output.get("codeartifact", {}).get("result", {})
            if result.get("domainArn"):
                resources[result["domainArn"]] = Resource(
                    type="codeartifact:domain", name=result["domain"], arn=result["domainArn"]
                )
            for repo in result.get("repositories", []):
                resources[repo["arn"]] = Resource(
                    type="codeartifact:repository", name=repo["name"], arn=repo["arn"]
                )
        elif name == PROTON_STEP and output.get("status") == "linked":
            linked = output.get("result", {})
            resources[linked["arn"]] = Resource(
                type="proton:repository", name=linked["name"], arn=linked["arn"]
            )
        elif name == OUTCOME_STEP:
            outcome = output.get("outcome", {}).get("detail", {})
    if connection.get("arn") and not outcome.get("connectionDeleted"):
        kind = f"{connection.get('service', 'codeconnections')}:connection"
        resources.setdefault(
            connection["arn"], Resource(type=kind, name=connection.get("name", ""), arn=connection["arn"])
        )
    status = _STATUS.get(str(execution.get("status")), "failed")
    pending = status == "running" and connection.get("status") == "PENDING"
    error = outcome.get("error") or execution.get("error")
    return LinkStatus(
        request_id=request_id,
        status=status,
        step=step,
        connection_status=connection.get("status"),
        connection_arn=connection.get("arn"),
        console_url=connection.get("consoleUrl") if pending else None,
        resources=list(resources.values()),
        error=error if status == "failed" else None,
        cause=(outcome.get("cause") or execution.get("cause")) if status == "failed" else None,
        started_at=str(execution["startDate"]) if execution.get("startDate") else None,
        stopped_at=str(execution["stopDate"]) if execution.get("stopDate") else None,
    )
