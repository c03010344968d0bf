"""``@record`` behaves as ``@dataclass(frozen=True)``: each behaviour checked on a record and on the
dataclass it stands for, side by side."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from repolink.models.record import record

pytestmark = pytest.mark.unit


def twins(kw_only: bool) -> list[Any]:
    """The same class body made by ``@record`` and by ``@dataclass(frozen=True)``."""
    made = []
    for decorate in (record(kw_only=kw_only), dataclass(frozen=True, kw_only=kw_only)):

        @decorate
        class Base:
            name: str
            tags: dict[str, str] = field(default_factory=dict)
            note: str = field(default="", compare=False, repr=False)
            kind: ClassVar[str] = "base"

        @decorate
        class Child(Base):
            checked: list[str] = field(default_factory=list)

            def __post_init__(self) -> None:
                self.checked.append(self.name)

        made.append(Child)
    return made


@pytest.mark.parametrize("kw_only", [True, False])
def test_a_record_is_built_compared_hashed_and_shown_as_its_dataclass(kw_only: bool) -> None:
    for cls in twins(kw_only):
        one = cls(name="a", tags={"k": "v"}, note="x")
        assert one.name == "a" and one.tags == {"k": "v"} and one.checked == ["a"]  # __post_init__ ran
        assert cls(name="a").tags == {} and cls(name="a").tags is not cls(name="a").tags
        assert one == cls(name="a", tags={"k": "v"}, note="other")  # note: compare=False
        assert one != cls(name="b", tags={"k": "v"})
        assert [f.name for f in dataclasses.fields(cls)] == ["name", "tags", "note", "checked"]
        assert dataclasses.is_dataclass(cls) and cls.kind == "base"
        changed = dataclasses.replace(cls(name="a", tags={"k": "v"}, note="x"), name="b")
        assert (changed.name, changed.tags, changed.note) == ("b", {"k": "v"}, "x")
        assert dataclasses.asdict(one) == {"name": "a", "tags": {"k": "v"}, "note": "x", "checked": ["a"]}
        assert repr(one) == f"{cls.__qualname__}(name='a', tags={{'k': 'v'}}, checked=['a'])"
        with pytest.raises(TypeError, match="unhashable"):
            hash(one)  # a dict field, as the dataclass's own hash
    record_class, dataclass_class = twins(kw_only)
    assert record_class.__match_args__ == dataclass_class.__match_args__
    assert record_class(name="a") != dataclass_class(name="a")  # another class is never equal


def test_a_record_is_frozen() -> None:
    @record
    class Point:
        x: int

    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.x  # type: ignore[misc]
    assert hash(point) == hash(Point(x=1)) and {point, Point(1)} == {point}


def test_a_record_refuses_the_calls_its_dataclass_refuses() -> None:
    @record(kw_only=True)
    class Named:
        name: str
        size: int = 0

    @record
    class Pair:
        left: str
        right: str = ""

    with pytest.raises(TypeError, match="'name'"):
        Named()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="positional"):
        Named("a")  # type: ignore[misc]
    with pytest.raises(TypeError, match="'colour'"):
        Named(name="a", colour="red")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="'left'"):
        Pair("a", left="b")  # type: ignore[misc]
    assert Pair("a", "b") == Pair(left="a", right="b")


def test_a_class_bodys_own_methods_win() -> None:
    @record
    class Shown:
        value: str

        def __repr__(self) -> str:
            return f"<{self.value}>"

        def __hash__(self) -> int:
            return 7

    assert repr(Shown("v")) == "<v>" and hash(Shown("v")) == 7


def test_an_undocumented_record_has_its_dataclasss_kind_of_docstring() -> None:
    """pydantic leaves a docstring starting ``Name(`` (the dataclass's own) out of schemas."""

    @record
    class Plain:
        a: int

    @record
    class Documented:
        """Said here."""

        a: int

    assert Plain.__doc__ == "Plain(a)" and Documented.__doc__ == "Said here."


def test_a_record_keeps_field_options_and_refuses_a_mutable_default() -> None:
    @record(kw_only=True)
    class Tagged:
        error: str = field(metadata={"wire_name": "Error"})
        limit: ClassVar[int] = 3

    (only,) = dataclasses.fields(Tagged)
    assert (only.name, only.kw_only, dict(only.metadata)) == ("error", True, {"wire_name": "Error"})
    assert Tagged.limit == 3
    with pytest.raises(ValueError, match="mutable default"):

        @record
        class Shared:
            items: list[str] = []  # noqa: RUF012  # the mistake under test


def test_a_stdlib_frozen_dataclass_may_derive_from_a_record_and_a_record_from_one() -> None:
    @record(kw_only=True)
    class Stopped:
        step: str

    @dataclass(frozen=True, kw_only=True)
    class Failed(Stopped):
        cause: str

    @record(kw_only=True)
    class Retried(Failed):
        attempts: int = 1

    retried = Retried(step="s", cause="c")
    assert [f.name for f in dataclasses.fields(Retried)] == ["step", "cause", "attempts"]
    assert retried == Retried(step="s", cause="c", attempts=1) and Failed(step="s", cause="c").step == "s"
