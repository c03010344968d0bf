"""Request-rate quotas: token buckets that answer ``ThrottlingException`` as AWS does when exceeded.

Buckets run on the stand-ins' clock, which the engine sets to its virtual clock: handler code
takes no virtual time, SDK retry back-off and Wait states do. So a burst of onboardings hits a
quota exactly as hard as it would if every request arrived at once, and the SDK's own back-off
is what lets it through, as in AWS.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from repolink_local.standins.protocol import ServiceError

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
