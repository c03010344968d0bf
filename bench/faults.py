"""Faults: 20% transient failures on every operation, then a permanent AccessDenied on each
operation in turn, then a lost response on each mutating operation, on the sample request (with
cleanupOnTimeout). Prints three tables.

    python bench/faults.py [--runs 20]
"""

from __future__ import annotations

import argparse
import sys

from common import machine, sample_request, table

from repolink_local.faultmatrix import (
    lost_response_held,
    lost_response_matrix,
    operations_called,
    permanent_runs,
    transient_runs,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="transient-fault onboardings (seeds)")
    args = parser.parse_args()
    request = sample_request() | {"cleanupOnTimeout": True}

    transient = transient_runs(request, args.runs)
    finished = sum(1 for r in transient if r.result_event == "RepositoryLinkCompleted")
    injected = sum(sum(r.faults_injected.values()) for r in transient)
    duplicates = sum(r.duplicated_resources for r in transient)
    print("## Transient faults: 20% of every stand-in call and every Lambda invoke fail\n")
    print(f"{machine()}; {args.runs} onboardings of the sample request, one seed each.\n")
    print(
        table(
            ["onboardings", "completed", "faults injected", "duplicated resources"],
            [[len(transient), f"{finished} ({finished / len(transient):.0%})", injected, duplicates]],
        )
    )
    by_kind: dict[str, int] = {}
    for r in transient:
        for key, n in r.faults_injected.items():
            error = key.rsplit(":", 1)[-1]
            by_kind[error] = by_kind.get(error, 0) + n
    print("\n" + table(["error injected", "times"], sorted(by_kind.items())))

    permanent = permanent_runs(request, operations_called(request))
    print("\n## Permanent AccessDeniedException on one operation at a time\n")
    rows = [
        [
            r.label,
            r.result_event or r.status,
            r.step or "-",
            (r.cause or "-")[:70],
            ", ".join(r.succeeded_before) or "-",
            "yes" if r.connection_deleted else "no",
            r.dangling_connections,
        ]
        for r in permanent
    ]
    print(
        table(
            [
                "denied operation",
                "result",
                "failed step",
                "cause",
                "succeeded before",
                "our connection deleted",
                "dangling pending connections",
            ],
            rows,
        )
    )
    lost = lost_response_matrix(request)
    print("\n## Lost responses: the first call of one mutating operation takes effect, its answer is lost\n")
    print(
        "Each onboarding is POSTed to the API; the SDK sees a read timeout and retries the call."
        " DeleteConnection is reached only after a failed handshake, so its rows end in"
        " RepositoryLinkFailed by design.\n"
    )
    print(
        table(
            [
                "operation",
                "POST",
                "result",
                "lost answers",
                "executions",
                "duplicated resources",
                "orphans",
                "events delivered twice",
            ],
            [
                [
                    r.label,
                    r.http_status,
                    r.result_event or r.status,
                    sum(n for k, n in r.faults_injected.items() if k.endswith(":LostResponse")),
                    r.executions,
                    r.duplicated_resources,
                    r.orphans,
                    r.repeated_events,
                ]
                for r in lost
            ],
        )
    )
    lost_dup = sum(r.duplicated_resources for r in lost)
    lost_orphans = sum(r.orphans for r in lost)
    lost_ok = all(lost_response_held(r) for r in lost)

    every_failed = all(r.result_event == "RepositoryLinkFailed" and r.step for r in permanent)
    dangling = [r.label for r in permanent if r.dangling_connections]
    print(
        f"\nTransient: {finished}/{len(transient)} completed, {duplicates} duplicated resources "
        + ("PASS" if finished == len(transient) and duplicates == 0 else "FAIL")
    )
    print(
        "Permanent: every run ends in RepositoryLinkFailed naming its step "
        + ("PASS" if every_failed else "FAIL")
        + f"; a pending connection is left only where the denied call is one cleanup needs: {dangling}"
    )
    print(
        f"Lost responses: {len(lost)} operations, each answer lost once: {lost_dup} duplicated resources,"
        f" {lost_orphans} orphans " + ("PASS" if lost_ok else "FAIL")
    )
    return 0 if every_failed and finished == len(transient) and duplicates == 0 and lost_ok else 1


if __name__ == "__main__":
    sys.exit(main())
