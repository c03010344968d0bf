"""Validating an untrusted onboarding request: pydantic over the request dataclasses.

Only the entry points (API, EventBridge ingest) import this module, and with it pydantic; they build
the validator once, at cold start. Every problem comes back as a :class:`FieldError` whose field is
the wire JSON path (``codeartifact.repositories[1].upstreams[0]``, ``connection.tags["team"]``).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import is_dataclass
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

from repolink.errors import FieldError, RequestValidationError
from repolink.models.request import OnboardingRequest
from repolink.models.rules import RuleViolations
from repolink.models.wire import wire_fields

ROOT_FIELD = "(root)"
"""The ``FieldError.field`` of an error about the request as a whole."""

#: built at import: an entry point pays for it during its cold start, not on its first request
REQUEST = TypeAdapter(OnboardingRequest)


def _unwrap(shape: object) -> object:
    """``X | None`` and ``Annotated[X, ...]`` to ``X``."""
    while True:
        origin = get_origin(shape)
        if origin is Annotated:
            shape = get_args(shape)[0]
        elif origin in (Union, UnionType):
            members = [arg for arg in get_args(shape) if arg is not NoneType]
            if len(members) != 1:
                return shape
            shape = members[0]
        else:
            return shape


_KEY_MARKER = "[key]"
"""pydantic's last location item for an error in a dict key itself (rather than in its value)."""


def _step(shape: object, item: str | int) -> tuple[object, str]:
    """One location item: the shape found there and how it reads in the path."""
    shape = _unwrap(shape)
    if isinstance(shape, type) and is_dataclass(shape) and isinstance(item, str):
        for spec in wire_fields(shape):
            if item in (spec.attr, spec.key):
                return spec.shape, f".{spec.key}"
        return None, f".{item}"
    origin = get_origin(shape)
    if isinstance(item, int):
        args = get_args(shape)
        return (args[0] if origin is list and args else None), f"[{item}]"
    if origin is dict:
        return get_args(shape)[1], f"[{json.dumps(item, ensure_ascii=False)}]"
    return None, f".{item}"


def field_path(loc: Sequence[str | int]) -> str:
    """A pydantic location (aliases or attribute names, ints for indexes) as a wire JSON path.

    ``("codeartifact", "repositories", 1, "upstreams", 0)`` reads
    ``codeartifact.repositories[1].upstreams[0]``; a tag key reads ``connection.tags["team"]``; the
    empty location reads ``(root)``.
    """
    shape: object = OnboardingRequest
    text = ""
    after_key = False
    for item in loc:
        if after_key and item == _KEY_MARKER:
            break
        after_key = get_origin(_unwrap(shape)) is dict
        shape, piece = _step(shape, item)
        text += piece
    return text.removeprefix(".") or ROOT_FIELD


_MESSAGES = {
    "extra_forbidden": "unknown field",
    "unexpected_keyword_argument": "unknown field",
    "missing": "required",
    "missing_argument": "required",
    "missing_keyword_only_argument": "required",
}


def field_errors(error: ValidationError) -> list[FieldError]:
    """Each problem in a pydantic ``ValidationError`` of :class:`OnboardingRequest` as a FieldError."""
    found: list[FieldError] = []
    for detail in error.errors(include_url=False):
        loc: tuple[str | int, ...] = tuple(detail["loc"])
        ctx: dict[str, Any] = detail.get("ctx") or {}
        if isinstance(rules := ctx.get("error"), RuleViolations):
            for path, message in rules.violations:
                found.append(FieldError(field_path(loc + tuple(path)), message))
        else:
            found.append(FieldError(field_path(loc), _MESSAGES.get(detail["type"], detail["msg"])))
    return found


_JSON_KINDS: Mapping[type, str] = {
    NoneType: "null",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    str: "a string",
    list: "an array",
}


def validate_request(data: object) -> OnboardingRequest:
    """The request as a model, from a parsed JSON object or from JSON text (``str`` or ``bytes``).

    Raises :class:`RequestValidationError` naming each field at fault.
    """
    if isinstance(data, str | bytes | bytearray):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise RequestValidationError(
                [FieldError(ROOT_FIELD, f"the body is not valid JSON: {exc}")]
            ) from None
    if not isinstance(data, Mapping):
        kind = _JSON_KINDS.get(type(data), type(data).__name__)
        raise RequestValidationError(
            [FieldError(ROOT_FIELD, f"the request must be a JSON object, not {kind}")]
        )
    try:
        return REQUEST.validate_python(data)
    except ValidationError as exc:
        raise RequestValidationError(field_errors(exc)) from None
