"""Burst: 350 onboardings through the real entry handlers, 30% duplicates or redeliveries.

Every team's connection is made in one account (the deployment's), so the unique onboardings
(245 by default) stay within AWS's quota of connections per account and Region (250,
``repolink.adapters.quotas``); a burst that would pass it is refused before it starts. The
stand-ins refuse the 251st as AWS does.

The stand-ins enforce request-rate quotas (CodeArtifact's documented 800 read / 100 write
requests per second; assumed rates for CodeConnections and Proton, which publish none; see
``repolink_local.standins.quotas``), on the engine's virtual clock. Printed: completed / failed /
duplicated resources (must be 0), AWS API calls per operation against the fewest possible,
throttled calls, wall time and the run's peak memory.

    python bench/burst.py [--requests 350] [--duplicates 0.3] [--quota-scale 1.0] [--json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from common import machine, table

from repolink.adapters.quotas import quota
from repolink_local.loadtest import run_burst, unique_count
from repolink_local.standins import DOCUMENTED_QUOTAS
from repolink_local.standins.quotas import scaled


def report(result: object, quota_scale: float) -> str:
    from repolink_local.loadtest import BurstResult

    assert isinstance(result, BurstResult)
    r = result
    lines = [
        f"## Burst: {r.requests} requests ({r.duplicates} duplicates or redeliveries, {r.unique} unique)",
        "",
        f"{machine()}; quotas x {quota_scale:g} of those documented/assumed; handshake after 2 checks.",
        "",
        table(
            [
                "accepted",
                "rejected",
                "executions",
                "succeeded",
                "failed",
                "still running",
                "duplicated resources",
            ],
            [
                [
                    r.accepted,
                    r.rejected,
                    r.executions,
                    r.succeeded,
                    r.failed,
                    r.still_running,
                    r.duplicates_total,
                ]
            ],
        ),
        "",
        table(["duplicated resource", "count"], [[k, v] for k, v in r.duplicated_resources.items()]),
        "",
    ]
    operations = sorted(set(r.api_calls) | set(r.minimum_calls))
    rows = []
    for op in operations:
        calls = r.api_calls.get(op, 0)
        least = r.minimum_calls.get(op)
        rows.append(
            [
                op,
                calls,
                least if least is not None else "-",
                f"{calls / least:.2f}x" if least else "-",
                r.throttled.get(op, 0),
            ]
        )
    lines += [
        table(["operation", "calls (incl. retries)", "fewest possible", "ratio", "throttled"], rows),
        "",
        f"Lambda invocations: {r.lambda_invocations:,}; wall time {r.wall_seconds:.1f} s;"
        f" peak memory (max RSS) {r.peak_rss_mb:.0f} MB.",
        "Duplicated resources: "
        + ("0 (PASS)" if r.duplicates_total == 0 else f"{r.duplicates_total} (FAIL)"),
    ]
    if r.failures:
        lines.append(f"Failures: {json.dumps(r.failures[:5])}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--requests", type=int, default=350)
    parser.add_argument("--duplicates", type=float, default=0.3)
    parser.add_argument("--quota-scale", type=float, default=1.0, help="below 1: stricter quotas")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    connections = quota("connections")
    teams = unique_count(args.requests, args.duplicates)
    if teams > connections.limit:
        parser.error(
            f"{teams} onboardings would make {teams} connections in one account; AWS allows"
            f" {connections.describe(None)} ({connections.doc})"
        )
    result = run_burst(
        args.requests,
        duplicate_share=args.duplicates,
        quotas=scaled(DOCUMENTED_QUOTAS, args.quota_scale),
    )
    print(report(result, args.quota_scale))
    if args.json:
        print(json.dumps(dataclasses.asdict(result), indent=2))
    return 0 if result.duplicates_total == 0 and result.failed == 0 and result.still_running == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
