"""Request ids: the one formula, from the caller's account and its key or the request's digest.

The idempotency key is the caller's ``Idempotency-Key`` or, without one, a digest of the
normalized request, either way scoped to the caller's account: two teams sending the same
request get two onboardings. The execution is named after the key's hash.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from repolink.models.request import OnboardingRequest

PREFIX = "rl-"


def canonical(request: dict[str, Any]) -> str:
    """The request as canonical JSON: sorted keys, no insignificant white space."""
    return json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True)
class StartCommand:
    """What is hashed (``key``), validated (``digest``) and run (``request``)."""

    key: str
    digest: str
    request: dict[str, Any]
    #: the account that asked: the onboarding belongs to it (recorded in the execution's input)
    caller: str = ""

    @property
    def request_id(self) -> str:
        """The request id, and execution name: the one formula every entry point uses."""
        return request_id_for_key(self.key)


def command_for(request: OnboardingRequest, *, idempotency_key: str | None, caller: str) -> StartCommand:
    body = request.wire()
    digest = hashlib.sha256(canonical(body).encode()).hexdigest()
    key = f"key:{caller}:{idempotency_key}" if idempotency_key else f"digest:{caller}:{digest}"
    return StartCommand(key=key, digest=digest, request=body, caller=caller)


def request_id_for_key(key: str) -> str:
    """The request id, and execution name, for an idempotency key (≤ 80 characters)."""
    return PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]
