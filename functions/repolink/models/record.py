"""``@record``: a frozen dataclass without the code generation, for cold start.

``@dataclass(frozen=True)`` compiles an ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` for each class (one ``exec`` of generated source), and calls
``inspect.signature`` for a class without a docstring: 0.5 to 1 ms a class (measured on Python
3.13), and a handler imports 30 to 90 of them. ``@record`` records what dataclass() records (the
fields with their defaults, ``field()`` options and kinds, inherited fields, ``kw_only``,
``__match_args__``), in the same ``__dataclass_fields__``, so :func:`dataclasses.fields`,
:func:`~dataclasses.replace`, :func:`~dataclasses.asdict`, :func:`~dataclasses.is_dataclass` and
pydantic see a dataclass, and type checkers too (``dataclass_transform``). Its methods are the
functions below, written once, which read the class's fields: 10 to 20 times cheaper a class.

Behaves as ``@dataclass(frozen=True)`` (``@record(kw_only=True)`` as ``@dataclass(frozen=True,
kw_only=True)``): keyword (and, unless ``kw_only``, positional) arguments with defaults and
``field(default_factory=...)``, then ``__post_init__``; equality and hash over the fields with
``compare`` (as the class's own, another class is never equal); ``repr`` over the fields with
``repr``; assigning or deleting an attribute raises :class:`dataclasses.FrozenInstanceError`.
Not supported (not used here): ``InitVar``, ``KW_ONLY``, ``slots``, ``order``. A stdlib frozen
dataclass may derive from a record, and a record from one. ``tests/unit/test_record.py`` checks
each behaviour beside ``@dataclass(frozen=True)``.
"""

from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from reprlib import recursive_repr
from typing import Any, ClassVar, dataclass_transform, get_origin, overload

#: per record class: (name, default, default_factory, kw_only) of each ``__init__`` field, in order
_INIT: dict[type, tuple[tuple[str, Any, Any, bool], ...]] = {}


def _init_fields(cls: Any) -> tuple[tuple[str, Any, Any, bool], ...]:
    found = _INIT.get(cls)
    if found is None:
        found = _INIT[cls] = tuple(
            (f.name, f.default, f.default_factory, bool(f.kw_only)) for f in fields(cls) if f.init
        )
    return found


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    specs = _init_fields(cls)
    positional = [spec for spec in specs if not spec[3]]
    if len(args) > len(positional):
        raise TypeError(
            f"{cls.__qualname__}() takes {len(positional)} positional arguments but {len(args)} were given"
        )
    values = dict(zip((spec[0] for spec in positional), args, strict=False))
    for name in kwargs:
        if name in values:
            raise TypeError(f"{cls.__qualname__}() got multiple values for argument {name!r}")
    values.update(kwargs)
    missing = []
    for name, default, factory, _ in specs:
        if name in values:
            continue
        if default is not MISSING:
            values[name] = default
        elif factory is not MISSING:
            values[name] = factory()
        else:
            missing.append(name)
    if missing:
        raise TypeError(f"{cls.__qualname__}() missing required arguments: {', '.join(map(repr, missing))}")
    if len(values) != len(specs):
        unknown = sorted(set(values) - {spec[0] for spec in specs})
        raise TypeError(
            f"{cls.__qualname__}() got unexpected keyword arguments: {', '.join(map(repr, unknown))}"
        )
    set_field = object.__setattr__
    for name, value in values.items():
        set_field(self, name, value)
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


@recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _compared(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in fields(self) if f.compare)


def _eq(self: Any, other: object) -> Any:  # bool, or NotImplemented
    if self is other:
        return True
    if other.__class__ is self.__class__:
        return _compared(self) == _compared(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(
        tuple(getattr(self, f.name) for f in fields(self) if (f.compare if f.hash is None else f.hash))
    )


def _frozen_setattr(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


_METHODS = {
    "__init__": _init,
    "__repr__": _repr,
    "__eq__": _eq,
    "__hash__": _hash,
    "__setattr__": _frozen_setattr,
    "__delattr__": _frozen_delattr,
}


def _kind_of_field() -> Any:
    """What :func:`dataclasses.fields` counts as a field (``Field._field_type``, private to
    dataclasses): read from a field dataclass() made, once, rather than imported by its name."""

    @dataclass(frozen=True, init=False, repr=False, eq=False)  # the least code dataclass() generates
    class One:
        """Documented, so that dataclass() does not make a docstring with inspect.signature."""

        field: int

    made: Any = fields(One)[0]
    return made._field_type, vars(One)["__dataclass_params__"]


#: the field kind fields() counts, and the parameters of a frozen dataclass (so a stdlib frozen
#: dataclass may derive from a record)
_FIELD_KIND, _PARAMS = _kind_of_field()


def _is_classvar(annotation: object) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or get_origin(annotation) is ClassVar


def _make[T](cls: type[T], kw_only: bool) -> type[T]:
    """What ``dataclass(frozen=True)`` records of ``cls`` (the fields, their defaults and kinds,
    ``__match_args__``), with the methods above instead of generated ones."""
    own = vars(cls)
    found: dict[str, Field[Any]] = {}
    for base in cls.__mro__[-1:0:-1]:
        found.update(getattr(base, "__dataclass_fields__", {}))
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        default = own.get(name, MISSING)
        spec: Field[Any] = default if isinstance(default, Field) else field(default=default)
        spec.name, spec.type = name, annotation
        spec._field_type = _FIELD_KIND  # type: ignore[attr-defined]  # see _kind_of_field
        if spec.kw_only is MISSING:
            spec.kw_only = kw_only
        if spec.default is not MISSING and spec.default.__class__.__hash__ is None:
            raise ValueError(
                f"mutable default {type(spec.default)} for field {name} is not allowed: use default_factory"
            )
        if default is spec:  # the class attribute is the default, as dataclass leaves it
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)
        found[name] = spec
    made: Any = cls
    made.__dataclass_fields__ = found
    made.__dataclass_params__ = _PARAMS
    if "__match_args__" not in own:
        type.__setattr__(
            cls, "__match_args__", tuple(f.name for f in found.values() if f.init and not f.kw_only)
        )
    # a class body's own method wins, as in dataclass; a body's __eq__ alone leaves __hash__ ours
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    for name, method in _METHODS.items():
        if name not in own or (name == "__hash__" and not explicit_hash):
            setattr(cls, name, method)
    if not own.get("__doc__"):
        # dataclass's own: the signature (pydantic leaves a doc starting "Name(" out of schemas)
        cls.__doc__ = f"{cls.__name__}({', '.join(f.name for f in found.values() if f.init)})"
    return cls


@overload
@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record[T](cls: type[T], /) -> type[T]: ...
@overload
def record[T](*, kw_only: bool = False) -> Callable[[type[T]], type[T]]: ...
def record[T](cls: type[T] | None = None, /, *, kw_only: bool = False) -> Any:
    """Make ``cls`` a frozen dataclass (see the module docstring); ``kw_only`` as dataclass's."""
    if cls is None:
        return lambda cls: _make(cls, kw_only)
    return _make(cls, kw_only)
