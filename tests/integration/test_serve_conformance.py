"""schemathesis against ``local serve``: the API answers as docs/openapi.json says it does.

Every example is SigV4-signed (a caller the deployment allows), sent to the document's own base
URL on the port ``local serve`` bound, and judged by schemathesis' checks: no server error, every
status code, content type, header and body as documented, and positive examples (valid by the
document) accepted. Bounded: a fixed seed, a fixed number of examples (under 300), no shrinking.

"Valid by the document" is as the document says it is read: draft-04 (its jsonSchemaDialect),
with ECMA-262 patterns. schemathesis generates as 2020-12 reads schemas, so a body it draws with
an integral float for an integer (72.0) is not a positive example here, and is counted as such.
A positive example refused only for rules the document states but cannot carry as keywords (the
request's ``description``: ``contracts.BEYOND_THE_SCHEMA`` and ``contracts.DEPLOYMENT_RULES``; the
listing's ``nextToken`` description: ``contracts.QUERY_RULES``) is
counted by rule; any other refusal of a positive example fails.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis

from repolink_local.contracts import documented_refusal, ecma_validator, request_schema
from repolink_local.deployment import SimulatedDeployment
from repolink_local.serve import Serving, serving
from repolink_local.standins import HandshakePolicy
from repolink_local.summary import LocalWorld

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "docs" / "openapi.json"
ALLOWED = "111111111111"
SEED = 14
#: examples per (operation, generation mode): 4 operations x 2 modes x 30 = 240 in all
EXAMPLES = 30
TIMEOUT = 10
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "positive_data_acceptance",
)


@dataclass
class Tally:
    """What was sent and how each check judged it."""

    sent: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    positive_accepted: Counter[str] = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=dict)
    unsendable: Counter[str] = field(default_factory=Counter)
    #: bodies schemathesis drew as positive that draft-04 refuses (integral floats as integers)
    not_positive_in_draft4: Counter[str] = field(default_factory=Counter)
    #: positive examples refused for a rule the document states in words only, by rule
    documented: Counter[str] = field(default_factory=Counter)

    def failed(self, check: str) -> list[str]:
        return self.failures.get(check, [])

    def report(self) -> str:
        lines = [f"examples sent: {sum(self.sent.values())} {dict(sorted(self.sent.items()))}"]
        lines.append(f"by status: {dict(sorted(self.statuses.items()))}")
        lines.append(f"positive examples answered 2xx: {dict(sorted(self.positive_accepted.items()))}")
        lines.append(f"drawn as positive, refused by draft-04: {dict(self.not_positive_in_draft4)}")
        lines.append(f"positive, refused for a documented rule: {dict(sorted(self.documented.items()))}")
        if self.unsendable:
            lines.append(f"not sendable by requests (client-side): {dict(self.unsendable)}")
        for check in CHECKS:
            found = self.failed(check)
            lines.append(f"{check}: {len(found)} failure(s)")
            lines.extend(f"    {line}" for line in sorted(set(found))[:8])
        return "\n".join(lines)


def document_base_url(document: dict[str, Any], served: Serving) -> str:
    """The document's server URL for ``local serve`` (the one on loopback; else the first), on the
    port ``local serve`` bound."""
    urls = [urlsplit(server["url"]) for server in document["servers"]]
    server = next((url for url in urls if url.hostname == "127.0.0.1"), urls[0])
    bound = urlsplit(served.base_url)
    return server._replace(scheme=bound.scheme, netloc=bound.netloc).geturl().rstrip("/")


def run(schema: Any, base_url: str, auth: Callable[..., Any]) -> Tally:
    """Every operation, positive then negative examples, each sent once and judged by CHECKS."""
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import CHECKS as REGISTERED

    checks = dict(zip(CHECKS, REGISTERED.get_by_names(list(CHECKS)), strict=True))
    tally = Tally()
    draft4 = ecma_validator(request_schema())

    def is_positive(case: Any) -> bool:
        """Valid by the document as draft-04 reads it (the request body; parameters as drawn)."""
        if case.operation.method.upper() != "POST" or draft4.is_valid(case.body):
            return True
        tally.not_positive_in_draft4[case.operation.label] += 1
        return False

    def excused(response: Any) -> bool:
        """A 422 whose every error is a rule the document states in words only (counted)."""
        if response.status_code != 422:
            return False
        rules = [documented_refusal(error["message"]) for error in response.json()["errors"]]
        if not rules or None in rules:
            return False
        tally.documented.update(str(rule) for rule in set(rules))
        return True

    session = requests.Session()

    def judge(case: Any, label: str, positive: bool) -> None:
        try:
            response = case.call(base_url=base_url, session=session, auth=auth, timeout=TIMEOUT)
        except (ValueError, UnicodeError, requests.exceptions.InvalidHeader) as exc:
            tally.unsendable[type(exc).__name__] += 1
            return
        tally.sent[label] += 1
        tally.statuses[str(response.status_code)] += 1
        if positive and 200 <= response.status_code < 300:
            tally.positive_accepted[case.operation.label] += 1
        judged = dict(checks)
        if positive and (not is_positive(case) or excused(response)):
            del judged["positive_data_acceptance"]
        for name, check in judged.items():
            try:
                case.validate_response(response, checks=[check])
            except (AssertionError, BaseExceptionGroup) as found:  # one Failure, or a FailureGroup
                failures = found.exceptions if isinstance(found, BaseExceptionGroup) else (found,)
                for failure in failures:
                    what = " ".join(
                        f"{getattr(failure, 'title', '')}: {getattr(failure, 'message', failure)}".split()
                    )
                    answer = " ".join(response.text.split())[:200]
                    tally.failures.setdefault(name, []).append(
                        f"{label} -> {response.status_code}: {what[:200]} | answer: {answer}"
                    )

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            label = f"{operation.label} {mode.value}"
            positive = mode is GenerationMode.POSITIVE

            @seed(SEED)
            @settings(
                max_examples=EXAMPLES,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case: Any) -> None:
                judge(case, label, positive)  # noqa: B023 (called before the loop moves on)

            send()
    return tally


@dataclass(frozen=True)
class Campaign:
    base_url: str
    #: the stage path local serve answers on (/v1)
    stage_path: str
    tally: Tally


@pytest.fixture(scope="module")
def campaign(sigv4: Any, tmp_path_factory: pytest.TempPathFactory) -> Campaign:
    """One schemathesis run against ``local serve`` on a free port, for the tests here (once per
    xdist worker that runs any of them). Hypothesis' caches go to a temporary directory."""
    from hypothesis.configuration import set_hypothesis_home_dir

    world = LocalWorld(
        deployment=SimulatedDeployment(parameters={"AllowedAccountIds": ALLOWED}),
        handshake=HandshakePolicy("after", 1),
        log_level="ERROR",
    )
    config = schemathesis.Config.from_dict(
        # a valid request is accepted (2xx); 404 (an id no onboarding has) and 409 (a key drawn
        # twice for two bodies) are answers to valid requests too; 403 is not: every one is signed
        {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409"]}}}
    )
    schema = schemathesis.openapi.from_path(OPENAPI, config=config)
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    try:
        with serving(world, port=0) as served:
            base_url = document_base_url(json.loads(OPENAPI.read_text()), served)
            tally = run(schema, base_url, sigv4(ALLOWED))
    finally:
        set_hypothesis_home_dir(None)
    return Campaign(base_url, urlsplit(served.base_url).path, tally)


def test_the_api_served_locally_answers_as_its_openapi_document_says(
    campaign: Campaign, record_property: Any
) -> None:
    # the figures, printed at the end of the run (tests/conftest.py)
    record_property("schemathesis", f"against {campaign.base_url} (seed {SEED}):\n{campaign.tally.report()}")
    assert sorted(campaign.tally.sent) == [
        "DELETE /links/{request_id} negative",
        "DELETE /links/{request_id} positive",
        "GET /links negative",
        "GET /links positive",
        "GET /links/{request_id} negative",
        "GET /links/{request_id} positive",
        "POST /links negative",
        "POST /links positive",
        "POST /links/{request_id}/recheck negative",
        "POST /links/{request_id}/recheck positive",
        "PUT /links/{request_id} negative",
        "PUT /links/{request_id} positive",
    ]
    assert urlsplit(campaign.base_url).path == campaign.stage_path, "the document's local server is the stage"
    assert campaign.tally.failed("not_a_server_error") == []
    assert campaign.tally.failed("status_code_conformance") == []
    assert campaign.tally.failed("content_type_conformance") == []
    assert campaign.tally.failed("response_schema_conformance") == []
    assert campaign.tally.failed("response_headers_conformance") == []
    assert campaign.tally.positive_accepted["POST /links"] > 0
    assert campaign.tally.failed("positive_data_acceptance") == []
