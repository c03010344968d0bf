"""The wire form of our models: what the tasks read and write, without pydantic."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
from pydantic.alias_generators import to_camel as pydantic_to_camel

from repolink.models import api, events, request, sections, status, tags
from repolink.models.state import codeartifact, common, connection, gitsync, offboarding, proton, results
from repolink.models.wire import Wire, WireError, decode, encode, to_camel, wire_fields
from repolink.workflow import outcome

pytestmark = pytest.mark.unit

ARN = "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
CONNECTION = common.ConnectionState(
    arn=ARN,
    name="acme-github",
    service="codeconnections",
    provider="GitHub",
    status="PENDING",
    created=True,
    console_url="https://console.aws.amazon.com/codesuite/settings/connections",
)


def _models() -> list[type[Wire]]:
    found = []
    modules = (api, events, request, sections, tags, outcome, status)
    states = (common, connection, proton, codeartifact, gitsync, results, offboarding)
    for module in (*modules, *states):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Wire) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_wire_names_are_pydantics_camel_case(model: type[Wire]) -> None:
    # The published schemas (pydantic) and the handlers (ours) must spell every field alike.
    for spec in wire_fields(model):
        if spec.key in ("Error", "Cause"):  # Step Functions' own names, set explicitly
            continue
        assert spec.key == pydantic_to_camel(spec.attr) == to_camel(spec.attr)


def test_a_task_payload_round_trips() -> None:
    task = common.CheckConnectionInput(
        request_id="rl-1",
        connection=CONNECTION,
        poll=common.PollState(attempt=2, wait_seconds=60, waited_seconds=90),
        handshake_timeout_hours=72,
    )

    wired = task.wire()

    assert wired["connection"]["consoleUrl"] == CONNECTION.console_url
    assert "hostArn" not in wired["connection"]  # None is left out
    assert common.CheckConnectionInput.from_wire(wired) == task


def test_decode_names_every_problem_with_its_path() -> None:
    payload: dict[str, Any] = {
        "requestId": "rl-1",
        "connection": {**CONNECTION.wire(), "status": "DONE", "created": 1},
        "poll": {"attempt": "2", "waitSeconds": 60},
        "handshakeTimeoutHours": True,
        "surprise": {},
    }

    with pytest.raises(WireError) as caught:
        common.CheckConnectionInput.from_wire(payload)

    message = str(caught.value)
    assert (
        "$.connection.status: must be one of 'PENDING', 'AVAILABLE', 'ERROR', 'DELETED', not 'DONE'"
        in message
    )
    assert "$.connection.created: must be a boolean, not a number" in message
    assert "$.poll.attempt: must be an integer, not a string" in message
    assert "$.poll.waitedSeconds: required" in message
    assert "$.handshakeTimeoutHours: must be an integer, not a boolean" in message
    assert "$.surprise: unknown field" in message


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("not an object", "$: must be an object, not a string"),
        ({"requestId": "rl-1", "branches": {}}, "$.branches: must be an array, not an object"),
        ({"requestId": None, "branches": []}, "$.requestId: must be a string, not null"),
    ],
)
def test_decode_refuses_the_wrong_json_kinds(value: object, problem: str) -> None:
    with pytest.raises(WireError, match=problem.replace("$", r"\$")):
        decode(results.ReportOutcomeInput, value)


def test_outputs_read_only_their_part_and_step_functions_names() -> None:
    branch = outcome.BranchOutput.from_wire(
        {
            "failedStep": "Check the handshake",
            "failure": {"Error": "HandshakeFailed", "Cause": "ERROR", "extra": 1},
            "somethingElse": [1, 2],
        }
    )

    assert branch.failed_step == "Check the handshake"
    assert branch.failure == outcome.StepError(error="HandshakeFailed", cause="ERROR")
    assert branch.failure.wire() == {"Error": "HandshakeFailed", "Cause": "ERROR"}


def test_encode_keeps_nulls_when_asked() -> None:
    link = status.LinkStatus(request_id="rl-1", status="running")

    assert "consoleUrl" not in encode(link)  # type: ignore[operator]
    kept = encode(link, drop_none=False)
    assert isinstance(kept, dict) and kept["consoleUrl"] is None and kept["resources"] == []


def test_rules_run_when_a_task_reads_a_request_section() -> None:
    # from_wire applies the same rules as validation: a drifted payload cannot slip a bad name in.
    with pytest.raises(WireError, match=r"\$\.name: 'bad name!' is not a CodeArtifact repository name"):
        sections.CodeArtifactRepositorySpec.from_wire({"name": "bad name!"})
