"""Validation rules written into model annotations, applied by pydantic at the entry points only.

Each marker here is plain Python: it imports pydantic lazily, inside the hook pydantic calls while
building a validator (``__get_pydantic_core_schema__``) or a JSON schema. So the models can carry
their rules in one place, and a task handler that imports the models never loads pydantic.

A rule that fails raises :class:`RuleViolations`, which may name several problems, each at a path
relative to the value checked; :func:`repolink.models.validation.field_errors` turns them into
field errors with wire paths.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NoReturn

type Path = tuple[str | int, ...]
type Violation = tuple[Path, str]


class RuleViolations(ValueError):
    """One or more problems found by a rule; pydantic reports it as a ``value_error``."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = tuple(violations)
        super().__init__(
            "; ".join(
                f"{'.'.join(str(part) for part in path)}: {message}" if path else message
                for path, message in self.violations
            )
        )


def fail(message: str, *path: str | int) -> NoReturn:
    """Fail validation with one problem at ``path`` (relative to the value checked)."""
    raise RuleViolations([(path, message)])


class Problems:
    """Collects the problems one rule finds, to report them all at once."""

    def __init__(self) -> None:
        self.found: list[Violation] = []

    def add(self, message: str, *path: str | int) -> None:
        self.found.append((path, message))

    def raise_any(self) -> None:
        if self.found:
            raise RuleViolations(self.found)


def repeats(names: Iterable[str]) -> Iterator[tuple[int, int]]:
    """(position, position of the first occurrence) for each name seen before."""
    first: dict[str, int] = {}
    for position, name in enumerate(names):
        seen = first.setdefault(name, position)
        if seen != position:
            yield position, seen


class Check:
    """Run ``fn`` on the value once pydantic has validated its type (pydantic's ``AfterValidator``)."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.fn, handler(source))


class Bounds:
    """Lengths (strings, arrays) or a numeric range, as pydantic's ``Field`` constraints."""

    def __init__(
        self,
        *,
        min_length: int | None = None,
        max_length: int | None = None,
        ge: int | None = None,
        le: int | None = None,
    ) -> None:
        self.min_length, self.max_length, self.ge, self.le = min_length, max_length, ge, le

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from typing import Annotated

        from pydantic import Field

        limits = Field(min_length=self.min_length, max_length=self.max_length, ge=self.ge, le=self.le)
        return handler(Annotated[source, limits])


class _Strict:
    """No coercion: ``"3"`` is not an integer, ``1`` is not a boolean (pydantic's ``Strict()``)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from typing import Annotated

        from pydantic import Strict

        return handler(Annotated[source, Strict()])


STRICT = _Strict()


class Doc:
    """A field's description in the published JSON schemas and OpenAPI document."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema["description"] = self.text
        return schema
