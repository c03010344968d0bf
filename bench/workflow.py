"""What one workflow costs in its own units: state and event sizes, history events, the calls a
GET, a DELETE, a PUT and a listing make. Sections 6 to 9 of ``docs/performance.md``.

All of it runs the deployed ASL on the local engine (virtual clock, IAM enforced) and counts; the
only wall time printed is the engine's own speed on a 24-hour wait.

- **Limits**: the largest request the API accepts (``repolink_local.limits.largest_request``) run
  to the end: its largest state and result event against the 256 KiB quotas, the history events
  outside the handshake wait; one round of the wait, measured; the history budget
  (``workflow/backoff.py``) and the longest handshake timeout it admits per ``PollCapSeconds``.
- **GET after 30 hours**: the sample, and the sample with 100 CodeArtifact repositories, asked
  while pending and after timing out with cleanup: the Step Functions calls and bytes the API
  function reads, against the whole history.
- **Offboarding and listing**: a DELETE of the sample, a second DELETE, GET of the offboarded one,
  a page of the listing for a team and for the deployment's account.
- **A change in place**: a PUT adding a repository, a PUT changing tags, a duplicate PUT, GET.

    python bench/workflow.py
"""

from __future__ import annotations

import copy
import itertools
import json
import sys
import time
from collections import Counter
from typing import Any

import boto3
from common import machine, sample_request, table

from repolink.models.validation import validate_request
from repolink.workflow.backoff import (
    EVENTS_OUTSIDE_THE_WAIT,
    EVENTS_PER_CHECK,
    HISTORY_EVENTS_QUOTA,
    MAX_CHECKS,
    RETRY_RESERVE,
    checks_needed,
    longest_timeout_hours,
)
from repolink_local.deployment import request_id_of
from repolink_local.engine import ExecutionResult, LocalEngine
from repolink_local.limits import STATE_BYTES_MAX, largest_payload, largest_request
from repolink_local.measure import HOUR, PausingClock, get_counted
from repolink_local.patches import execution_history
from repolink_local.standins import HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

JSON = {"Content-Type": "application/json"}
CHECK = "Check the handshake"
WAIT = "Wait before checking the handshake"
TEAM = "210987654321"
TEAM_PARAMETERS = {**SAMPLE_PARAMETERS, "AllowedAccountIds": TEAM}


def compact(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


def normalized(request: dict[str, Any]) -> dict[str, Any]:
    return validate_request(copy.deepcopy(request)).wire()


def engine(handshake: HandshakePolicy, **options: Any) -> LocalEngine:
    options.setdefault("parameters", SAMPLE_PARAMETERS)
    return LocalEngine(StandIns(handshake=handshake), log_level="CRITICAL", **options)


def events_outside_the_wait(result: ExecutionResult) -> int:
    return len(result.history) - EVENTS_PER_CHECK * result.states_entered.count(CHECK)


def wait_rounds(result: ExecutionResult) -> Counter[int]:
    """Events from one entry of the wait to the next, by how often each length occurs."""
    entered = [
        i for i, e in enumerate(result.history) if e.get("stateEnteredEventDetails", {}).get("name") == WAIT
    ]
    return Counter(b - a for a, b in itertools.pairwise(entered))


# -- 6. limits ------------------------------------------------------------------------------------


def limits() -> None:
    print("## 6. Limits: state size and history\n")
    request = largest_request()
    body = normalized(request)
    with engine(HandshakePolicy("after", 1), parameters=None) as running:  # as test_limits deploys
        result = running.run(request_id_of(body), body, deadline_seconds=600)
    largest, where = largest_payload(result.history)
    (done,) = result.events_of("RepositoryLinkCompleted")
    print(
        f"largest request: {compact(request):,} bytes ({compact(body):,} normalised), "
        f"{len(body['codeartifact']['repositories'])} CodeArtifact and "
        f"{len(body['proton']['repositories'])} Proton repositories; {result.status}\n"
        f"  largest state: {largest:,} bytes ({largest / STATE_BYTES_MAX:.0%} of 256 KiB),"
        f" {where.removeprefix('HistoryEventType.')}\n"
        f"  result event: RepositoryLinkCompleted, {compact(done):,} bytes of detail "
        f"({compact(done) / STATE_BYTES_MAX:.0%} of 256 KiB)\n"
        f"  history: {len(result.history):,} events, {events_outside_the_wait(result):,} outside the wait"
        f" (budget {EVENTS_OUTSIDE_THE_WAIT:,})"
    )
    sample = normalized(sample_request())
    with engine(HandshakePolicy("after", 6)) as running:
        result = running.run(request_id_of(sample), sample, deadline_seconds=120)
    rounds = dict(wait_rounds(result))
    print(
        f"sample request: {events_outside_the_wait(result)} events outside the wait; one round of the"
        f" wait, measured: {rounds} (events per round: occurrences); budgeted {EVENTS_PER_CHECK}"
    )
    print(
        f"budget: {HISTORY_EVENTS_QUOTA:,} - {EVENTS_OUTSIDE_THE_WAIT:,} - {RETRY_RESERVE:,} (retries)"
        f" = {HISTORY_EVENTS_QUOTA - EVENTS_OUTSIDE_THE_WAIT - RETRY_RESERVE:,} events,"
        f" MAX_CHECKS = {MAX_CHECKS:,}\n"
    )
    base = int(SAMPLE_PARAMETERS.get("PollBaseSeconds", 15))
    rows = [
        (
            cap,
            checks_needed(168 * HOUR, base=base, cap=cap),
            longest_timeout_hours(base=base, cap=cap, upper=168),
        )
        for cap in (60, 120, 240, 300)
    ]
    print(
        table(
            ["PollCapSeconds", "checks a 168 h wait may need", "longest handshakeTimeoutHours accepted"], rows
        )
    )
    with engine(HandshakePolicy("at", seconds=24 * HOUR)) as running:
        started = time.perf_counter()
        result = running.run(request_id_of(sample), sample, deadline_seconds=600)
        took = time.perf_counter() - started
    checks = result.states_entered.count(CHECK)
    print(
        f"\nengine speed: a 24 h wait, {checks} checks, {len(result.history):,} events: {took:.1f} s"
        f" ({took / checks * 1000:.0f} ms a check, start-up included)\n"
    )


# -- 7. GET after long waits ------------------------------------------------------------------------


def large_request() -> dict[str, Any]:
    """The sample with 100 CodeArtifact repositories: pypi-store and 99 that search it."""
    request = sample_request()
    repositories = request["codeartifact"]["repositories"]
    store = next(r for r in repositories if r.get("externalConnection"))
    request["codeartifact"]["repositories"] = [store] + [
        {"name": f"team-{i:03d}", "description": "team packages", "upstreams": [store["name"]]}
        for i in range(99)
    ]
    return request


def get_at_30_hours(request: dict[str, Any], *, timed_out: bool) -> tuple[Any, ...]:
    if timed_out:
        body = normalized(request | {"handshakeTimeoutHours": 30, "cleanupOnTimeout": True})
        with engine(HandshakePolicy("never")) as running:
            result = running.run(request_id_of(body), body, deadline_seconds=600)
            answer, reads = get_counted(running, request_id_of(body))
            history = execution_history(running.account, running.region, result.execution_arn)
    else:
        body = normalized(request | {"handshakeTimeoutHours": 168})
        clock = PausingClock(30 * HOUR)
        with engine(HandshakePolicy("never"), clock=clock) as running:
            arn = running.start(request_id_of(body), body)
            clock.reached()
            try:
                answer, reads = get_counted(running, request_id_of(body))
                history = execution_history(running.account, running.region, arn)
            finally:
                clock.resume(for_good=True)
    status = f"{answer['status']} ({len(answer['resources'])} resources)"
    return (
        f"{compact(body) / 1000:.0f} KB",
        status,
        len(history),
        sum(reads.calls.values()),
        f"{reads.with_data} / {reads.without_data}",
        f"{reads.bytes / 1e6:.2f} MB",
        f"{compact(history[:1000]) / 1e6:.1f} MB",
        f"{compact(history) / 1e6:.1f} MB",
    )


def long_waits() -> None:
    print("## 7. GET after 30 hours of waiting (PollCapSeconds 300)\n")
    rows = [
        (name, *get_at_30_hours(request, timed_out=timed_out))
        for name, request in (("sample", sample_request()), ("large", large_request()))
        for timed_out in (False, True)
    ]
    headers = [
        "request",
        "normalised",
        "GET answered",
        "history events",
        "Step Functions calls",
        "events with / without data",
        "bytes read",
        "oldest 1,000 with data",
        "whole history",
    ]
    print(table(headers, rows) + "\n")


# -- 8 and 9. offboarding, listing, a change ------------------------------------------------------------


class Calls:
    """What an engine's functions called between two moments, by function (logical id)."""

    def __init__(self, running: LocalEngine) -> None:
        self.running = running
        self.before = {f: Counter(c) for f, c in running.counter.by_function.items()}

    def made(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for function, calls in sorted(self.running.counter.by_function.items()):
            new = calls - self.before.get(function, Counter())
            if new:
                out[function] = dict(sorted(new.items()))
        return out


def report(title: str, code: int, result: ExecutionResult | None, calls: dict[str, dict[str, int]]) -> None:
    print(f"### {title}: {code}")
    if result is not None:
        invoked = sum(
            1
            for e in result.history
            if e["type"] == "TaskScheduled" and e["taskScheduledEventDetails"]["resourceType"] == "lambda"
        )
        print(
            f"  execution {result.status}: {result.state_transitions} state transitions,"
            f" {len(result.history)} history events, {invoked} function invocations"
        )
    for function, made in calls.items():
        print(f"  {function}: {sum(made.values())} calls {made}")
    print()


def api(running: LocalEngine, method: str, path: str, body: Any = None, caller: str | None = None) -> Any:
    text = json.dumps(body) if body is not None else None
    code, _, answer = running.api(method, path, text, headers=JSON if text else {}, caller_account=caller)
    return code, answer


def follow(running: LocalEngine, code: int, answer: dict[str, Any]) -> ExecutionResult | None:
    if code == 202:
        return running.wait(answer["executionArn"], deadline_seconds=120)
    return None


def offboarding_and_listing() -> None:
    print("## 8. Offboarding and listing (IAM enforced, the sample onboarded first)\n")
    sample = normalized(sample_request())
    request_id = request_id_of(sample)
    with engine(HandshakePolicy("after", 2), parameters=TEAM_PARAMETERS) as running:
        running.run(request_id, sample, deadline_seconds=120)
        for title, method in (
            ("DELETE", "DELETE"),
            ("a second DELETE", "DELETE"),
            ("GET, offboarded", "GET"),
        ):
            calls = Calls(running)
            code, answer = api(running, method, f"/links/{request_id}")
            result = follow(running, code, answer) if method == "DELETE" else None
            if result is not None:
                described = boto3.client("stepfunctions").describe_execution(
                    executionArn=result.execution_arn
                )
                size = compact(json.loads(described["input"]))
                print(f"(the offboarding's input: {size:,} bytes)")
            report(title, code, result, calls.made())
        for i in range(3):
            domain = f"cost-{i}"
            store = {"name": "store", "externalConnection": "public:pypi"}
            code, answer = api(
                running,
                "POST",
                "/links",
                {"codeartifact": {"domain": domain, "createDomain": True, "repositories": [store]}},
                TEAM,
            )
            follow(running, code, answer)
        for who, caller in (("a team", TEAM), ("the deployment's account", None)):
            calls = Calls(running)
            code, page = api(running, "GET", "/links?limit=3", caller=caller)
            report(f"GET /links?limit=3 by {who} ({len(page['links'])} links)", code, None, calls.made())


def change_in_place() -> None:
    print("## 9. A change in place (the sample onboarded, then changed by PUT)\n")
    sample = normalized(sample_request())
    request_id = request_id_of(sample)
    changed = copy.deepcopy(sample)
    repositories = changed["codeartifact"]["repositories"]
    repositories.append({"name": "team-shared", "upstreams": ["pypi-store"], "description": "shared"})
    team_python = next(r for r in repositories if r["name"] == "team-python")
    team_python["upstreams"] = ["team-shared", "pypi-store"]
    changed = normalized(changed)
    tagged = copy.deepcopy(changed)
    tagged["codeartifact"]["tags"] = {"cost-center": "42"}
    next(r for r in tagged["codeartifact"]["repositories"] if r["name"] == "team-python")["tags"] = {
        "tier": "1"
    }
    with engine(HandshakePolicy("after", 2)) as running:
        onboarded = running.run(request_id, sample, deadline_seconds=120)
        print(
            f"(the onboarding: {onboarded.state_transitions} state transitions,"
            f" {len(onboarded.history)} history events)\n"
        )
        for title, body in (
            ("PUT adding team-shared", changed),
            ("PUT changing tags", tagged),
            ("the same PUT again", tagged),
        ):
            calls = Calls(running)
            code, answer = api(running, "PUT", f"/links/{request_id}", body)
            report(title, code, follow(running, code, answer), calls.made())
        calls = Calls(running)
        code, _ = api(running, "GET", f"/links/{request_id}")
        report("GET of the changed onboarding", code, None, calls.made())


def main() -> int:
    started = time.perf_counter()
    print(f"# Workflow figures ({machine()})\n")
    limits()
    long_waits()
    offboarding_and_listing()
    change_in_place()
    print(f"bench/workflow.py: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
