"""Organisation scale: 500 teams, each onboarding a connection and two Git sync repositories of one
stack each, through the real entry handler (``POST /links``) on the local engine, under IAM.

- **Spoke mode** (``SpokeRoleName=repolink-spoke``): each team calls from its own account, an
  account of the organisation ``AllowedOrganizationId`` admits (no account list: 500 accounts are
  6,499 bytes, over CloudFormation's 4,096 per parameter value, which the engine refuses), where
  the spoke StackSet has deployed the spoke; everything is made there. Every onboarding must
  succeed, with 0 quota errors and 0 duplicated resources, and an account outside the
  organisation must be refused (403). Printed: wall time, peak memory, AWS calls per onboarding.
- **One account** (no spoke role): the same teams, in order, all in the deployment's account
  (Git sync passes only that account's roles). AWS's quotas per account (``repolink.adapters.
  quotas``) decide where failures must start: the first team whose use would pass one (with 100
  repository links and 2 per team, the 51st), naming that quota. Nothing is orphaned: what the
  stand-ins hold equals what succeeded onboardings own plus what failed ones list as partial.

A measurement, not a test: exit 0 unless an invariant breaks (a duplicate, an orphan, a quota
error in spoke mode, an outsider admitted, or one-account failures that start elsewhere than
AWS's would): exit 1.

    python bench/scale.py [--teams 500] [--workers 8] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import boto3
from common import machine, table

from repolink.adapters.quotas import quota
from repolink_local.engine import LocalEngine
from repolink_local.standins import HandshakePolicy, StandIns
from repolink_local.template import ACCOUNT_ID

SPOKE_ROLE = "repolink-spoke"
#: the organisation the teams' accounts are in, and an account that is not
ORGANIZATION, OUTSIDER = "o-acme000000", "999999999999"
#: the one Git sync role of the deployment's account (one-account mode)
PLATFORM_GIT_SYNC_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/acme-gitsync"
STACKS = ("network", "apps")
#: what one team's onboarding makes, per quota (in the order the workflow makes them)
USE_PER_TEAM = {"connections": 1, "repository-links": len(STACKS), "sync-configurations": len(STACKS)}
JSON = {"Content-Type": "application/json"}


def team_account(i: int) -> str:
    return f"{300_000_000_000 + i:012d}"


def request(i: int, role: str) -> dict[str, Any]:
    """Team ``i``'s onboarding: a GitHub connection, two repositories of one stack each."""
    return {
        "connection": {"name": f"team-{i:04d}-github", "provider": "GitHub"},
        "gitSync": {
            "repositories": [
                {
                    "ownerId": "acme",
                    "repositoryName": f"team-{i:04d}-{stack}",
                    "syncConfigurations": [
                        {
                            "resourceName": f"team-{i:04d}-{stack}",
                            "branch": "main",
                            "configFile": "deploy/stack.yaml",
                            "roleArn": role.format(stack=f"team-{i:04d}-{stack}"),
                        }
                    ],
                }
                for stack in STACKS
            ]
        },
    }


@dataclass
class ModeResult:
    mode: str
    teams: int
    accepted: int = 0
    succeeded: int = 0
    failed: int = 0
    still_running: int = 0
    #: quota name -> how many onboardings failed on it
    quota_errors: dict[str, int] = field(default_factory=dict)
    #: the 1-based team number of the first failure, and the quota it named
    first_failure: int | None = None
    first_failure_quota: str | None = None
    other_failures: list[str] = field(default_factory=list)
    duplicates: dict[str, int] = field(default_factory=dict)
    #: what the API answered an account outside the organisation (spoke mode)
    outsider_status: int | None = None
    #: what the stand-ins hold / what onboardings own (succeeded or partial) / held and not owned
    held: dict[str, int] = field(default_factory=dict)
    owned: dict[str, int] = field(default_factory=dict)
    orphans: dict[str, int] = field(default_factory=dict)
    api_calls: dict[str, int] = field(default_factory=dict)
    wall_seconds: float = 0.0
    peak_rss_mb: float = 0.0

    @property
    def calls_per_onboarding(self) -> float:
        return sum(self.api_calls.values()) / self.teams if self.teams else 0.0


def predicted_first_failure() -> tuple[int, str]:
    """The team (1-based) whose onboarding would pass an AWS quota first in one account, and that
    quota's name: the smallest ``limit // use`` (the earliest made on a tie)."""
    limits = [
        (quota(name).limit // use + 1, order, quota(name).resource)
        for order, (name, use) in enumerate(USE_PER_TEAM.items())
    ]
    team, _, name = min(limits)
    return team, name


def run_mode(teams: int, *, spoke: bool, workers: int) -> ModeResult:
    result = ModeResult("spoke" if spoke else "one account", teams)
    accounts = [team_account(i) for i in range(teams)] if spoke else [ACCOUNT_ID] * teams
    if spoke:
        parameters = {"SpokeRoleName": SPOKE_ROLE, "AllowedOrganizationId": ORGANIZATION}
        role = "arn:aws:iam::{account}:role/repolink-git-sync/{{stack}}"
    else:
        parameters = {"GitSyncRoleArns": PLATFORM_GIT_SYNC_ROLE}
        role = PLATFORM_GIT_SYNC_ROLE
    standins = StandIns(handshake=HandshakePolicy("after", 1))
    started = time.perf_counter()
    team_of: dict[str, int] = {}
    with LocalEngine(
        standins, log_level="CRITICAL", parameters=parameters, outside_organization=(OUTSIDER,)
    ) as engine:
        sfn = boto3.client("stepfunctions")

        def onboard(i: int) -> str | None:
            body = request(i, role.format(account=accounts[i]) if spoke else role)
            code, _, answer = engine.api(
                "POST", "/links", json.dumps(body), headers=JSON, caller_account=accounts[i]
            )
            if code != 202:
                result.other_failures.append(f"team {i + 1}: {code} {answer}")
                return None
            team_of[answer["requestId"]] = i
            return str(answer["executionArn"])

        def until_ended(arn: str) -> None:
            while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                time.sleep(0.01)

        if spoke:  # every team at once, as an organisation sends them
            with ThreadPoolExecutor(max_workers=workers) as pool:
                arns = [a for a in pool.map(onboard, range(teams)) if a]
            while any(e["status"] == "RUNNING" for e in engine.executions()):
                time.sleep(0.2)
        else:  # one after the other, so "the 51st team" means what it says
            arns = []
            for i in range(teams):
                arn = onboard(i)
                if arn:
                    until_ended(arn)
                    arns.append(arn)
        result.wall_seconds = time.perf_counter() - started
        if spoke:
            outsider = json.dumps(request(0, role.format(account=OUTSIDER)))
            result.outsider_status = engine.api(
                "POST", "/links", outsider, headers=JSON, caller_account=OUTSIDER
            )[0]
        result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result.accepted = len(arns)
        statuses = Counter(e["status"] for e in engine.executions())
        result.still_running = statuses["RUNNING"]
        result.api_calls = dict(sorted(engine.counter.calls.items()))
        events = engine.emitted_events()
        _outcomes(result, events, team_of)
        _inventory(result, standins, events, sorted(set(accounts)), executions=sum(statuses.values()))
    return result


def _outcomes(result: ModeResult, events: list[dict[str, Any]], team_of: dict[str, int]) -> None:
    quota_errors: Counter[str] = Counter()
    first: tuple[int, str] | None = None
    for event in events:
        detail = event["detail"]
        if event["detail-type"] == "RepositoryLinkCompleted":
            result.succeeded += 1
        elif event["detail-type"] == "RepositoryLinkFailed":
            result.failed += 1
            refused = [f for f in detail.get("failures", []) if f["error"] == "QuotaExceeded"]
            if not refused:
                result.other_failures.append(f"{detail.get('error')}: {str(detail.get('cause'))[:200]}")
                continue
            name = refused[0]["cause"].split(" in ")[0]
            quota_errors[name] += 1
            team = team_of[detail["requestId"]] + 1
            if first is None or team < first[0]:
                first = (team, name)
    result.quota_errors = dict(quota_errors)
    if first:
        result.first_failure, result.first_failure_quota = first


def _inventory(
    result: ModeResult, standins: StandIns, events: list[dict[str, Any]], accounts: list[str], executions: int
) -> None:
    """What the accounts hold against what onboardings own: the connections, links and stacks the
    outcome events list as theirs (succeeded, or partial results of a failure)."""
    held: dict[str, set[str]] = {
        "connections": set(),
        "repository links": set(),
        "sync configurations": set(),
    }
    for account in accounts:
        store = standins.account(account).connections
        held["connections"] |= {c.arn for c in store.list()}
        held["repository links"] |= {link.arn for link in store.repository_links.values()}
        held["sync configurations"] |= {f"{account}:{name}" for _, name in store.sync_configurations}
    owned: dict[str, list[str]] = {k: [] for k in held}
    outcomes: Counter[str] = Counter()
    for event in events:
        if event["detail-type"] not in ("RepositoryLinkCompleted", "RepositoryLinkFailed"):
            continue
        detail = event["detail"]
        outcomes[detail["requestId"]] += 1
        connection = detail.get("connection") or {}
        if connection.get("created") and not detail.get("connectionDeleted"):
            owned["connections"].append(connection["arn"])
        for repository in detail.get("gitSyncRepositories", []):
            if repository.get("outcome") != "created" or repository.get("linkDeleted"):
                continue
            owned["repository links"].append(repository["repositoryLinkArn"])
            account = repository["repositoryLinkArn"].split(":")[4]
            owned["sync configurations"] += [
                f"{account}:{s['resourceName']}"
                for s in repository["syncConfigurations"]
                if s["outcome"] == "created"
            ]
    result.held = {k: len(v) for k, v in held.items()}
    result.owned = {k: len(v) for k, v in owned.items()}
    result.orphans = {k: len(held[k] - set(owned[k])) for k in held}
    result.duplicates = {k: len(v) - len(set(v)) for k, v in owned.items()}
    result.duplicates["executions"] = max(0, executions - result.teams)
    result.duplicates["outcome events"] = sum(n - 1 for n in outcomes.values() if n > 1)


def broken(spoke: ModeResult, single: ModeResult) -> list[str]:
    """The invariants a run must keep (an empty list: none broken)."""
    problems = []
    for r in (spoke, single):
        if sum(r.duplicates.values()):
            problems.append(f"{r.mode}: duplicates {r.duplicates}")
        if sum(r.orphans.values()):
            problems.append(f"{r.mode}: orphans {r.orphans}")
        if r.still_running or r.other_failures:
            problems.append(
                f"{r.mode}: {r.still_running} still running, other failures {r.other_failures[:3]}"
            )
    if spoke.outsider_status != 403:
        problems.append(f"spoke: an account outside the organisation was answered {spoke.outsider_status}")
    if spoke.quota_errors or spoke.succeeded != spoke.teams:
        problems.append(
            f"spoke: {spoke.succeeded}/{spoke.teams} succeeded, quota errors {spoke.quota_errors}"
        )
    team, name = predicted_first_failure()
    if single.teams >= team and (single.first_failure, single.first_failure_quota) != (team, name):
        problems.append(
            f"one account: the first failure is team {single.first_failure} ({single.first_failure_quota});"
            f" AWS's would be team {team} ({name})"
        )
    return problems


def report(spoke: ModeResult, single: ModeResult) -> str:
    team, name = predicted_first_failure()
    modes = (spoke, single)
    lines = [
        f"## Organisation scale: {spoke.teams} teams, a connection and {len(STACKS)} Git sync"
        " repositories each",
        "",
        f"{machine()}; handshake done at the first check; IAM enforced across accounts; spoke mode"
        f" admits the teams by their organisation (AllowedOrganizationId), and an account outside it"
        f" was answered {spoke.outsider_status}.",
        "",
        table(
            [
                "mode",
                "accepted",
                "succeeded",
                "failed",
                "quota errors",
                "first failure",
                "duplicates",
                "orphans",
            ],
            [
                [
                    r.mode,
                    r.accepted,
                    r.succeeded,
                    r.failed,
                    sum(r.quota_errors.values()),
                    f"team {r.first_failure}: {r.first_failure_quota}" if r.first_failure else "-",
                    sum(r.duplicates.values()),
                    sum(r.orphans.values()),
                ]
                for r in modes
            ],
        ),
        "",
        table(
            ["mode", "wall time (s)", "per onboarding (s)", "peak memory (MB)", "AWS calls per onboarding"],
            [
                [
                    r.mode,
                    r.wall_seconds,
                    r.wall_seconds / r.teams,
                    round(r.peak_rss_mb),
                    r.calls_per_onboarding,
                ]
                for r in modes
            ],
        ),
        "",
        f"One account: AWS's quotas say the first failure is team {team} ({name});"
        f" quota errors by quota: {single.quota_errors or 'none'}.",
        "",
        table(
            ["one account", "held", "owned (succeeded + partial)", "orphaned"],
            [[k, single.held[k], single.owned[k], single.orphans[k]] for k in single.held],
        ),
        "",
        table(
            ["AWS call (spoke mode)", "per onboarding"],
            [[op, n / spoke.teams] for op, n in spoke.api_calls.items()],
        ),
        "",
        "Peak memory is the process's maximum RSS so far (the one-account run follows the spoke run).",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--workers", type=int, default=8, help="concurrent callers in spoke mode")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.teams <= 1000:  # one page of ListExecutions
        parser.error("--teams must be between 1 and 1000")
    spoke = run_mode(args.teams, spoke=True, workers=args.workers)
    single = run_mode(args.teams, spoke=False, workers=args.workers)
    print(report(spoke, single))
    if args.json:
        print(json.dumps([asdict(spoke), asdict(single)], indent=2))
    problems = broken(spoke, single)
    for problem in problems:
        print(f"INVARIANT BROKEN: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
