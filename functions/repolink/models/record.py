"""``@record``: a frozen dataclass without the code generation, for cold start.

``@dataclass(frozen=True)`` compiles an ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__setattr__`` and ``__delattr__`` for each class (one ``exec`` of generated source), and calls
``inspect.signature`` for a class without a docstring: 0.5 to 1 ms a class, and a handler imports
30 to 90 of them. ``@record`` lets :func:`dataclasses.dataclass` do everything but that (fields,
defaults, ``ClassVar``, inheritance, ``kw_only``, ``__match_args__``, ``__dataclass_fields__``), and
gives every record the same methods, written once here, which read the class's fields. So
:func:`dataclasses.fields`, :func:`~dataclasses.replace`, :func:`~dataclasses.asdict` and
:func:`~dataclasses.is_dataclass` see a dataclass, and type checkers too (``dataclass_transform``).

Behaves as ``@dataclass(frozen=True)`` (``@record(kw_only=True)`` as ``@dataclass(frozen=True,
kw_only=True)``): keyword (and, unless ``kw_only``, positional) arguments with defaults and
``field(default_factory=...)``, then ``__post_init__``; equality and hash over the fields with
``compare`` (as the class's own, another class is never equal); ``repr`` over the fields with
``repr``; assigning or deleting an attribute raises :class:`dataclasses.FrozenInstanceError`.
One difference: ``__dataclass_params__`` says ``init=False, repr=False, eq=False, frozen=False``
(the methods are ours, not generated), so a stdlib frozen dataclass cannot derive from a record,
nor a record from one: derive records from records.
"""

from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from reprlib import recursive_repr
from typing import Any, dataclass_transform, overload

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


def _make[T](cls: type[T], kw_only: bool) -> type[T]:
    own = vars(cls)
    undocumented = not own.get("__doc__")
    if undocumented:
        cls.__doc__ = cls.__name__  # placeholder: dataclass() would call inspect.signature
    dataclass(cls, init=False, repr=False, eq=False, kw_only=kw_only)
    # a class body's own method wins, as in dataclass; a body's __eq__ alone leaves __hash__ ours
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    for name, method in _METHODS.items():
        if name not in own or (name == "__hash__" and not explicit_hash):
            setattr(cls, name, method)
    if undocumented:
        # dataclass's own: the signature (pydantic leaves a doc starting "Name(" out of schemas)
        cls.__doc__ = f"{cls.__name__}({', '.join(spec[0] for spec in _init_fields(cls))})"
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
