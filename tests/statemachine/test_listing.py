"""GET /links through the local engine: the caller's own onboardings, newest first, paginated,
each state as GET /links/{id} answers it, the query's bounds, and the calls a page costs."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from helpers.engine import JSON
from repolink_local.engine import LocalEngine
from repolink_local.standins import HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

TEAM = "210987654321"
#: a second team (team B); TEAM is team A
OTHER = "222222222222"


def codeartifact_only(domain: str) -> dict[str, Any]:
    return {
        "codeartifact": {
            "domain": domain,
            "createDomain": True,
            "repositories": [{"name": "store", "externalConnection": "public:pypi"}],
        }
    }


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    standins = StandIns(handshake=HandshakePolicy("never"))
    parameters = {**SAMPLE_PARAMETERS, "AllowedAccountIds": f"{TEAM},{OTHER}"}
    with LocalEngine(standins, parameters=parameters) as running:
        yield running


def post(engine: LocalEngine, request: dict[str, Any], caller: str | None = None) -> str:
    code, _, accepted = engine.api("POST", "/links", json.dumps(request), headers=JSON, caller_account=caller)
    assert code == 202, accepted
    engine.wait(accepted["executionArn"], deadline_seconds=60)
    return str(accepted["requestId"])


def listed(engine: LocalEngine, query: str = "", caller: str | None = None) -> tuple[int, dict[str, Any]]:
    code, _, answer = engine.api("GET", f"/links{query}", caller_account=caller)
    return code, answer


def every_page(engine: LocalEngine, query: str, caller: str | None = None) -> list[dict[str, Any]]:
    """Follow nextToken to the end (a deadline of 50 pages: the loop always ends)."""
    items: list[dict[str, Any]] = []
    token = None
    for _ in range(50):
        suffix = f"&nextToken={token}" if token else ""
        code, page = listed(engine, f"{query}{suffix}", caller)
        assert code == 200, page
        items += page["links"]
        token = page.get("nextToken")
        if not token:
            return items
    raise AssertionError("nextToken never ended")


def test_each_team_lists_only_its_own_and_the_deployment_lists_all_newest_first(engine: LocalEngine) -> None:
    ours = [post(engine, codeartifact_only(f"ours-{i}")) for i in range(2)]
    theirs = post(engine, codeartifact_only("theirs-0"), caller=TEAM)

    code, mine = listed(engine, caller=TEAM)
    assert code == 200
    assert [link["requestId"] for link in mine["links"]] == [theirs]
    assert mine["links"][0]["status"] == "succeeded"

    _, everything = listed(engine)
    assert [link["requestId"] for link in everything["links"]] == [theirs, *reversed(ours)]


def test_pages_follow_next_token_to_the_end_and_hold_every_onboarding_once(engine: LocalEngine) -> None:
    ids = [post(engine, codeartifact_only(f"page-{i}")) for i in range(3)]
    team = post(engine, codeartifact_only("team-0"), caller=TEAM)

    first_code, first = listed(engine, "?limit=1")
    assert first_code == 200
    assert [link["requestId"] for link in first["links"]] == [team]
    assert first["nextToken"]
    # one per page, newest first, each once
    assert [link["requestId"] for link in every_page(engine, "?limit=1")] == [team, *reversed(ids)]
    # a team's pages are filtered: some come back empty, and the tokens still lead to the end
    assert [link["requestId"] for link in every_page(engine, "?limit=1", caller=TEAM)] == [team]


def test_state_filters_as_get_answers_each_onboarding(sample_event: Any) -> None:
    with LocalEngine(StandIns(handshake=HandshakePolicy("never")), parameters=SAMPLE_PARAMETERS) as engine:
        done = post(engine, codeartifact_only("done"))
        gone = post(engine, codeartifact_only("gone"))
        code, _, accepted = engine.api("DELETE", f"/links/{gone}")
        assert code == 202
        engine.wait(accepted["executionArn"], deadline_seconds=60)
        waiting = json.loads(json.dumps(sample_event("onboarding.json")))
        code, _, started = engine.api("POST", "/links", json.dumps(waiting), headers=JSON)
        assert code == 202  # its handshake never completes: it stays running
        running = started["requestId"]

        def ids(query: str) -> list[str]:
            return [link["requestId"] for link in every_page(engine, query)]

        assert ids("?state=running") == [running]
        assert ids("?state=succeeded") == [done]
        assert ids("?state=offboarded") == [gone]
        assert ids("?state=failed") == []
        _, everything = listed(engine)
        assert {link["requestId"]: link["status"] for link in everything["links"]} == {
            running: "running",
            gone: "offboarded",
            done: "succeeded",
        }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?state=paused", "state"),
        ("?limit=0", "limit"),
        ("?limit=101", "limit"),
        ("?limit=ten", "limit"),
        ("?nextToken=not-a-token", "nextToken"),
        # a token of Step Functions' making it does not recognise
        ("?nextToken=eyJzIjoiIiwidCI6Im5vcGUifQ", "nextToken"),
    ],
)
def test_a_query_out_of_bounds_is_refused_naming_the_parameter(
    engine: LocalEngine, query: str, field: str
) -> None:
    code, answer = listed(engine, query)
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == [field]


def test_a_token_is_only_good_for_the_filter_it_was_given_with(engine: LocalEngine) -> None:
    for i in range(2):
        post(engine, codeartifact_only(f"token-{i}"))
    _, first = listed(engine, "?limit=1")
    code, answer = listed(engine, f"?state=succeeded&nextToken={first['nextToken']}")
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["nextToken"]


def test_a_page_costs_one_listing_and_at_most_two_reads_per_execution(engine: LocalEngine) -> None:
    for i in range(3):
        post(engine, codeartifact_only(f"cost-{i}"), caller=TEAM)
    before = dict(engine.counter.calls)
    code, page = listed(engine, "?limit=3", caller=TEAM)
    assert code == 200
    assert len(page["links"]) == 3
    made = {op: n - before.get(op, 0) for op, n in engine.counter.calls.items() if n - before.get(op, 0)}
    # a team: each execution's owner, then (finished) its offboarding: 2 reads each
    assert made == {"sfn:ListExecutions": 1, "sfn:DescribeExecution": 6}
    # the deployment's own account reads no owner
    before = dict(engine.counter.calls)
    listed(engine, "?limit=3")
    made = {op: n - before.get(op, 0) for op, n in engine.counter.calls.items() if n - before.get(op, 0)}
    assert made == {"sfn:ListExecutions": 1, "sfn:DescribeExecution": 3}


def test_times_are_rfc_3339_with_the_t_as_get_of_one_answers_them(engine: LocalEngine) -> None:
    from datetime import datetime

    request_id = post(engine, codeartifact_only("times"))
    _, page = listed(engine)
    (summary,) = [link for link in page["links"] if link["requestId"] == request_id]
    _, _, one = engine.api("GET", f"/links/{request_id}")
    for answer in (summary, one):
        for key in ("startedAt", "stoppedAt"):
            assert "T" in answer[key], answer
            assert datetime.fromisoformat(answer[key]).tzinfo is not None
    assert (summary["startedAt"], summary["stoppedAt"]) == (one["startedAt"], one["stoppedAt"])


# -- the token: opaque, tamper-proof, the caller's and the filter's alone (issue 22, findings 4, 5)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(token: str) -> bytes:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def two_teams_token(engine: LocalEngine) -> tuple[str, list[str], list[str]]:
    """Team A's first page token (limit=1), A's request ids and B's."""
    a = [post(engine, codeartifact_only(f"a-{i}"), caller=TEAM) for i in range(2)]
    b = [post(engine, codeartifact_only(f"b-{i}"), caller=OTHER) for i in range(2)]
    code, page = listed(engine, "?limit=1", caller=TEAM)
    assert code == 200 and page["nextToken"], page
    return page["nextToken"], a, b


def forged(inner: bytes, state: str = "") -> str:
    """A token in the form the listing once gave: base64url JSON of the filter and Step Functions'
    own token (itself base64 of moto's JSON)."""
    raw = json.dumps({"s": state, "t": base64.b64encode(inner).decode()}).encode()
    return b64url(raw)


def test_forged_tokens_are_refused_naming_next_token_never_a_5xx(engine: LocalEngine) -> None:
    for i in range(3):
        post(engine, codeartifact_only(f"forged-{i}"))
    # a real inner token, as Step Functions (moto) gives it, then tampered with as the issue did
    sfn = boto3.client("stepfunctions")
    real = sfn.list_executions(stateMachineArn=engine.state_machine_arn, maxResults=1)
    inner = json.loads(base64.b64decode(real["nextToken"]))
    tokens = [
        "eyJzIjogIiIsICJ0IjogImJuVnNiQT09In0",  # the issue's: an inner token of null
        forged(json.dumps({"parameterChecksum": inner["parameterChecksum"]}).encode()),
        forged(json.dumps({**inner, "uniqueAttributes": 7}).encode()),
        forged(json.dumps(inner).encode()),  # even a well-formed one, if not of the listing's making
    ]
    for token in tokens:
        code, answer = listed(engine, f"?nextToken={token}")
        assert code == 422, (token, answer)
        assert [e["field"] for e in answer["errors"]] == ["nextToken"]


def test_a_token_altered_by_one_character_is_refused(engine: LocalEngine) -> None:
    for i in range(2):
        post(engine, codeartifact_only(f"altered-{i}"))
    _, first = listed(engine, "?limit=1")
    token = first["nextToken"]
    assert listed(engine, f"?limit=1&nextToken={token}")[0] == 200
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for at in (0, 10, len(token) // 2, len(token) - 2, len(token) - 1):
        changed = alphabet[(alphabet.index(token[at]) + 1) % 64]
        altered = token[:at] + changed + token[at + 1 :]
        code, answer = listed(engine, f"?limit=1&nextToken={altered}")
        assert code == 422, (at, answer)
        assert [e["field"] for e in answer["errors"]] == ["nextToken"]


def test_another_team_using_a_teams_token_is_refused_and_sees_none_of_its_onboardings(
    engine: LocalEngine,
) -> None:
    token, a, _ = two_teams_token(engine)
    code, answer = listed(engine, f"?limit=1&nextToken={token}", caller=OTHER)
    assert code == 422, answer
    assert [e["field"] for e in answer["errors"]] == ["nextToken"]
    assert "links" not in answer and not any(request_id in json.dumps(answer) for request_id in a)
    # nor may the deployment's own account, which sees every onboarding, use a team's token
    assert listed(engine, f"?limit=1&nextToken={token}")[0] == 422
    # the team itself follows it
    assert listed(engine, f"?limit=1&nextToken={token}", caller=TEAM)[0] == 200


def test_a_token_shows_nothing_of_any_execution(engine: LocalEngine) -> None:
    token, a, b = two_teams_token(engine)
    raw = unb64url(token)
    # once Step Functions' own token (base64 JSON naming the next execution's ARN) was in it: read
    # every run of base64 characters in it as base64 too
    runs = [run[: len(run) // 4 * 4] for run in re.findall(rb"[A-Za-z0-9+/]{16,}", raw)]
    for layer in (raw, *(base64.b64decode(run) for run in runs)):
        assert b"arn:" not in layer and b"execution" not in layer and b"stateMachine" not in layer
        assert not [request_id for request_id in a + b if request_id.encode() in layer]
        assert TEAM.encode() not in layer and OTHER.encode() not in layer


def test_an_over_long_token_is_refused_before_any_call(engine: LocalEngine) -> None:
    from repolink.workflow.listing import TOKEN_MAX

    before = dict(engine.counter.calls)
    code, answer = listed(engine, f"?nextToken={'A' * (TOKEN_MAX + 1)}")
    assert code == 422
    assert [e["field"] for e in answer["errors"]] == ["nextToken"]
    made = {op: n - before.get(op, 0) for op, n in engine.counter.calls.items() if n - before.get(op, 0)}
    assert made == {}
    # one of the largest length still costs no more than KMS refusing it
    code, answer = listed(engine, f"?nextToken={'A' * TOKEN_MAX}")
    assert code == 422
    made = {op: n - before.get(op, 0) for op, n in engine.counter.calls.items() if n - before.get(op, 0)}
    assert made == {"kms:Decrypt": 1}


def test_an_inner_token_step_functions_would_refuse_is_not_sent_to_it(engine: LocalEngine) -> None:
    """Sealed with the stack's key and the right context (only the operator can): an inner token
    over Step Functions' 3096 characters is refused before ListExecutions; one within it that
    Step Functions does not know is refused by it (InvalidToken): both a 422."""
    key = engine.functions["ApiFunction"].environment["LISTING_TOKEN_KEY_ARN"]
    context = {"caller": engine.account, "state": "any"}
    kms = boto3.client("kms")
    for inner, listing_calls in (("x" * 3097, 0), ("x" * 3096, 1)):
        blob = kms.encrypt(KeyId=key, Plaintext=inner.encode(), EncryptionContext=context)["CiphertextBlob"]
        before = engine.counter.calls.get("sfn:ListExecutions", 0)
        code, answer = listed(engine, f"?nextToken={b64url(blob)}")
        assert code == 422, answer
        assert [e["field"] for e in answer["errors"]] == ["nextToken"]
        assert engine.counter.calls.get("sfn:ListExecutions", 0) - before == listing_calls


def test_a_maximal_inner_token_fits_the_bound(engine: LocalEngine) -> None:
    from repolink.workflow.listing import TOKEN_MAX

    key = engine.functions["ApiFunction"].environment["LISTING_TOKEN_KEY_ARN"]
    blob = boto3.client("kms").encrypt(
        KeyId=key, Plaintext=b"x" * 3096, EncryptionContext={"caller": TEAM, "state": "offboarded"}
    )["CiphertextBlob"]
    assert len(b64url(blob)) <= TOKEN_MAX


def test_tokens_page_an_offboarded_listing_to_the_end(engine: LocalEngine) -> None:
    ids = [post(engine, codeartifact_only(f"gone-{i}"), caller=TEAM) for i in range(3)]
    for request_id in ids:
        code, _, accepted = engine.api("DELETE", f"/links/{request_id}", caller_account=TEAM)
        assert code == 202, accepted
        engine.wait(accepted["executionArn"], deadline_seconds=60)
    assert [link["requestId"] for link in every_page(engine, "?state=offboarded&limit=1", TEAM)] == ids[::-1]
    assert every_page(engine, "?state=offboarded&limit=1", OTHER) == []
