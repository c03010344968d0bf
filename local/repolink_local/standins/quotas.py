"""Quotas: request rates (token buckets answering ``ThrottlingException``) and resources.

Resource quotas (:func:`refuse_beyond`) are AWS's own, from the one table the Lambda code reads
(:data:`repolink.adapters.quotas.QUOTAS`): a creation beyond one is refused with the row's error
code and message. Each stand-in counts what exists in the new resource's scope: its account and
Region, read from the ARNs (:func:`scope`), so a count stays right whichever account a store
holds resources of.

Request rates:

Buckets run on the stand-ins' clock, which the engine sets to its virtual clock: handler code
takes no virtual time, SDK retry back-off and Wait states do. So a burst of onboardings hits a
quota exactly as hard as it would if every request arrived at once, and the SDK's own back-off
is what lets it through, as in AWS.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from repolink.adapters.quotas import quota
from repolink_local.standins.protocol import STATUS, ServiceError, service_model

READ_PREFIXES = ("Describe", "Get", "List")


@dataclass(frozen=True)
class Quota:
    """``rate`` requests per second (and as many in one burst) for ``service``'s ``kind`` calls.

    ``kind`` is ``read`` (Describe/Get/List), ``write`` (everything else) or ``all``.
    """

    service: str
    kind: str
    rate: float
    source: str

    def applies(self, service: str, operation: str) -> bool:
        if service != self.service:
            return False
        read = operation.startswith(READ_PREFIXES)
        return self.kind == "all" or (self.kind == "read") == read


#: CodeArtifact's are documented ("Quotas in AWS CodeArtifact": 800 read and 100 write requests
#: per second per account; ThrottlingException carries retryAfterSeconds). CodeConnections,
#: App Runner connections and Proton publish no request rates: these are assumptions, chosen
#: low (like other control-plane APIs of their kind) so that a burst is throttled.
DOCUMENTED_QUOTAS: tuple[Quota, ...] = (
    Quota("codeartifact", "read", 800, "documented: 800 read requests/s per account"),
    Quota("codeartifact", "write", 100, "documented: 100 write requests/s per account"),
    Quota("codeconnections", "all", 10, "assumed: 10 requests/s (no published rate)"),
    Quota("codestar-connections", "all", 10, "assumed: 10 requests/s (no published rate)"),
    Quota("apprunner", "all", 10, "assumed: 10 requests/s (no published rate)"),
    Quota("proton", "all", 5, "assumed: 5 requests/s (no published rate)"),
)


def scaled(quotas: Sequence[Quota], factor: float) -> tuple[Quota, ...]:
    """The same quotas, ``factor`` times as generous (below 1: stricter), for stress runs."""
    return tuple(Quota(q.service, q.kind, q.rate * factor, q.source) for q in quotas)


class RateLimiter:
    def __init__(self, quotas: Sequence[Quota], clock: Callable[[], float]) -> None:
        self.quotas = list(quotas)
        self.clock = clock
        self._tokens: dict[Quota, float] = {}
        self._stamp: dict[Quota, float] = {}
        self._lock = threading.Lock()
        self.throttled: Counter[str] = Counter()

    def check(self, service: str, operation: str) -> None:
        """Take a token from every quota that applies, or raise ``ThrottlingException``."""
        with self._lock:
            now = self.clock()
            for quota in self.quotas:
                if not quota.applies(service, operation):
                    continue
                tokens = self._tokens.get(quota, quota.rate)
                elapsed = max(0.0, now - self._stamp.get(quota, now))
                tokens = min(quota.rate, tokens + elapsed * quota.rate)
                self._stamp[quota] = now
                if tokens < 1:
                    self._tokens[quota] = tokens
                    self.throttled[f"{service}:{operation}"] += 1
                    retry_after = max(1, math.ceil((1 - tokens) / quota.rate))
                    raise ServiceError(
                        "ThrottlingException",
                        f"Rate exceeded ({quota.rate:g} {quota.kind} requests per second)",
                        429,
                        headers={"Retry-After": str(retry_after)},
                    )
                self._tokens[quota] = tokens - 1


def scope(arn: str) -> tuple[str, str]:
    """The (Region, account) an ARN names: what resource quotas are counted in."""
    parts = arn.split(":")
    return parts[3], parts[4]


def in_scope(arns: Iterable[str], arn: str) -> int:
    """How many of ``arns`` are in the account and Region of ``arn``."""
    wanted = scope(arn)
    return sum(1 for other in arns if scope(other) == wanted)


def refuse_beyond(key: str, count: int, service: str, *, resource_type: str | None = None) -> None:
    """Refuse a creation when ``count`` (what its scope already holds) has reached the limit of
    quota ``key``, as AWS answers: the row's code and message, the status botocore's model gives
    that error (CodeArtifact's ``resourceType`` member too). A row with no code (AWS documents
    none) is answered ``ValidationException``."""
    row = quota(key)
    if count < row.limit:
        return
    code = row.code or "ValidationException"
    modeled = service_model(service).shape_for(code).metadata.get("error", {})
    message = row.message or f"At most {row.limit} {row.resource} per {row.per}"
    raise ServiceError(
        code,
        message,
        modeled.get("httpStatusCode") or STATUS.get(code, 400),
        fields={"resourceType": resource_type} if resource_type else None,
    )
