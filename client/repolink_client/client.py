"""The client: ``repolink submit``, ``status``, ``change``, ``offboard`` and ``list``, against a
deployed stack or ``local serve``.

    repolink submit REQUEST.json [--idempotency-key K] [--wait] (--api-url URL | --stack-name NAME)
    repolink status ID [--wait] (--api-url URL | --stack-name NAME)
    repolink change ID REQUEST.json [--wait] (--api-url URL | --stack-name NAME)
    repolink offboard ID [--delete-packages] [--wait] (--api-url URL | --stack-name NAME)
    repolink list [--state S] [--limit N] [--next-token T] (--api-url URL | --stack-name NAME)

The API's base URL is ``--api-url`` (``https://ID.execute-api.REGION.amazonaws.com/v1``, or
``http://127.0.0.1:3000/v1`` for ``repolink local serve``), or the ``ApiUrl`` output of the
CloudFormation stack ``--stack-name``. Every call is signed with SigV4 for ``execute-api``, with
credentials from botocore's standard chain (``--profile``, environment, ``~/.aws``, SSO, a role).

A call has explicit timeouts and is retried with backoff and jitter on throttling, on 5xx and on a
lost connection. Retrying a POST is safe: duplicates of a request get the same onboarding (the API
derives its id from the caller and the body, or the Idempotency-Key); retrying a DELETE too: an
onboarding has one offboarding, named after it, and a second DELETE answers from it; retrying a PUT
too: the same body again answers from the change it started. ``--wait`` follows the
onboarding (``Location``, resolved against the request URL) until it ends, polling with backoff,
and shows progress on stderr: the current step, and the console link while the handshake waits
for a person.

The API's JSON answer goes to stdout. Exit codes, as ``local run``'s: 0 accepted, or succeeded
(``--wait``; ``status`` of a running onboarding too), offboarded, listed; 1 the onboarding (or its
offboarding) failed, or its outcome could not be learned (the API unreachable, a 5xx after
retries, ``--wait-timeout`` passed); 2 refused: the request, the command line, or a 4xx (403 not
allowed, 404 no such onboarding, 409 an onboarding or a change still running, 422 a field a change
may not change).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import urllib3
from rich.console import Console
from rich.markup import escape

#: connect and read timeouts of each call to the API (API Gateway itself gives up after 29 s)
TIMEOUT = urllib3.Timeout(connect=5.0, read=35.0)
#: each call: up to 4 retries, 0.5 s, 1 s, 2 s, 4 s apart, each plus up to 0.5 s of jitter, honouring
#: Retry-After. About 10 s in all, well inside the 5 minutes a SigV4 signature stays valid.
RETRY = urllib3.Retry(
    total=4,
    backoff_factor=0.5,
    backoff_jitter=0.5,
    backoff_max=10.0,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=("GET", "POST", "PUT", "DELETE"),
    raise_on_status=False,
    respect_retry_after_header=True,
)
_EXECUTE_API_HOST = re.compile(r"[a-z0-9]+\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?")
_REQUEST_ID = re.compile(r"rl-[0-9a-f]{40}")

EXIT_OK, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2
#: the statuses --wait goes on following; the ones that end in failure
UNDER_WAY, FAILED = ("running", "offboarding"), ("failed", "offboard-failed")


class ClientError(Exception):
    """What keeps the client from asking: no credentials, no such stack, a bad flag (exit 2)."""


class Unreachable(Exception):
    """The API could not be reached, even after retries (exit 1)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    url: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Api:
    """The REST API at ``base_url`` (its stage, e.g. ``.../v1/``), every call SigV4-signed."""

    base_url: str
    region: str
    credentials: Any
    http: urllib3.PoolManager = field(
        default_factory=lambda: urllib3.PoolManager(timeout=TIMEOUT, retries=RETRY)
    )

    def call(
        self, method: str, url: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        SigV4Auth(self.credentials.get_frozen_credentials(), "execute-api", self.region).add_auth(request)
        try:
            response = self.http.request(method, url, body=body, headers=dict(request.headers.items()))
        except urllib3.exceptions.HTTPError as exc:
            raise Unreachable(f"{method} {url}: {exc}") from None
        text = response.data.decode("utf-8", errors="replace")
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = {"message": text[:500]}
        return Answer(response.status, dict(response.headers.items()), parsed, url)

    def submit(self, text: str, idempotency_key: str | None) -> Answer:
        headers = {"Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return self.call("POST", urljoin(self.base_url, "links"), text, headers)

    def status_url(self, request_id: str) -> str:
        return urljoin(self.base_url, f"links/{request_id}")

    def change(self, request_id: str, text: str) -> Answer:
        """PUT the new desired request of the onboarding."""
        return self.call("PUT", self.status_url(request_id), text, {"Content-Type": "application/json"})

    def offboard(self, request_id: str, delete_packages: bool) -> Answer:
        """DELETE the onboarding; the body only when it asks for more than the default."""
        if not delete_packages:
            return self.call("DELETE", self.status_url(request_id))
        body = json.dumps({"deletePackages": True})
        return self.call("DELETE", self.status_url(request_id), body, {"Content-Type": "application/json"})

    def recheck(self, request_id: str) -> Answer:
        """POST the onboarding's recheck: its wait for a person ends now, and it checks at once."""
        return self.call("POST", urljoin(self.base_url, f"links/{request_id}/recheck"))

    def list(self, state: str | None, limit: int | None, token: str | None) -> Answer:
        query = urlencode({k: v for k, v in (("state", state), ("limit", limit), ("nextToken", token)) if v})
        return self.call("GET", urljoin(self.base_url, "links") + (f"?{query}" if query else ""))


def _region_of(url: str, given: str | None, session: Any) -> str:
    if given:
        return given
    if found := _EXECUTE_API_HOST.fullmatch(urlsplit(url).hostname or ""):
        return found["region"]
    return str(session.get_config_variable("region") or "us-east-1")


def _stack_api_url(session: Any, stack: str, region: str | None) -> str:
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError as AwsError

    config = Config(connect_timeout=5, read_timeout=30, retries={"mode": "standard", "max_attempts": 5})
    cloudformation = session.create_client("cloudformation", region_name=region, config=config)
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except AwsError as exc:
        raise ClientError(f"stack {stack}: {exc.response['Error'].get('Message', exc)}") from None
    except BotoCoreError as exc:
        raise ClientError(f"stack {stack}: {exc}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs") or []}
    if "ApiUrl" not in outputs:
        raise ClientError(f"stack {stack} has no ApiUrl output: is it a repolink stack, fully deployed?")
    return str(outputs["ApiUrl"])


def connect(args: argparse.Namespace) -> Api:
    """The API the flags name, with credentials from botocore's chain."""
    import botocore.session

    session = botocore.session.Session(profile=args.profile)
    if args.api_url:
        url = args.api_url
    else:
        url = _stack_api_url(session, args.stack_name, args.region or session.get_config_variable("region"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientError(f"--api-url must be an http(s) URL with a host, not {url!r}")
    credentials = session.get_credentials()
    if credentials is None:
        raise ClientError(
            "no AWS credentials: botocore's chain found none"
            " (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws, SSO, a role)"
        )
    return Api(
        base_url=url.rstrip("/") + "/", region=_region_of(url, args.region, session), credentials=credentials
    )


@dataclass
class Progress:
    """What changed in the onboarding, on stderr: status and step, the console link while pending."""

    console: Console
    shown: tuple[Any, ...] = ()

    def show(self, status: dict[str, Any]) -> None:
        now = (status.get("status"), status.get("step"), status.get("connectionStatus"))
        if now == self.shown:
            return
        self.shown = now
        step = f" at [bold]{escape(str(now[1]))}[/bold]" if now[1] else ""
        connection = f" (connection {escape(str(now[2]))})" if now[2] else ""
        self.console.print(f"{escape(str(now[0]))}{step}{connection}")
        if status.get("consoleUrl") and status.get("status") == "running":
            url = escape(str(status["consoleUrl"]))
            self.console.print(f"  a person completes the handshake at [link={url}]{url}[/link]")


@dataclass(frozen=True)
class Polling:
    """How ``--wait`` polls: the first interval, doubled up to ``cap``, each with equal jitter."""

    first: float = 2.0
    cap: float = 30.0
    timeout: float | None = None


def follow(
    api: Api,
    url: str,
    progress: Progress,
    polling: Polling,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Answer, bool]:
    """GET ``url`` until the onboarding ends; (the last answer, whether it ended)."""
    delay = polling.first
    give_up = None if polling.timeout is None else time.monotonic() + polling.timeout
    while True:
        answer = api.call("GET", url)
        if answer.status != 200 or not isinstance(answer.body, dict):
            return answer, True
        before = progress.shown
        progress.show(answer.body)
        if answer.body.get("status") not in UNDER_WAY:
            return answer, True
        if give_up is not None and time.monotonic() >= give_up:
            return answer, False
        delay = polling.first if progress.shown != before else min(delay * 2, polling.cap)
        sleep(delay / 2 + random.uniform(0, delay / 2))  # noqa: S311  (jitter, not a secret)


def _exit_code(answer: Answer, ended: bool = True) -> int:
    if 400 <= answer.status < 500:
        return EXIT_REFUSED
    if answer.status >= 300 or not ended:
        return EXIT_FAILED
    status = answer.body.get("status") if isinstance(answer.body, dict) else None
    return EXIT_FAILED if status in FAILED else EXIT_OK


def _say_http(console: Console, answer: Answer, method: str) -> None:
    shown = urlsplit(answer.url).path
    console.print(f"{method} {escape(shown)} -> {answer.status}", style="dim")


def run(args: argparse.Namespace, console: Console | None = None) -> int:
    """``submit`` or ``status``: the exit code; the API's JSON answer on stdout."""
    console = console or Console(stderr=True, highlight=False)
    polling = Polling(
        first=args.poll_interval, cap=max(args.poll_interval, args.poll_max), timeout=args.wait_timeout
    )
    try:
        api = connect(args)
        if args.command == "submit":
            text = sys.stdin.read() if args.request == "-" else Path(args.request).read_text()
            answer = api.submit(text, args.idempotency_key)
            _say_http(console, answer, "POST")
            location = answer.header("Location")
            if answer.status != 202 or not args.wait or not location:
                return _print(answer)
            url = urljoin(answer.url, location)
        elif args.command == "list":
            answer = api.list(args.state, args.limit, args.next_token)
            _say_http(console, answer, "GET")
            return _print(answer)
        elif args.command == "change":
            if not _REQUEST_ID.fullmatch(args.id):
                raise ClientError(f"{args.id!r} is not an onboarding id (rl- and 40 hexadecimal digits)")
            text = sys.stdin.read() if args.request == "-" else Path(args.request).read_text()
            answer = api.change(args.id, text)
            _say_http(console, answer, "PUT")
            location = answer.header("Location")
            if answer.status not in (200, 202) or not args.wait or not location:
                return _print(answer)
            url = urljoin(answer.url, location)
        elif args.command == "recheck":
            if not _REQUEST_ID.fullmatch(args.id):
                raise ClientError(f"{args.id!r} is not an onboarding id (rl- and 40 hexadecimal digits)")
            answer = api.recheck(args.id)
            _say_http(console, answer, "POST")
            if answer.status != 202 or not args.wait:
                return _print(answer)
            url = api.status_url(args.id)
        elif args.command == "offboard":
            if not _REQUEST_ID.fullmatch(args.id):
                raise ClientError(f"{args.id!r} is not an onboarding id (rl- and 40 hexadecimal digits)")
            answer = api.offboard(args.id, args.delete_packages)
            _say_http(console, answer, "DELETE")
            location = answer.header("Location")
            if answer.status not in (200, 202) or not args.wait or not location:
                return _print(answer)
            url = urljoin(answer.url, location)
        else:
            if not _REQUEST_ID.fullmatch(args.id):
                raise ClientError(f"{args.id!r} is not an onboarding id (rl- and 40 hexadecimal digits)")
            url = api.status_url(args.id)
        progress = Progress(console)
        if not args.wait:
            answer = api.call("GET", url)
            _say_http(console, answer, "GET")
            if answer.status == 200 and isinstance(answer.body, dict):
                progress.show(answer.body)
            return _print(answer)
        answer, ended = follow(api, url, progress, polling)
        if not ended:
            console.print(f"still running after --wait-timeout {args.wait_timeout:g} s", style="yellow")
        return _print(answer, ended)
    except ClientError as exc:
        console.print(f"repolink: {escape(str(exc))}", style="red")
        return EXIT_REFUSED
    except OSError as exc:  # the request file
        console.print(f"repolink: {escape(str(exc))}", style="red")
        return EXIT_REFUSED
    except Unreachable as exc:
        console.print(f"repolink: the API could not be reached: {escape(str(exc))}", style="red")
        return EXIT_FAILED
    except KeyboardInterrupt:
        console.print("stopped waiting; the onboarding goes on (repolink status ID shows it)", style="yellow")
        return 130


def _print(answer: Answer, ended: bool = True) -> int:
    print(json.dumps(answer.body, indent=2))
    return _exit_code(answer, ended)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError("expected a number of seconds above 0")
    return value


def _page_size(text: str) -> int:
    if not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= 100:
        raise argparse.ArgumentTypeError("expected a whole number from 1 to 100")
    return int(text)


def add_commands(commands: Any) -> None:
    """``submit`` and ``status``, on the ``repolink`` command's subparsers."""
    submit = commands.add_parser("submit", help="POST a request to a deployed API (or local serve)")
    submit.add_argument("request", help="request JSON file, or - for stdin")
    submit.add_argument("--idempotency-key", default=None, help="sent as the Idempotency-Key header")
    status = commands.add_parser("status", help="GET an onboarding from a deployed API (or local serve)")
    status.add_argument("id", help="the onboarding's id (requestId, rl-...)")
    change = commands.add_parser(
        "change",
        help="PUT an onboarding's new desired request: add what is new, update what AWS can in place",
    )
    change.add_argument("id", help="the onboarding's id (requestId, rl-...)")
    change.add_argument("request", help="the new request JSON file, or - for stdin")
    offboard = commands.add_parser(
        "offboard", help="DELETE an onboarding: remove what it created (never what it reused)"
    )
    offboard.add_argument("id", help="the onboarding's id (requestId, rl-...)")
    offboard.add_argument(
        "--delete-packages",
        action="store_true",
        help="also delete CodeArtifact repositories it created that hold packages (the packages are lost)",
    )
    recheck = commands.add_parser(
        "recheck",
        help="POST an onboarding's recheck: the handshake (or host setup) is done, check it now",
    )
    recheck.add_argument("id", help="the onboarding's id (requestId, rl-...)")
    listing = commands.add_parser("list", help="GET /links: a page of your onboardings, newest first")
    listing.add_argument("--state", choices=("running", "succeeded", "failed", "offboarded"), default=None)
    listing.add_argument("--limit", type=_page_size, default=None, help="executions a page reads (1-100)")
    listing.add_argument("--next-token", default=None, help="the nextToken of the previous page")
    for parser in (submit, status, change, offboard, recheck, listing):
        where = parser.add_argument_group("the API").add_mutually_exclusive_group(required=True)
        where.add_argument(
            "--api-url",
            help="the API's base URL with its stage, e.g. https://ID.execute-api.REGION.amazonaws.com/v1",
        )
        where.add_argument("--stack-name", help="the repolink stack: its ApiUrl output is the base URL")
        parser.add_argument(
            "--region", default=None, help="the API's Region (default: from the URL, else botocore's)"
        )
        parser.add_argument("--profile", default=None, help="the botocore profile whose credentials sign")
        if parser is not listing:
            parser.add_argument("--wait", action="store_true", help="follow the onboarding until it ends")
        parser.add_argument(
            "--poll-interval", type=_positive, default=2.0, help="first poll interval of --wait (s; doubles)"
        )
        parser.add_argument("--poll-max", type=_positive, default=30.0, help="longest poll interval (s)")
        parser.add_argument(
            "--wait-timeout",
            type=_positive,
            default=None,
            help="stop waiting after this many seconds (exit 1)",
        )
