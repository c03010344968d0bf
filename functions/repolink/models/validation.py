"""Validating an untrusted onboarding request, naming every field at fault.

The entry points (API, EventBridge ingest) read the request with :func:`repolink.models.wire.read`
over the request dataclasses; every problem comes back as a :class:`FieldError` whose field is the
wire JSON path (``codeartifact.repositories[1].upstreams[0]``, ``connection.tags["team"]``).

Before the contract, :func:`plain_json` is the one place a body is parsed (``accept.judge`` calls
it for every entry): the stdlib parser, with hooks that mark what it would let through silently
(a key repeated in one object, where the last would win; ``NaN``, ``Infinity``, ``-Infinity`` and
numbers too large for a float), and a bound on nesting. What it refuses is a 400, not a 422.
"""

import json
import math
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import is_dataclass
from types import NoneType, UnionType
from typing import Annotated, Union, get_args, get_origin

from repolink.errors import FieldError, MalformedJson, RequestValidationError
from repolink.models.request import OnboardingRequest
from repolink.models.wire import Wire, json_kind, read, wire_fields

ROOT_FIELD = "(root)"
"""The ``FieldError.field`` of an error about the request as a whole."""

MAX_JSON_DEPTH = 16
"""How deep arrays and objects may nest in a body (the contract itself needs 5: the request,
``codeartifact``, ``repositories``, one repository, its ``tags``). Deeper is refused with 400,
and walked no further; a text so deep that the parser itself gives up gets the same answer."""
_TOO_DEEP = f"nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects"


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


def _step(shape: object, item: str | int) -> tuple[object, str]:
    """One location item: the shape found there and how it reads in the path."""
    shape = _unwrap(shape)
    if isinstance(shape, type) and is_dataclass(shape) and isinstance(item, str):
        for spec in wire_fields(shape):
            if item == spec.key:
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
    """A location in the request (wire names, ints for indexes) as a wire JSON path.

    ``("codeartifact", "repositories", 1, "upstreams", 0)`` reads
    ``codeartifact.repositories[1].upstreams[0]``; a tag key reads ``connection.tags["team"]``; the
    empty location reads ``(root)``.
    """
    shape: object = OnboardingRequest
    text = ""
    for item in loc:
        shape, piece = _step(shape, item)
        text += piece
    return text.removeprefix(".") or ROOT_FIELD


class _Repeated(dict[str, object]):
    """An object the parser found a key repeated in (``repeated``); it never leaves :func:`plain_json`."""

    repeated: tuple[str, ...] = ()


class _NonFinite:
    """Where the parser found ``NaN``, ``Infinity``, ``-Infinity`` or a number beyond a float."""

    def __init__(self, text: str) -> None:
        self.problem = (
            f"{text} is not JSON (JSON numbers are finite)"
            if text in ("NaN", "Infinity", "-Infinity")
            else f"{text[:40]} is beyond the range of a number"
        )


def _object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    marked = _Repeated(found)
    marked.repeated = tuple(
        sorted(key for key, count in Counter(key for key, _ in pairs).items() if count > 1)
    )
    return marked


def _float(text: str) -> object:
    number = float(text)
    return number if math.isfinite(number) else _NonFinite(text)


def _impurities(value: object) -> Iterator[FieldError]:
    """What keeps a parsed body from being plain JSON, where it is; nesting is walked only to
    :data:`MAX_JSON_DEPTH`, and only the first place deeper than that is reported."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):  # parsed elsewhere (an event)
            node = _NonFinite({"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(node)])
        if isinstance(node, _NonFinite):
            yield FieldError(field_path(path), node.problem)
            continue
        if not isinstance(node, Mapping | list):
            continue
        if len(path) >= MAX_JSON_DEPTH:
            yield FieldError(field_path(path), _TOO_DEEP)
            return
        if isinstance(node, _Repeated):
            for key in node.repeated:
                yield FieldError(field_path((*path, key)), "appears more than once in one object")
        items = node.items() if isinstance(node, Mapping) else enumerate(node)
        stack.extend((child, (*path, key)) for key, child in reversed(list(items)))


def plain_json(body: object, *, parsed: bool = False) -> object:
    """``body`` as parsed JSON, when it is plain, unambiguous JSON; else :class:`MalformedJson`
    naming where. ``body`` is JSON text (``str``, or ``bytes`` in UTF-8), or, with ``parsed``,
    JSON already parsed (an EventBridge event's ``detail``), which is held to the same nesting
    and numbers and never parsed again: there, a ``str`` is a JSON string, not a request."""
    if not parsed and isinstance(body, bytes | bytearray):
        try:
            body = bytes(body).decode()
        except UnicodeDecodeError as exc:
            raise MalformedJson(
                [FieldError(ROOT_FIELD, f"the body is not valid JSON: not UTF-8 ({exc})")]
            ) from None
    if not parsed and isinstance(body, str):
        try:
            body = json.loads(body, object_pairs_hook=_object, parse_constant=_NonFinite, parse_float=_float)
        except RecursionError:
            # far deeper than MAX_JSON_DEPTH: the parser gave up first
            raise MalformedJson([FieldError(ROOT_FIELD, _TOO_DEEP)]) from None
        except ValueError as exc:
            raise MalformedJson([FieldError(ROOT_FIELD, f"the body is not valid JSON: {exc}")]) from None
    if problems := list(_impurities(body)):
        raise MalformedJson(problems)
    return body


def validate_request(data: object, *, parsed: bool = False) -> OnboardingRequest:
    """The request as a model, from JSON text or (``parsed``) parsed JSON (see :func:`plain_json`).

    Raises :class:`RequestValidationError` naming each field at fault (:class:`MalformedJson`,
    a subclass, when the JSON itself is at fault).
    """
    return validate_as(OnboardingRequest, data, parsed=parsed)


def validate_as[M: Wire](model: type[M], data: object, *, parsed: bool = False) -> M:
    """Any request body as ``model`` (the onboarding request, an offboarding's options), read as
    :func:`validate_request` reads the onboarding request: text is parsed once, and what it
    holds must be a JSON object (a JSON string holding a request is a string, not a request)."""
    data = plain_json(data, parsed=parsed)
    if not isinstance(data, Mapping):
        raise RequestValidationError(
            [FieldError(ROOT_FIELD, f"the request must be a JSON object, not {json_kind(data)}")]
        )
    found, problems = read(model, data)
    if problems:
        raise RequestValidationError([FieldError(field_path(path), message) for path, message in problems])
    assert isinstance(found, model)
    return found
