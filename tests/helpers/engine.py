"""Requests and calls as the local engine's API takes them (the statemachine tier)."""

from collections.abc import Callable
from typing import Any

from repolink.models.validation import validate_request
from repolink_local.engine import LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

#: the statemachine conftest's onboard fixture: run a request to success, its request id
Onboard = Callable[[LocalEngine, dict[str, Any]], str]

JSON = {"Content-Type": "application/json"}
#: another team's account, which the statemachine conftest's ``engine`` fixture admits too
OTHER_ACCOUNT = "210987654321"


def normalized(request: dict[str, Any]) -> dict[str, Any]:
    """The request as the API stores it (validated, camelCase, defaults filled)."""
    return validate_request(request).wire()


def sample_engine(
    *faults: FaultRule,
    checks: int = 2,
    parameters: dict[str, str] = SAMPLE_PARAMETERS,
    revoked: frozenset[tuple[str, str]] = frozenset(),
) -> LocalEngine:
    """A local engine deployed with ``parameters`` (the sample's), whose handshakes complete on
    check ``checks``, with ``faults`` injected and the ``revoked`` grants taken away."""
    standins = StandIns(handshake=HandshakePolicy("after", checks), faults=list(faults))
    return LocalEngine(standins, parameters=parameters, revoked=revoked)
