"""Validation rules written into model annotations: one place for each rule, two readers.

:func:`repolink.models.wire.read` applies each marker's ``apply`` when it reads JSON (at run time,
in every handler, without pydantic). pydantic reads the same markers through the hooks it calls
(``__get_pydantic_core_schema__``, ``__get_pydantic_json_schema__``), which import it lazily: it
builds the published JSON schemas and OpenAPI document from them, and a test checks that its
verdict on generated requests is ours.

A rule that fails raises :class:`RuleViolations`, which may name several problems, each at a path
relative to the value checked; :func:`repolink.models.wire.read` records them at those paths, and
:func:`repolink.models.validation.validate_request` turns them into field errors with wire paths.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NoReturn

type Path = tuple[str | int, ...]
"""Where a value sits: wire field names, array indexes and object keys, from the value checked."""
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


def anchored(pattern: str) -> str:
    """``pattern`` as a JSON Schema ``pattern`` that matches whole strings, as ``re.fullmatch`` does
    (JSON Schema's ``pattern`` is unanchored: it finds the pattern anywhere in the string)."""
    return f"^(?:{pattern})$"


class Check:
    """Run ``fn`` on the value once its JSON kind is checked (pydantic's ``AfterValidator``).

    ``schema`` is the rule in JSON Schema keywords (``pattern``, ``enum``, ``maxProperties``...),
    merged into the published schema of the value: the rule and the keyword a client reads sit in
    one place. Keywords must mean the same under draft-04 and 2020-12
    (``repolink_local.contracts.dialect_problems`` lists those that do not); a part of the rule
    JSON Schema cannot say belongs in ``description``.
    """

    def __init__(self, fn: Callable[[Any], Any], schema: Mapping[str, Any] | None = None) -> None:
        self.fn = fn
        self.schema: Mapping[str, Any] = dict(schema or {})

    def apply(self, value: Any) -> Any:
        return self.fn(value)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.fn, handler(source))

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema.update(self.schema)
        return schema


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

    def apply(self, value: Any) -> Any:
        """``value``, or RuleViolations saying which limit it breaks."""
        if isinstance(value, int):
            if self.ge is not None and value < self.ge:
                fail(f"must be at least {self.ge}, got {value}")
            if self.le is not None and value > self.le:
                fail(f"must be at most {self.le}, got {value}")
            return value
        unit = "characters" if isinstance(value, str) else "items"
        if self.min_length is not None and len(value) < self.min_length:
            fail(f"at least {self.min_length} {unit}, got {len(value)}")
        if self.max_length is not None and len(value) > self.max_length:
            fail(f"at most {self.max_length} {unit}, got {len(value)}")
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from typing import Annotated

        from pydantic import Field

        limits = Field(min_length=self.min_length, max_length=self.max_length, ge=self.ge, le=self.le)
        return handler(Annotated[source, limits])


class _Strict:
    """No coercion: ``"3"`` is not an integer, ``1`` is not a boolean (pydantic's ``Strict()``).

    :func:`repolink.models.wire.read` is always strict; this marker tells pydantic (schemas) so.
    """

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


# --- Cross-field rules in JSON Schema, in keywords that mean the same under draft-04 and 2020-12
# (no if/then/else, dependentRequired, const): a model's ``schema_rules`` are built from these.

type Schema = dict[str, Any]


def given(key: str) -> Schema:
    """``key`` is there and not null (our reader takes an optional field's null for its absence)."""
    return {"required": [key], "properties": {key: {"not": {"type": "null"}}}}


def not_given(key: str) -> Schema:
    """``key`` is absent or null."""
    return {"properties": {key: {"type": "null"}}}


def is_one_of(key: str, *values: object, default: object = None) -> Schema:
    """``key`` is one of ``values``; an absent key counts when its ``default`` is among them."""
    schema: Schema = {"properties": {key: {"enum": list(values)}}}
    if default not in values:
        schema["required"] = [key]
    return schema


def when(condition: Schema, then: Schema) -> Schema:
    """``if condition then then``, in draft-04: ``anyOf: [not condition, then]``."""
    return {"anyOf": [{"not": condition}, then]}
