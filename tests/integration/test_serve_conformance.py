"""schemathesis against ``local serve``: the API answers as docs/openapi.json says it does.

Every example is SigV4-signed (a caller the deployment allows), sent to the document's own base
URL on the port ``local serve`` bound, and judged by schemathesis' checks: no server error, every
status code, content type, header and body as documented, and positive examples (valid by the
document) accepted. Bounded: a fixed seed, a fixed number of examples (under 300), no shrinking.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import schemathesis

from repolink_local.deployment import SimulatedDeployment
from repolink_local.serve import Serving, serving
from repolink_local.standins import HandshakePolicy
from repolink_local.summary import LocalWorld

pytestmark = pytest.mark.integration


ROOT = Path(__file__).resolve().parents[2]
OPENAPI = ROOT / "docs" / "openapi.json"
ALLOWED = "111111111111"
SEED = 14
#: examples per (operation, generation mode): 2 operations x 2 modes x 60 = 240 in all
EXAMPLES = 60
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

    def failed(self, check: str) -> list[str]:
        return self.failures.get(check, [])

    def report(self) -> str:
        lines = [f"examples sent: {sum(self.sent.values())} {dict(sorted(self.sent.items()))}"]
        lines.append(f"by status: {dict(sorted(self.statuses.items()))}")
        lines.append(f"positive examples answered 2xx: {dict(sorted(self.positive_accepted.items()))}")
        if self.unsendable:
            lines.append(f"not sendable by requests (client-side): {dict(self.unsendable)}")
        for check in CHECKS:
            found = self.failed(check)
            lines.append(f"{check}: {len(found)} failure(s)")
            lines.extend(f"    {line}" for line in sorted(set(found))[:8])
        return "\n".join(lines)


@pytest.fixture
def served() -> Iterator[Serving]:
    world = LocalWorld(
        deployment=SimulatedDeployment(parameters={"AllowedAccountIds": ALLOWED}),
        handshake=HandshakePolicy("after", 1),
        log_level="ERROR",
    )
    with serving(world, port=0) as running:
        yield running


@pytest.fixture(autouse=True)
def hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Hypothesis' caches in a temporary directory, not the repository's .hypothesis/."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(tmp_path / ".hypothesis")
    yield
    set_hypothesis_home_dir(None)


def document_base_url(document: dict[str, Any], served: Serving) -> str:
    """The document's first server URL, on the host and port ``local serve`` bound."""
    server = urlsplit(document["servers"][0]["url"])
    bound = urlsplit(served.base_url)
    return server._replace(scheme=bound.scheme, netloc=bound.netloc).geturl().rstrip("/")


def run(schema: Any, base_url: str, auth: Callable[..., Any]) -> Tally:
    """Every operation, positive then negative examples, each sent once and judged by CHECKS."""
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import CHECKS as REGISTERED

    checks = dict(zip(CHECKS, REGISTERED.get_by_names(list(CHECKS)), strict=True))
    tally = Tally()
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
        for name, check in checks.items():
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


def test_the_api_served_locally_conforms_to_its_openapi_document(
    served: Serving, sigv4: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(OPENAPI.read_text())
    base_url = document_base_url(document, served)
    config = schemathesis.Config.from_dict(
        # a valid request is accepted (2xx); 404 (an id no onboarding has) and 409 (a key drawn
        # twice for two bodies) are answers to valid requests too; 403 is not: every one is signed
        {"checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409"]}}}
    )
    schema = schemathesis.openapi.from_path(OPENAPI, config=config)
    tally = run(schema, base_url, sigv4(ALLOWED))
    with capsys.disabled():
        print(f"\nschemathesis against {base_url} (seed {SEED}):\n{tally.report()}")
    assert urlsplit(base_url).path == urlsplit(served.base_url).path, "the document's server is not the stage"
    assert sum(tally.sent.values()) > 0
    assert tally.failed("not_a_server_error") == []
    assert tally.failed("status_code_conformance") == []
    assert tally.failed("content_type_conformance") == []
    assert tally.failed("response_schema_conformance") == []
    assert tally.failed("response_headers_conformance") == []
    assert tally.failed("positive_data_acceptance") == []
    assert tally.positive_accepted["POST /links"] > 0
