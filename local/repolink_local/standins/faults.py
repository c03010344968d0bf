"""Fault injection: make an operation fail with a given error at a given rate, reproducibly."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from repolink_local.standins.protocol import ServiceError


@dataclass(frozen=True)
class FaultRule:
    """``operation`` is ``*``, ``Operation`` or ``service:Operation`` (botocore service name).

    ``times`` caps how often the rule fires (``None``: no cap), e.g. to throttle a call for a
    while and then let it through.
    """

    error_code: str
    operation: str
    rate: float
    times: int | None = None

    def matches(self, service: str, operation: str) -> bool:
        return self.operation in ("*", operation, f"{service}:{operation}")


class FaultInjector:
    def __init__(self, rules: Sequence[FaultRule], seed: int) -> None:
        self.rules = list(rules)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.fired: Counter[FaultRule] = Counter()
        self.injected: Counter[str] = Counter()

    def check(self, service: str, operation: str) -> None:
        """Raise the first matching rule's error when it fires; before any state changes."""
        with self._lock:
            for rule in self.rules:
                if not rule.matches(service, operation):
                    continue
                if rule.times is not None and self.fired[rule] >= rule.times:
                    continue
                if self._random.random() < rule.rate:
                    self.fired[rule] += 1
                    self.injected[f"{service}:{operation}:{rule.error_code}"] += 1
                    headers = {"Retry-After": "1"} if rule.error_code == "ThrottlingException" else {}
                    raise ServiceError(rule.error_code, f"injected fault: {rule.error_code}", headers=headers)
