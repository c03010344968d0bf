"""Fault injection: make an operation fail with a given error at a given rate, reproducibly.

Two kinds of rule:

- an **error** (``ThrottlingException``, ``AccessDeniedException``, ...): the call is answered
  with that error before any state changes;
- a **lost response** (:data:`LOST_RESPONSE`): the call is served (it takes effect), and the
  client sees a read timeout instead of the answer, as when a connection drops after AWS acted.
  The SDK then retries it, as botocore retries any read timeout. It applies to the mutating
  operations only (:func:`mutating`): losing a read's answer changes nothing but the retry count.
"""

from __future__ import annotations

import functools
import random
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from repolink_local.standins.protocol import ServiceError

#: the ``--inject`` error name of a lost response
LOST_RESPONSE = "LostResponse"

#: operations whose IAM action is not named after the API operation
_ACTION_NAMES = {("lambda", "Invoke"): "InvokeFunction"}


@functools.cache
def _service_model(service: str) -> object:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def service_id(service: str) -> str:
    """The botocore service id as events name it (``before-send.<id>.<Operation>``): ``sfn`` for
    ``stepfunctions``, ``eventbridge`` for ``events``."""
    return str(_service_model(service).service_id.hyphenize())  # type: ignore[attr-defined]


@functools.cache
def mutating(service: str, operation: str) -> bool:
    """Whether ``operation`` of the botocore service ``service`` changes state, by AWS's own
    classification: its IAM action's access level in the Service Authorization Reference is
    ``Write`` (alone, or with ``Tagging`` or ``Permissions management``), not ``Read`` or ``List``.

    ``dynamodb:PutItem``, ``states:StartExecution``, ``events:PutEvents`` and every ``Create*``
    are; ``Get*``, ``Describe*``, ``List*`` are not.
    """
    from repolink_local.iam import data

    model = _service_model(service)
    if operation not in model.operation_names:  # type: ignore[attr-defined]
        raise ValueError(f"{service} has no operation {operation}")
    prefix = model.signing_name  # type: ignore[attr-defined]
    level = data.access_level(f"{prefix}:{_ACTION_NAMES.get((service, operation), operation)}")
    if level is None:
        raise ValueError(f"IAM has no action for {service}:{operation}")
    return level not in ("Read", "List")


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

    @property
    def lost_response(self) -> bool:
        return self.error_code == LOST_RESPONSE

    @property
    def service(self) -> str | None:
        """The botocore service the rule names (``None`` for ``*`` and a bare ``Operation``)."""
        service, colon, _ = self.operation.partition(":")
        return service if colon else None


def check_lost_response(rule: FaultRule) -> None:
    """Refuse a lost-response rule that cannot mean what it says: it names ``service:Operation``
    (the operation of one service), and that operation changes state."""
    if not rule.lost_response:
        return
    service, _, operation = rule.operation.partition(":")
    if not service or not operation or "*" in rule.operation:
        raise ValueError(
            f"{LOST_RESPONSE} names one service:Operation, e.g. codeconnections:CreateConnection"
        )
    if service == "lambda":
        raise ValueError(
            f"{LOST_RESPONSE} on lambda: the functions call no Lambda API, and Step Functions'"
            " own invocations are not the functions' SDK calls"
        )
    try:
        changes_state = mutating(service, operation)
    except Exception as exc:
        raise ValueError(f"{LOST_RESPONSE}@{rule.operation}: {exc}") from exc
    if not changes_state:
        raise ValueError(
            f"{LOST_RESPONSE}@{rule.operation}: {operation} does not change state (its IAM access"
            " level is Read or List), so a lost answer only costs a retry"
        )


class FaultInjector:
    def __init__(self, rules: Sequence[FaultRule], seed: int) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.fired: Counter[FaultRule] = Counter()
        self.injected: Counter[str] = Counter()
        self.rules = list(rules)

    @property
    def rules(self) -> list[FaultRule]:
        return self._rules

    @rules.setter
    def rules(self, rules: Sequence[FaultRule]) -> None:
        for rule in rules:
            check_lost_response(rule)
        self._rules = list(rules)
        #: service id (as in before-send events) -> botocore service name, of lost-response rules
        self.lost_services = {
            service_id(r.service): r.service for r in self._rules if r.lost_response and r.service
        }

    def _fire(self, service: str, operation: str, *, lost: bool) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.lost_response != lost or not rule.matches(service, operation):
                    continue
                if rule.times is not None and self.fired[rule] >= rule.times:
                    continue
                if self._random.random() < rule.rate:
                    self.fired[rule] += 1
                    self.injected[f"{service}:{operation}:{rule.error_code}"] += 1
                    return rule
        return None

    def check(self, service: str, operation: str) -> None:
        """Raise the first matching error rule's error when it fires; before any state changes."""
        rule = self._fire(service, operation, lost=False)
        if rule is not None:
            headers = {"Retry-After": "1"} if rule.error_code == "ThrottlingException" else {}
            raise ServiceError(rule.error_code, f"injected fault: {rule.error_code}", headers=headers)

    def lose(self, service: str, operation: str) -> bool:
        """Whether the answer to this call is lost (a lost-response rule fired for it)."""
        return self._fire(service, operation, lost=True) is not None
