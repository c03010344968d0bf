"""Plain frozen dataclasses on the wire, without pydantic: camelCase JSON out, typed objects back in.

Every model of ours is a stdlib dataclass deriving from :class:`Wire`. :func:`read` turns parsed
JSON into a model, applying the rules its annotations carry (:mod:`repolink.models.rules`) and
collecting every problem with its path: the entry points validate untrusted requests with it
(:mod:`repolink.models.validation`), and the Step Functions tasks read their input with
:meth:`Wire.from_wire`, which raises on any problem (a drift between the ASL and a handler fails
loudly, with the path at fault). No handler imports pydantic at run time: it only builds the
published JSON schemas and OpenAPI document from these classes (``__pydantic_config__`` and the
markers' hooks, and each model's :class:`~repolink.models.rules.Rules`).
"""

import copy
import types
from collections.abc import Iterable, Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from functools import cache
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    Self,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from repolink.models.rules import Path, Rules, RuleViolations, Violation

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
        # by the camelCase wire name only, as our reader: the attribute name is an unknown field
        "populate_by_name": False,
        "extra": "forbid",
    }
    #: "forbid" (an unknown key is an error) or "ignore" (for outputs we read only part of)
    wire_extra: ClassVar[Literal["forbid", "ignore"]] = "forbid"
    #: the class's rules across its fields (:mod:`repolink.models.rules`), each stated once: the
    #: reader checks them once the fields are read (``__post_init__``), and its published schema
    #: carries them (``allOf``), with a ``description`` of those JSON Schema cannot say
    rules: ClassVar[Rules] = Rules()

    def __post_init__(self) -> None:
        self.rules.check(self)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        """pydantic's hook (schemas only): the generated schema, with :attr:`rules` added."""
        schema = handler(core_schema)
        rules = cls.rules.schema()
        if rules:
            target = handler.resolve_ref_schema(schema)
            for key, value in copy.deepcopy(rules).items():
                if key == "description" and target.get("description"):
                    value = f"{target['description']} {value}"
                target[key] = value
        return schema

    def wire(self) -> dict[str, Any]:
        """The JSON-ready dict with camelCase keys, ``None`` fields left out, as Step Functions sees it."""
        encoded = encode(self)
        assert isinstance(encoded, dict)
        return encoded

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """The model from trusted JSON (camelCase wire names); :class:`WireError` if it misfits."""
        decoded: Self = decode(cls, data)
        return decoded


def encode(value: object, *, drop_none: bool = True) -> object:
    """Dataclasses to camelCase dicts, recursively (``None`` fields dropped unless ``drop_none`` is
    false); other values as they are."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            spec.key: encode(item, drop_none=drop_none)
            for spec in wire_fields(type(value))
            if (item := getattr(value, spec.attr)) is not None or not drop_none
        }
    if isinstance(value, list | tuple):
        return [encode(item, drop_none=drop_none) for item in value]
    if isinstance(value, Mapping):
        return {key: encode(item, drop_none=drop_none) for key, item in value.items()}
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


_JSON_KINDS: dict[type, str] = {str: "a string", bool: "a boolean", int: "an integer"}
_FAILED: Any = object()
"""What :class:`_Reader` returns for a value it could not read (its problems are recorded)."""


def _any_failed(values: Iterable[object]) -> bool:
    return any(value is _FAILED for value in values)


def json_kind(value: object) -> str:
    """How a parsed JSON value reads in a message: ``null``, ``a string``, ``an array``..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def read(shape: Any, value: object) -> tuple[Any, list[Violation]]:
    """``value`` read as ``shape``, with every problem found (the value is meaningless if any).

    Shapes: a Wire dataclass, ``list[...]``, ``dict[str, ...]``, ``X | None``, a ``Literal``, ``str``,
    ``int``, ``bool``, or ``object``/``Any`` (taken as it is). JSON kinds are strict (``"3"``
    is not an integer, ``1`` not a boolean). ``Annotated`` metadata with an ``apply`` method (the
    :mod:`repolink.models.rules` markers) runs on the value read; a model's ``__post_init__``
    checks its rules across fields (:class:`~repolink.models.rules.Rules`). A
    :class:`~repolink.models.rules.RuleViolations` from either is recorded, at the paths it names,
    like any other problem.
    """
    reader = _Reader()
    result = reader.read(shape, value, ())
    return result, reader.problems


def decode(shape: Any, value: object) -> Any:
    """``value`` read as ``shape`` (see :func:`read`), or :class:`WireError` naming every problem."""
    result, problems = read(shape, value)
    if problems:
        raise WireError("; ".join(f"{_dotted(path)}: {message}" for path, message in problems))
    return result


def _dotted(path: Path) -> str:
    return "$" + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Violation] = []

    def fail(self, path: Path, message: str) -> Any:
        self.problems.append((path, message))
        return _FAILED

    def read(self, shape: Any, value: object, path: Path) -> Any:
        rules: list[Any] = []
        while get_origin(shape) is Annotated:
            shape, *metadata = get_args(shape)
            rules += [meta for meta in metadata if hasattr(meta, "apply")]
        result = self._read_shape(shape, value, path)
        for rule in rules:
            if result is _FAILED:
                break
            result = self._guarded(lambda rule=rule, value=result: rule.apply(value), path)
        return result

    def _guarded(self, run: Any, path: Path) -> Any:
        """``run()``, recording a RuleViolations it raises at the paths it names."""
        try:
            return run()
        except RuleViolations as broken:
            for where, message in broken.violations:
                self.fail(path + tuple(where), message)
            return _FAILED

    def _read_shape(self, shape: Any, value: object, path: Path) -> Any:
        origin = get_origin(shape)
        if isinstance(shape, type) and is_dataclass(shape):
            return self._read_dataclass(shape, value, path)
        if origin in (Union, types.UnionType):
            members = [m for m in get_args(shape) if m is not types.NoneType]
            if value is None and len(members) < len(get_args(shape)):
                return None
            if len(members) != 1:
                raise TypeError(f"{_dotted(path)}: unions other than X | None are not supported")
            return self.read(members[0], value, path)
        if origin is list:
            if not isinstance(value, list):
                return self.fail(path, f"must be an array, not {json_kind(value)}")
            (item,) = get_args(shape) or (Any,)
            items = [self.read(item, v, (*path, i)) for i, v in enumerate(value)]
            return _FAILED if _any_failed(items) else items
        if origin is dict:
            if not isinstance(value, Mapping):
                return self.fail(path, f"must be an object, not {json_kind(value)}")
            _, item = get_args(shape) or (str, Any)
            entries = {str(k): self.read(item, v, (*path, str(k))) for k, v in value.items()}
            return _FAILED if _any_failed(entries.values()) else entries
        if origin is Literal:
            if value not in get_args(shape) or isinstance(value, bool):
                allowed = ", ".join(repr(choice) for choice in get_args(shape))
                return self.fail(path, f"must be one of {allowed}, not {_short(value)}")
            return value
        if shape is Any or shape is object:
            return value
        if shape in _JSON_KINDS:
            ok = isinstance(value, shape) and (shape is bool or not isinstance(value, bool))
            return value if ok else self.fail(path, f"must be {_JSON_KINDS[shape]}, not {json_kind(value)}")
        raise TypeError(f"{_dotted(path)}: cannot read {shape!r}")

    def _read_dataclass(self, cls: type, value: object, path: Path) -> Any:
        if not isinstance(value, Mapping):
            return self.fail(path, f"must be an object, not {json_kind(value)}")
        kwargs: dict[str, object] = {}
        used: set[str] = set()
        missing = False
        for spec in wire_fields(cls):
            # the wire name only: ``domain_owner`` is an unknown field, as the published schema says
            if spec.key in value:
                kwargs[spec.attr] = self.read(spec.shape, value[spec.key], (*path, spec.key))
                used.add(spec.key)
            elif spec.required:
                missing = self.fail((*path, spec.key), "required") is _FAILED
        unknown = (
            sorted(set(map(str, value)) - used) if getattr(cls, "wire_extra", "forbid") == "forbid" else []
        )
        for key in unknown:
            self.fail((*path, key), "unknown field")
        # a value with an unknown field is not built: its rules (and its container's) would judge
        # something other than what was sent (pydantic does not build it either)
        if missing or unknown or _any_failed(kwargs.values()):
            return _FAILED
        return self._guarded(lambda: cls(**kwargs), path)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."
