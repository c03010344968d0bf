"""The two handlers that publish events: the pending handshake and the final outcome."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from repolink.handlers import notify_pending, report_outcome

pytestmark = pytest.mark.integration

#: the pending connection of the sample task payload, as NotifyPendingHandshake is given it
CONNECTION = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "notify_pending_handshake.json").read_text()
)["connection"]


def test_pending_handshake_event_carries_the_console_link(event_tap: Any, lambda_context: Any) -> None:
    out = notify_pending.handler(
        {"requestId": "rl-1", "connection": CONNECTION, "handshakeTimeoutHours": 72}, lambda_context
    )
    (event,) = event_tap.events()
    assert event["detail-type"] == "ConnectionPendingHandshake" and event["source"] == "repolink"
    assert event["detail"]["consoleUrl"] == CONNECTION["consoleUrl"]
    assert event["detail"]["requestId"] == "rl-1" and "72 hours" in event["detail"]["instructions"]
    assert out["eventId"]


def test_outcome_publishes_completed_with_every_arn(event_tap: Any, lambda_context: Any) -> None:
    handshake = {
        "connection": {**CONNECTION, "status": "AVAILABLE"},
        "poll": {"attempt": 1, "waitSeconds": 0, "waitedSeconds": 15},
    }
    out = report_outcome.handler(
        {"requestId": "rl-1", "branches": [{"handshake": handshake}, {}]}, lambda_context
    )
    (event,) = event_tap.events()
    assert event["detail-type"] == out["detailType"] == "RepositoryLinkCompleted"
    assert event["detail"]["arns"] == [CONNECTION["arn"]]
    assert out["status"] == "succeeded"


def test_outcome_publishes_failed_with_step_and_cause(event_tap: Any, lambda_context: Any) -> None:
    branch = {"failedStep": "CreateConnection", "failure": {"Error": "ConnectionConflict", "Cause": "taken"}}
    out = report_outcome.handler({"requestId": "rl-2", "branches": [branch, {}]}, lambda_context)
    (event,) = event_tap.events()
    assert event["detail-type"] == "RepositoryLinkFailed"
    assert (event["detail"]["step"], event["detail"]["error"], event["detail"]["cause"]) == (
        "CreateConnection",
        "ConnectionConflict",
        "taken",
    )
    assert out["status"] == "failed"


def test_a_malformed_task_payload_is_rejected_before_any_call(event_tap: Any, lambda_context: Any) -> None:
    from repolink.models.wire import WireError

    with pytest.raises(WireError, match=r"\$\.connection: required"):
        notify_pending.handler({"requestId": "rl-1"}, lambda_context)
    assert event_tap.events() == []


def test_missing_environment_fails_with_a_clear_message(
    event_tap: Any, lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repolink.models.settings import SettingsError, get_settings

    monkeypatch.delenv("EVENT_BUS_NAME")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="EVENT_BUS_NAME"):
        notify_pending.handler({"requestId": "rl-1", "connection": CONNECTION}, lambda_context)
