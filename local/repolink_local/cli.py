"""The ``repolink`` command: validate a request, or run a whole onboarding locally.

    repolink validate REQUEST.json
    repolink local run REQUEST.json [--handshake after:N|error|never]
                                    [--inject ERROR@OPERATION:RATE ...] [--seed N]

Progress goes to stderr; the summary of ``local run`` goes to stdout as JSON.
Exit codes: 0 success, 1 the onboarding failed, 2 the request (or the command line) is invalid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from repolink.errors import RequestValidationError
from repolink.models.validation import validate_request
from repolink.workflow.idempotency import request_id_for


def _read(path: str) -> str:
    return sys.stdin.read() if path == "-" else Path(path).read_text()


def _handshake(text: str) -> Any:
    from repolink_local.standins import HandshakePolicy

    if text in ("error", "never"):
        return HandshakePolicy(text, 1)  # type: ignore[arg-type]
    kind, _, value = text.partition(":")
    if kind == "after" and value.isdigit() and int(value) >= 1:
        return HandshakePolicy("after", int(value))
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (value[:-1], units[value[-1]]) if value[-1:] in units else (value, 1)
    if kind == "at" and number.isdigit():
        return HandshakePolicy("at", seconds=int(number) * unit)
    raise argparse.ArgumentTypeError(
        "expected after:N (AVAILABLE at the N-th check, N >= 1),"
        " at:DURATION (e.g. at:90m, at:24h), error or never"
    )


def _fault(text: str) -> Any:
    from repolink_local.standins import FaultRule

    error, at, rest = text.partition("@")
    operation, colon, rate = rest.rpartition(":")
    try:
        value = float(rate)
    except ValueError:
        value = -1.0
    if not (error and at and colon and operation and 0.0 <= value <= 1.0):
        raise argparse.ArgumentTypeError(
            "expected ERROR@OPERATION:RATE, e.g. ThrottlingException@codeartifact:CreateRepository:0.3"
        )
    return FaultRule(error_code=error, operation=operation, rate=value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repolink", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="validate a request as the API will")
    validate.add_argument("request", help="request JSON file, or - for stdin")
    local = commands.add_parser("local", help="run on the embedded local stand-in for AWS")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    run = local_commands.add_parser("run", help="run a full simulated onboarding")
    run.add_argument("request", help="request JSON file, or - for stdin")
    run.add_argument(
        "--handshake",
        type=_handshake,
        default=_handshake("after:3"),
        help="after:N (AVAILABLE after N status checks; default after:3), at:DURATION"
        " (a person finishes it after 90s, 30m, 24h of virtual time), error or never",
    )
    run.add_argument(
        "--inject",
        type=_fault,
        action="append",
        default=[],
        metavar="ERROR@OPERATION:RATE",
        help="make OPERATION (Operation, service:Operation, lambda:Function or *) fail with ERROR at RATE",
    )
    run.add_argument("--seed", type=int, default=0, help="seed for injected faults")
    run.add_argument("--verbose", action="store_true", help="also show the handlers' structured logs")
    api = local_commands.add_parser(
        "api", help="POST the request to the API handler and follow GET /links/{id}"
    )
    event = local_commands.add_parser("event", help="deliver the request as a RepositoryLinkRequested event")
    for sub in (api, event):
        for action in run._actions[1:]:  # the same options as run (after -h)
            sub._add_action(action)
        sub.add_argument(
            "--idempotency-key", default=None, help="the Idempotency-Key (API) or idempotencyKey (event)"
        )
    event.add_argument("--account", default="210987654321", help="the sending team's account id")
    return parser


def _validate(path: str) -> tuple[dict[str, Any] | None, int]:
    try:
        request = validate_request(_read(path))
    except RequestValidationError as exc:
        print(
            json.dumps(
                {"valid": False, "errors": [{"field": e.field, "message": e.message} for e in exc.errors]},
                indent=2,
            )
        )
        return None, 2
    except OSError as exc:
        print(json.dumps({"valid": False, "errors": [{"field": "(file)", "message": str(exc)}]}, indent=2))
        return None, 2
    return request.wire(), 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":
        request, code = _validate(args.request)
        if request is not None:
            print(
                json.dumps(
                    {"valid": True, "requestId": request_id_for(request), "request": request}, indent=2
                )
            )
        return code
    request, code = _validate(args.request) if args.request else (None, 2)
    if request is None:
        return code
    from repolink_local.summary import run_locally, run_via_api, run_via_event

    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if args.local_command in ("api", "event"):
        common = {"handshake": args.handshake, "faults": args.inject, "seed": args.seed, "progress": say}
        common |= {"idempotency_key": args.idempotency_key, "log_level": None if args.verbose else "WARNING"}
        if args.local_command == "api":
            outcome = run_via_api(request, **common)
        else:
            outcome = run_via_event(request, account=args.account, **common)
        print(json.dumps(outcome, indent=2))
        return {"SUCCEEDED": 0, "REJECTED": 2}.get(outcome["status"], 1)
    summary = run_locally(
        request,
        handshake=args.handshake,
        faults=args.inject,
        seed=args.seed,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        log_level=None if args.verbose else "WARNING",
    )
    print(json.dumps(summary, indent=2))
    return 0 if summary["status"] == "SUCCEEDED" else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
