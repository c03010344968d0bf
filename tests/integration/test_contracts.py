"""Published contracts match the code, and what the code emits matches them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft4Validator

from repolink_local.contracts import OPENAPI, SCHEMAS, main
from repolink_local.engine import LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import ACCOUNT_ID, REGION, TEMPLATE, LocalTemplate

pytestmark = pytest.mark.integration


def test_committed_openapi_schemas_and_registry_match_the_code() -> None:
    assert main(["--check"]) == 0, "run: .venv/bin/python -m repolink_local.contracts"
    document = json.loads(OPENAPI.read_text())
    assert set(document["paths"]) == {"/links", "/links/{request_id}"}
    assert {"202", "400", "409", "413", "415", "422"} <= set(document["paths"]["/links"]["post"]["responses"])


def validator(detail_type: str) -> Draft4Validator:
    schema = json.loads((SCHEMAS / f"{detail_type}.json").read_text())
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema)


@pytest.mark.parametrize(
    ("handshake", "faults"),
    [
        (HandshakePolicy("after", 1), []),
        (HandshakePolicy("error"), []),
        (HandshakePolicy("after", 1), [FaultRule("AccessDeniedException", "proton:CreateRepository", 1.0)]),
    ],
)
def test_every_emitted_event_validates_against_its_schema(
    sample_event: Any, handshake: HandshakePolicy, faults: list
) -> None:
    with LocalEngine(StandIns(handshake=handshake, faults=faults), log_level="CRITICAL") as engine:
        engine.put_event({"request": sample_event("onboarding.json")})
        engine.put_event({"request": {"connection": {}}})  # rejected
        engine.wait(engine.executions()[0]["executionArn"])
        events = engine.emitted_events()
    kinds = {e["detail-type"] for e in events}
    assert "RepositoryLinkRejected" in kinds and kinds & {"RepositoryLinkCompleted", "RepositoryLinkFailed"}
    for event in events:
        errors = sorted(validator(event["detail-type"]).iter_errors(event), key=str)
        assert not errors, (event["detail-type"], [e.message for e in errors])


def test_the_sample_request_event_validates_against_the_requested_schema(sample_event: Any) -> None:
    event = sample_event("eventbridge_link_requested.json")
    assert not list(validator("RepositoryLinkRequested").iter_errors(event))


def test_template_registers_every_schema_in_the_registry() -> None:
    resources = LocalTemplate(TEMPLATE, ACCOUNT_ID, REGION).resources_of_type("AWS::EventSchemas::Schema")
    registered = {
        r["Properties"]["SchemaName"]["Fn::Sub"].split("@")[1]: r["Properties"]["Content"]
        for r in resources.values()
    }
    assert set(registered) == {p.stem for p in SCHEMAS.glob("*.json")}
    for name, content in registered.items():
        assert json.loads(content) == json.loads((SCHEMAS / f"{name}.json").read_text())
