"""Request ids: the same request always gets the same id, and so the same execution name."""

import hashlib
import json
from typing import Any

PREFIX = "rl-"


def canonical(request: dict[str, Any]) -> str:
    """The request as canonical JSON: sorted keys, no insignificant white space."""
    return json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def request_id_for(request: dict[str, Any]) -> str:
    """A digest of the normalized request, usable as a Step Functions execution name (≤ 80 chars)."""
    return PREFIX + hashlib.sha256(canonical(request).encode()).hexdigest()[:40]
