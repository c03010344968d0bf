"""create / check / delete connection handlers against the stand-ins."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from repolink.errors import ConnectionConflict, HandshakeFailed, HandshakeTimedOut, TransientAwsError
from repolink.handlers import check_connection, create_connection, delete_connection
from repolink_local.standins import FaultRule

pytestmark = pytest.mark.integration


def create(ctx: Any, request_id: str = "rl-1", **connection: Any) -> dict[str, Any]:
    spec = {"service": "codeconnections", "name": "acme-github", "provider": "GitHub", **connection}
    return create_connection.handler(
        {"requestId": request_id, "callerAccount": "123456789012", "connection": spec}, ctx
    )


def check(ctx: Any, out: dict[str, Any], hours: int = 72) -> dict[str, Any]:
    return check_connection.handler(
        {
            "requestId": "rl-1",
            "connection": out["connection"],
            "poll": out["poll"],
            "handshakeTimeoutHours": hours,
        },
        ctx,
    )


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
def test_create_then_rerun_gives_one_connection(standins: Any, lambda_context: Any, service: str) -> None:
    first = create(lambda_context, service=service)
    again = create(lambda_context, service=service)
    conn = first["connection"]
    assert conn["arn"].startswith(f"arn:aws:{service}:us-east-1:123456789012:connection/")
    assert conn["status"] == "PENDING" and conn["created"] is True
    assert again["connection"]["arn"] == conn["arn"] and again["connection"]["created"] is True
    assert first["poll"] == {"attempt": 0, "waitSeconds": first["poll"]["waitSeconds"], "waitedSeconds": 0}
    assert len(standins.connections.list()) == 1


def test_the_two_names_of_the_service_see_the_same_connections(standins: Any, lambda_context: Any) -> None:
    created = create(lambda_context, service="codestar-connections")["connection"]
    reused = create(lambda_context, "rl-2", service="codeconnections")["connection"]
    assert reused["arn"] == created["arn"] and reused["created"] is False


def test_same_name_other_provider_is_a_conflict(standins: Any, lambda_context: Any) -> None:
    create(lambda_context)
    with pytest.raises(ConnectionConflict):
        create(lambda_context, provider="Bitbucket")
    assert len(standins.connections.list()) == 1


def test_many_existing_connections_are_paginated(standins: Any, lambda_context: Any) -> None:
    # more than one page at the model's largest page size (100), which the adapter asks for
    client = boto3.client("codeconnections")
    for i in range(230):
        client.create_connection(ConnectionName=f"other-{i}", ProviderType="GitHub")
    ours = [
        {"Key": "repolink:request-id", "Value": "rl-0"},
        {"Key": "repolink:owner-account", "Value": "123456789012"},
    ]
    client.create_connection(ConnectionName="acme-github", ProviderType="GitHub", Tags=ours)
    assert create(lambda_context)["connection"]["created"] is False
    assert standins.calls["codeconnections:ListConnections"] == 3


def test_app_runner_connection_created_found_by_name_and_checked(standins: Any, lambda_context: Any) -> None:
    out = create(lambda_context, service="apprunner", name="acme-runner", provider="GITHUB")
    conn = out["connection"]
    assert conn["arn"].startswith("arn:aws:apprunner:us-east-1:123456789012:connection/acme-runner/")
    assert conn["status"] == "PENDING"
    first = check(lambda_context, out)
    second = check(lambda_context, first)
    assert (first["connection"]["status"], second["connection"]["status"]) == ("PENDING", "AVAILABLE")
    rerun = create(lambda_context, service="apprunner", name="acme-runner", provider="GITHUB")["connection"]
    assert rerun["arn"] == conn["arn"] and rerun["status"] == "AVAILABLE"
    assert "apprunner" in conn["consoleUrl"]


def test_check_goes_available_after_the_policy_polls(standins: Any, lambda_context: Any) -> None:
    out = create(lambda_context)
    first = check(lambda_context, out)
    second = check(lambda_context, first)
    assert first["connection"]["status"] == "PENDING" and first["poll"]["attempt"] == 1
    assert second["connection"]["status"] == "AVAILABLE" and second["poll"]["waitSeconds"] == 0


def test_check_raises_handshake_failed_on_error(standins: Any, lambda_context: Any) -> None:
    out = create(lambda_context)
    standins.connections.set_status(out["connection"]["arn"], "ERROR")
    with pytest.raises(HandshakeFailed):
        check(lambda_context, out)


def test_check_raises_timed_out_past_the_deadline(standins: Any, lambda_context: Any) -> None:
    out = create(lambda_context)
    out["poll"] = {"attempt": 20, "waitSeconds": 300, "waitedSeconds": 3300}
    with pytest.raises(HandshakeTimedOut):
        check(lambda_context, out, hours=1)


def test_persistent_throttling_surfaces_as_transient_for_the_state_machine(
    standins: Any, lambda_context: Any
) -> None:
    standins.faults = [FaultRule("ThrottlingException", "codeconnections:ListConnections", 1.0)]
    with pytest.raises(TransientAwsError):
        create(lambda_context)
    assert standins.calls["codeconnections:ListConnections"] == 5  # botocore standard mode, 5 attempts in all
    assert len(standins.sdk_sleeps) == 4  # with backoff between them


def test_delete_removes_only_our_pending_connection(standins: Any, lambda_context: Any) -> None:
    ours = create(lambda_context)["connection"]
    theirs = create(lambda_context, "rl-2", name="theirs")["connection"] | {"created": False}
    assert (
        delete_connection.handler({"requestId": "rl-1", "connection": ours}, lambda_context)["deleted"]
        is True
    )
    assert (
        delete_connection.handler({"requestId": "rl-2", "connection": theirs}, lambda_context)["deleted"]
        is False
    )
    assert [c.arn for c in standins.connections.list()] == [theirs["arn"]]
    # deleting again is harmless
    assert (
        delete_connection.handler({"requestId": "rl-1", "connection": ours}, lambda_context)["deleted"]
        is False
    )
