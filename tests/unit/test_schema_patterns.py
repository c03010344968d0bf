"""The published patterns mean what the API's rules mean, in ECMA-262 as in Python's ``re``.

JSON Schema's ``pattern`` is an ECMA-262 regular expression, found anywhere in the string; the API
matches Python patterns whole (``re.fullmatch``). Every published pattern is anchored, written in
syntax both engines read alike (``[0-9]`` for ``\\d``, Python's ``\\s`` spelt out, ``\\uXXXX``
escapes), and tested here against both engines and against the rule it publishes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import pytest
import regress
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from repolink.models import sections as request
from repolink.models.rules import anchored
from repolink_local.contracts import OPENAPI, SCHEMAS

pytestmark = pytest.mark.unit


def _patterns(node: Any) -> set[str]:
    """Every ``pattern`` and ``patternProperties`` key in a schema document."""
    found: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.add(node["pattern"])
        if isinstance(node.get("patternProperties"), dict):
            found |= set(node["patternProperties"])
        for value in node.values():
            found |= _patterns(value)
    elif isinstance(node, list):
        for value in node:
            found |= _patterns(value)
    return found


DOCUMENTS = [json.loads(path.read_text()) for path in sorted(SCHEMAS.glob("*.json"))]
DOCUMENTS.append(json.loads(OPENAPI.read_text()))
PATTERNS = sorted(set().union(*map(_patterns, DOCUMENTS)))
BMP = [chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF]


def _ecma(pattern: str, text: str) -> bool:
    return regress.Regex(pattern, flags="u").find(text) is not None


def test_the_documents_publish_patterns() -> None:
    assert len(PATTERNS) >= 15


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_published_pattern_is_anchored(pattern: str) -> None:
    assert (pattern.startswith("^"), pattern.endswith("$")) == (True, True)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_published_pattern_compiles_as_ecma_262_with_unicode(pattern: str) -> None:
    regress.Regex(pattern, flags="u")  # raises regress.RegressError on syntax ECMA-262 lacks


@pytest.mark.parametrize("pattern", PATTERNS)
def test_ecma_262_and_python_read_every_published_pattern_alike(pattern: str) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.from_regex(pattern), st.text(max_size=40)))
    def alike(text: str) -> None:
        # Python's $ also matches before a final newline; ECMA-262's (and re.fullmatch) does not
        assume(not text.endswith("\n"))
        assert _ecma(pattern, text) == (re.search(pattern, text) is not None)

    alike()


def test_the_host_pattern_spells_out_pythons_whitespace() -> None:
    spelt = re.compile(f"[{request._PYTHON_SPACE}]")

    assert [c for c in BMP if bool(spelt.fullmatch(c)) != bool(re.fullmatch(r"\s", c))] == []


def test_ecma_262_reads_the_spelt_out_whitespace_as_python_does() -> None:
    spelt = regress.Regex(f"^[{request._PYTHON_SPACE}]$", flags="u")

    assert [c for c in BMP if (spelt.find(c) is not None) != bool(re.fullmatch(r"\s", c))] == []


PROTON_ARN = re.compile(request.PROTON_ARN_PATTERN, re.ASCII)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(PROTON_ARN, fullmatch=True),
        st.from_regex(PROTON_ARN, fullmatch=True).map(lambda arn: arn.replace("1", "\u0661")),
        st.from_regex(PROTON_ARN, fullmatch=True).map(lambda arn: arn + "é"),
    )
)
def test_the_portable_proton_arn_pattern_agrees_with_the_java_flavoured_one(arn: str) -> None:
    portable = request.PROTON_ARN_PORTABLE_PATTERN

    assert (re.fullmatch(portable, arn) is not None, _ecma(portable, arn)) == (
        PROTON_ARN.fullmatch(arn) is not None,
    ) * 2


def _tag_patterns() -> tuple[str, str]:
    schema = json.loads((SCHEMAS / "RepositoryLinkRequested.json").read_text())
    tags = schema["definitions"]["CodeArtifactRepositorySpec"]["properties"]["tags"]
    ((key, value),) = tags["patternProperties"].items()
    return key, value["pattern"]


TAG_KEY, TAG_VALUE = _tag_patterns()


def _api_takes_tag_text(text: str) -> bool:
    return request._tag_text_problem(text) is None


@pytest.mark.parametrize("which", ["key", "value"])
def test_on_ascii_the_tag_patterns_are_the_apis_rule(which: str) -> None:
    pattern = TAG_KEY if which == "key" else TAG_VALUE

    assert [c for c in map(chr, range(0x80)) if _ecma(pattern, c) != _api_takes_tag_text(c)] == []


@pytest.mark.parametrize("which", ["key", "value"])
def test_beyond_ascii_the_tag_patterns_refuse_only_what_the_api_refuses(which: str) -> None:
    pattern = TAG_KEY if which == "key" else TAG_VALUE
    refused = [c for c in BMP[0x80:] if _api_takes_tag_text(c) and not _ecma(pattern, c)]

    assert refused == []


def test_beyond_ascii_the_api_refuses_what_the_tag_patterns_cannot_see() -> None:
    """The reason the description says the patterns check ASCII (and control and format
    characters) only: a symbol, which is no letter, digit or space of any script."""
    assert (_ecma(TAG_VALUE, "\u20ac"), _api_takes_tag_text("\u20ac")) == (True, False)


@pytest.mark.parametrize("which", ["key", "value"])
def test_the_tag_patterns_refuse_the_format_characters_of_the_bmp(which: str) -> None:
    pattern = TAG_KEY if which == "key" else TAG_VALUE
    formats = [c for c in BMP if unicodedata.category(c) == "Cf"]

    assert [c for c in formats if _ecma(pattern, c) or _api_takes_tag_text(c)] == []


def test_the_tag_key_pattern_refuses_aws_in_any_case() -> None:
    assert [_ecma(TAG_KEY, key) for key in ("aws:x", "AwS:x", "awsx", "x-aws:")] == [False, False, True, True]


@settings(max_examples=300, deadline=None)
@given(
    arn=st.from_regex(request._HOST_ARN, fullmatch=True),
    odd=st.sampled_from(["", "\ufeff", "\u001c", "\u0085", "\u00a0", " ", "/", "é"]),
    service=st.sampled_from(["codeconnections", "codestar-connections"]),
)
def test_the_published_host_pattern_of_a_service_is_the_apis_host_rule_for_it(
    arn: str, odd: str, service: str
) -> None:
    probed = arn + odd  # characters where ECMA-262's \s and Python's differ, and others
    found = re.fullmatch(request._HOST_ARN, probed)
    api = found is not None and found["service"] == service

    assert _ecma(anchored(request._host_arn_pattern(service)), probed) == api
