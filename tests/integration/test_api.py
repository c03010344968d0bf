"""The REST API through the real handler and the local engine (moto + stand-ins)."""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import boto3
import pytest

from repolink.models.api import MAX_BODY_BYTES
from repolink_local.engine import LocalEngine
from repolink_local.iam import AccessDenied
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.integration
JSON = {"Content-Type": "application/json"}
EVENTS = Path(__file__).resolve().parents[2] / "events"


#: the other team's account, admitted by the deployment's AllowedAccountIds
OTHER_TEAM = "210987654321"


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(
        StandIns(handshake=HandshakePolicy("after", 2)),
        log_level="WARNING",
        parameters={"AllowedAccountIds": OTHER_TEAM, **SAMPLE_PARAMETERS},
    ) as running:
        yield running


def test_an_account_the_deployment_does_not_admit_gets_403_and_starts_nothing(
    engine: LocalEngine, body: str
) -> None:
    status, _, answer = engine.api("POST", "/links", body, headers=JSON, caller_account="999999999999")
    assert status == 403
    assert "execute-api:Invoke" in answer["Message"]
    assert "explicit deny in a resource-based policy" in answer["Message"]
    assert engine.executions() == []


def test_an_event_from_an_account_the_bus_does_not_admit_is_refused_and_starts_nothing(
    engine: LocalEngine, sample_event: Any
) -> None:
    with pytest.raises(AccessDenied, match="events:PutEvents"):
        engine.put_event({"request": sample_event("onboarding.json")}, account="999999999999")
    assert engine.executions() == []


def for_another_team(request: dict[str, Any]) -> dict[str, Any]:
    """The sample as another account sends it: without gitSync (Git sync runs in the deployment's
    account, and IAM passes only that account's roles; a caller names a role of its own account)."""
    return {k: v for k, v in request.items() if k != "gitSync"}


@pytest.fixture
def body(sample_event: Any) -> str:
    return json.dumps(sample_event("onboarding.json"))


def status_path(accepted: dict[str, Any]) -> str:
    """The path a client GETs: ``statusUrl`` resolved against the POST's path, as a browser would."""
    return urljoin("/links", accepted["statusUrl"])


def follow(
    engine: LocalEngine, status_url: str, *, pending: bool = False, deadline: float = 30.0
) -> dict[str, Any]:
    """Poll GET until the onboarding ends (or, with ``pending``, until the handshake is pending).

    ``status_url`` is the POST's ``statusUrl``, resolved against ``/links``. Always ends: on the
    awaited state, on a terminal state, or on a real-time deadline.
    """
    give_up = time.monotonic() + deadline
    while True:
        code, _, status = engine.api("GET", urljoin("/links", status_url))
        assert code == 200
        waiting = pending and status["connectionStatus"] == "PENDING"
        if waiting or status["status"] != "running" or time.monotonic() > give_up:
            return status
        time.sleep(0.01)


def test_post_answers_202_and_get_follows_to_completion(engine: LocalEngine, body: str) -> None:
    code, headers, accepted = engine.api("POST", "/links", body, headers=JSON)
    assert code == 202
    assert headers["Location"] == accepted["statusUrl"]
    assert accepted["statusUrl"] == f"links/{accepted['requestId']}"
    status = follow(engine, accepted["statusUrl"])
    assert status["status"] == "succeeded" and status["connectionStatus"] == "AVAILABLE"
    assert sorted(r["type"] for r in status["resources"]) == [
        "codeartifact:domain",
        "codeartifact:repository",
        "codeartifact:repository",
        "codeconnections:connection",
        "codeconnections:repository-link",
    ]
    assert status["consoleUrl"] is None and status["error"] is None


def test_get_shows_the_console_link_while_the_handshake_is_pending(sample_event: Any) -> None:
    request = sample_event("onboarding.json") | {"handshakeTimeoutHours": 1}
    never = StandIns(handshake=HandshakePolicy("never"))
    with LocalEngine(never, log_level="WARNING", parameters=SAMPLE_PARAMETERS) as engine:
        _, _, accepted = engine.api("POST", "/links", json.dumps(request), headers=JSON)
        pending = follow(engine, accepted["statusUrl"], pending=True)
        final = follow(engine, accepted["statusUrl"])
    assert pending["status"] == "running" and pending["connectionStatus"] == "PENDING"
    assert "codesuite/settings" in pending["consoleUrl"]  # the link a person needs, while it is needed
    assert final["status"] == "failed" and final["error"] == "HandshakeTimedOut"
    assert "codeconnections:connection" not in {r["type"] for r in final["resources"]}  # cleaned up


def test_duplicates_get_the_same_execution(engine: LocalEngine, body: str) -> None:
    first = engine.api("POST", "/links", body, headers=JSON)
    again = engine.api("POST", "/links", body, headers=JSON)
    reordered = engine.api(
        "POST", "/links", json.dumps(json.loads(body), indent=4, sort_keys=True), headers=JSON
    )
    assert first[0] == again[0] == reordered[0] == 202
    assert first[2]["requestId"] == again[2]["requestId"] == reordered[2]["requestId"]
    assert len(engine.executions()) == 1


def test_an_idempotency_key_is_scoped_to_the_caller_and_bound_to_its_body(
    engine: LocalEngine, body: str
) -> None:
    keyed = {**JSON, "Idempotency-Key": "deploy-42"}
    first = engine.api("POST", "/links", body, headers=keyed)
    retry = engine.api("POST", "/links", body, headers=keyed)
    assert first[0] == retry[0] == 202 and first[2]["requestId"] == retry[2]["requestId"]
    other = json.loads(body)
    other["codeartifact"]["domain"] = "other"
    code, _, conflict = engine.api("POST", "/links", json.dumps(other), headers=keyed)
    assert code == 409 and "Idempotency-Key" in conflict["message"]
    theirs = for_another_team(json.loads(body))
    theirs["connection"]["name"] = "other-team-github"  # the first team's connection is not theirs to reuse
    elsewhere = engine.api("POST", "/links", json.dumps(theirs), headers=keyed, caller_account=OTHER_TEAM)
    assert elsewhere[0] == 202 and elsewhere[2]["requestId"] != first[2]["requestId"]
    assert len(engine.executions()) == 2


@pytest.mark.parametrize(
    ("body", "headers", "code", "field"),
    [
        ("{", JSON, 400, "(root)"),
        ('{"codeartifact": {"domain": "BAD"}}', JSON, 422, "codeartifact.domain"),
        ("{}", JSON, 422, "(root)"),
        ("[]", JSON, 422, "(root)"),
        # a JSON string holding a request is a string: the body is parsed once, never twice
        (json.dumps(json.dumps({"codeartifact": {"domain": "acme"}})), JSON, 422, "(root)"),
        ("{}", {"Content-Type": "text/plain"}, 415, None),
        ("{}", {}, 415, None),
        ("{}", {**JSON, "Idempotency-Key": "not valid!"}, 400, "Idempotency-Key"),
        ('{"x": "' + "a" * MAX_BODY_BYTES + '"}', JSON, 413, "(root)"),
    ],
)
def test_bad_input_is_a_clear_4xx_and_starts_nothing(
    engine: LocalEngine, body: str, headers: dict[str, str], code: int, field: str | None
) -> None:
    status, _, error = engine.api("POST", "/links", body, headers=headers)
    assert status == code and error["message"]
    if field is not None:
        assert field in {e["field"] for e in error["errors"]}
    assert engine.executions() == []


def _sample_text(**changes: object) -> str:
    request = json.loads((EVENTS / "onboarding.json").read_text())
    return json.dumps(request | changes)


GOV_ARN = (
    "arn:aws-us-gov:codeconnections:us-east-1:123456789012:connection/0c1d2e3f-aaaa-bbbb-cccc-123456789012"
)
KMS_EU = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("body", "headers", "code", "field"),
    [
        # not plain, unambiguous JSON: 400, naming where
        ("[" * 10_000, JSON, 400, "(root)"),
        ('{"connection":' * 200 + "{}" + "}" * 200, JSON, 400, "connection" + ".connection" * 15),
        ('{"cleanupOnTimeout": false, ' + _sample_text()[1:], JSON, 400, "cleanupOnTimeout"),
        (_sample_text(handshakeTimeoutHours=float("nan")), JSON, 400, "handshakeTimeoutHours"),
        (
            _sample_text().replace('"handshakeTimeoutHours": 72', '"handshakeTimeoutHours": -Infinity'),
            JSON,
            400,
            "handshakeTimeoutHours",
        ),
        # the contract and the deployment's bounds: 422, naming the field
        (
            '{"connection": {"name": "gh", "provider": "GitHub"}, "handshake_timeout_hours": 5}',
            JSON,
            422,
            "handshake_timeout_hours",
        ),
        (json.dumps({"connection": {"arn": GOV_ARN}}), JSON, 422, "connection.arn"),
        (
            json.dumps({"connection": {"name": "acme-\u202ebuhtig", "provider": "GitHub"}}),
            JSON,
            422,
            "connection.name",
        ),
        ('{"connection": {"name": "acme-\\ud800", "provider": "GitHub"}}', JSON, 422, "connection.name"),
        (
            json.dumps(
                {
                    "connection": {
                        "name": "gh",
                        "provider": "GitHubEnterpriseServer",
                        "hostArn": ("arn:aws:codeconnections:us-east-1:123456789012:host/ghes-0a1b2c3d"),
                        "service": "codestar-connections",
                    }
                }
            ),
            JSON,
            422,
            "connection.hostArn",
        ),
        (
            json.dumps(
                {
                    "codeartifact": {
                        "domain": "acme",
                        "repositories": [
                            {"name": "store", "externalConnection": "public:pypi"},
                            {"name": "team", "upstreams": ["store"], "externalConnection": "public:npmjs"},
                        ],
                    }
                }
            ),
            JSON,
            422,
            "codeartifact.repositories[1].externalConnection",
        ),
        (
            json.dumps(
                {
                    "codeartifact": {
                        "domain": "acme",
                        "createDomain": True,
                        "encryptionKey": KMS_EU,
                        "repositories": [{"name": "store"}],
                    }
                }
            ),
            JSON,
            422,
            "codeartifact.encryptionKey",
        ),
        # one header, two values: the gate and the handler would each have their own
        (
            _sample_text(),
            {**JSON, "Idempotency-Key": "deploy-1", "idempotency-key": "deploy-2"},
            400,
            "Idempotency-Key",
        ),
        (
            _sample_text(),
            {"Content-Type": "application/json", "content-type": "text/plain"},
            400,
            "Content-Type",
        ),
    ],
    ids=[
        "10KB-of-[",
        "200-nested-objects",
        "repeated-key",
        "NaN",
        "-Infinity",
        "snake_case",
        "aws-us-gov-arn",
        "bidi-name",
        "lone-surrogate-name",
        "host-of-the-other-service",
        "upstreams-and-external-connection",
        "key-in-another-region",
        "two-idempotency-keys",
        "two-content-types",
    ],
)
def test_input_aws_would_reject_is_refused_up_front_and_starts_nothing(
    engine: LocalEngine, body: str, headers: dict[str, str], code: int, field: str
) -> None:
    status, _, error = engine.api("POST", "/links", body, headers=headers)
    assert (status, [e["field"] for e in error["errors"]]) == (code, [field]), error
    header = field in ("Idempotency-Key", "Content-Type")
    assert error["message"].startswith("malformed JSON") == (code == 400 and not header)
    assert engine.executions() == []


def _post_raw(engine: LocalEngine, event: dict[str, Any]) -> tuple[int, Any]:
    function = next(n for n, f in engine.functions.items() if f.handler == "repolink.handlers.api.handler")
    response = engine.invoke(function, event)
    return int(response["statusCode"]), json.loads(response["body"])


def test_one_idempotency_key_counts_whatever_its_case_and_however_often_it_is_repeated(
    engine: LocalEngine, body: str
) -> None:
    from repolink_local.apigw import proxy_event

    spelled = [
        {**JSON, "Idempotency-Key": "deploy-42"},
        {**JSON, "idempotency-key": "deploy-42"},
        {**JSON, "Idempotency-Key": "deploy-42", "IDEMPOTENCY-KEY": "deploy-42"},
    ]
    answers = [engine.api("POST", "/links", body, headers=headers) for headers in spelled]
    # the same header sent twice: API Gateway keeps the last in headers, both in multiValueHeaders
    twice = proxy_event("POST", "/links", body, {**JSON, "Idempotency-Key": "deploy-42"}, engine.account)
    twice["multiValueHeaders"]["Idempotency-Key"] = ["deploy-42", "deploy-42"]
    repeated = _post_raw(engine, twice)
    unkeyed = engine.api("POST", "/links", body, headers=JSON)

    assert [a[0] for a in answers] + [repeated[0]] == [202] * 4
    assert len({a[2]["requestId"] for a in answers} | {repeated[1]["requestId"]}) == 1
    assert unkeyed[2]["requestId"] != answers[0][2]["requestId"]  # the key was used, not dropped
    assert len(engine.executions()) == 2


def test_an_idempotency_key_sent_twice_with_two_values_is_400_and_starts_nothing(
    engine: LocalEngine, body: str
) -> None:
    from repolink_local.apigw import proxy_event

    event = proxy_event("POST", "/links", body, {**JSON, "Idempotency-Key": "deploy-2"}, engine.account)
    event["multiValueHeaders"]["Idempotency-Key"] = ["deploy-1", "deploy-2"]

    status, error = _post_raw(engine, event)

    assert status == 400 and [e["field"] for e in error["errors"]] == ["Idempotency-Key"]
    assert engine.executions() == []


@pytest.mark.parametrize(
    ("request_", "field", "malformed"),
    [
        # what the API answers 400: RepositoryLinkRejected, its reason saying the JSON is at fault
        (json.loads('{"connection":' * 40 + "{}" + "}" * 40), "detail.request" + ".connection" * 16, True),
        (
            {"connection": {"name": "gh", "provider": "GitHub"}, "handshakeTimeoutHours": float("nan")},
            "detail.request.handshakeTimeoutHours",
            True,
        ),
        # what the API answers 422
        (
            {"connection": {"name": "gh", "provider": "GitHub"}, "handshake_timeout_hours": 5},
            "detail.request.handshake_timeout_hours",
            False,
        ),
        ({"connection": {"arn": GOV_ARN}}, "detail.request.connection.arn", False),
        (
            {"connection": {"name": "acme\u200bgithub", "provider": "GitHub"}},
            "detail.request.connection.name",
            False,
        ),
        # the request as JSON text: a string, not a request (the schema says an object)
        (
            json.dumps({"codeartifact": {"domain": "acme", "repositories": [{"name": "team"}]}}),
            "detail.request",
            False,
        ),
        ({"padding": "x" * MAX_BODY_BYTES}, "detail.request", False),
    ],
    ids=["nested-40-deep", "NaN", "snake_case", "aws-us-gov-arn", "zero-width-name", "json-text", "oversize"],
)
def test_the_event_path_rejects_the_same_input_naming_the_field(
    engine: LocalEngine, request_: Any, field: str, malformed: bool
) -> None:
    answer = engine.put_event({"request": request_}, account=OTHER_TEAM)

    assert answer["status"] == "rejected"
    (rejected,) = [
        e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
    ]
    assert [e["field"] for e in rejected["errors"]] == [field]
    assert rejected["reason"].startswith("malformed JSON") == malformed, rejected["reason"]
    assert engine.executions() == []


@pytest.mark.parametrize("path", ["/links/rl-" + "0" * 40, "/links/unknown", "/nowhere"])
def test_unknown_ids_and_routes_are_404(engine: LocalEngine, path: str) -> None:
    assert engine.api("GET", path)[0] == 404


def test_fifty_concurrent_duplicates_start_one_execution(engine: LocalEngine, body: str) -> None:
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: engine.api("POST", "/links", body, headers=JSON), range(50)))
    assert {code for code, _, _ in answers} == {202}
    assert len({answer["requestId"] for _, _, answer in answers}) == 1
    assert len(engine.executions()) == 1


def test_fifty_truly_concurrent_starts_race_to_one_execution(engine: LocalEngine, sample_event: Any) -> None:
    # Given 50 execution environments starting the same request at the same moment
    from repolink.models.settings import get_entry_settings
    from repolink.models.validation import validate_request
    from repolink.workflow.idempotency import command_for
    from repolink.workflow.start import start_once
    from repolink_local.engine import FakeLambdaContext

    command = command_for(validate_request(sample_event("onboarding.json")), idempotency_key=None, caller="1")
    barrier = threading.Barrier(10)

    def start(_: int) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)
        started = start_once(command, get_entry_settings(), FakeLambdaContext("ApiFunction", 256, 29))
        return str(started["executionArn"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(start, range(50)))
    # Then there is one execution, and every start (those that found the record in progress too)
    # names it: none is told of an execution that does not exist
    assert len(engine.executions()) == 1
    assert set(outcomes) == {engine.executions()[0]["executionArn"]}


def test_redelivered_events_start_nothing_new(engine: LocalEngine, sample_event: Any) -> None:
    detail = {"request": for_another_team(sample_event("onboarding.json")), "idempotencyKey": "ticket-7"}
    first = engine.put_event(detail, account=OTHER_TEAM, event_id="evt-1")
    for _ in range(3):
        again = engine.put_event(detail, account=OTHER_TEAM, event_id="evt-1")
        assert again["requestId"] == first["requestId"]
    assert first["status"] == "accepted" and len(engine.executions()) == 1


def test_invalid_events_are_rejected_loudly_and_start_nothing(engine: LocalEngine) -> None:
    outcomes = [
        engine.put_event({"request": {"connection": {"name": "x"}}}),
        engine.put_event({"request": {}, "extra": 1}),
        engine.put_event({"idempotencyKey": "bad key!", "request": {}}),
    ]
    assert [o["status"] for o in outcomes] == ["rejected"] * 3
    rejected = [e for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"]
    assert len(rejected) == 3
    assert rejected[0]["detail"]["errors"][0]["field"] == "detail.request.connection.provider"
    assert engine.executions() == []


def test_a_request_reaching_into_another_account_is_422_and_starts_nothing(
    engine: LocalEngine, sample_event: Any
) -> None:
    request = sample_event("onboarding.json")
    request["codeartifact"]["domainOwner"] = "999999999999"
    status, _, error = engine.api("POST", "/links", json.dumps(request), headers=JSON)
    assert status == 422
    assert {e["field"] for e in error["errors"]} == {"codeartifact.domainOwner"}
    assert engine.executions() == []


def test_an_event_adopting_another_accounts_connection_is_rejected_and_starts_nothing(
    engine: LocalEngine,
) -> None:
    foreign = "arn:aws:codeconnections:us-east-1:999999999999:connection/0c1d2e3f-aaaa-bbbb-cccc-123456789012"
    answer = engine.put_event({"request": {"connection": {"arn": foreign}}}, account=OTHER_TEAM)
    assert answer["status"] == "rejected"
    (rejected,) = [
        e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
    ]
    assert [e["field"] for e in rejected["errors"]] == ["detail.request.connection.arn"]
    assert engine.executions() == []


# --- tenancy: each team sees and touches only its own onboardings (two caller accounts)


def _post(engine: LocalEngine, request: dict[str, Any], caller: str) -> tuple[int, Any]:
    code, _, answer = engine.api("POST", "/links", json.dumps(request), headers=JSON, caller_account=caller)
    return code, answer


def test_identical_keyless_requests_from_two_teams_are_two_onboardings(
    engine: LocalEngine, sample_event: Any
) -> None:
    request = sample_event("onboarding.json")
    request.pop("connection"), request.pop("gitSync")
    ours, theirs = _post(engine, request, "123456789012"), _post(engine, request, OTHER_TEAM)
    assert ours[0] == theirs[0] == 202
    assert ours[1]["requestId"] != theirs[1]["requestId"]
    assert len(engine.executions()) == 2


def test_another_team_gets_404_for_an_onboarding_that_is_not_theirs_and_operators_see_all(
    engine: LocalEngine, sample_event: Any
) -> None:
    request = sample_event("onboarding.json")
    request["connection"]["name"] = "team-b-github"
    request.pop("gitSync")
    request["codeartifact"]["domainOwner"] = OTHER_TEAM
    request["codeartifact"]["createDomain"] = False
    code, accepted = _post(engine, request, OTHER_TEAM)
    assert code == 202
    mine = engine.api("GET", status_path(accepted), caller_account=OTHER_TEAM)
    stranger = engine.api("GET", status_path(accepted), caller_account="333333333333")
    operator = engine.api("GET", status_path(accepted))  # the deployment's own account
    assert mine[0] == 200
    assert operator[0] == 200
    assert stranger[0] == 403  # not even admitted by the API's resource policy


def _domain_request(owner: str) -> dict[str, Any]:
    return {
        "codeartifact": {"domain": "team-domain", "domainOwner": owner, "repositories": [{"name": "repo"}]}
    }


def test_an_admitted_team_cannot_read_another_admitted_teams_onboarding() -> None:
    teams = {"AllowedAccountIds": f"{OTHER_TEAM},333333333333"}
    with LocalEngine(StandIns(), log_level="WARNING", parameters=teams) as engine:
        code, accepted = _post(engine, _domain_request(OTHER_TEAM), OTHER_TEAM)
        assert code == 202
        seen = engine.api("GET", status_path(accepted), caller_account="333333333333")
        assert seen[0] == 404
        assert seen[2]["message"] == f"no onboarding {accepted['requestId']}"
        # an onboarding asked for by event belongs to the envelope's account, not to the body
        event = engine.put_event({"request": _domain_request(OTHER_TEAM)}, account=OTHER_TEAM)
        assert event["status"] == "accepted"
        by_event = f"/links/{event['requestId']}"
        assert engine.api("GET", by_event, caller_account=OTHER_TEAM)[0] == 200
        assert engine.api("GET", by_event, caller_account="333333333333")[0] == 404
        assert engine.api("GET", by_event)[0] == 200  # operators


def test_a_team_reaches_only_its_own_account_and_the_deployments(engine: LocalEngine) -> None:
    assert _post(engine, _domain_request(OTHER_TEAM), OTHER_TEAM)[0] == 202
    assert _post(engine, _domain_request("123456789012"), OTHER_TEAM)[0] == 202
    # not another team's, not even from the deployment's own account
    code, answer = _post(engine, _domain_request(OTHER_TEAM), "123456789012")
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["codeartifact.domainOwner"]
    keyed = _domain_request(OTHER_TEAM)
    keyed["codeartifact"]["encryptionKey"] = (
        "arn:aws:kms:us-east-1:444444444444:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    code, answer = _post(engine, keyed, OTHER_TEAM)
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["codeartifact.encryptionKey"]


def test_account_delegations_let_a_caller_reach_more_accounts() -> None:
    parameters = {
        "AllowedAccountIds": f"{OTHER_TEAM},444444444444",
        "AccountDelegations": f"{OTHER_TEAM}:444444444444",
    }
    with LocalEngine(StandIns(), log_level="WARNING", parameters=parameters) as engine:
        assert _post(engine, _domain_request("444444444444"), OTHER_TEAM)[0] == 202
        # the delegation is the caller's: another caller (the deployment's account here) has none
        assert _post(engine, _domain_request("444444444444"), "123456789012")[0] == 422


def test_a_team_may_not_reuse_another_teams_connection_by_name_or_arn(
    engine: LocalEngine, sample_event: Any
) -> None:
    request = sample_event("onboarding.json")
    request.pop("gitSync"), request.pop("codeartifact")
    _, accepted = _post(engine, request, "123456789012")
    engine.wait(accepted["executionArn"])
    (arn,) = [c.arn for c in engine.standins.connections.list()]
    by_name = _post(engine, request, OTHER_TEAM)
    by_arn = _post(engine, {"connection": {"arn": arn}}, OTHER_TEAM)
    assert by_name[0] == by_arn[0] == 422
    assert [e["field"] for e in by_name[1]["errors"]] == ["connection.name"]
    assert [e["field"] for e in by_arn[1]["errors"]] == ["connection.arn"]
    for _, answer in (by_name, by_arn):
        assert arn not in json.dumps(answer)
        assert "AVAILABLE" not in json.dumps(answer)
    assert len(engine.executions()) == 1  # nothing started, nothing created
    event = engine.put_event({"request": {"connection": {"arn": arn}}}, account=OTHER_TEAM)
    assert event["status"] == "rejected"
    rejected = [e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"]
    assert [e["field"] for e in rejected[-1]["errors"]] == ["detail.request.connection.arn"]


def test_a_team_may_not_take_another_teams_host_by_name_nor_ours_with_another_endpoint(
    engine: LocalEngine, sample_event: Any
) -> None:
    # Given this account onboarded with a host (the engine's person sets it up)
    request = sample_event("onboarding-host.json")
    request.pop("gitSync")
    _, accepted = _post(engine, request, "123456789012")
    assert engine.wait(accepted["executionArn"]).status == "SUCCEEDED"
    (host,) = engine.standins.connections.hosts.values()
    # When another team describes a host of that name, by the API and by event
    theirs = copy.deepcopy(request)
    theirs["connection"]["name"] = "team-b-ghes"
    code, answer = _post(engine, theirs, OTHER_TEAM)
    # Then 422 names connection.host.name, and never says whose the host is
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["connection.host.name"]
    assert host.arn not in json.dumps(answer)
    event = engine.put_event({"request": theirs}, account=OTHER_TEAM)
    assert event["status"] == "rejected"
    rejected = [e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"]
    assert [e["field"] for e in rejected[-1]["errors"]] == ["detail.request.connection.host.name"]
    # and this account's own request for that host at another endpoint names the endpoint
    moved = copy.deepcopy(request)
    moved["connection"]["host"]["providerEndpoint"] = "https://git.example.com"
    code, answer = _post(engine, moved, "123456789012")
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["connection.host.providerEndpoint"]
    assert "https://ghe.example.com" in answer["errors"][0]["message"]
    assert len(engine.executions()) == 1  # nothing else started, nothing created
    assert len(engine.standins.connections.hosts) == 1


def test_a_shared_connection_may_be_reused_by_every_admitted_team(sample_event: Any) -> None:
    request = sample_event("onboarding.json")
    request.pop("gitSync"), request.pop("codeartifact")
    with LocalEngine(
        StandIns(), log_level="WARNING", parameters={"AllowedAccountIds": OTHER_TEAM, **SAMPLE_PARAMETERS}
    ) as first:
        code, accepted = _post(first, request, "123456789012")
        first.wait(accepted["executionArn"])
        (arn,) = [c.arn for c in first.standins.connections.list()]
    # the same world, deployed with that connection shared
    standins = first.standins
    shared = {"AllowedAccountIds": OTHER_TEAM, "SharedConnectionArns": arn, **SAMPLE_PARAMETERS}
    with LocalEngine(standins, log_level="WARNING", parameters=shared) as engine:
        code, accepted = _post(engine, {"connection": {"arn": arn}}, OTHER_TEAM)
        assert code == 202
        assert engine.wait(accepted["executionArn"]).status == "SUCCEEDED"


def test_the_event_path_applies_the_same_tenancy_rules(engine: LocalEngine, sample_event: Any) -> None:
    # identical keyless events from two teams: two onboardings
    request = {"codeartifact": {"domain": "shared-domain", "repositories": [{"name": "repo"}]}}
    ours = engine.put_event({"request": request}, account="123456789012")
    theirs = engine.put_event({"request": request}, account=OTHER_TEAM)
    assert ours["status"] == theirs["status"] == "accepted"
    assert ours["requestId"] != theirs["requestId"]
    # a team may not reach into an account that is neither its own nor the deployment's
    foreign = {
        "codeartifact": {
            "domain": "d-domain",
            "domainOwner": "444444444444",
            "repositories": [{"name": "repo"}],
        }
    }
    assert engine.put_event({"request": foreign}, account=OTHER_TEAM)["status"] == "rejected"
    rejected = [e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"]
    assert [e["field"] for e in rejected[-1]["errors"]] == ["detail.request.codeartifact.domainOwner"]
    assert rejected[-1]["sourceAccount"] == OTHER_TEAM


def _lose_first(engine: LocalEngine, operation: str) -> None:
    engine.standins.faults = [FaultRule("LostResponse", operation, 1.0, times=1)]


def test_a_lost_idempotency_put_still_starts_the_execution_it_answers_with(
    engine: LocalEngine, body: str
) -> None:
    # Given the idempotency record's PutItem takes effect and its answer is lost: the SDK's retry
    # finds the record in progress (this very call's)
    _lose_first(engine, "dynamodb:PutItem")
    code, _, accepted = engine.api("POST", "/links", body, headers=JSON)
    assert engine.standins.faults_injected == {"dynamodb:PutItem:LostResponse": 1}
    # Then the 202 names an execution that exists: it was started by name
    assert code == 202
    assert [e["executionArn"] for e in engine.executions()] == [accepted["executionArn"]]
    # and a duplicate lands on it
    assert engine.api("POST", "/links", body, headers=JSON)[2] == accepted
    assert len(engine.executions()) == 1


def test_a_lost_idempotency_put_on_the_event_path_still_starts_the_execution(
    engine: LocalEngine, sample_event: Any
) -> None:
    _lose_first(engine, "dynamodb:PutItem")
    request = for_another_team(sample_event("onboarding.json"))
    accepted = engine.put_event({"request": request}, account=OTHER_TEAM)
    assert engine.standins.faults_injected == {"dynamodb:PutItem:LostResponse": 1}
    assert accepted["status"] == "accepted"
    assert [e["name"] for e in engine.executions()] == [accepted["requestId"]]


def test_a_lost_answer_to_deleting_the_idempotency_record_leaves_no_record(
    engine: LocalEngine, sample_event: Any
) -> None:
    # Given a key whose record has expired while its execution holds another request
    keyed = {**JSON, "Idempotency-Key": "ticket-9"}
    assert engine.api("POST", "/links", json.dumps(sample_event("onboarding.json")), headers=keyed)[0] == 202
    dynamodb = boto3.client("dynamodb")
    [table] = [name for name in dynamodb.list_tables()["TableNames"] if "Idempotency" in name]
    for item in dynamodb.scan(TableName=table)["Items"]:
        dynamodb.delete_item(TableName=table, Key={"id": item["id"]})
    # When the key comes with another request, starting fails, and Powertools deletes the record
    # it wrote: that DeleteItem takes effect and its answer is lost
    _lose_first(engine, "dynamodb:DeleteItem")
    other = sample_event("onboarding.json") | {"handshakeTimeoutHours": 1}
    code, _, _ = engine.api("POST", "/links", json.dumps(other), headers=keyed)
    # Then the request is refused as a reused key, and no record is left to answer for it
    assert engine.standins.faults_injected == {"dynamodb:DeleteItem:LostResponse": 1}
    assert code == 409
    assert dynamodb.scan(TableName=table)["Items"] == []
    assert len(engine.executions()) == 1
