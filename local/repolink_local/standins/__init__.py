"""In-process stand-ins for the AWS APIs moto lacks, served through botocore's ``before-send``.

codeconnections / codestar-connections (one store, two names), apprunner, proton and
codeartifact, each stateful and validated against botocore's own service model. Install before
moto's handler (moto answers these services' URLs with "not yet implemented" otherwise).

**An organisation, not one account.** Each account has its own stores: a request is served by
the stores of the account its credentials belong to (the access key of its ``Authorization``
header, asked of moto, whose STS ``AssumeRole`` makes a key of the role's account). The
deployment's own account is served by :attr:`StandIns.connections` and :attr:`StandIns.codeartifact`
as before; :meth:`StandIns.account` gives any other's, made on first use (which accounts the
organisation holds, and which have the spoke, is the IAM enforcer's to say:
``repolink_local.iam.enforcer.Organization``, ``--spoke-accounts``, ``--outside-organization``).

The same handler injects faults (:mod:`repolink_local.standins.faults`). A lost response is
served first, by the stand-in or, for the services moto serves (DynamoDB, EventBridge, Step
Functions, ...), by moto's own ``before-send`` handler, and then a
:class:`~botocore.exceptions.ReadTimeoutError` is raised. botocore's endpoint
(``Endpoint._do_get_response``) returns any exception raised in ``before-send`` as the
attempt's failure, and its retry handler retries a ``ReadTimeoutError`` (an ``HTTPClientError``)
as the network error it is: the client sends the call again, as it would on AWS.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ReadTimeoutError

from repolink_local.patches import HOOK_STANDINS, add_hook, remove_hook
from repolink_local.standins.codeartifact import CodeArtifactApi
from repolink_local.standins.connections import (
    AppRunnerApi,
    CodeConnectionsApi,
    ConnectionStore,
    HandshakePolicy,
)
from repolink_local.standins.faults import LOST_RESPONSE, FaultInjector, FaultRule
from repolink_local.standins.protocol import Codec, ServiceError, validate
from repolink_local.standins.proton import ProtonApi
from repolink_local.standins.quotas import DOCUMENTED_QUOTAS, Quota, RateLimiter

__all__ = ["DOCUMENTED_QUOTAS", "LOST_RESPONSE", "FaultRule", "HandshakePolicy", "Quota", "StandIns"]

#: the botocore service id (as in ``before-send.<id>.<Operation>``) -> botocore service name
SERVICES = {
    "codeconnections": "codeconnections",
    "codestar-connections": "codestar-connections",
    "apprunner": "apprunner",
    "proton": "proton",
    "codeartifact": "codeartifact",
}


DEFAULT_HANDSHAKE = HandshakePolicy("after", 1)


class AccountStores:
    """One account's stand-in state: its connections, hosts and Git sync, its CodeArtifact."""

    def __init__(
        self,
        account: str,
        region: str,
        handshake: HandshakePolicy,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.connections = ConnectionStore(account, region, handshake)
        if clock is not None:
            self.connections.clock = clock
        self.codeartifact = CodeArtifactApi(account, region)
        self.apis: dict[str, Any] = {
            "codeconnections": CodeConnectionsApi(self.connections, "codeconnections"),
            "codestar-connections": CodeConnectionsApi(self.connections, "codestar-connections"),
            "apprunner": AppRunnerApi(self.connections),
            "codeartifact": self.codeartifact,
        }

    def tags_of(self, service: str, arn: str) -> dict[str, str] | None:
        """The tags of the connection, host, repository link, App Runner connection, domain or
        repository ``arn`` names, or None when this account holds no such resource."""
        if service == "codeartifact":
            found = self.codeartifact.tags.get(arn)
            return None if found is None else dict(found)
        kind, _, rest = arn.split(":", 5)[5].partition("/")
        resource_id = rest.rsplit("/", 1)[-1]
        items: dict[str, Any] = {
            "host": self.connections.hosts,
            "repository-link": self.connections.repository_links,
        }
        if kind == "connection":
            try:  # one store for both connection services, by id; App Runner's by ARN
                return dict(self.connections.get(arn).tags)
            except KeyError:
                return None
        item = items.get(kind, {}).get(resource_id)
        return None if item is None else dict(item.tags)


_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")


def account_of_key(access_key: str) -> str | None:
    """The account moto made ``access_key`` in (an AssumeRole session's key is the role's
    account's), or None for a key moto did not make (the run's own credentials)."""
    from moto.iam.models import iam_backends

    for account_id, backends in list(iam_backends.items()):
        for backend in list(backends.values()):
            if access_key in backend.access_keys:
                return str(account_id)
    return None


class StandIns:
    """The before-send handler, the stores behind it, and what it served."""

    def __init__(
        self,
        *,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        handshake: HandshakePolicy = DEFAULT_HANDSHAKE,
        faults: Sequence[FaultRule] = (),
        seed: int = 0,
        quotas: Sequence[Quota] = (),
    ) -> None:
        self.account_id, self.region = account_id, region
        own = AccountStores(account_id, region, handshake)
        self.connections, self.codeartifact = own.connections, own.codeartifact
        self.proton = ProtonApi(self.connections)
        self._apis: dict[str, Any] = {**own.apis, "proton": self.proton}
        self._codecs = {name: Codec(name) for name in SERVICES.values()}
        self._injector = FaultInjector(faults, seed)
        #: request-rate quotas, on the same clock as the handshake (the engine's virtual clock)
        self.limiter = RateLimiter(quotas, lambda: self.connections.clock())
        self._lock = threading.RLock()
        self.calls: Counter[str] = Counter()
        self.handshake = handshake
        #: each account's stores: the deployment's own, and the others', made on their first request
        self.accounts: dict[str, AccountStores] = {account_id: own}
        self._key_accounts: dict[str, str | None] = {}

    def account(self, account_id: str) -> AccountStores:
        """The stand-in state of ``account_id``: the deployment's own (:attr:`connections`,
        :attr:`codeartifact`), or another's, made on first use, on the deployment's clock."""
        with self._lock:
            if account_id not in self.accounts:
                self.accounts[account_id] = AccountStores(
                    account_id, self.region, self.handshake, lambda: self.connections.clock()
                )
            return self.accounts[account_id]

    def resource_tags(self, arn: str) -> dict[str, str] | None:
        """The tags of the resource ``arn`` names, as the stores of the account in the ARN hold
        them now (what IAM reads as ``aws:ResourceTag``), or None when no stand-in holds it (a
        pattern such as ``connection/*``, a resource not made yet or deleted)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or "*" in parts[5] or parts[2] not in SERVICES:
            return None
        with self._lock:
            stores = self.accounts.get(parts[4])
            return None if stores is None else stores.tags_of(parts[2], arn)

    def _api(self, request: AWSPreparedRequest, service: str) -> Any:
        """The API of the account the request's credentials belong to."""
        header = request.headers.get("Authorization") or b""
        text = header.decode("latin-1") if isinstance(header, bytes) else str(header)
        found = _CREDENTIAL.search(text)
        key = found.group(1) if found else ""
        if key not in self._key_accounts:
            self._key_accounts[key] = account_of_key(key) if key else None
        account = self._key_accounts[key]
        if account is None or account == self.account_id or service == "proton":
            return self._apis[service]
        return self.account(account).apis[service]

    @property
    def faults(self) -> list[FaultRule]:
        return self._injector.rules

    @faults.setter
    def faults(self, rules: Sequence[FaultRule]) -> None:
        self._injector.rules = list(rules)

    @property
    def faults_injected(self) -> Counter[str]:
        return self._injector.injected

    def __call__(self, request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse | None:
        parts = event_name.split(".")
        if len(parts) < 3:
            return None
        if parts[1] not in SERVICES:
            service = self._injector.lost_services.get(parts[1])
            if service is None or not self._injector.lose(service, parts[2]):
                return None
            from moto.core.models import botocore_stubber

            botocore_stubber(event_name=event_name, request=request)  # moto serves it: it takes effect
            raise ReadTimeoutError(endpoint_url=request.url)
        response = self._serve(request, SERVICES[parts[1]], parts[2])
        if self._injector.lose(SERVICES[parts[1]], parts[2]):
            raise ReadTimeoutError(endpoint_url=request.url)
        return response

    def _serve(self, request: AWSPreparedRequest, service: str, operation_name: str) -> AWSResponse:
        codec = self._codecs[service]
        with self._lock:
            self.calls[f"{service}:{operation_name}"] += 1
            try:
                self.limiter.check(service, operation_name)
                self._injector.check(service, operation_name)
                operation = codec.operation(operation_name)
                params = codec.decode(operation, request)
                problems = validate(operation.input_shape, params)
                if problems:
                    count = len(problems)
                    modeled = {shape.name for shape in operation.error_shapes}
                    code = (
                        "InvalidRequestException"
                        if "InvalidRequestException" in modeled
                        else "ValidationException"
                    )
                    raise ServiceError(
                        code,
                        f"{count} validation error{'s' if count > 1 else ''} detected: "
                        + "; ".join(problems),
                    )
                handler = getattr(self._api(request, service), operation_name, None)
                if handler is None:
                    raise ServiceError(
                        "InvalidAction",
                        f"{service} {operation_name} is not served by the local stand-ins",
                        400,
                    )
                return codec.encode(request, operation, handler(params))
            except ServiceError as error:
                return codec.error(request, error)

    def install(self) -> None:
        """Answer before moto's before-send handler (and before stand-ins installed earlier: the
        latest answers first), for every botocore client, made before or after. The engine's call
        counter is asked first, so it sees every request, a lost one too."""
        add_hook("before-send", self, HOOK_STANDINS)

    def uninstall(self) -> None:
        remove_hook("before-send", self)

    def __enter__(self) -> StandIns:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()
