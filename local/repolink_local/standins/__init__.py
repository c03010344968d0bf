"""In-process stand-ins for the AWS APIs moto lacks, served through botocore's ``before-send``.

codeconnections / codestar-connections (one store, two names), apprunner, proton and
codeartifact, each stateful and validated against botocore's own service model. Install before
moto's handler (moto answers these services' URLs with "not yet implemented" otherwise).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from repolink_local.standins.codeartifact import CodeArtifactApi
from repolink_local.standins.connections import (
    AppRunnerApi,
    CodeConnectionsApi,
    ConnectionStore,
    HandshakePolicy,
)
from repolink_local.standins.faults import FaultInjector, FaultRule
from repolink_local.standins.protocol import Codec, ServiceError, validate
from repolink_local.standins.proton import ProtonApi
from repolink_local.standins.quotas import DOCUMENTED_QUOTAS, Quota, RateLimiter

__all__ = ["DOCUMENTED_QUOTAS", "FaultRule", "HandshakePolicy", "Quota", "StandIns"]

#: the botocore service id (as in ``before-send.<id>.<Operation>``) -> botocore service name
SERVICES = {
    "codeconnections": "codeconnections",
    "codestar-connections": "codestar-connections",
    "apprunner": "apprunner",
    "proton": "proton",
    "codeartifact": "codeartifact",
}


DEFAULT_HANDSHAKE = HandshakePolicy("after", 1)


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
        self.connections = ConnectionStore(account_id, region, handshake)
        self.proton = ProtonApi(self.connections)
        self.codeartifact = CodeArtifactApi(account_id, region)
        self._apis: dict[str, Any] = {
            "codeconnections": CodeConnectionsApi(self.connections, "codeconnections"),
            "codestar-connections": CodeConnectionsApi(self.connections, "codestar-connections"),
            "apprunner": AppRunnerApi(self.connections),
            "proton": self.proton,
            "codeartifact": self.codeartifact,
        }
        self._codecs = {name: Codec(name) for name in SERVICES.values()}
        self._injector = FaultInjector(faults, seed)
        #: request-rate quotas, on the same clock as the handshake (the engine's virtual clock)
        self.limiter = RateLimiter(quotas, lambda: self.connections.clock())
        self._lock = threading.RLock()
        self.calls: Counter[str] = Counter()
        self._entry = ("before-send", self)

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
        if len(parts) < 3 or parts[1] not in SERVICES:
            return None
        service, operation_name = SERVICES[parts[1]], parts[2]
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
                handler = getattr(self._apis[service], operation_name, None)
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
        """Register before moto's before-send handler, for every botocore session made from now."""
        if self._entry in BUILTIN_HANDLERS:
            return
        BUILTIN_HANDLERS.insert(0, self._entry)
        boto3.DEFAULT_SESSION = None

    def uninstall(self) -> None:
        while self._entry in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.remove(self._entry)
        boto3.DEFAULT_SESSION = None

    def __enter__(self) -> StandIns:
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        self.uninstall()
