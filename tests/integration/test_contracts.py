"""Published contracts match the code, and what the code emits matches them.

One JSON Schema draft throughout (draft-04), written in the keywords draft-04 and 2020-12 read
alike; the OpenAPI document says every answer, API Gateway's own included.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, Draft202012Validator
from openapi_spec_validator import validate as validate_openapi

from repolink.models import events as event_names
from repolink_local.contracts import DRAFT4, OPENAPI, SCHEMAS, dialect_problems, main
from repolink_local.engine import LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import ACCOUNT_ID, REGION, SAMPLE_PARAMETERS, TEMPLATE, LocalTemplate

pytestmark = pytest.mark.integration


def test_committed_openapi_schemas_and_registry_match_the_code() -> None:
    assert main(["--check"]) == 0, "run: .venv/bin/python -m repolink_local.contracts"
    document = json.loads(OPENAPI.read_text())
    assert set(document["paths"]) == {"/links", "/links/{request_id}", "/links/{request_id}/recheck"}
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
        # a stack that fails: RepositoryLinkFailed with gitSyncRepositories and their failures
        (
            HandshakePolicy("after", 1),
            [FaultRule("AccessDeniedException", "codeconnections:CreateSyncConfiguration", 1.0)],
        ),
    ],
)
def test_every_emitted_event_validates_against_its_schema(
    sample_event: Any, handshake: HandshakePolicy, faults: list
) -> None:
    standins = StandIns(handshake=handshake, faults=faults)
    with LocalEngine(standins, log_level="CRITICAL", parameters=SAMPLE_PARAMETERS) as engine:
        engine.put_event({"request": sample_event("onboarding.json")})
        engine.put_event({"request": {"connection": {}}})  # rejected
        engine.wait(engine.executions()[0]["executionArn"])
        events = engine.emitted_events()
    kinds = {e["detail-type"] for e in events}
    assert "RepositoryLinkRejected" in kinds and kinds & {"RepositoryLinkCompleted", "RepositoryLinkFailed"}
    if faults:
        (failed,) = [e["detail"] for e in events if e["detail-type"] == "RepositoryLinkFailed"]
        assert failed["gitSyncRepositories"][0]["failures"][0]["error"] == "AwsAccessDenied"
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


def test_the_handlers_import_no_pydantic_the_schemas_build_it_lazily() -> None:
    """The rule markers and each model's Rules carry their JSON Schema without importing pydantic."""
    script = (
        "import importlib, pkgutil, sys, repolink.handlers as handlers\n"
        "for found in pkgutil.iter_modules(handlers.__path__):\n"
        "    importlib.import_module(f'repolink.handlers.{found.name}')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('pydantic', 'pydantic_core')))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout

    assert loaded.strip() == "[]"


# --- One draft, read alike by draft-04 and 2020-12

EVENT_SCHEMAS = {path.stem: json.loads(path.read_text()) for path in sorted(SCHEMAS.glob("*.json"))}
DOCUMENT = json.loads(OPENAPI.read_text())
COMPONENTS = DOCUMENT["components"]["schemas"]


def component(name: str) -> dict[str, Any]:
    """An OpenAPI component as a standalone draft-04 schema (its refs resolve in the document)."""
    return {
        "$schema": DRAFT4,
        "allOf": [{"$ref": f"#/components/schemas/{name}"}],
        "components": {"schemas": COMPONENTS},
    }


@pytest.mark.parametrize("name", EVENT_SCHEMAS)
def test_every_event_schema_declares_draft04(name: str) -> None:
    assert EVENT_SCHEMAS[name]["$schema"] == DRAFT4


@pytest.mark.parametrize("name", EVENT_SCHEMAS)
def test_every_event_schema_uses_only_keywords_both_drafts_read_alike(name: str) -> None:
    assert dialect_problems(EVENT_SCHEMAS[name]) == []


def test_every_openapi_component_uses_only_keywords_both_drafts_read_alike() -> None:
    assert dialect_problems({"definitions": COMPONENTS}) == []


def test_the_api_and_the_event_publish_one_request_contract() -> None:
    names = ["OnboardingRequest", "ConnectionSpec", "ProtonSpec", "ProtonRepositorySpec"]
    names += ["CodeArtifactSpec", "CodeArtifactRepositorySpec"]
    in_openapi = json.loads(
        json.dumps({n: COMPONENTS[n] for n in names}).replace("#/components/schemas/", "#/definitions/")
    )

    assert in_openapi == {n: EVENT_SCHEMAS["RepositoryLinkRequested"]["definitions"][n] for n in names}


def test_the_openapi_document_declares_the_draft04_dialect() -> None:
    assert DOCUMENT["jsonSchemaDialect"] == DRAFT4


def test_the_openapi_document_passes_openapi_spec_validator() -> None:
    validate_openapi(DOCUMENT)  # raises on an invalid document


def test_a_completed_event_with_status_failed_is_refused(emitted: dict[str, dict[str, Any]]) -> None:
    """draft-04 has no ``const``: the schema says ``enum: ["succeeded"]``, which draft-04 applies."""
    event = copy.deepcopy(emitted[event_names.COMPLETED])
    event["detail"]["status"] = "failed"

    assert not validator(event_names.COMPLETED).is_valid(event)


def _as_ints(node: Any) -> Any:
    """``node`` with integral floats as ints: the one place the drafts differ (2020-12 takes 72.0
    for an integer, draft-04 does not)."""
    if isinstance(node, float) and node.is_integer():
        return int(node)
    if isinstance(node, list):
        return [_as_ints(item) for item in node]
    if isinstance(node, dict):
        return {key: _as_ints(value) for key, value in node.items()}
    return node


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        found += _places(value, (*path, key))
    return found


VALUES: list[Any] = [None, True, False, 0, 1, -1, 72, 72.0, 1.0, 1.5, "", "x", "succeeded", "failed"]
VALUES += ["PENDING", "rl-" + "0" * 40, "links/rl-" + "0" * 40, [], ["x"], [{}], {}, {"x": 1}]


@st.composite
def mutated(draw: st.DrawFn, seed: Any) -> Any:
    """``seed`` with one to three places set to another JSON value, removed, or given an extra key."""
    instance = copy.deepcopy(seed)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_places(instance)))
        if not path:
            continue
        parent = instance
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["set", "set", "set", "drop", "extra"]))
        if action == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "extra" and isinstance(parent[path[-1]], dict):
            parent[path[-1]]["unexpected"] = copy.deepcopy(draw(st.sampled_from(VALUES)))
        else:  # copies: VALUES must stay as written, and an instance must not contain itself
            parent[path[-1]] = copy.deepcopy(draw(st.sampled_from(VALUES)))
    return instance


def _seeds(emitted: dict[str, Any], answers: dict[str, Any], sample: dict[str, Any]) -> dict[str, Any]:
    """A real instance of every published schema: the schema, and what to mutate."""
    seeds: dict[str, tuple[dict[str, Any], Any]] = {
        name: (schema, emitted[name]) for name, schema in EVENT_SCHEMAS.items() if name in emitted
    }
    seeds[event_names.REQUESTED] = (EVENT_SCHEMAS[event_names.REQUESTED], sample)
    offboard = json.loads((ROOT / "events" / "eventbridge_offboard_requested.json").read_text())
    seeds[event_names.OFFBOARD_REQUESTED] = (EVENT_SCHEMAS[event_names.OFFBOARD_REQUESTED], offboard)
    recheck = json.loads((ROOT / "events" / "eventbridge_recheck_requested.json").read_text())
    seeds[event_names.RECHECK_REQUESTED] = (EVENT_SCHEMAS[event_names.RECHECK_REQUESTED], recheck)
    change = json.loads((ROOT / "events" / "eventbridge_change_requested.json").read_text())
    seeds[event_names.CHANGE_REQUESTED] = (EVENT_SCHEMAS[event_names.CHANGE_REQUESTED], change)
    for name in ("LinkAccepted", "LinkStatus", "ErrorBody", "OffboardAccepted", "LinkList"):
        seeds[f"openapi:{name}"] = (component(name), answers[name])
    seeds["openapi:OnboardingRequest"] = (component("OnboardingRequest"), sample["detail"]["request"])
    return seeds


@pytest.fixture
def seeds(emitted: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    sample = json.loads((ROOT / "events" / "eventbridge_link_requested.json").read_text())
    return _seeds(emitted, answers, sample)


SEEDED = [
    *EVENT_SCHEMAS,
    *(
        f"openapi:{n}"
        for n in (
            "LinkAccepted",
            "LinkStatus",
            "ErrorBody",
            "OnboardingRequest",
            "OffboardAccepted",
            "LinkList",
        )
    ),
]


def test_every_published_schema_has_a_seed(seeds: dict[str, Any]) -> None:
    assert set(seeds) == set(SEEDED)


@pytest.mark.parametrize("name", SEEDED)
def test_every_seed_is_valid_under_its_schema(name: str, seeds: dict[str, Any]) -> None:
    schema, seed = seeds[name]

    assert [e.message for e in Draft4Validator(schema).iter_errors(seed)] == []


@pytest.mark.parametrize("name", SEEDED)
def test_draft4_and_2020_12_reach_the_same_verdict_but_on_integral_floats(
    name: str, seeds: dict[str, Any]
) -> None:
    schema, seed = seeds[name]
    draft4, draft2020 = Draft4Validator(schema), Draft202012Validator(schema)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(mutated(seed))
    def same_verdict(instance: Any) -> None:
        assert draft2020.is_valid(instance) == draft4.is_valid(_as_ints(instance))

    same_verdict()


# --- The OpenAPI document says every answer

OPERATIONS = [(path, method) for path, item in DOCUMENT["paths"].items() for method in item]


def test_the_servers_include_the_deployed_stage_and_the_local_server() -> None:
    urls = [server["url"] for server in DOCUMENT["servers"]]

    assert urls == ["https://{restApiId}.execute-api.{region}.amazonaws.com/v1", "http://127.0.0.1:3000/v1"]


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_documented_answer_has_a_json_body_schema(path: str, method: str) -> None:
    responses = DOCUMENT["paths"][path][method]["responses"]

    assert [
        code for code, answer in responses.items() if "schema" not in answer["content"]["application/json"]
    ] == []


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_documents_api_gateways_own_403_and_429(path: str, method: str) -> None:
    responses = DOCUMENT["paths"][path][method]["responses"]

    assert {"403", "429"} <= set(responses)


@pytest.mark.parametrize(
    ("path", "method", "code", "body"),
    [
        ("/links", "post", "202", "LinkAccepted"),
        ("/links/{request_id}", "get", "200", "LinkStatus"),
        *(("/links", "post", code, "ErrorBody") for code in ("400", "409", "413", "415", "422")),
        ("/links/{request_id}", "get", "404", "ErrorBody"),
        ("/links", "post", "429", "GatewayMessage"),
        ("/links/{request_id}", "delete", "202", "OffboardAccepted"),
        ("/links/{request_id}", "delete", "200", "OffboardAccepted"),
        *(
            ("/links/{request_id}", "delete", code, "ErrorBody")
            for code in ("400", "404", "409", "413", "415", "422")
        ),
        ("/links", "get", "200", "LinkList"),
        ("/links", "get", "422", "ErrorBody"),
    ],
)
def test_each_answer_names_its_body(path: str, method: str, code: str, body: str) -> None:
    schema = DOCUMENT["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]

    assert schema == {"$ref": f"#/components/schemas/{body}"}


def test_a_403_is_either_of_api_gateways_two_spellings() -> None:
    answer = DOCUMENT["paths"]["/links"]["post"]["responses"]["403"]["content"]["application/json"]["schema"]
    both = Draft4Validator({"anyOf": answer["anyOf"], "components": DOCUMENT["components"]})

    assert [
        both.is_valid(body)
        for body in ({"message": "Forbidden"}, {"Message": "User: x is not authorized"}, {})
    ] == [
        True,
        True,
        False,
    ]


def _parameter(path: str, method: str, name: str) -> dict[str, Any]:
    (found,) = [p for p in DOCUMENT["paths"][path][method]["parameters"] if p["name"] == name]
    return found


def test_post_declares_the_idempotency_key_header_with_its_pattern() -> None:
    from repolink.models.api import IDEMPOTENCY_KEY_PATTERN

    declared = _parameter("/links", "post", "Idempotency-Key")

    assert (declared["in"], declared["schema"]["pattern"]) == ("header", IDEMPOTENCY_KEY_PATTERN)


@pytest.mark.parametrize("method", ["get", "delete"])
def test_the_request_id_path_parameter_carries_its_pattern(method: str) -> None:
    from repolink.handlers.api import REQUEST_ID

    assert _parameter("/links/{request_id}", method, "request_id")["schema"]["pattern"] == REQUEST_ID


def test_the_listing_declares_its_query_with_the_bounds_it_applies() -> None:
    from repolink.workflow.listing import LIMIT_MAX, STATES

    assert _parameter("/links", "get", "state")["schema"]["enum"] == list(STATES)
    assert _parameter("/links", "get", "limit")["schema"]["maximum"] == LIMIT_MAX


@pytest.mark.parametrize("name", ["LinkAccepted", "LinkStatus", "ErrorBody"])
def test_what_the_api_answers_validates_against_the_documented_body(
    name: str, answers: dict[str, Any]
) -> None:
    assert [e.message for e in Draft4Validator(component(name)).iter_errors(answers[name])] == []


def test_location_resolves_against_the_post_url_to_the_status_under_the_stage(
    answers: dict[str, Any],
) -> None:
    location = answers["Location"]
    request_id = answers["LinkAccepted"]["requestId"]

    assert urljoin("https://api.example/v1/links", location) == f"https://api.example/v1/links/{request_id}"


@settings(max_examples=100, deadline=None)
@given(
    request_id=st.from_regex(r"rl-[0-9a-f]{40}", fullmatch=True),
    host=st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,3}", fullmatch=True),
    stage=st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True),
)
def test_the_status_url_resolves_under_any_stage_the_post_went_to(
    request_id: str, host: str, stage: str
) -> None:
    from repolink.workflow.verbs import status_url

    resolved = urljoin(f"https://{host}/{stage}/links", status_url(request_id))

    assert resolved == f"https://{host}/{stage}/links/{request_id}"


def test_location_matches_its_documented_pattern(answers: dict[str, Any]) -> None:
    header = DOCUMENT["paths"]["/links"]["post"]["responses"]["202"]["headers"]["Location"]["schema"]

    assert Draft4Validator(header).is_valid(answers["Location"])


# --- What the engine emits and answers, once per module

JSON = {"Content-Type": "application/json"}


ROOT = Path(__file__).resolve().parents[2]
ONBOARDING = json.loads((ROOT / "events" / "onboarding.json").read_text())


_RUNS: dict[str, Any] = {}
"""What the engine emitted and answered, run once per process: plain JSON, safe to share."""


def _once(name: str, run: Any) -> Any:
    if name not in _RUNS:
        _RUNS[name] = run()
    return copy.deepcopy(_RUNS[name])


@pytest.fixture
def emitted(aws_environment: None) -> dict[str, dict[str, Any]]:
    return _once("emitted", _emit)


@pytest.fixture
def answers(aws_environment: None) -> dict[str, Any]:
    return _once("answers", _answer)


def _emit() -> dict[str, dict[str, Any]]:
    """One real event of each detail-type the code emits: a run that succeeds (after a pending
    handshake), one whose Git sync step fails, one that sets up a host first, and a rejected
    request."""
    found: dict[str, dict[str, Any]] = {}
    git_sync_fails = [FaultRule("AccessDeniedException", "codeconnections:CreateSyncConfiguration", 1.0)]
    with_host = json.loads((ROOT / "events" / "onboarding-host.json").read_text())
    # each run is then offboarded: the first removes everything; the second is denied DeleteDomain
    domain_stays = [FaultRule("AccessDeniedException", "codeartifact:DeleteDomain", 1.0)]
    for request, faults in ((ONBOARDING, []), (ONBOARDING, git_sync_fails + domain_stays), (with_host, [])):
        with LocalEngine(
            StandIns(handshake=HandshakePolicy("after", 1), faults=faults),
            log_level="CRITICAL",
            parameters=SAMPLE_PARAMETERS,
        ) as engine:
            engine.put_event({"request": request})
            engine.put_event({"request": {"connection": {}}})  # rejected
            onboarding = engine.wait(engine.executions()[0]["executionArn"])
            request_id = onboarding.execution_arn.rsplit(":", 1)[-1]
            code, _, accepted = engine.api("DELETE", f"/links/{request_id}")
            assert code == 202, accepted
            engine.wait(accepted["executionArn"])
            for event in engine.emitted_events():
                found.setdefault(event["detail-type"], event)
    return found


def _answer() -> dict[str, Any]:
    """What the API answers: 202 (and its Location), 200, and an ErrorBody (422)."""
    with LocalEngine(StandIns(), log_level="CRITICAL", parameters=SAMPLE_PARAMETERS) as engine:
        code, headers, accepted = engine.api("POST", "/links", json.dumps(ONBOARDING), headers=JSON)
        assert code == 202
        engine.wait(accepted["executionArn"])
        code, _, status = engine.api("GET", urljoin("/links", accepted["statusUrl"]))
        assert code == 200
        code, _, refused = engine.api("POST", "/links", json.dumps({"connection": {}}), headers=JSON)
        assert code == 422
        code, _, offboarding = engine.api("DELETE", urljoin("/links", accepted["statusUrl"]))
        assert code == 202
        engine.wait(offboarding["executionArn"])
        code, _, listed = engine.api("GET", "/links")
        assert code == 200
    return {
        "LinkAccepted": accepted,
        "Location": headers["Location"],
        "LinkStatus": status,
        "ErrorBody": refused,
        "OffboardAccepted": offboarding,
        "LinkList": listed,
    }
