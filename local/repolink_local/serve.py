"""``repolink local serve``: the API on a real HTTP port, in front of one local world.

A thin WSGI translation around :meth:`repolink_local.engine.LocalEngine.api_response`, the one
accept path every local mode takes: werkzeug's threaded server takes the request,
:class:`Gateway` answers what API Gateway answers on its own (the stage and routes the template
deploys, a SigV4 ``Authorization`` header for ``execute-api``, the 10 MB payload limit), and the
engine does the rest: the API's resource policy, the function, the workflow, in the background
on the virtual clock for as long as the server runs.

Signatures are parsed, not verified (as moto and LocalStack): the caller's account is the access
key id when it is 12 digits (moto's convention), else the deployment's own account.
"""

from __future__ import annotations

import base64
import hashlib
import re
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from repolink_local.apigw import match, routes_of
from repolink_local.engine import LocalEngine
from repolink_local.patches import LambdaServiceError
from repolink_local.standins import StandIns
from repolink_local.summary import LocalWorld

#: REST APIs: "Maximum payload size: 10 MB" (not adjustable;
#: https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html)
PAYLOAD_MAX = 10 * 1024 * 1024
#: how long a stop waits for requests in flight before it closes their connections
DRAIN_SECONDS = 10.0

#: the environ key of the request's headers as sent, in order, a repeated one each time
RAW_HEADERS = "repolink.raw_headers"

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"

#: (status, headers, body) as the client receives them
Answer = tuple[int, dict[str, str], str | None]


def gateway_response(status: int, error_type: str | None, message: str) -> Answer:
    """A response API Gateway makes itself (a gateway response, not the function's): JSON
    ``{"message": ...}`` and the error's name in ``x-amzn-ErrorType``
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html)."""
    import json

    headers = {"Content-Type": "application/json"} | ({"x-amzn-ErrorType": error_type} if error_type else {})
    return status, headers, json.dumps({"message": message}, separators=(",", ":"))


# MISSING_AUTHENTICATION_TOKEN (403): no Authorization header on a method with AWS_IAM auth, and
# every request to a resource, method or stage the API does not have ("Missing Authentication
# Token ... An API request was made to a method or resource that does not exist"; "API requests
# are not signed when IAM authentication is turned on";
# https://repost.aws/knowledge-center/api-gateway-authentication-token-errors).
MISSING_TOKEN = gateway_response(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
# REQUEST_TOO_LARGE (413), with the text API Gateway sends
# (https://github.com/chroma-core/chroma/issues/1458: "HTTP content length exceeded 10485760 bytes.");
# no x-amzn-ErrorType: no source shows the one it sends
TOO_LARGE = gateway_response(413, None, f"HTTP content length exceeded {PAYLOAD_MAX} bytes.")
# INTEGRATION_FAILURE (502): Lambda refused the invoke (over its 6 MB payload, throttled)
# (https://github.com/DataBiosphere/azul/issues/8258: "Internal server error", INTEGRATION_FAILURE)
INTEGRATION_FAILURE = gateway_response(502, "InternalServerErrorException", "Internal server error")


def _hashed(text: str) -> str:
    """API Gateway no longer echoes a bad Authorization header: it shows its SHA-256, Base64."""
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def _incomplete(message: str) -> Answer:
    return gateway_response(403, "IncompleteSignatureException", message)


def _invalid(message: str) -> Answer:
    return gateway_response(403, "InvalidSignatureException", message)


def signer_account(headers: Headers, *, region: str, own_account: str) -> str | Answer:
    """The account a SigV4-signed request comes from, or API Gateway's refusal of its signature.

    The messages are API Gateway's own, as clients see them (IncompleteSignatureException:
    https://github.com/aws/chalice/issues/828, https://github.com/aws-amplify/amplify-flutter/issues/1539;
    the credential scope, InvalidSignatureException: https://github.com/aws/aws-sdk-js/issues/4097,
    https://github.com/Kong/insomnia/issues/713). The signature itself is not verified."""
    authorization = (headers.get("Authorization") or "").strip()
    if not authorization:
        return MISSING_TOKEN
    algorithm, _, rest = authorization.partition(" ")
    if algorithm.startswith("AWS4-") and algorithm != ALGORITHM:
        return _incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'")
    fields: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, equals, value = part.partition("=")
        if not equals:
            return _incomplete(
                "Invalid key=value pair (missing equal-sign) in Authorization header"
                f" (hashed with SHA-256 and encoded with Base64): '{_hashed(authorization)}'."
            )
        fields[key] = value
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    amz_date = headers.get("X-Amz-Date")
    if not (amz_date or headers.get("Date")):
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        return _incomplete(" ".join(missing) + f" Authorization={_hashed(authorization)}")
    if amz_date and not re.fullmatch(r"[0-9]{8}T[0-9]{6}Z", amz_date):
        return _incomplete(
            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    if "host" not in fields["SignedHeaders"].lower().split(";"):
        return _incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        return _invalid(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{scope[-1]}'. "
        )
    access_key, day, scope_region, service, _ = scope
    wrong = []
    if scope_region != region:
        wrong.append(f"Credential should be scoped to a valid region, not '{scope_region}'. ")
    if service != SERVICE:
        wrong.append(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if wrong:
        return _invalid("".join(wrong))
    if amz_date and day != amz_date[:8]:
        return _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP:"
            f" '{day}' != '{amz_date[:8]}', from '{amz_date}'."
        )
    return access_key if re.fullmatch(r"[0-9]{12}", access_key) else own_account


@dataclass(frozen=True)
class Gateway:
    """What API Gateway decides before the function runs, for the REST API the template deploys."""

    stage: str
    #: (HTTP method, path pattern) of every method the API has, e.g. ("GET", "/links/{request_id}")
    routes: tuple[tuple[str, str], ...]
    region: str
    account: str

    @classmethod
    def of(cls, engine: LocalEngine) -> Gateway:
        """The stage and methods SAM's translation of the template deploys (no second list)."""
        template = engine.iam.deployment.template
        (stage,) = template.resources_of_type("AWS::ApiGateway::Stage").values()
        return cls(str(stage["Properties"]["StageName"]), routes_of(template), engine.region, engine.account)

    def resource_path(self, method: str, path: str) -> str | None:
        """The path under the stage (``/links``) when a method of the API serves ``path``
        (``/v1/links``), else ``None``."""
        prefix = f"/{self.stage}/"
        if not path.startswith(prefix):
            return None
        rest = "/" + path[len(prefix) :]
        return rest if match(self.routes, method, rest) else None


class GatewayApp:
    """The WSGI application: API Gateway's checks, then the engine's API, one request at a time
    per thread. Hosts a POST body names are registered in the world before the API sees it."""

    def __init__(self, world: LocalWorld, standins: StandIns, engine: LocalEngine) -> None:
        self.world, self.standins, self.engine = world, standins, engine
        self.gateway = Gateway.of(engine)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        (status, answered, body), caller = self.answer(request)
        refused = answered.get("x-amzn-ErrorType")
        who = f" (as {caller})" if caller else ""
        self.world.progress(
            f"{request.method} {request.path} -> {status}{f' {refused}' if refused else ''}{who}"
        )
        # API Gateway's default media type, and the request id it gives every answer
        headers = {"Content-Type": "application/json"} | answered | {"x-amzn-RequestId": str(uuid.uuid4())}
        response = Response(body or "", status=status, headers=headers)
        return response(environ, start_response)  # type: ignore[no-any-return]

    def answer(self, request: Request) -> tuple[Answer, str | None]:
        """The answer, and the caller's account once the signature names one."""
        if (request.content_length or 0) > PAYLOAD_MAX:
            return TOO_LARGE, None
        path = self.gateway.resource_path(request.method, request.path)
        if path is None:
            return MISSING_TOKEN, None
        caller = signer_account(request.headers, region=self.gateway.region, own_account=self.gateway.account)
        if not isinstance(caller, str):
            return caller, None
        data = request.stream.read(PAYLOAD_MAX + 1)
        if len(data) > PAYLOAD_MAX:
            return TOO_LARGE, caller
        body = data.decode("utf-8", errors="replace") or None
        if request.method == "POST" and body is not None:
            self.world.add_host(self.standins, body)
        # every header as the client sent it, repeats included (the WSGI environ joins or drops
        # them), and the path as decoded once: a %3F in it is part of the path, not a query
        headers = request.environ.get(RAW_HEADERS) or list(request.headers.items())
        query = request.query_string.decode("utf-8", errors="replace")
        try:
            return self.engine.api_response(
                request.method, path, body, headers=headers, caller_account=caller, query=query
            ), caller
        except LambdaServiceError:
            return INTEGRATION_FAILURE, caller


class _InFlight:
    """Requests being handled now, so that a stop lets them finish before closing connections."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    @contextmanager
    def request(self) -> Iterator[None]:
        with self._idle:
            self._count += 1
        try:
            yield
        finally:
            with self._idle:
                self._count -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


class _Handler(WSGIRequestHandler):
    """werkzeug's handler, keeping track of its connections and requests (for a clean stop);
    the app reports each request on the progress stream instead of an access log."""

    server: Any

    def make_environ(self) -> Any:
        environ = super().make_environ()
        environ[RAW_HEADERS] = list(self.headers.items())
        return environ

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        super().finish()

    def run_wsgi(self) -> None:
        with self.server.in_flight.request():
            super().run_wsgi()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class CannotListen(OSError):
    """The address is taken (another ``sam local start-api``?) or not this machine's."""


@dataclass(frozen=True)
class Serving:
    """A running server: its base URL (the stage's, with the port actually bound)."""

    base_url: str
    engine: LocalEngine
    server: BaseWSGIServer


@contextmanager
def serving(world: LocalWorld, host: str = "127.0.0.1", port: int = 3000) -> Iterator[Serving]:
    """Serve the API on ``host:port`` (0: a free port) in a background thread while the block
    runs; then stop accepting, let requests in flight finish, close the connections, and leave
    the engine (which stops every execution still running)."""
    standins = world.standins()
    with world.engine(standins) as engine:
        app = GatewayApp(world, standins, engine)
        # bound here: werkzeug's own bind prints the error and exits the process
        try:
            listening = socket.create_server((host, port), family=_family(host))
        except OSError as exc:
            raise CannotListen(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        with listening:  # werkzeug serves a duplicate of its descriptor
            server = make_server(
                host, port, app, threaded=True, request_handler=_Handler, fd=listening.fileno()
            )
        server.connections = set()  # type: ignore[attr-defined]
        server.in_flight = _InFlight()  # type: ignore[attr-defined]
        thread = threading.Thread(target=server.serve_forever, name="repolink-serve", daemon=True)
        thread.start()
        netloc = f"[{host}]" if ":" in host else host
        try:
            yield Serving(f"http://{netloc}:{server.port}/{app.gateway.stage}", engine, server)
        finally:
            server.shutdown()
            thread.join()
            server.in_flight.wait_idle(DRAIN_SECONDS)  # type: ignore[attr-defined]
            for connection in list(server.connections):  # type: ignore[attr-defined]
                _close(connection)
            server.server_close()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _close(connection: Any) -> None:
    """End an idle keep-alive connection: its handler thread sees the end and returns."""
    with suppress(OSError):  # the client closed it already
        connection.shutdown(socket.SHUT_RDWR)


def serve_until_stopped(world: LocalWorld, host: str, port: int, say: Callable[[str], None]) -> int:
    """``repolink local serve``: serve until SIGINT or SIGTERM, then stop cleanly (exit 0)."""
    stop = threading.Event()
    received: list[str] = []

    def on_signal(number: int, _frame: object) -> None:
        received.append(signal.Signals(number).name)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with serving(world, host, port) as running:
            say(f"repolink API on {running.base_url} (POST {running.base_url}/links); Ctrl-C stops it")
            while not stop.wait(0.5):
                pass
            started = time.monotonic()
            engine = running.engine
            every = [e for machine in engine.state_machine_arns for e in engine.executions(machine)]
            still_running = sum(1 for e in every if e["status"] == "RUNNING")
            say(f"{received[0]}: stopping ({still_running} execution(s) still running are stopped)")
        say(f"stopped in {time.monotonic() - started:.1f}s")
    except CannotListen as exc:
        say(str(exc))
        return 2
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    return 0
