"""Validating an untrusted onboarding request, naming every field at fault.

The entry points (API, EventBridge ingest) read the request with :func:`repolink.models.wire.read`
over the request dataclasses; every problem comes back as a :class:`FieldError` whose field is the
wire JSON path (``codeartifact.repositories[1].upstreams[0]``, ``connection.tags["team"]``).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import is_dataclass
from types import NoneType, UnionType
from typing import Annotated, Union, get_args, get_origin

from repolink.errors import FieldError, RequestValidationError
from repolink.models.request import OnboardingRequest
from repolink.models.wire import json_kind, read, wire_fields

ROOT_FIELD = "(root)"
"""The ``FieldError.field`` of an error about the request as a whole."""


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
        raise RequestValidationError(
            [FieldError(ROOT_FIELD, f"the request must be a JSON object, not {json_kind(data)}")]
        )
    request, problems = read(OnboardingRequest, data)
    if problems:
        raise RequestValidationError([FieldError(field_path(path), message) for path, message in problems])
    assert isinstance(request, OnboardingRequest)
    return request
