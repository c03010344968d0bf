"""GET /links through the local engine: the caller's own onboardings, newest first, paginated,
each state as GET /links/{id} answers it, the query's bounds, and the calls a page costs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from repolink_local.engine import LocalEngine
from repolink_local.standins import HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.statemachine

TEAM = "210987654321"
JSON = {"Content-Type": "application/json"}


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
    with LocalEngine(standins, parameters={**SAMPLE_PARAMETERS, "AllowedAccountIds": TEAM}) as running:
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
