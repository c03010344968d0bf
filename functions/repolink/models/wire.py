"""Plain frozen dataclasses on the wire, without pydantic: camelCase JSON out, typed objects back in.

Every model of ours is a stdlib dataclass deriving from :class:`Wire`. The Step Functions task
handlers read their input with :meth:`Wire.from_wire` and answer with :meth:`Wire.wire`, so their
cold start never imports pydantic: their input was validated once, at the edge, and comes from our
own state machine. The entry points validate untrusted input with pydantic *over these same
classes* (:mod:`repolink.models.validation`): pydantic reads ``__pydantic_config__`` and the
:mod:`repolink.models.rules` metadata in their annotations, which this module ignores.

:func:`decode` still checks what it reads (JSON kinds, literals, unknown and missing keys), so a
drift between the ASL and a handler fails loudly with the path at fault.
"""

import types
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from functools import cache
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    Self,
    TypeAliasType,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

#: a field's ``metadata`` key for a wire name that is not the camelCase of its attribute
WIRE_NAME = "wire_name"


def to_camel(name: str) -> str:
    """``handshake_timeout_hours`` -> ``handshakeTimeoutHours`` (pydantic's ``to_camel`` for our names)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class WireError(TypeError):
    """Data that does not fit the model: a bug in whoever produced it (the ASL or a handler)."""


@dataclass(frozen=True)
class WireField:
    attr: str
    key: str
    shape: Any
    required: bool


class Wire:
    """Base of every model: ``wire()`` writes camelCase JSON, ``from_wire()`` reads it back.

    ``__pydantic_config__`` is what pydantic applies when an entry point validates the class.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = {
        "alias_generator": to_camel,
        "populate_by_name": True,
        "extra": "forbid",
    }
    #: "forbid" (an unknown key is an error) or "ignore" (for outputs we read only part of)
    wire_extra: ClassVar[Literal["forbid", "ignore"]] = "forbid"

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict with camelCase keys, ``None`` fields left out, as Step Functions sees it."""
        encoded = encode(self)
        assert isinstance(encoded, dict)
        return encoded

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """The model from trusted JSON (camelCase or attribute names); :class:`WireError` if it misfits."""
        decoded: Self = decode(cls, data)
        return decoded


def encode(value: object) -> object:
    """Dataclasses to camelCase dicts (``None`` fields dropped), recursively; other values as they are."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            spec.key: encode(item)
            for spec in wire_fields(type(value))
            if (item := getattr(value, spec.attr)) is not None
        }
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    if isinstance(value, Mapping):
        return {key: encode(item) for key, item in value.items()}
    return value


@cache
def wire_fields(cls: type) -> tuple[WireField, ...]:
    hints = get_type_hints(cls, include_extras=True)
    return tuple(
        WireField(
            attr=f.name,
            key=f.metadata.get(WIRE_NAME, to_camel(f.name)),
            shape=hints[f.name],
            required=f.default is MISSING and f.default_factory is MISSING,
        )
        for f in fields(cls)
        if f.init
    )


def wire_names(cls: type) -> dict[str, str]:
    """Attribute name -> wire name, for each field of a model."""
    return {spec.attr: spec.key for spec in wire_fields(cls)}


_JSON_KINDS: dict[type, str] = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}


def decode(shape: Any, value: object, path: str = "$") -> Any:
    """``value`` read as ``shape``: a Wire dataclass, ``list[...]``, ``dict[str, ...]``, ``X | None``,
    a ``Literal``, ``str``, ``int``, ``bool``, ``float`` or ``object``/``Any`` (taken as it is)."""
    while True:
        if isinstance(shape, TypeAliasType):
            shape = shape.__value__
        elif get_origin(shape) is Annotated:
            shape = get_args(shape)[0]
        else:
            break
    origin = get_origin(shape)
    if isinstance(shape, type) and is_dataclass(shape):
        return _decode_dataclass(shape, value, path)
    if origin in (Union, types.UnionType):
        members = [m for m in get_args(shape) if m is not types.NoneType]
        if value is None and len(members) < len(get_args(shape)):
            return None
        if len(members) != 1:
            raise WireError(f"{path}: unions other than X | None are not supported")
        return decode(members[0], value, path)
    if origin is list:
        if not isinstance(value, list):
            raise WireError(f"{path}: expected an array, got {type(value).__name__}")
        (item,) = get_args(shape) or (Any,)
        return [decode(item, v, f"{path}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise WireError(f"{path}: expected an object, got {type(value).__name__}")
        _, item = get_args(shape) or (str, Any)
        return {str(k): decode(item, v, f"{path}.{k}") for k, v in value.items()}
    if origin is Literal:
        if value not in get_args(shape):
            raise WireError(f"{path}: {value!r} is not one of {get_args(shape)}")
        return value
    if shape is Any or shape is object:
        return value
    if shape in _JSON_KINDS:
        ok = isinstance(value, shape) and (shape is bool or not isinstance(value, bool))
        if shape is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            raise WireError(f"{path}: expected {_JSON_KINDS[shape]}, got {type(value).__name__}")
        return value
    raise WireError(f"{path}: cannot read {shape!r}")


def _decode_dataclass(cls: type, value: object, path: str) -> object:
    if not isinstance(value, Mapping):
        raise WireError(f"{path}: expected an object, got {type(value).__name__}")
    kwargs: dict[str, object] = {}
    used: set[str] = set()
    for spec in wire_fields(cls):
        for key in (spec.key, spec.attr):
            if key in value:
                kwargs[spec.attr] = decode(spec.shape, value[key], f"{path}.{spec.key}")
                used.add(key)
                break
        else:
            if spec.required:
                raise WireError(f"{path}.{spec.key}: required")
    if getattr(cls, "wire_extra", "forbid") == "forbid" and (unknown := set(value) - used):
        raise WireError(f"{path}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
    return cls(**kwargs)
