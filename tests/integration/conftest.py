"""Handlers in-process against moto (EventBridge, SQS) and the local stand-ins (the rest)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

BUS = "repolink-test-bus"


class EventTap:
    """Every event put on the test bus, read back through an SQS queue."""

    def __init__(self) -> None:
        sqs = boto3.client("sqs")
        self.url = sqs.create_queue(QueueName="tap")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events = boto3.client("events")
        events.create_event_bus(Name=BUS)
        events.put_rule(Name="tap", EventBusName=BUS, EventPattern=json.dumps({"source": ["repolink"]}))
        events.put_targets(Rule="tap", EventBusName=BUS, Targets=[{"Id": "tap", "Arn": arn}])

    def events(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs")
        found: list[dict[str, Any]] = []
        while messages := sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return found


@pytest.fixture
def event_tap() -> Iterator[EventTap]:
    with mock_aws():
        yield EventTap()


@pytest.fixture
def standins() -> Iterator[Any]:
    """moto plus the local stand-ins for the APIs moto lacks, with a test bus and an event tap."""
    import types
    from unittest import mock

    import botocore.endpoint

    from repolink_local.standins import HandshakePolicy, StandIns

    stand = StandIns(handshake=HandshakePolicy("after", 2))
    sleeps: list[float] = []
    no_sleep = types.SimpleNamespace(sleep=sleeps.append)  # botocore's retry backoff, recorded not slept
    with mock_aws(), mock.patch.object(botocore.endpoint, "time", no_sleep), stand:
        stand.tap = EventTap()  # type: ignore[attr-defined]
        stand.sdk_sleeps = sleeps  # type: ignore[attr-defined]
        yield stand


class SigV4:
    """A ``requests`` auth that signs each request with SigV4 for ``execute-api``, as botocore
    does for a real client of the deployed API (secret ``x``: the local API does not verify it)."""

    def __init__(self, access_key: str, *, service: str = "execute-api", region: str = "us-east-1") -> None:
        self.access_key, self.service, self.region = access_key, service, region

    def __call__(self, prepared: Any) -> Any:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        signed = AWSRequest(
            method=prepared.method, url=prepared.url, data=prepared.body, headers=dict(prepared.headers)
        )
        SigV4Auth(Credentials(self.access_key, "x"), self.service, self.region).add_auth(signed)
        prepared.headers.update(dict(signed.headers))
        return prepared


@pytest.fixture(scope="session")
def sigv4() -> type[SigV4]:
    """:class:`SigV4`, the request signer (test modules don't import conftest)."""
    return SigV4


ROOT = Path(__file__).resolve().parents[2]


def _started(process: subprocess.Popen[str], deadline: float) -> str:
    """The base URL ``local serve`` prints on stderr when it listens (stderr is read on a thread
    from then on, so the server never blocks on a full pipe)."""
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr or ()], daemon=True).start()
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if line.startswith("repolink API on "):
            return line.split()[3]
    raise AssertionError(f"local serve did not start: {''.join(seen)}")


@contextmanager
def _local_serve_process(*flags: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``repolink local serve --port 0 FLAGS`` in a process of its own, as a user runs it: the
    process and the base URL it printed. Killed at the end if it is still running."""
    environment = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "local"), str(ROOT / "client")])
    }
    command = [sys.executable, "-m", "repolink_client.cli", "local", "serve", "--port", "0", *flags]
    process = subprocess.Popen(
        command, env=environment, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        yield process, _started(process, time.monotonic() + 60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def local_serve_process() -> Any:
    """:func:`_local_serve_process`, for test modules (they don't import conftest)."""
    return _local_serve_process
