"""The ``repolink`` command: the API's verdict on a request, or a whole onboarding run locally.

    repolink validate REQUEST.json [DEPLOYMENT] [--idempotency-key K]
    repolink local run|api|event REQUEST.json [DEPLOYMENT] [--handshake after:N|at:D|error|never]
                                 [--change NEW.json]  (run: then change it to NEW.json)
                                 [--recheck-after SECONDS]  (run, event: the handshake is done,
                                 and a recheck asked, SECONDS virtual seconds after it begins)
                                 [--offboard [--delete-packages]]  (run: then offboard it)
                                 [--host-status AVAILABLE|PENDING|ERROR]
                                 [--inject ERROR@OPERATION:RATE ...] [--seed N] [--idempotency-key K]
                                 (ERROR LostResponse: the call takes effect, its answer is lost)
    repolink local serve [DEPLOYMENT] [--host 127.0.0.1] [--port 3000] [--handshake ...]
                         [--host-status ...] [--inject ...] [--seed N]

DEPLOYMENT is the simulated ``sam deploy``, with SAM CLI's flags: -t/--template PATH,
--account ID, --region R, --parameter-overrides Key=Value ..., and --caller-account ID (who
sends the request; default: the deployment's account). Every mode takes the one accept path the
deployed API takes: ``local run`` and ``local api`` POST to the API function, ``local event``
delivers a RepositoryLinkRequested event; IAM is enforced on every call. ``local serve`` puts
the API on a real HTTP port (http://127.0.0.1:3000/v1/links) for SigV4-signing clients: one local
world for the server's lifetime, executions progressing in the background; SIGINT/SIGTERM stop it.

    repolink submit REQUEST.json [--idempotency-key K] [--wait] (--api-url URL | --stack-name NAME)
    repolink status ID [--wait] (--api-url URL | --stack-name NAME)
    repolink change ID REQUEST.json [--wait] (--api-url URL | --stack-name NAME)
    repolink offboard ID [--delete-packages] [--wait] (--api-url URL | --stack-name NAME)
    repolink recheck ID [--wait] (--api-url URL | --stack-name NAME)
                                 (the handshake or host setup is done: check it now)
    repolink list [--state S] [--limit N] [--next-token T] (--api-url URL | --stack-name NAME)
                                 (the client, for a deployed stack or local serve: see client.py)

Progress goes to stderr; JSON goes to stdout.
Exit codes: 0 success, 1 the onboarding failed, 2 the request (or the command line) is refused;
``local run --offboard``: 0 offboarded, 1 the onboarding or its offboarding failed, 2 refused;
``--change`` likewise: 1 also when the change failed, 2 when it was refused.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

from repolink_client import client

#: the commands of the local world (``repolink_local.cli``), with their line in ``repolink --help``
LOCAL_COMMANDS = {
    "validate": "the API's verdict on a request, starting nothing",
    "local": "run on the local engine (no AWS account)",
}
#: what the local modes import, as the extra ``[local]`` installs it (the functions' package and
#: the local world are part of every install; their dependencies are not)
LOCAL_MODULES = (
    "repolink",
    "repolink_local",
    "moto",
    "boto3",
    "aws_lambda_powertools",
    "aws_xray_sdk",
    "werkzeug",
    "yaml",
    "cbor2",
    "cfnlint",
    "samtranslator",
)


def _parser(local_commands: Callable[[Any], None] | None) -> argparse.ArgumentParser:
    """The whole command line. Without ``local_commands`` (the client's own use), ``validate`` and
    ``local`` are only named, for ``repolink --help``: nothing of the local world is imported."""
    parser = argparse.ArgumentParser(
        prog="repolink", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    client.add_commands(commands)
    if local_commands is None:
        for name, text in LOCAL_COMMANDS.items():
            commands.add_parser(name, help=text, add_help=False)
    else:
        local_commands(commands)
    return parser


def _missing_local_modes() -> str | None:
    """The first module the local modes need that is not installed, if any (nothing imported)."""
    return next((name for name in LOCAL_MODULES if find_spec(name) is None), None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in LOCAL_COMMANDS:
        if missing := _missing_local_modes():
            print(
                f"repolink {argv[0]}: the local modes are not installed (no module named {missing});"
                " in a clone of repolink, make setup installs them"
                " (or pip install -e '.[local]' and npm ci --prefix local/iam)",
                file=sys.stderr,
            )
            return 2
        from repolink_local import cli as local_modes

        code: int = local_modes.run(_parser(local_modes.add_commands).parse_args(argv))
        return code
    return client.run(_parser(None).parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
