"""Validation rules, each stated once and read twice: by the API, and into the published schema.

Field rules are markers in model annotations: :func:`repolink.models.wire.read` applies each
marker's ``apply`` when it reads JSON (at run time, in every handler, without pydantic), and pydantic
reads the same markers through the hooks it calls (``__get_pydantic_core_schema__``,
``__get_pydantic_json_schema__``, which import it lazily) to build the published JSON schemas and
OpenAPI document. Rules across a model's fields are one :class:`Rules` value: its conditions give
both the verdict at run time and the schema's keywords. ``tests/unit/test_published_schema_agrees.py``
checks that the API and the published schema reach one verdict on generated requests.

A rule that fails raises :class:`RuleViolations`, which may name several problems, each at a path
relative to the value checked; :func:`repolink.models.wire.read` records them at those paths, and
:func:`repolink.models.validation.validate_request` turns them into field errors with wire paths.
"""

import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NoReturn

type Path = tuple[str | int, ...]
"""Where a value sits: wire field names, array indexes and object keys, from the value checked."""
type Violation = tuple[Path, str]
type Schema = dict[str, Any]


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


def repeats(names: Iterable[Hashable]) -> Iterator[tuple[int, int]]:
    """(position, position of the first occurrence) for each name seen before."""
    first: dict[Hashable, int] = {}
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

    def __init__(
        self, fn: Callable[[Any], Any], schema: Mapping[str, Any] | Callable[[], Schema] | None = None
    ) -> None:
        self.fn = fn
        self._schema = schema

    @property
    def schema(self) -> Mapping[str, Any]:
        """The keywords (built now, when given as a function: one too costly for a cold start)."""
        return dict((self._schema() if callable(self._schema) else self._schema) or {})

    def apply(self, value: Any) -> Any:
        return self.fn(value)

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(self.fn, handler(source))

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        schema.update(self.schema)
        return schema


#: the key that marks a reference to a shared schema until the published document resolves it to a
#: ``$ref`` (pydantic refuses a ``$ref`` to a definition it did not make)
SHARED_KEY = "x-shared"
#: schemas published once (``definitions``, ``components/schemas``) and referred to by name:
#: name -> a function that builds it (when the schemas are published, never at import)
SHARED: dict[str, Callable[[], Schema]] = {}


def shared(name: str, build: Callable[[], Schema]) -> Schema:
    """Keywords that apply the shared schema ``name`` (built by ``build``), in the form every dialect
    reads alike: ``allOf: [{$ref}]`` (draft-04 ignores a ``$ref``'s siblings, 2020-12 applies them)."""
    SHARED.setdefault(name, build)
    return {"allOf": [{SHARED_KEY: name}]}


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


# --- Cross-field rules: each is one value, read twice. ``Wire.__post_init__`` asks it whether an
# object breaks it (and where, and why); the published schema takes its JSON Schema keywords, in
# those that mean the same under draft-04 and 2020-12 (no if/then/else, dependentRequired, const).


def _snake(key: str) -> str:
    """``hostArn`` -> ``host_arn``: the attribute a wire name reads into (``to_camel`` undone)."""
    return "".join(f"_{char.lower()}" if char.isupper() else char for char in key)


def field_of(value: Any, key: str) -> Any:
    """The field ``key`` (a wire name) of a model or a JSON object; ``None`` when absent (a model
    without the field raises AttributeError: a rule naming a field that is not there is a typo)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(key)
    return getattr(value, _snake(key))


class Condition:
    """A statement about an object's fields: :meth:`holds` judges an object at run time, ``schema``
    says it in JSON Schema (``None``: JSON Schema cannot say it, and ``said`` does, in words)."""

    def __init__(self, test: Callable[[Any], bool], schema: Schema | None, said: str = "") -> None:
        self.test, self.schema, self.said = test, schema, said

    def holds(self, value: Any) -> bool:
        return self.test(value)


def given(key: str) -> Condition:
    """``key`` is there and not null (our reader takes an optional field's null for its absence)."""
    return Condition(
        lambda v: field_of(v, key) is not None,
        {"required": [key], "properties": {key: {"not": {"type": "null"}}}},
    )


def not_given(key: str) -> Condition:
    """``key`` is absent or null."""
    return Condition(lambda v: field_of(v, key) is None, {"properties": {key: {"type": "null"}}})


def is_one_of(key: str, *values: object, default: object = None) -> Condition:
    """``key`` is one of ``values``; an absent key counts when its ``default`` is among them.

    With a ``default`` among the values, ``key`` is a field that is never null (it has a default and
    is not optional): the schema refuses a null there, where the run time would take it for absent;
    the field's own rule refuses it in both."""
    schema: Schema = {"properties": {key: {"enum": list(values)}}}
    if default not in values:
        schema["required"] = [key]

    def test(value: Any) -> bool:
        found = field_of(value, key)
        return (default if found is None else found) in values

    return Condition(test, schema)


def empty(key: str, of: str = "items") -> Condition:
    """``key``, an array (``of="items"``) or an object (``of="properties"``), is absent or empty."""
    return Condition(lambda v: not field_of(v, key), {"properties": {key: {f"max{of.title()}": 0}}})


def not_empty(key: str) -> Condition:
    """``key`` is an array of at least one item."""
    return Condition(
        lambda v: bool(field_of(v, key)), {"properties": {key: {"minItems": 1}}, "required": [key]}
    )


def distinct(key: str, by: Callable[[Any], Hashable] | None = None, said: str = "") -> Condition:
    """No two items of the array ``key`` are equal (``by`` the value it gives, when given: then the
    rule is beyond JSON Schema, whose ``uniqueItems`` compares whole items, and ``said`` says it)."""
    key_of = by or (lambda item: item)
    return Condition(
        lambda v: next(repeats(key_of(item) for item in field_of(v, key) or ()), None) is None,
        {"properties": {key: {"uniqueItems": True}}} if by is None else None,
        said,
    )


def matches(key: str, pattern: str, max_length: int | None = None) -> Condition:
    """``key``, when given, is at most ``max_length`` characters and matches ``pattern`` as a whole
    (ECMA-262 syntax that ``re`` reads alike; compiled on first use, not at import)."""

    def test(value: Any) -> bool:
        found = field_of(value, key)
        too_long = max_length is not None and len(found or "") > max_length
        return found is None or (not too_long and re.fullmatch(pattern, found) is not None)

    field: Schema = {"pattern": anchored(pattern)}
    if max_length is not None:
        field = {"maxLength": max_length, **field}
    return Condition(test, {"properties": {key: field}})


def sized(key: str, min_length: int, max_length: int) -> Condition:
    """``key``, when given, has ``min_length``-``max_length`` characters."""

    def test(value: Any) -> bool:
        found = field_of(value, key)
        return found is None or min_length <= len(found) <= max_length

    return Condition(test, {"properties": {key: {"minLength": min_length, "maxLength": max_length}}})


def beyond(test: Callable[[Any], bool], said: str) -> Condition:
    """A statement JSON Schema cannot say (a cycle, items compared by one field): ``said`` says it."""
    return Condition(test, None, said)


def inside(key: str, condition: Condition) -> Condition:
    """``condition`` holds of the object ``key``, when it is given."""
    schema = None if condition.schema is None else {"properties": {key: condition.schema}}
    return Condition(
        lambda v: (found := field_of(v, key)) is None or condition.holds(found), schema, condition.said
    )


def each(key: str, condition: Condition) -> Condition:
    """``condition`` holds of every item of the array ``key``."""
    schema = None if condition.schema is None else {"properties": {key: {"items": condition.schema}}}
    return Condition(
        lambda v: all(condition.holds(item) for item in field_of(v, key) or ()), schema, condition.said
    )


def all_of(*conditions: Condition) -> Condition:
    schemas = [c.schema for c in conditions]
    return Condition(
        lambda v: all(c.holds(v) for c in conditions),
        None if None in schemas else {"allOf": schemas},
    )


def any_of(*conditions: Condition) -> Condition:
    schemas = [c.schema for c in conditions]
    return Condition(
        lambda v: any(c.holds(v) for c in conditions),
        None if None in schemas else {"anyOf": schemas},
    )


def negated(condition: Condition) -> Condition:
    assert condition.schema is not None, "a rule's premise must be sayable"
    return Condition(lambda v: not condition.holds(v), {"not": condition.schema})


type Explain = Callable[[Any], Iterable[Violation]]


class Rule:
    """One rule across fields: ``require`` holds of the object (when ``when`` holds of it).

    The verdict comes from ``require`` alone, at run time and in the schema (``when`` -> ``anyOf: [not
    when, require]``, draft-04's spelling of if/then). Where the rule is broken, ``message`` is said
    at ``at`` (a callable: of the object), or ``explain`` lists the problems (a repeated item at each
    place it repeats). ``unless``: not reported where one of these rules is broken too (one message
    per fault, as an ``elif``); ``stop``: once broken, the rules after it are not checked.
    """

    def __init__(
        self,
        require: Condition,
        message: str | Callable[[Any], str] = "",
        *at: str | int,
        when: Condition | None = None,
        explain: Explain | None = None,
        unless: tuple["Rule", ...] = (),
        stop: bool = False,
    ) -> None:
        assert message or explain, "a broken rule says why"
        self.require, self.when, self.unless, self.stop = require, when, unless, stop
        self.message, self.at, self.explain = message, at, explain

    @property
    def schema(self) -> Schema | None:
        if self.require.schema is None:
            return None
        if self.when is None:
            return self.require.schema
        assert self.when.schema is not None, "a rule's premise must be sayable"
        return {"anyOf": [{"not": self.when.schema}, self.require.schema]}

    def broken(self, value: Any) -> bool:
        return (self.when is None or self.when.holds(value)) and not self.require.holds(value)

    def violations(self, value: Any) -> list[Violation]:
        if self.explain is not None:
            return list(self.explain(value))
        message = self.message(value) if callable(self.message) else self.message
        return [(self.at, message)]


class Rules:
    """A model's rules across its fields, in the order they are checked. Its schema's ``description``
    adds to the docstring what the rules beyond JSON Schema say, then ``said``."""

    def __init__(self, *rules: Rule, said: str = "") -> None:
        self.rules, self.said = rules, said

    def check(self, value: Any) -> None:
        """RuleViolations naming every problem ``value`` has, if any."""
        found: list[Violation] = []
        broken: set[int] = set()
        for rule in self.rules:
            if not rule.broken(value):
                continue
            broken.add(id(rule))
            if not any(id(earlier) in broken for earlier in rule.unless):
                found += rule.violations(value)
            if rule.stop:
                break
        if found:
            raise RuleViolations(found)

    def schema(self) -> Schema:
        """The rules JSON Schema can say (``allOf``), and a ``description`` of those it cannot."""
        schemas = [rule.schema for rule in self.rules if rule.schema is not None]
        said = [rule.require.said for rule in self.rules if rule.require.said]
        said += [self.said] if self.said else []
        out: Schema = {"allOf": schemas} if schemas else {}
        if said:
            out["description"] = " ".join(said)
        return out


def no_repeats(
    key: str,
    *,
    by: Callable[[Any], Hashable] | None = None,
    shown: Callable[[Any], str] = repr,
    at: Path = (),
    said: str = "",
) -> Rule:
    """No item of the array ``key`` is listed twice (compared ``by`` one value, when given): each
    repeat is named where it repeats, ``{key}[i]`` (and ``at`` below it)."""

    def explain(value: Any) -> Iterator[Violation]:
        items = field_of(value, key)
        for position, seen in repeats((by or (lambda item: item))(item) for item in items):
            yield (key, position, *at), f"{shown(items[position])} is already listed at {key}[{seen}]"

    return Rule(distinct(key, by, said), explain=explain)
