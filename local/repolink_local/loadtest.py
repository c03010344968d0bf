"""A burst of onboardings, with duplicates and redeliveries, through the real entry handlers.

Used by ``bench/burst.py`` (500 requests, printed figures) and by the invariant test (a small
burst in CI). Every request goes in as API Gateway or EventBridge would deliver it: half as
``POST /links`` (some with an ``Idempotency-Key``), half as ``RepositoryLinkRequested`` events
from another account. A share of them are duplicates: the same POST retried (same key, or no key
and the same body) or the same event redelivered (same event id). All teams share one
CodeArtifact domain and the ``pypi-store`` upstream, so onboardings race to create them.
"""

from __future__ import annotations

import json
import random
import resource
import threading
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3

from repolink_local.engine import LocalEngine
from repolink_local.standins import FaultRule, HandshakePolicy, Quota, StandIns

CALLER_ACCOUNT = "210987654321"
#: a person finishes each handshake by the second status check
QUICK_HANDSHAKE = HandshakePolicy("after", 2)


@dataclass(frozen=True)
class Delivery:
    """One request as it reaches an entry point; ``origin`` is the index of the unique request."""

    origin: int
    via: str  # "api" or "event"
    body: dict[str, Any]
    key: str | None
    event_id: str
    duplicate: bool


@dataclass
class BurstResult:
    requests: int
    unique: int
    duplicates: int
    accepted: int
    rejected: int
    executions: int
    succeeded: int
    failed: int
    still_running: int
    duplicated_resources: dict[str, int]
    api_calls: dict[str, int]
    minimum_calls: dict[str, int]
    throttled: dict[str, int]
    faults_injected: dict[str, int]
    lambda_invocations: int
    wall_seconds: float
    peak_rss_mb: float
    completed_events: int
    failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duplicates_total(self) -> int:
        return sum(self.duplicated_resources.values())


def unique_request(i: int) -> dict[str, Any]:
    """Team ``i``'s onboarding: a GitHub connection, every third with a Proton repository, and
    two CodeArtifact repositories, one of which lists the shared ``pypi-store`` upstream."""
    request: dict[str, Any] = {
        "connection": {"service": "codeconnections", "name": f"team-{i:04d}-github", "provider": "GitHub"},
        "codeartifact": {
            "domain": "acme",
            "domainOwner": "123456789012",
            "createDomain": True,
            "repositories": [
                {"name": "pypi-store", "externalConnection": "public:pypi"},
                {"name": f"team-{i:04d}-python", "upstreams": ["pypi-store"], "description": f"team {i}"},
            ],
        },
        "handshakeTimeoutHours": 72,
        "cleanupOnTimeout": True,
    }
    if i % 3 == 0:
        request["proton"] = {"repositories": [{"name": f"acme/team-{i:04d}-templates"}]}
    return request


def unique_count(total: int, duplicate_share: float) -> int:
    """How many of ``total`` deliveries are unique onboardings (each its own connection)."""
    return max(1, round(total * (1 - duplicate_share)))


def deliveries(total: int, duplicate_share: float, seed: int) -> list[Delivery]:
    """``total`` deliveries, ``duplicate_share`` of them repeats of an earlier one, shuffled."""
    rng = random.Random(seed)
    unique = unique_count(total, duplicate_share)
    firsts = [
        Delivery(
            origin=i,
            via="api" if i % 2 == 0 else "event",
            body=unique_request(i),
            key=f"team-{i:04d}-onboarding" if i % 4 == 0 else None,
            event_id=f"00000000-0000-4000-8000-{i:012d}",
            duplicate=False,
        )
        for i in range(unique)
    ]
    repeats = [
        Delivery(f.origin, f.via, f.body, f.key, f.event_id, duplicate=True)
        for f in (rng.choice(firsts) for _ in range(total - unique))
    ]
    ordered = firsts + repeats
    rng.shuffle(ordered)
    return ordered


def minimum_calls(requests: Sequence[dict[str, Any]], checks: int = 1) -> dict[str, int]:
    """The fewest mutating calls that could create what ``requests`` ask for, and the status
    reads the handshakes need (``checks`` per connection: the person finishes at that read)."""
    connections = {r["connection"]["name"] for r in requests if "connection" in r}
    domains = {r["codeartifact"]["domain"] for r in requests if "codeartifact" in r}
    repositories = {
        (r["codeartifact"]["domain"], repo["name"])
        for r in requests
        if "codeartifact" in r
        for repo in r["codeartifact"]["repositories"]
    }
    external = {
        (r["codeartifact"]["domain"], repo["name"])
        for r in requests
        if "codeartifact" in r
        for repo in r["codeartifact"]["repositories"]
        if repo.get("externalConnection")
    }
    proton = {repo["name"] for r in requests for repo in r.get("proton", {}).get("repositories", [])}
    return {
        "codeconnections:CreateConnection": len(connections),
        "codeconnections:GetConnection": checks * len(connections),
        "codeartifact:CreateDomain": len(domains),
        "codeartifact:CreateRepository": len(repositories),
        "codeartifact:AssociateExternalConnection": len(external),
        "proton:CreateRepository": len(proton),
        "sfn:StartExecution": len(requests),
        "eventbridge:PutEvents": 2 * len(requests),  # pending-handshake + outcome, per onboarding
    }


def run_burst(
    total: int,
    *,
    duplicate_share: float = 0.3,
    quotas: Sequence[Quota] = (),
    faults: Sequence[FaultRule] = (),
    handshake: HandshakePolicy = QUICK_HANDSHAKE,
    seed: int = 7,
    workers: int = 8,
    deadline_seconds: float = 900,
) -> BurstResult:
    plan = deliveries(total, duplicate_share, seed)
    uniques = {d.origin: d.body for d in plan}
    standins = StandIns(handshake=handshake, quotas=quotas, faults=faults, seed=seed)
    started = time.perf_counter()
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    # the callers' team is admitted by the deployment, as it must be on AWS (API and bus policies)
    # Proton (every third request) stays a target here: ProtonTarget=enabled, as a deployment keeping it
    admitted = {"AllowedAccountIds": CALLER_ACCOUNT, "ProtonTarget": "enabled"}
    with LocalEngine(standins, log_level="CRITICAL", parameters=admitted) as engine:

        def deliver(delivery: Delivery) -> None:
            if delivery.via == "api":
                headers = {"Content-Type": "application/json"}
                if delivery.key:
                    headers["Idempotency-Key"] = delivery.key
                code, _, _ = engine.api(
                    "POST",
                    "/links",
                    json.dumps(delivery.body),
                    headers=headers,
                    caller_account=CALLER_ACCOUNT,
                )
                ok = code == 202
            else:
                detail: dict[str, Any] = {"request": delivery.body}
                if delivery.key:
                    detail["idempotencyKey"] = delivery.key
                answer = engine.put_event(detail, account=CALLER_ACCOUNT, event_id=delivery.event_id)
                ok = answer.get("status") == "accepted"
            with lock:
                outcomes["accepted" if ok else "rejected"] += 1

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(deliver, plan))
        sfn = boto3.client("stepfunctions")
        give_up = time.monotonic() + deadline_seconds
        while True:
            executions = engine.executions()
            running = [e for e in executions if e["status"] == "RUNNING"]
            if not running or time.monotonic() > give_up:
                break
            time.sleep(0.2)
        statuses = Counter(
            sfn.describe_execution(executionArn=e["executionArn"])["status"] for e in executions
        )
        events = engine.emitted_events()
        api_calls = dict(sorted(engine.counter.calls.items()))
        lambda_invocations = sum(engine.lambda_invocations.values())
        checks = handshake.polls if handshake.kind == "after" else 1
        minimum = minimum_calls(list(uniques.values()), checks)
        asked = {
            "connections": minimum["codeconnections:CreateConnection"],
            "proton": minimum["proton:CreateRepository"],
            "domains": minimum["codeartifact:CreateDomain"],
            "repositories": minimum["codeartifact:CreateRepository"],
            "executions": len(uniques),
        }
        duplicated = _duplicated_resources(standins, events, executions, asked)
    results = [e for e in events if e["detail-type"] in ("RepositoryLinkCompleted", "RepositoryLinkFailed")]
    failures = [
        {k: e["detail"].get(k) for k in ("requestId", "step", "error", "cause")}
        for e in results
        if e["detail-type"] == "RepositoryLinkFailed"
    ]
    return BurstResult(
        requests=len(plan),
        unique=len(uniques),
        duplicates=sum(1 for d in plan if d.duplicate),
        accepted=outcomes["accepted"],
        rejected=outcomes["rejected"],
        executions=len(executions),
        succeeded=statuses["SUCCEEDED"],
        failed=statuses["FAILED"] + statuses["TIMED_OUT"] + statuses["ABORTED"],
        still_running=statuses["RUNNING"],
        duplicated_resources=duplicated,
        api_calls=api_calls,
        minimum_calls=minimum,
        throttled=dict(sorted(standins.limiter.throttled.items())),
        faults_injected=dict(sorted(standins.faults_injected.items())),
        lambda_invocations=lambda_invocations,
        wall_seconds=time.perf_counter() - started,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        completed_events=sum(1 for e in results if e["detail-type"] == "RepositoryLinkCompleted"),
        failures=failures,
    )


def _duplicated_resources(
    standins: StandIns, events: list[dict[str, Any]], executions: list[dict[str, Any]], asked: dict[str, int]
) -> dict[str, int]:
    """What exists more often than it was asked for (every figure must be 0).

    The stand-ins refuse a second connection, repository or domain of the same name, so a
    duplicate would show as *more resources than unique names asked for* only under another name;
    executions and outcome events are counted as such.
    """
    outcome_events = Counter(
        e["detail"]["requestId"]
        for e in events
        if e["detail-type"] in ("RepositoryLinkCompleted", "RepositoryLinkFailed")
    )
    return {
        "connections": max(0, len(standins.connections.list()) - asked["connections"]),
        "proton repositories": max(0, len(standins.proton.repositories) - asked["proton"]),
        "codeartifact domains": max(0, len(standins.codeartifact.domains) - asked["domains"]),
        "codeartifact repositories": max(0, len(standins.codeartifact.repositories) - asked["repositories"]),
        "executions": max(0, len(executions) - asked["executions"]),
        "outcome events": sum(n - 1 for n in outcome_events.values() if n > 1),
    }
