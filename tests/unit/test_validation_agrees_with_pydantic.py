"""Our validator and pydantic, reading the same annotated dataclasses, reach the same verdict.

The handlers validate with :func:`repolink.models.wire.read` (no pydantic at cold start); the
published JSON schemas and OpenAPI document come from pydantic over the same classes. This property
test keeps the two readings from drifting: for generated requests, both accept (and build equal
values) or both reject.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from pydantic.alias_generators import to_snake

from repolink.errors import RequestValidationError
from repolink.models.request import OnboardingRequest
from repolink.models.validation import validate_request

pytestmark = pytest.mark.unit

PYDANTIC = TypeAdapter(OnboardingRequest)
SAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "onboarding.json").read_text()
)
ARN = "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
HOST = "arn:aws:codeconnections:us-east-1:123456789012:host/ghes-0a1b2c3d"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

#: near the edges of each rule: valid values, and values one step outside
PLAUSIBLE: dict[str, list[Any]] = {
    "name": ["acme-github", "a", "ab", "x" * 32, "x" * 33, "bad name!", "", "acme/repo", "Acme/Repo"],
    "provider": ["GitHub", "GitHubEnterpriseServer", "Bitbucket", "GITHUB", "github", None],
    "service": ["codeconnections", "codestar-connections", "apprunner", "codecommit"],
    "hostArn": [HOST, "arn:aws:codeconnections:us-east-1:1234:host/x", None],
    "arn": [ARN, ARN.replace("codeconnections", "apprunner"), None],
    "tags": [{}, {"team": "payments"}, {"aws:x": "y"}, {"k": "v" * 257}, {"k": 1}, {"": "v"}],
    "domain": ["acme", "a", "ab", "Acme", "acme-", "a" * 50, "a" * 51],
    "domainOwner": ["123456789012", "12345678901", None, 123456789012],
    "createDomain": [True, False, 1, "true", None],
    "encryptionKey": [KMS, "alias/x", None],
    "upstreams": [[], ["pypi-store"], ["x"], ["a", "a"], [f"r{i}" for i in range(11)], "pypi-store"],
    "externalConnection": ["public:pypi", "public:npmjs", "pypi", None],
    "description": ["store", "d" * 1000, "d" * 1001, "line\nbreak", None],
    "handshakeTimeoutHours": [1, 72, 168, 0, 169, "72", 72.0, True, -1],
    "cleanupOnTimeout": [True, False, 0, "false"],
    "repositories": [[], None],
}


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the sample (object keys and array indexes)."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _places(value, (*path, index))
    return found


PLACES = _places(SAMPLE)


@st.composite
def variants(draw: st.DrawFn) -> dict[str, Any]:
    """The sample with one to three fields set to a plausible value for their name, removed, or
    renamed to their attribute (snake_case) name."""
    request = copy.deepcopy(SAMPLE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PLACES))
        parent = request
        try:
            for part in path[:-1]:
                parent = parent[part]
        except (KeyError, IndexError, TypeError):
            continue
        last = path[-1]
        if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
            parent.pop(last, None)
            continue
        if (
            isinstance(parent, dict)
            and isinstance(last, str)
            and last in parent
            and draw(st.integers(0, 5)) == 0
        ):
            # the attribute name for the wire name: both readers must refuse it (camelCase only)
            parent[to_snake(last)] = parent.pop(last)
            continue
        choices = PLAUSIBLE.get(last if isinstance(last, str) else path[-2], [None, "x", 0, [], {}])
        if isinstance(parent, dict) or (
            isinstance(parent, list) and isinstance(last, int) and last < len(parent)
        ):
            parent[last] = draw(st.sampled_from(choices))
    return request


def _ours(data: dict[str, Any]) -> OnboardingRequest | None:
    try:
        return validate_request(data)
    except RequestValidationError:
        return None


def _pydantic(data: dict[str, Any]) -> OnboardingRequest | None:
    try:
        return PYDANTIC.validate_python(data)
    except ValidationError:
        return None


def test_the_sample_is_accepted_by_both() -> None:
    assert _ours(SAMPLE) is not None and _ours(SAMPLE) == _pydantic(SAMPLE)


@pytest.mark.parametrize(
    "data",
    [
        {"connection": {"name": "acme", "provider": "GitHub"}, "handshake_timeout_hours": 5},
        {
            "codeartifact": {
                "domain": "acme",
                "domain_owner": "123456789012",
                "repositories": [{"name": "py"}],
            }
        },
    ],
)
def test_neither_reader_takes_attribute_names_for_wire_names(data: dict[str, Any]) -> None:
    assert _ours(data) is None and _pydantic(data) is None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants())
def test_both_readers_reach_the_same_verdict(data: dict[str, Any]) -> None:
    ours, theirs = _ours(data), _pydantic(data)

    assert (ours is None) == (theirs is None), f"ours={ours!r}\npydantic={theirs!r}"
    assert ours == theirs
