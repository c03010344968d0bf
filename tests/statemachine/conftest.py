"""Run the real ASL on moto's interpreter through the local engine."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from helpers.engine import OTHER_ACCOUNT, normalized, sample_engine
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS


@pytest.fixture
def onboarding_request(sample_event: Any) -> dict[str, Any]:
    return copy.deepcopy(sample_event("onboarding.json"))


@pytest.fixture
def sample(sample_event: Any) -> dict[str, Any]:
    """The sample request, as the API stores it (validated, camelCase, defaults filled)."""
    return normalized(copy.deepcopy(sample_event("onboarding.json")))


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    """The sample's deployment, admitting :data:`OTHER_ACCOUNT` too; handshakes complete on the
    second check."""
    with sample_engine(parameters={**SAMPLE_PARAMETERS, "AllowedAccountIds": OTHER_ACCOUNT}) as running:
        yield running


def _onboard(engine: LocalEngine, request: dict[str, Any]) -> str:
    request_id = request_id_of(request)
    result = engine.run(request_id, request, deadline_seconds=60)
    assert result.status == "SUCCEEDED", result.output
    return request_id


@pytest.fixture
def onboard() -> Callable[[LocalEngine, dict[str, Any]], str]:
    """Run a request in an engine to success (asserted); its request id."""
    return _onboard


Runner = Callable[..., tuple[ExecutionResult, StandIns]]


@pytest.fixture
def run_onboarding() -> Iterator[Runner]:
    """Run one request in a fresh local engine; returns the result and the stand-ins to inspect."""

    def run(
        request: dict[str, Any],
        *,
        handshake: HandshakePolicy | None = None,
        faults: Sequence[FaultRule] = (),
        seed: int = 0,
        prepare: Callable[[StandIns], None] | None = None,
        parameters: dict[str, str] | None = None,
    ) -> tuple[ExecutionResult, StandIns]:
        body = normalized(request)
        standins = StandIns(handshake=handshake or HandshakePolicy("after", 2), faults=faults, seed=seed)
        deployed = SAMPLE_PARAMETERS if parameters is None else parameters
        with LocalEngine(standins, parameters=deployed) as engine:
            if prepare is not None:
                prepare(standins)
            result = engine.run(request_id_of(body), body, deadline_seconds=60)
        return result, standins

    yield run
