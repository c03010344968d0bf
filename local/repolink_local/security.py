"""The security gate's checks of IAM statements against AWS's authorization data.

Read by ``tests/unit/test_security_gate.py``, which runs them on the template as the SAM
translator expands it. The facts come from :mod:`repolink_local.iam.data` (the Service
Authorization Reference); the only hand-kept list is which AWS managed policies we accept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from repolink_local.iam import data

#: AWS managed policies SAM attaches, and why they are acceptable
MANAGED_POLICIES: dict[str, str] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": "write the function's own logs",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": "send traces (Tracing: Active); write-only",
    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs": "API Gateway writes the"
    " access log (the account setting's role; logs only)",
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


#: a token that stands for any run of characters ("*" of a Resource, the last variable of an ARN
#: format), or for a run without ":" and "/" (any other variable of an ARN format)
_ANY, _SEGMENT = "\x00any", "\x00segment"


def _tokens(pattern: str, *, glob: bool) -> list[str]:
    """A pattern as tokens: one character each, ``?``, or a run token.

    ``glob``: an IAM ``Resource`` (``*`` and ``?`` are wildcards); otherwise an ARN format of
    the Service Authorization Reference, whose ``${Variable}`` stands for a name (the last one
    for a path, which may hold ``/`` and ``:``).
    """
    if glob:
        return [_ANY if c == "*" else c for c in pattern]
    parts = re.split(r"\$\{[A-Za-z0-9]+\}", pattern)
    tokens: list[str] = []
    for index, part in enumerate(parts):
        if index:
            tokens.append(_ANY if index == len(parts) - 1 else _SEGMENT)
        tokens.extend(part)
    return tokens


def _absorbs(run: str, char: str) -> bool:
    return run == _ANY or char not in ":/"


def _could_match_both(a: list[str], b: list[str]) -> bool:
    """True when some string matches both token patterns (a dynamic programme over positions)."""
    runs = (_ANY, _SEGMENT)

    @cache
    def both(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] in runs and both(i + 1, j):
            return True
        if j < len(b) and b[j] in runs and both(i, j + 1):
            return True
        if i == len(a) or j == len(b):
            return False
        x, y = a[i], b[j]
        if x in runs and y not in runs and y != "?" and _absorbs(x, y):
            return both(i, j + 1)
        if y in runs and x not in runs and x != "?" and _absorbs(y, x):
            return both(i + 1, j)
        if x not in runs and y not in runs and (x == "?" or y == "?" or x == y):
            return both(i + 1, j + 1)
        return False

    return both(0, 0)


def fits(resource: str, kind: data.ResourceType) -> bool:
    """Can a ``Resource`` entry ever match an ARN of ``kind``?"""
    return _could_match_both(_tokens(resource, glob=True), _tokens(kind.arn_format, glob=False))


def grant_problems(statement: dict[str, Any]) -> Iterator[str]:
    """Why an Allow statement grants what it cannot, or grants it too widely: an action IAM does
    not know, ARNs for an action that IAM authorizes on ``*`` only, ``*`` for an action that has a
    resource type, an action none of whose resources fit, a resource that fits none of its actions."""
    if statement.get("Effect") != "Allow" or "Action" not in statement or "Resource" not in statement:
        return
    resources = [str(r) for r in as_list(statement["Resource"])]
    fitting: set[str] = set()
    for pattern in as_list(statement["Action"]):
        actions = data.matching_actions(str(pattern))
        if not actions:
            yield f"{pattern}: IAM has no such action"
            continue
        for action in actions:
            if action.wildcard_only:
                if resources != ["*"]:
                    yield (
                        f"{action.full_name} has no resource type:"
                        f" it is authorized on '*' only, never on {resources}"
                    )
                fitting |= {"*"} & set(resources)
                continue
            if "*" in resources:
                kinds = ", ".join(k.name for k in action.resource_types)
                yield f"{action.full_name} has resource types ({kinds}): scope it to their ARNs, not '*'"
            matched = {r for r in resources if r != "*" and any(fits(r, k) for k in action.resource_types)}
            if not matched and resources != ["*"]:
                kinds = ", ".join(k.arn_format for k in action.resource_types)
                yield f"{action.full_name}: none of {resources} is an ARN it is authorized on ({kinds})"
            fitting |= matched
    for resource in resources:
        if resource not in fitting and resource != "*":
            yield f"{resource} fits none of the statement's actions"
