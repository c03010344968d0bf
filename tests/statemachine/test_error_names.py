"""Every ErrorEquals name in the ASL can actually occur: a Retry on a name nothing raises never fires."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from repolink.models.validation import validate_request
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.patches import LambdaServiceError
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS, TEMPLATE

pytestmark = pytest.mark.statemachine

ASL = json.loads((TEMPLATE.parent / "statemachines" / "onboarding.asl.json").read_text())


def _names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "ErrorEquals":
                yield from value
            else:
                yield from _names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _names(item)


ERROR_NAMES = sorted(set(_names(ASL)) - {"States.ALL"})


def failure_names(result: ExecutionResult) -> set[str]:
    return {
        details["error"]
        for event in result.history
        for key, details in event.items()
        if key.endswith(("FailedEventDetails", "TimedOutEventDetails"))
        and isinstance(details, dict)
        and "error" in details
    }


def run(request: dict[str, Any], **kwargs: Any) -> ExecutionResult:
    body = validate_request(request).wire()
    lambda_faults = kwargs.pop("lambda_faults", None)
    with LocalEngine(StandIns(**kwargs), lambda_faults=lambda_faults, parameters=SAMPLE_PARAMETERS) as engine:
        return engine.run(request_id_of(body), body, deadline_seconds=60)


def once_per_function(code: str) -> Any:
    """The Lambda service fails the first invoke of every function with ``code``."""
    seen: set[str] = set()

    def fault(function_name: str) -> LambdaServiceError | None:
        if function_name in seen:
            return None
        seen.add(function_name)
        return LambdaServiceError(code, f"injected {code}")

    return fault


SCENARIOS: dict[str, dict[str, Any]] = {
    "TransientAwsError": {
        "faults": [FaultRule("ThrottlingException", "codeartifact:CreateDomain", 1.0, times=5)]
    },
    # a callback wait nobody wakes (workflow/recheck.py): caught, into the check, as a Wait was
    "States.Timeout": {"handshake": HandshakePolicy("after", 2)},
    "HandshakeFailed": {"handshake": HandshakePolicy("error")},
    "HandshakeTimedOut": {"handshake": HandshakePolicy("never")},
    # on the sample with a host (onboarding-host.json): a VPC host whose network fails, a host
    # nobody sets up
    "HostSetupFailed": {"handshake": HandshakePolicy("error"), "sample": "onboarding-host.json", "vpc": True},
    "HostSetupTimedOut": {"handshake": HandshakePolicy("never"), "sample": "onboarding-host.json"},
    **{
        name: {"lambda_faults": once_per_function(name.removeprefix("Lambda."))}
        for name in ERROR_NAMES
        if name.startswith("Lambda.")
    },
}


def test_every_error_name_has_a_scenario() -> None:
    assert set(ERROR_NAMES) == set(SCENARIOS)


@pytest.mark.parametrize("name", ERROR_NAMES)
def test_error_name_occurs_and_is_handled(name: str, sample_event: Any) -> None:
    scenario = dict(SCENARIOS[name])
    request = sample_event(scenario.pop("sample", "onboarding.json")) | {"handshakeTimeoutHours": 1}
    if scenario.pop("vpc", False):
        request["connection"]["host"]["vpcConfiguration"] = {
            "vpcId": "vpc-0a1b2c3d",
            "subnetIds": ["subnet-0a1b2c3d"],
            "securityGroupIds": ["sg-0a1b2c3d"],
        }
    result = run(request, **scenario)
    assert name in failure_names(result)
    if name.startswith("Lambda.") or name in ("TransientAwsError", "States.Timeout"):
        assert result.status == "SUCCEEDED"  # retried away (a timed-out wait: its check ran)
    else:
        assert result.status == "FAILED"  # caught, reported
        assert result.events_of("RepositoryLinkFailed")[0]["error"] == name
