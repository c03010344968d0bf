"""The local modes of the ``repolink`` command: ``validate`` and ``local run|api|event|serve``.

The command itself, its usage and exit codes are :mod:`repolink_client.cli`'s, which imports this
module only when one of these modes is asked for: the client verbs install and run without it.
Every mode takes the one accept path the deployed API takes (see the command's usage).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from repolink_local.deployment import SimulatedDeployment
from repolink_local.template import ACCOUNT_ID, REGION, TEMPLATE


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
    from repolink_local.standins.faults import check_lost_response

    rule = FaultRule(error_code=error, operation=operation, rate=value)
    try:
        check_lost_response(rule)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return rule


def _parameter(text: str) -> tuple[str, str]:
    key, equals, value = text.partition("=")
    if not (equals and re.fullmatch(r"[A-Za-z0-9]+", key)):
        raise argparse.ArgumentTypeError("expected Key=Value, e.g. AllowedAccountIds=111111111111")
    return key, value


def _account(text: str) -> str:
    if not re.fullmatch(r"[0-9]{12}", text):
        raise argparse.ArgumentTypeError("expected a 12-digit account id")
    return text


def _deployment_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment (as sam deploy would make it)")
    group.add_argument(
        "-t", "--template", type=Path, default=TEMPLATE, help="the SAM template (template.yaml)"
    )
    group.add_argument(
        "--account", type=_account, default=ACCOUNT_ID, help="the account repolink is deployed to"
    )
    group.add_argument("--region", default=REGION, help="the Region repolink is deployed to")
    group.add_argument(
        "--parameter-overrides",
        type=_parameter,
        nargs="+",
        default=[],
        metavar="Key=Value",
        help="template parameters, e.g. AllowedAccountIds=111111111111 PollCapSeconds=120",
    )


def _request_flags(parser: argparse.ArgumentParser) -> None:
    """Who sends the one request a command reads, and its key."""
    parser.add_argument("request", help="request JSON file, or - for stdin")
    parser.add_argument(
        "--caller-account", type=_account, default=None, help="who sends the request (default: --account)"
    )
    parser.add_argument(
        "--idempotency-key", default=None, help="the Idempotency-Key (API) or idempotencyKey (event)"
    )


def _accounts(text: str) -> tuple[str, ...]:
    accounts = tuple(a.strip() for a in text.split(",") if a.strip())
    for account in accounts:
        _account(account)
    return accounts


def _world_flags(parser: argparse.ArgumentParser) -> None:
    """The world around the simulated deployment (a LocalWorld), for every local mode."""
    parser.add_argument(
        "--spoke-accounts",
        type=_accounts,
        default=None,
        metavar="LIST",
        help="the accounts the spoke StackSet has reached (comma-separated; default: every account"
        " of AllowedAccountIds and, with AllowedOrganizationId, of the organisation); the others"
        " simulate an account without the spoke. Only with SpokeRoleName set",
    )
    parser.add_argument(
        "--outside-organization",
        type=_accounts,
        default=(),
        metavar="LIST",
        help="the accounts that are not in the organisation (comma-separated; default: none): every"
        " other account is in it, the one AllowedOrganizationId names",
    )
    parser.add_argument(
        "--handshake",
        type=_handshake,
        default=_handshake("after:3"),
        help="after:N (AVAILABLE after N status checks; default after:3), at:DURATION"
        " (a person finishes it after 90s, 30m, 24h of virtual time), error or never; a host"
        " the request describes (connection.host) is set up by the same rule (error: a VPC"
        " host's network fails, VPC_CONFIG_FAILED_INITIALIZATION)",
    )
    parser.add_argument(
        "--host-status",
        choices=["AVAILABLE", "PENDING", "ERROR"],
        default="AVAILABLE",
        help="the status of the host a request's connection.hostArn names (default AVAILABLE)",
    )
    parser.add_argument(
        "--inject",
        type=_fault,
        action="append",
        default=[],
        metavar="ERROR@OPERATION:RATE",
        help="make OPERATION (Operation, service:Operation, lambda:Function or *)"
        " fail with ERROR at RATE; LostResponse@service:Operation:RATE serves a mutating"
        " operation and then loses its answer (the SDK sees a read timeout and retries)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for injected faults")
    parser.add_argument("--verbose", action="store_true", help="also show the handlers' structured logs")


def _port(text: str) -> int:
    if not (text.isdigit() and 0 <= int(text) <= 65535):
        raise argparse.ArgumentTypeError("expected a port number, 0 to 65535 (0: any free port)")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError("expected a number of seconds, 0 or more")
    return value


def add_commands(commands: Any) -> None:
    """``validate`` and ``local run|api|event|serve``, on the ``repolink`` command's subparsers."""
    from repolink_client.cli import LOCAL_COMMANDS

    validate = commands.add_parser("validate", help=LOCAL_COMMANDS["validate"])
    _request_flags(validate)
    _deployment_flags(validate)
    local = commands.add_parser("local", help=LOCAL_COMMANDS["local"])
    local_commands = local.add_subparsers(dest="local_command", required=True)
    modes = {
        "run": "POST the request to the API and follow the execution: a full simulated onboarding",
        "api": "POST the request to the API and follow GET /links/{id}",
        "event": "deliver the request as a RepositoryLinkRequested event",
    }
    for name, text in modes.items():
        mode = local_commands.add_parser(name, help=text)
        _request_flags(mode)
        _deployment_flags(mode)
        _world_flags(mode)
        if name in ("run", "event"):
            mode.add_argument(
                "--recheck-after",
                type=_seconds,
                default=None,
                metavar="SECONDS",
                help=(
                    "the person finishes the handshake (or host setup) SECONDS virtual seconds after it is"
                    " created, and asks for a recheck then (run: POST /links/{id}/recheck; event: a"
                    " RepositoryLinkRecheckRequested event)"
                ),
            )
        if name == "run":
            mode.add_argument(
                "--offboard",
                action="store_true",
                help="then DELETE the onboarding (as --caller-account) and follow its offboarding",
            )
            mode.add_argument(
                "--delete-packages", action="store_true", help="with --offboard: send deletePackages: true"
            )
            mode.add_argument(
                "--change",
                default=None,
                metavar="NEW.json",
                help="then PUT this new request (as --caller-account), follow the change (before --offboard)",
            )
    serve = local_commands.add_parser(
        "serve", help="serve the API on 127.0.0.1 (SigV4-signed requests, as API Gateway takes them)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=3000, help="the port (default 3000; 0: any free port)")
    _deployment_flags(serve)
    _world_flags(serve)


def _print(document: object) -> None:
    print(json.dumps(document, indent=2))


def _verdict(deployment: SimulatedDeployment, text: str, caller: str | None, key: str | None) -> int:
    verdict = deployment.judge(text, caller=caller, idempotency_key=key)
    answer: dict[str, Any] = {
        "valid": verdict.accepted,
        "status": verdict.status,
        "message": verdict.message,
        "requestId": verdict.request_id,
        "errors": [{"field": e.field, "message": e.message} for e in verdict.errors],
    }
    if verdict.command is not None:
        answer["request"] = verdict.command.request
    _print(answer)
    return 0 if verdict.accepted else 2


def _world(args: argparse.Namespace, deployment: SimulatedDeployment) -> Any:
    from repolink_local.summary import LocalWorld

    return LocalWorld(
        deployment=deployment,
        handshake=args.handshake,
        host_status=args.host_status,
        faults=args.inject,
        seed=args.seed,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        log_level=None if args.verbose else "WARNING",
    )


def run(args: argparse.Namespace) -> int:
    """``validate`` or a ``local`` mode, parsed by :func:`repolink_client.cli.main`: the exit code."""
    deployment = SimulatedDeployment(
        template=args.template,
        account=args.account,
        region=args.region,
        parameters=dict(args.parameter_overrides),
        spoke_accounts=getattr(args, "spoke_accounts", None),
        outside_organization=getattr(args, "outside_organization", ()),
    )
    if args.command == "local" and args.local_command == "serve":
        from repolink_local.serve import serve_until_stopped

        world = _world(args, deployment)
        return serve_until_stopped(world, args.host, args.port, world.progress)
    try:
        text = _read(args.request)
    except OSError as exc:
        _print({"valid": False, "errors": [{"field": "(file)", "message": str(exc)}]})
        return 2
    if args.command == "validate":
        return _verdict(deployment, text, args.caller_account, args.idempotency_key)
    from repolink_local.summary import run_locally, run_via_api, run_via_event

    world = _world(args, deployment)
    caller = args.caller_account or deployment.account
    if args.local_command == "run" and (args.offboard or args.change):
        body = ({"deletePackages": True} if args.delete_packages else {}) if args.offboard else None
        try:
            new = None if args.change is None else _read(args.change)
        except OSError as exc:
            _print({"valid": False, "errors": [{"field": "--change", "message": str(exc)}]})
            return 2
        outcome = run_locally(
            world,
            text,
            caller=caller,
            idempotency_key=args.idempotency_key,
            offboard=body,
            change=new,
            recheck_after=args.recheck_after,
        )
        _print(outcome)
        changed = outcome.get("change", {}).get("status")
        offboarding = outcome.get("offboarding", {}).get("status")
        if outcome["status"] == "REJECTED" or "REFUSED" in (changed, offboarding):
            return 2
        if changed is not None and changed != "SUCCEEDED":
            return 1
        return 0 if offboarding in (None, "OFFBOARDED") else 1
    if args.local_command == "run":
        outcome = run_locally(
            world, text, caller=caller, idempotency_key=args.idempotency_key, recheck_after=args.recheck_after
        )
    elif args.local_command == "event":
        outcome = run_via_event(
            world, text, caller=caller, idempotency_key=args.idempotency_key, recheck_after=args.recheck_after
        )
    else:
        outcome = run_via_api(world, text, caller=caller, idempotency_key=args.idempotency_key)
    _print(outcome)
    return {"SUCCEEDED": 0, "REJECTED": 2}.get(outcome["status"], 1)
