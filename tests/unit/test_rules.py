"""The combinators of :mod:`repolink.models.rules`: one condition, two readings that agree.

Each condition judges an object at run time (``holds``) and says the same in JSON Schema
(``schema``); a :class:`Rule` reports where it is broken, and its reporting controls (``unless``,
``stop``) never change the verdict.
"""

import itertools
from typing import Any

import pytest
from jsonschema import Draft4Validator, Draft202012Validator

from repolink.models.rules import (
    Condition,
    Rule,
    Rules,
    RuleViolations,
    all_of,
    any_of,
    distinct,
    each,
    empty,
    given,
    inside,
    is_one_of,
    matches,
    negated,
    not_empty,
    not_given,
    sized,
)
from repolink_local.contracts import dialect_problems

pytestmark = pytest.mark.unit

#: objects as JSON has them (the reader takes an optional field's null for its absence)
OBJECTS: list[dict[str, Any]] = [
    {},
    {"a": None},
    {"a": "x"},
    {"a": "xyz", "b": ["p", "q"]},
    {"a": "", "b": []},
    {"b": ["p", "p"]},
    {"c": {"a": "x"}},
    {"c": {"a": None}, "d": [{"a": "x"}, {"a": "y"}]},
    {"d": [{"a": "x"}, {}]},
    {"a": "y", "t": {"k": "v"}},
    {"t": {}},
]

CONDITIONS: dict[str, Condition] = {
    "given": given("a"),
    "not_given": not_given("a"),
    "is_one_of": is_one_of("a", "x", "y"),
    "is_one_of with a default among them": is_one_of("a", "x", default="x"),
    "empty items": empty("b"),
    "empty properties": empty("t", of="properties"),
    "not_empty": not_empty("b"),
    "distinct": distinct("b"),
    "matches": matches("a", "[xy]+", max_length=2),
    "sized": sized("a", 1, 2),
    "inside": inside("c", given("a")),
    "each": each("d", given("a")),
    "all_of": all_of(given("a"), not_empty("b")),
    "any_of": any_of(given("a"), given("c")),
    "negated": negated(is_one_of("a", "x")),
}


@pytest.mark.parametrize("name", CONDITIONS)
@pytest.mark.parametrize("draft", [Draft4Validator, Draft202012Validator], ids=["draft-04", "2020-12"])
def test_a_condition_and_its_schema_reach_one_verdict(name: str, draft: Any) -> None:
    condition = CONDITIONS[name]
    assert condition.schema is not None and dialect_problems(condition.schema) == []
    validator = draft(condition.schema)

    # a default among the values is for a field that is never null (its own rule refuses a null)
    judged = [o for o in OBJECTS if not (name.endswith("among them") and "a" in o and o["a"] is None)]

    assert [condition.holds(o) for o in judged] == [validator.is_valid(o) for o in judged]


def test_a_rule_with_a_premise_is_its_schema_anyof_not_premise_or_requirement() -> None:
    rule = Rule(given("b"), "needed with a", "b", when=given("a"))
    validator = Draft4Validator(rule.schema)

    assert [not rule.broken(o) for o in OBJECTS] == [validator.is_valid(o) for o in OBJECTS]


def _report(rules: Rules, value: dict[str, Any]) -> list[Any]:
    try:
        rules.check(value)
    except RuleViolations as broken:
        return list(broken.violations)
    return []


def test_unless_and_stop_change_what_is_reported_never_the_verdict() -> None:
    first = Rule(given("a"), "give a", "a")
    rules = Rules(
        first,
        Rule(sized("a", 1, 1), "one character", "a", unless=(first,)),
        Rule(given("b"), "give b", "b", stop=True),
        Rule(given("c"), "give c", "c"),
    )
    cases = [{}, {"a": "xy"}, {"a": "x", "b": 1}, {"a": "x", "b": 1, "c": 1}]

    assert [_report(rules, case) for case in cases] == [
        [(("a",), "give a"), (("b",), "give b")],
        [(("a",), "one character"), (("b",), "give b")],
        [(("c",), "give c")],
        [],
    ]
    for case in cases:  # broken somewhere exactly when some rule is broken
        assert bool(_report(rules, case)) == any(rule.broken(case) for rule in rules.rules)


def test_a_rule_beyond_the_schema_is_said_in_the_description() -> None:
    from repolink.models.rules import beyond

    rules = Rules(
        Rule(beyond(lambda o: o.get("a") != "loop", "a is no loop."), "a loop", "a"),
        Rule(given("a"), "give a", "a"),
        said="Then the rest.",
    )

    assert rules.schema() == {"allOf": [given("a").schema], "description": "a is no loop. Then the rest."}


@pytest.mark.parametrize("pair", list(itertools.combinations(["given", "is_one_of", "each"], 2)))
def test_conditions_compose_and_stay_in_the_common_dialect(pair: tuple[str, str]) -> None:
    combined = any_of(all_of(*(CONDITIONS[name] for name in pair)), negated(CONDITIONS[pair[0]]))

    assert combined.schema is not None and dialect_problems(combined.schema) == []
    assert [combined.holds(o) for o in OBJECTS] == [
        Draft4Validator(combined.schema).is_valid(o) for o in OBJECTS
    ]
