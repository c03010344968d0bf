"""Fixtures every tier shares: a safe AWS environment, a Lambda context, sample events."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"

SAFE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "EVENT_BUS_NAME": "repolink-test-bus",
    "EVENT_SOURCE": "repolink",
    "POLL_BASE_SECONDS": "15",
    "POLL_CAP_SECONDS": "300",
    "POWERTOOLS_SERVICE_NAME": "repolink",
    "POWERTOOLS_METRICS_NAMESPACE": "Repolink",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


# Powertools reads its service name and metrics namespace when ``repolink.observability`` is
# imported, which collection does before any fixture runs: set them first.
for _key in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
    os.environ.setdefault(_key, SAFE_ENV[_key])


def load_event(name: str) -> dict[str, Any]:
    """A sample payload from events/ (the same files `sam local invoke -e` takes)."""
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def sample_event() -> Any:
    """The :func:`load_event` helper, as a fixture (test modules don't import conftest)."""
    return load_event


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test can reach a real AWS account: dummy credentials, one region, fresh caches."""
    for key in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in SAFE_ENV.items():
        monkeypatch.setenv(key, value)
    from repolink_local.engine import reset_app_caches

    reset_app_caches()
    yield
    reset_app_caches()


class LambdaContext:
    function_name = "test-function"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    function_version = "$LATEST"
    log_group_name = "/aws/lambda/test-function"
    log_stream_name = "test"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 60_000


@pytest.fixture
def lambda_context() -> LambdaContext:
    return LambdaContext()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Figures a test recorded (``record_property("schemathesis", ...)``), printed at the end of
    the run: pytest-xdist carries a report's properties from its worker to here."""
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, text in getattr(report, "user_properties", ()):
                if name == "schemathesis" and getattr(report, "when", "") == "call":
                    terminalreporter.write_sep("-", "schemathesis")
                    terminalreporter.write_line(str(text))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests (the invariant tier, the slow waits) first: pytest-xdist's workers then
    share out the short ones at the end, instead of one long test finishing alone on one CPU."""
    items.sort(key=lambda item: not any(item.get_closest_marker(m) for m in ("invariant", "slow")))
