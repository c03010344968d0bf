"""Hypothesis sends generated bad requests to the API: never a 5xx, never a started execution."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repolink.models.validation import MAX_JSON_DEPTH
from repolink.workflow.accept import Deployment, judge
from repolink_local.engine import LocalEngine

pytestmark = pytest.mark.integration

SAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "onboarding.json").read_text()
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
PATHS = [
    ("connection",),
    ("connection", "name"),
    ("connection", "provider"),
    ("connection", "service"),
    ("connection", "hostArn"),
    ("connection", "arn"),
    ("connection", "tags"),
    ("proton",),
    ("proton", "repositories"),
    ("codeartifact",),
    ("codeartifact", "domain"),
    ("codeartifact", "domainOwner"),
    ("codeartifact", "repositories"),
    ("handshakeTimeoutHours",),
    ("cleanupOnTimeout",),
    ("unexpected",),
]


@st.composite
def mutated_samples(draw: st.DrawFn) -> dict[str, Any]:
    """The valid sample with one field replaced by an arbitrary JSON value, or removed."""
    request = json.loads(json.dumps(SAMPLE))
    path = draw(st.sampled_from(PATHS))
    node = request
    for key in path[:-1]:
        node = node.setdefault(key, {})
    if draw(st.booleans()) and path[-1] in node:
        del node[path[-1]]
    else:
        node[path[-1]] = draw(json_values)
    return request


def is_invalid(body: str) -> bool:
    """Refused by the one accept path, as the local engine's deployment would judge it."""
    deployment = Deployment(account="123456789012", region="us-east-1")
    return not judge(body, caller="123456789012", idempotency_key=None, deployment=deployment).accepted


SAMPLE_TEXT = json.dumps(SAMPLE)
#: the kinds of input issue 12 (item 7) found accepted: JSON that is not plain, and input AWS refuses
MISLEADING = ["\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\\ud800", "\\udc00"]
FOREIGN = [
    "arn:aws-cn:codeconnections:cn-north-1:123456789012:connection/0c1d2e3f-aaaa",
    "arn:aws-us-gov:codeconnections:us-gov-west-1:123456789012:connection/0c1d2e3f-aaaa",
    "arn:aws-us-gov:codestar-connections:us-east-1:123456789012:connection/0c1d2e3f-aaaa",
]
item_seven = st.one_of(
    st.integers(MAX_JSON_DEPTH + 1, 12_000).flatmap(
        lambda n: st.sampled_from(["[" * n + "]" * n, "[" * n, '{"connection":' * n + "1" + "}" * n])
    ),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e999"]).map(
        lambda c: SAMPLE_TEXT.replace('"handshakeTimeoutHours": 72', f'"handshakeTimeoutHours": {c}')
    ),
    st.sampled_from([*sorted(SAMPLE), "unexpected"]).map(
        lambda k: "{" + json.dumps(k) + ": 1, " + SAMPLE_TEXT[1:]
    ),
    st.sampled_from(["handshake_timeout_hours", "cleanup_on_timeout", "domain_owner", "host_arn"]).map(
        lambda k: SAMPLE_TEXT.replace(
            '"handshakeTimeoutHours"' if k.startswith("hand") else '"cleanupOnTimeout"', json.dumps(k)
        )
    ),
    st.tuples(st.sampled_from(MISLEADING), st.sampled_from(['"acme-github"', '"team"', '"payments"'])).map(
        lambda m: SAMPLE_TEXT.replace(m[1], m[1][:3] + m[0] + m[1][3:], 1)
    ),
    st.sampled_from(FOREIGN).map(lambda arn: json.dumps({"connection": {"arn": arn}})),
)
bad_bodies = (
    mutated_samples().map(json.dumps)
    | json_values.map(json.dumps)
    | st.text(max_size=60)
    | st.binary(max_size=40).map(lambda b: b.decode("latin-1"))
    | item_seven
).filter(is_invalid)
headers = st.sampled_from(
    [
        {"Content-Type": "application/json"},
        {"Content-Type": "application/json; charset=utf-8"},
        {"content-type": "application/json", "Idempotency-Key": "k-1"},
        {"Content-Type": "application/json", "Idempotency-Key": "has spaces"},
        {"Content-Type": "application/json", "Idempotency-Key": "k-1", "idempotency-key": "k-2"},
        {"Content-Type": "application/json", "content-type": "text/plain"},
        {"Content-Type": "text/plain"},
        {},
    ]
)


@pytest.fixture(scope="module")
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(log_level="CRITICAL") as running:
        yield running


STATUSES: Counter[int] = Counter()


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(body=bad_bodies, header=headers)
def test_bad_requests_get_a_4xx_and_start_nothing(
    engine: LocalEngine, body: str, header: dict[str, str]
) -> None:
    status, _, error = engine.api("POST", "/links", body, headers=header)
    STATUSES[status] += 1
    assert 400 <= status < 500, (status, body, error)
    assert error["message"]
    assert engine.executions() == []


def test_the_fuzzer_sent_enough_and_varied_requests() -> None:
    assert sum(STATUSES.values()) >= 200, STATUSES
    assert {400, 415, 422} <= set(STATUSES), STATUSES
