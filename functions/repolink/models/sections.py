"""The sections of the onboarding request (connection, proton, codeartifact, gitSync): their shapes
and the rules of each field and section, stated once.

Field-level rules come from the AWS API models (botocore ``service-2.json``: names, patterns,
lengths, enums); a section's cross-field rules (which provider needs a host, upstreams without
cycles) are its :class:`~repolink.models.rules.Rules`: each rule one value, which the reader checks
(``__post_init__``) and the published schema carries. The whole request, and the rules across sections, are
:mod:`repolink.models.request`. The task handlers read a section back with ``from_wire``, and load
this module without the request contract (cold start); the patterns compile on first use.
"""

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from repolink.adapters.quotas import quota
from repolink.models.providers import (
    CONNECTION_SERVICES,
    EXTERNAL_CONNECTIONS,
    HOST_PROVIDER_TYPES,
    PROVIDER_TYPES_BY_SERVICE,
    ConnectionService,
    GitSyncTrigger,
)
from repolink.models.rules import (
    STRICT,
    Bounds,
    Check,
    Condition,
    Rule,
    Rules,
    RuleViolations,
    Schema,
    Violation,
    all_of,
    anchored,
    any_of,
    beyond,
    empty,
    fail,
    field_of,
    given,
    is_one_of,
    matches,
    negated,
    no_repeats,
    not_empty,
    not_given,
    shared,
    sized,
)
from repolink.models.tags import (
    CODEARTIFACT_TAGS_MAX,
    CONNECTION_TAGS_MAX,
    RESERVED_CODEARTIFACT_TAGS,
    RESERVED_CONNECTION_TAGS,
    TAG_KEY_MAX,
    TAG_VALUE_MAX,
)
from repolink.models.wire import Wire
from repolink.workflow.plan import find_cycle

# --- Patterns. Where botocore has one, the constant is its pattern, anchored by ``fullmatch``;
# tests/unit/test_providers.py checks them against the installed models.
_PARTITION = r"arn:aws(-[a-z]+)*"
_REGION = r"[a-z]{2}(-[a-z]{1,12}){1,3}-[0-9]{1,2}"
_ACCOUNT = r"[0-9]{12}"

APPRUNNER_CONNECTION_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9\-_]{3,31}"
"""apprunner ``ConnectionName`` (4-32 characters)."""
CONNECTION_NAME_MAX = 32
"""codeconnections / codestar-connections ``ConnectionName``: 1-32 characters, any (``[\\s\\S]*``)."""

CODEARTIFACT_REPOSITORY_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._\-]{1,99}"
"""codeartifact ``RepositoryName``."""
CODEARTIFACT_DOMAIN_NAME_PATTERN = r"[a-z][a-z0-9\-]{0,48}[a-z0-9]"
"""codeartifact ``DomainName``."""
ACCOUNT_ID_PATTERN = r"[0-9]{12}"
"""codeartifact ``AccountId``."""
ORGANIZATION_ID_PATTERN = r"^o-[a-z0-9]{10,32}$"
"""organizations ``OrganizationId`` (the ``aws:PrincipalOrgID`` of a consumer organization)."""
CONSUMER_ACCOUNTS_MAX = 50
"""How many consumer accounts one request may name (ours: with an organization and the read-only
actions, repolink's statements then take at most 3,400 of the 7,168 characters CodeArtifact allows
a policy document, ``PolicyDocument``'s max, leaving room for others' statements;
``tests/unit/test_codeartifact_sharing_rules.py`` measures it). More accounts: share with the organization."""

PROTON_REPOSITORY_NAME_PATTERN = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
"""``owner/repo``. Narrower than proton's ``RepositoryName`` (``[A-Za-z0-9_.-].*/[A-Za-z0-9_.-].*``, which
lets anything, spaces included, follow the first character): GitHub and Bitbucket names use only these
characters, and exactly one ``/``."""
PROTON_REPOSITORY_NAME_MAX = 100
PROTON_ARN_PATTERN = (
    r"^arn:(aws|aws-cn|aws-us-gov):[a-zA-Z0-9-]+:[a-zA-Z0-9-]*:\d{12}:([\w+=,.@-]+[/:])*[\w+=,.@-]+$"
)
"""proton ``Arn`` (the shape of ``encryptionKey``), at most 200 characters. Java-flavoured: ``\\d`` and
``\\w`` are ASCII, so it is compiled with ``re.ASCII``."""
PROTON_ARN_PORTABLE_PATTERN = PROTON_ARN_PATTERN.replace(r"\d", "[0-9]").replace(r"\w", "A-Za-z0-9_")
"""The same, as the published schema's ``pattern``: Python's ``re`` (jsonschema's engine) reads
``\\d`` and ``\\w`` as Unicode unless told otherwise; ``[0-9]`` means one thing everywhere."""
PROTON_ARN_MAX = 200

GIT_SYNC_OWNER_ID_MAX = 255
"""codeconnections ``OwnerId``: 1-255 characters of one line (``^.*$``)."""
GIT_SYNC_REPOSITORY_NAME_MAX = 128
"""codeconnections ``RepositoryName``: 1-128 characters of one line (``^.*$``)."""
GIT_SYNC_BRANCH_MAX = 255
"""codeconnections ``BranchName``: 1-255 characters of one line (``^.*$``)."""
GIT_SYNC_RESOURCE_NAME_PATTERN = r"[0-9A-Za-z]+[0-9A-Za-z_\\-]*"
"""codeconnections ``ResourceName`` (1-100 characters): the stack a sync configuration keeps. As
botocore writes it, ``\\`` (a backslash) is in the second class."""
GIT_SYNC_RESOURCE_NAME_MAX = 100
CLOUDFORMATION_STACK_NAME_PATTERN = r"[a-zA-Z][-a-zA-Z0-9]*"
"""CloudFormation's stack names ("alphanumeric characters and hyphens", starting with a letter:
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html; botocore
gives no pattern): what CloudFormation will create the synced stack under. Narrower
than ``ResourceName`` (a letter first, no ``_``): a name only codeconnections takes would make a
sync configuration whose stack can never be created."""
GIT_SYNC_ROLE_ARN_PATTERN = r"arn:aws(-[\w]+)*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+"
"""codeconnections ``IamRoleArn`` (1-1024 characters); Java-flavoured, compiled with ``re.ASCII``."""
GIT_SYNC_ROLE_ARN_MAX = 1024
GIT_SYNC_KMS_KEY_ARN_PATTERN = r"arn:aws(-[\w]+)*:kms:[a-z\-0-9]+:\d{12}:key/[a-zA-Z0-9\-]+"
"""codeconnections ``KmsKeyArn`` (1-1024 characters): a key ARN, never an alias."""
GIT_SYNC_KMS_KEY_ARN_MAX = 1024
SYNC_CONFIGURATIONS_MAX = 100
"""How many stacks one request may sync, from one repository or all together (ours: each stack's
result, or its failure with its cause, is carried in the workflow's state and the result event,
which Step Functions and EventBridge cap at 256 KiB)."""

_CONNECTION_ARN = (
    rf"{_PARTITION}:(codeconnections|codestar-connections):{_REGION}:{_ACCOUNT}"
    r":connection/[A-Za-z0-9]+(-[A-Za-z0-9]+)*"
)
_APPRUNNER_CONNECTION_ARN = (
    rf"{_PARTITION}:apprunner:{_REGION}:{_ACCOUNT}"
    rf":connection/{APPRUNNER_CONNECTION_NAME_PATTERN}/[0-9a-f]{{32}}"
)
_HOST_ARN = (
    rf"{_PARTITION}:(?P<service>codestar-connections|codeconnections):{_REGION}:{_ACCOUNT}:host/[^\s/]+"
)
_PYTHON_SPACE = r"\u0009-\u000d\u001c-\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""``re``'s ``\\s`` in a ``str`` pattern, spelt out: ECMA-262's ``\\s`` differs (it adds U+FEFF and
lacks U+001C-U+001F and U+0085), so the published pattern names the characters."""


def _host_arn_pattern(service: str) -> str:
    """:data:`_HOST_ARN` for one service, in syntax ECMA-262 and ``re`` read alike."""
    return rf"{_PARTITION}:{service}:{_REGION}:{_ACCOUNT}:host/[^/{_PYTHON_SPACE}]+"


_CONNECTION_ARN_MAX = 256  # codeconnections ConnectionArn / HostArn
_KMS_ARN = rf"{_PARTITION}:kms:{_REGION}:{_ACCOUNT}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9:/_-]+)"
_CODEARTIFACT_ARN_MAX = 1011  # codeartifact Arn

_TAG_CHARACTERS = r"[\w\s.:/=+\-@]*"
"""AWS's tag character set ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*`` in ``re``: ``\\w`` is letters, digits and
``_``; ``\\s`` is the separators plus a few control characters, which are refused separately."""
_CONTROL = r"\u0000-\u001f\u007f-\u009f"
"""Unicode category Cc, as a character-class range ECMA-262 and ``re`` read alike."""


def _ranges(codes: list[int]) -> str:
    """Code points as character-class ranges of ``\\uXXXX`` escapes (read alike by ECMA-262 and ``re``)."""
    runs: list[list[int]] = []
    for code in codes:
        if runs and runs[-1][1] == code - 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "".join(rf"\u{a:04x}" if a == b else rf"\u{a:04x}-\u{b:04x}" for a, b in runs)


_TAG_REFUSED_ASCII = _ranges([c for c in range(0x20, 0x7F) if not re.fullmatch(_TAG_CHARACTERS, chr(c))])
"""The printable ASCII characters outside the tag character set."""
PROTON_TAGS_MAX = 50
"""proton's ``TagList`` allows 50 tags, not 200."""

DESCRIPTION_MAX = 1000
UPSTREAMS_MAX = quota("upstreams").limit
"""CodeArtifact's quota of upstream repositories per repository (botocore sets no maximum)."""
REPOSITORIES_MAX = 100
"""How many repositories one request may name, per section."""


def _show(value: str) -> str:
    """``value`` quoted for a message, cut short so a huge input cannot make a huge error."""
    return repr(value) if len(value) <= 80 else f"{value[:77]!r}..."


def _has_control(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def _has_other(text: str) -> bool:
    """True when ``text`` has a character outside ``\\P{C}``: control, format (bidi controls,
    zero-width characters), surrogate (a lone half of a pair), private, unassigned."""
    return any(unicodedata.category(char).startswith("C") for char in text)


def _has_format(text: str) -> bool:
    """True when ``text`` has a format character (Cf): a bidi control, a zero-width character, a
    tag character (U+E0000-U+E007F, invisible text)."""
    return any(unicodedata.category(char) == "Cf" for char in text)


_FORMAT_AND_OTHER = "format (bidi, zero-width), surrogate, private-use or unassigned characters"
"""Unicode category C less Cc, in a ``description``: the shared :data:`PRINTABLE` schema refuses the
format characters (Cf), the API all of them."""
_OTHER = "surrogate, private-use or unassigned characters"
"""Unicode category C less Cc and Cf: what the API refuses beyond the published schema (see
:func:`_printable_schema`)."""


def _unprintable_problem(text: str) -> str | None:
    """Why ``text`` cannot be shown as it is (a character of Unicode category C), or ``None``."""
    if _has_control(text):
        return "must not contain control characters (line breaks included)"
    if _has_format(text):
        return "must not contain format characters (bidi controls, zero-width characters)"
    if _has_other(text):
        return f"must not contain {_OTHER}"
    return None


def _utf16(code: int) -> str:
    """``code`` as ECMA-262 ``\\uXXXX`` escapes: one, or a surrogate pair beyond the BMP (which a
    ``u``-flag pattern reads as the one code point, and a pattern without it as the two units)."""
    if code < 0x10000:
        return rf"\u{code:04x}"
    code -= 0x10000
    return rf"\u{0xD800 + (code >> 10):04x}\u{0xDC00 + (code & 0x3FF):04x}"


@cache
def _refused_codes(beyond_the_bmp: bool) -> list[int]:
    """The code points of Unicode categories Cc and Cf, in or beyond the Basic Multilingual Plane."""
    span = range(0x10000, 0x110000) if beyond_the_bmp else range(0x10000)
    return [code for code in span if unicodedata.category(chr(code)) in ("Cc", "Cf")]


def _printable_schema() -> Schema:
    """The text rule of :func:`_unprintable_problem` that JSON Schema can say, once for every field:
    no control (Cc) or format (Cf) character. Built from the same ``unicodedata`` categories (when
    the schemas are published, not at import).

    Portable ECMA-262 (with or without the ``u`` flag) names a character by ``\\uXXXX`` escapes:
    those of the BMP in one class, those beyond it (a few format characters, the invisible tag
    characters among them) as surrogate pairs in a lookahead. The rest of category C is said in the
    ``description``: surrogates (a lone half is no character in a ``u``-flag pattern), private-use
    and unassigned characters (the unassigned change with each Unicode version, so a published list
    would not stay the API's)."""
    astral = "|".join(_utf16(code) for code in _refused_codes(beyond_the_bmp=True))
    return {  # no "type": a field says its own (a connection's name may be null)
        "pattern": f"^(?![\\s\\S]*(?:{astral}))[^{_ranges(_refused_codes(beyond_the_bmp=False))}]*$",
        "description": (
            "Text without control (Unicode Cc) or format (Cf: bidi controls, zero-width and tag"
            f" characters) characters; the API also refuses {_OTHER}."
        ),
    }


PRINTABLE = shared("PrintableText", _printable_schema)
"""A field's schema keywords that refer to the one published :func:`_printable_schema`."""


def printable(key: str) -> Condition:
    """The text ``key``, when given, has no character of Unicode category C (:func:`_unprintable_problem`)."""
    return Condition(
        lambda value: (text := field_of(value, key)) is None or _unprintable_problem(text) is None,
        {"properties": {key: PRINTABLE}},
    )


def _tag_text_problem(text: str) -> str | None:
    if _has_control(text):
        return "must not contain control characters"
    if not re.fullmatch(_TAG_CHARACTERS, text):
        odd = sorted({char for char in text if not re.fullmatch(_TAG_CHARACTERS, char)})
        if all(ord(char) > 0x7F for char in odd):  # what the published patterns cannot see
            named = ", ".join(f"U+{ord(char):04X}" for char in odd[:5])
            allowed = "letters, digits and spaces (of any script) and _ . : / = + - @"
            return f"may contain only {allowed}, not {named}"
        return "may contain only letters, digits, spaces and _ . : / = + - @"
    return None


def _tags_schema(limit: int, reserved: tuple[str, ...] = ()) -> Schema:
    """The tag rules of :func:`_tag_violations` (and the ``reserved`` keys) in JSON Schema; beyond
    ASCII, the character set (letters, digits and spaces of any script) is said in ``description``."""
    text = f"[^{_ranges(_refused_codes(beyond_the_bmp=False))}{_TAG_REFUSED_ASCII}]"
    assert all(re.fullmatch(r"[a-z:-]+", key) for key in reserved), "reserved keys go in as they are"
    refused = "".join(f"(?!{key}$)" for key in reserved)
    return {
        "maxProperties": limit,
        "patternProperties": {
            f"^(?![aA][wW][sS]:){refused}{text}{{1,{TAG_KEY_MAX}}}$": {
                "type": "string",
                "maxLength": TAG_VALUE_MAX,
                "pattern": f"^{text}*$",
                **PRINTABLE,  # the format characters beyond the BMP too
            }
        },
        "additionalProperties": False,
        "description": (
            f"At most {limit} tags. Keys are 1-{TAG_KEY_MAX} characters and do not start with aws: (in"
            f" any case){''.join(f', nor are they {key}' for key in reserved)}; values are at most"
            f" {TAG_VALUE_MAX} characters. Both are letters, digits and spaces (of any script) and"
            " _ . : / = + - @ (AWS's [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*), without control or format"
            " characters; the patterns check the ASCII, control and format characters (keys: those of"
            " the BMP), the API every character."
        ),
    }


def _tag_violations(tags: Mapping[str, str], limit: int) -> list[Violation]:
    violations: list[Violation] = []
    if len(tags) > limit:
        violations.append(((), f"at most {limit} tags, got {len(tags)}"))
    for key, value in tags.items():
        if not 1 <= len(key) <= TAG_KEY_MAX:
            violations.append(((key,), f"tag keys are 1-{TAG_KEY_MAX} characters, this one has {len(key)}"))
        elif key.lower().startswith("aws:"):
            violations.append(((key,), "tag keys starting with 'aws:' are reserved for AWS"))
        elif problem := _tag_text_problem(key):
            violations.append(((key,), f"tag key {problem}"))
        if len(value) > TAG_VALUE_MAX:
            violations.append(
                ((key,), f"tag values are at most {TAG_VALUE_MAX} characters, this one has {len(value)}")
            )
        elif problem := _tag_text_problem(value):
            violations.append(((key,), f"tag value {problem}"))
    return violations


def _check_codeartifact_tags(tags: dict[str, str]) -> dict[str, str]:
    violations = _tag_violations(tags, CODEARTIFACT_TAGS_MAX)
    violations += [
        ((key,), "is a tag repolink sets itself") for key in tags if key in RESERVED_CODEARTIFACT_TAGS
    ]
    if violations:
        raise RuleViolations(violations)
    return tags


def _check_connection_tags(tags: dict[str, str]) -> dict[str, str]:
    violations = _tag_violations(tags, CONNECTION_TAGS_MAX)
    violations += [
        ((key,), "is a tag repolink sets itself") for key in tags if key in RESERVED_CONNECTION_TAGS
    ]
    if violations:
        raise RuleViolations(violations)
    return tags


def _check_proton_tags(tags: dict[str, str]) -> dict[str, str]:
    if violations := _tag_violations(tags, PROTON_TAGS_MAX):
        raise RuleViolations(violations)
    return tags


def _matching(pattern: str, description: str) -> Check:
    """``pattern`` (ECMA-262 syntax that ``re`` reads alike), matched as a whole."""

    def check(value: str) -> str:
        if not re.fullmatch(pattern, value):  # compiled on first use (re's cache), not at import
            fail(f"{_show(value)} is not {description}")
        return value

    return Check(check, {"pattern": anchored(pattern)})


def _check_external_connection(value: str) -> str:
    if value not in EXTERNAL_CONNECTIONS:
        known = ", ".join(EXTERNAL_CONNECTIONS)
        fail(f"{_show(value)} is not a CodeArtifact external connection; use one of {known}")
    return value


def _check_description(value: str) -> str:
    if len(value) > DESCRIPTION_MAX:
        fail(f"at most {DESCRIPTION_MAX} characters, got {len(value)}")
    if problem := _unprintable_problem(value):
        fail(problem)
    return value


def _kms_key_arn(
    max_length: int,
    extra: tuple[str, re.RegexFlag] | None = None,
    note: str = "",
    extra_schema_pattern: str | None = None,
) -> Check:
    shape = "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID) or alias ARN (...:alias/NAME)"

    def check(value: str) -> str:
        if len(value) > max_length:
            fail(f"at most {max_length} characters, got {len(value)}")
        narrower = extra is not None and not re.fullmatch(extra[0], value, extra[1])
        if not re.fullmatch(_KMS_ARN, value) or narrower:
            fail(f"{_show(value)} is not {shape}{note}")
        return value

    schema: Schema = {"maxLength": max_length, "pattern": anchored(_KMS_ARN)}
    if extra_schema_pattern is not None:
        schema["allOf"] = [{"pattern": anchored(extra_schema_pattern)}]
    return Check(check, schema)


CodeArtifactTags = Annotated[
    dict[str, str],
    Check(_check_codeartifact_tags, lambda: _tags_schema(CODEARTIFACT_TAGS_MAX, RESERVED_CODEARTIFACT_TAGS)),
]
"""Resource tags: at most 198, keys 1-128 and values 0-256 characters from AWS's tag character set."""
ConnectionTags = Annotated[
    dict[str, str],
    Check(_check_connection_tags, lambda: _tags_schema(CONNECTION_TAGS_MAX, RESERVED_CONNECTION_TAGS)),
]
"""A connection's tags: as :data:`CodeArtifactTags`, less the ones repolink reserves for itself."""
ProtonTags = Annotated[dict[str, str], Check(_check_proton_tags, lambda: _tags_schema(PROTON_TAGS_MAX))]
CodeArtifactRepositoryName = Annotated[
    str,
    _matching(
        CODEARTIFACT_REPOSITORY_NAME_PATTERN,
        "a CodeArtifact repository name "
        "(2-100 letters, digits, '.', '_' or '-', starting with a letter or digit)",
    ),
]
CodeArtifactDomainName = Annotated[
    str,
    _matching(
        CODEARTIFACT_DOMAIN_NAME_PATTERN,
        "a CodeArtifact domain name (2-50 lowercase letters, digits or '-', starting with a letter, "
        "not ending with '-')",
    ),
]
AccountId = Annotated[str, _matching(ACCOUNT_ID_PATTERN, "an AWS account ID (12 digits)")]
OrganizationId = Annotated[
    str,
    _matching(
        ORGANIZATION_ID_PATTERN.removeprefix("^").removesuffix("$"),
        "an AWS Organizations id (o- and 10-32 lowercase letters or digits)",
    ),
]
ProtonRepositoryName = Annotated[
    str,
    Bounds(max_length=PROTON_REPOSITORY_NAME_MAX),
    _matching(PROTON_REPOSITORY_NAME_PATTERN, "a repository name of the form owner/repo"),
]


Flag = Annotated[bool, STRICT]
"""A JSON boolean: ``1`` or ``"true"`` are refused, not coerced."""


HOST_NAME_MAX = 64
"""codeconnections ``HostName``: 1-64 characters, any (``.*``: one line)."""
HOST_ENDPOINT_MAX = 512
"""codeconnections ``Url``: 1-512 characters (``.*``)."""
HOST_ENDPOINT_PATTERN = rf"https://[A-Za-z0-9.\-]+(:[0-9]{{1,5}})?(/[^{_CONTROL}{_PYTHON_SPACE}\ufeff]*)?"
"""Narrower than ``Url`` (``.*``): an https URL of a host name (and port), the endpoint of the
installed provider, whose path has no control or space characters (spelt out, so ECMA-262 and
``re`` read them alike). A plain-http endpoint would carry the provider's tokens in the clear."""
VPC_ID_PATTERN = r"vpc-[A-Za-z0-9_]{8}([A-Za-z0-9_]{9})?"
"""codeconnections ``VpcId`` (12-21 characters; ``\\w`` spelt out as ASCII)."""
SUBNET_ID_PATTERN = r"subnet-[A-Za-z0-9_]{8}([A-Za-z0-9_]{9})?"
"""codeconnections ``SubnetId`` (15-24 characters)."""
SECURITY_GROUP_ID_PATTERN = r"sg-[A-Za-z0-9_]{8}([A-Za-z0-9_]{9})?"
"""codeconnections ``SecurityGroupId`` (11-20 characters)."""
VPC_IDS_MAX = 10
"""codeconnections ``SubnetIds`` and ``SecurityGroupIds``: 1-10 each."""
TLS_CERTIFICATE_MAX = 16384
"""codeconnections ``TlsCertificate``: 1-16384 characters (``[\\s\\S]*``: PEM, line breaks included)."""


def _check_host_name(value: str) -> str:
    if not 1 <= len(value) <= HOST_NAME_MAX:
        fail(f"host names are 1-{HOST_NAME_MAX} characters, got {len(value)}")
    if problem := _unprintable_problem(value):
        fail(problem)
    return value


def _check_endpoint(value: str) -> str:
    if len(value) > HOST_ENDPOINT_MAX:
        fail(f"at most {HOST_ENDPOINT_MAX} characters, got {len(value)}")
    if not re.fullmatch(HOST_ENDPOINT_PATTERN, value):
        fail(f"{_show(value)} is not an https URL of the installed provider (https://HOST[:PORT][/PATH])")
    if problem := _unprintable_problem(value):  # a bidi override would display another URL
        fail(problem)
    return value


def _check_certificate(value: str) -> str:
    if not 1 <= len(value) <= TLS_CERTIFICATE_MAX:
        fail(f"1-{TLS_CERTIFICATE_MAX} characters, got {len(value)}")
    return value


VpcResourceIds = Annotated[list[str], Bounds(min_length=1, max_length=VPC_IDS_MAX)]


@dataclass(frozen=True, kw_only=True)
class VpcConfigurationSpec(Wire):
    """The VPC a host reaches its provider through (codeconnections ``VpcConfiguration``)."""

    vpc_id: Annotated[
        str, Bounds(min_length=12, max_length=21), _matching(VPC_ID_PATTERN, "a VPC id (vpc-XXXXXXXX)")
    ]
    subnet_ids: Annotated[
        list[
            Annotated[
                str,
                Bounds(min_length=15, max_length=24),
                _matching(SUBNET_ID_PATTERN, "a subnet id (subnet-XXXXXXXX)"),
            ]
        ],
        Bounds(min_length=1, max_length=VPC_IDS_MAX),
    ]
    security_group_ids: Annotated[
        list[
            Annotated[
                str,
                Bounds(min_length=11, max_length=20),
                _matching(SECURITY_GROUP_ID_PATTERN, "a security group id (sg-XXXXXXXX)"),
            ]
        ],
        Bounds(min_length=1, max_length=VPC_IDS_MAX),
    ]
    tls_certificate: (
        Annotated[
            str,
            Check(_check_certificate, {"minLength": 1, "maxLength": TLS_CERTIFICATE_MAX}),
        ]
        | None
    ) = None

    rules = Rules(
        no_repeats("subnetIds"),
        no_repeats("securityGroupIds"),
        said="No subnet or security group is listed twice.",
    )


@dataclass(frozen=True, kw_only=True)
class HostSpec(Wire):
    """A host to create (or reuse: one of this name and endpoint) for an installed provider."""

    name: Annotated[
        str,
        Check(
            _check_host_name,
            {"minLength": 1, "maxLength": HOST_NAME_MAX, **PRINTABLE},
        ),
    ]
    provider_endpoint: Annotated[
        str,
        Check(
            _check_endpoint,
            {"maxLength": HOST_ENDPOINT_MAX, "pattern": anchored(HOST_ENDPOINT_PATTERN), **PRINTABLE},
        ),
    ]
    vpc_configuration: VpcConfigurationSpec | None = None

    rules = Rules(
        said=(
            f"name is 1-{HOST_NAME_MAX} characters, and providerEndpoint an https URL, without control"
            f" characters or {_FORMAT_AND_OTHER}."
            " An existing host of this name is reused when it has this providerEndpoint (and this"
            " vpcConfiguration) and this account's onboardings created it."
        )
    )


def _not_a_connection_arn(shape: str) -> Callable[[Any], str]:
    return lambda connection: (
        f"{_show(connection.arn)} is not a {connection.service} connection ARN ({shape})"
    )


def _on(service: ConnectionService) -> Condition:
    """The connection is one of ``service``."""
    return is_one_of("service", service, default="codeconnections")


_NOT_ON_APPRUNNER = negated(_on("apprunner"))
_HOSTED = sorted(HOST_PROVIDER_TYPES)
_CONNECTION_ARNS = [
    (service, _APPRUNNER_CONNECTION_ARN, "arn:aws:apprunner:REGION:ACCOUNT:connection/NAME/ID")
    if service == "apprunner"
    else (service, _CONNECTION_ARN, "arn:aws:codeconnections:REGION:ACCOUNT:connection/ID")
    for service in CONNECTION_SERVICES
]
_NAME_LENGTH = Rule(
    sized("name", 1, CONNECTION_NAME_MAX),
    lambda c: f"connection names are 1-{CONNECTION_NAME_MAX} characters, got {len(c.name)}",
    "name",
    when=_NOT_ON_APPRUNNER,
)


def _used_by_hosted_providers_only(member: str) -> tuple[Rule, Rule]:
    """``member`` (host or hostArn) is refused on App Runner, and else for a provider without hosts."""
    on_apprunner = Rule(
        not_given(member),
        f"App Runner connections have no host; omit {member}",
        member,
        when=_on("apprunner"),
    )
    hosted = Rule(
        is_one_of("provider", *_HOSTED),
        lambda c: f"only {' and '.join(_HOSTED)} connections use a host; omit {member} for {c.provider}",
        member,
        when=all_of(given(member), given("provider")),
        unless=(on_apprunner,),
    )
    return on_apprunner, hosted


_HOST_ARN_SHAPE = Rule(
    matches("hostArn", _host_arn_pattern("(codestar-connections|codeconnections)"), _CONNECTION_ARN_MAX),
    lambda c: f"{_show(c.host_arn)} is not a host ARN (arn:aws:codeconnections:REGION:ACCOUNT:host/NAME-ID)",
    "hostArn",
)


@dataclass(frozen=True, kw_only=True)
class ConnectionSpec(Wire):
    """The source connection: reuse one by ``arn``, or create one from ``name`` and ``provider``."""

    service: ConnectionService = "codeconnections"
    name: str | None = None
    provider: str | None = None
    host_arn: str | None = None
    host: HostSpec | None = None
    arn: str | None = None
    tags: ConnectionTags = field(default_factory=dict)

    rules = Rules(
        *(
            Rule(
                given(member),
                "required unless arn names an existing connection",
                member,
                when=not_given("arn"),
            )
            for member in ("name", "provider")
        ),
        Rule(
            not_given("name"),
            "give either arn (reuse a connection) or name and provider (create one)",
            "name",
            when=given("arn"),
        ),
        *(
            Rule(
                not_given(member),
                f"a reused connection (arn) keeps its host; omit {member}",
                member,
                when=given("arn"),
            )
            for member in ("hostArn", "host")
        ),
        Rule(
            empty("tags", of="properties"),
            "tags apply only to a connection this request creates; omit them with arn",
            "tags",
            when=given("arn"),
        ),
        *(
            Rule(
                matches("arn", pattern, _CONNECTION_ARN_MAX),
                _not_a_connection_arn(shape),
                "arn",
                when=_on(service),
            )
            for service, pattern, shape in _CONNECTION_ARNS
        ),
        Rule(
            matches("name", APPRUNNER_CONNECTION_NAME_PATTERN),
            lambda c: (
                f"{_show(c.name)} is not an App Runner connection name "
                "(4-32 letters, digits, '-' or '_', starting with a letter or digit)"
            ),
            "name",
            when=_on("apprunner"),
        ),
        _NAME_LENGTH,
        # AWS takes any character ([\s\S]*): a bidi override or a zero-width character would
        # make a name display as another (acme-\u202ebuhtig reads "acme-github")
        Rule(
            printable("name"),
            lambda c: _unprintable_problem(c.name) or "",
            "name",
            when=_NOT_ON_APPRUNNER,
            unless=(_NAME_LENGTH,),
        ),
        *(
            Rule(
                is_one_of("provider", *PROVIDER_TYPES_BY_SERVICE[service], None),
                lambda c: (
                    f"{_show(c.provider)} is not a {c.service} provider; use one of"
                    f" {', '.join(PROVIDER_TYPES_BY_SERVICE[c.service])}"
                ),
                "provider",
                when=_on(service),
                stop=True,  # the host rules below judge a provider of the service
            )
            for service in CONNECTION_SERVICES
        ),
        Rule(
            not_given("hostArn"),
            "give hostArn (an existing host) or host (one to create or reuse), not both",
            "host",
            when=given("host"),
        ),
        *_used_by_hosted_providers_only("host"),
        Rule(
            any_of(given("arn"), given("hostArn"), given("host")),
            lambda c: (
                f"required for {c.provider}: the host of the installed provider (or give host, to create one)"
            ),
            "hostArn",
            when=is_one_of("provider", *_HOSTED),
        ),
        *_used_by_hosted_providers_only("hostArn"),
        _HOST_ARN_SHAPE,
        # codestar-connections' HostArn admits only its own hosts; one service per connection
        *(
            Rule(
                matches("hostArn", _host_arn_pattern(service)),
                lambda c: (
                    f"a {c.host_arn.split(':')[2]} host, for a {c.service} connection: use a"
                    f" {c.service} host ARN, or set service to {c.host_arn.split(':')[2]}"
                ),
                "hostArn",
                when=_on(service),
                unless=(_HOST_ARN_SHAPE,),
            )
            for service in CONNECTION_SERVICES
            if service != "apprunner"
        ),
        said=(
            "name and provider are required unless arn names an existing connection; with arn, omit"
            " name, hostArn, host and tags. hostArn (a host of the connection's service) or host (one"
            " to create or reuse, by name and endpoint; not both) is required for"
            " GitHubEnterpriseServer and GitLabSelfManaged and refused for other providers and for"
            f" apprunner. A codeconnections or codestar-connections name is 1-{CONNECTION_NAME_MAX}"
            f" characters, without control characters or {_FORMAT_AND_OTHER}; an apprunner name"
            " matches the apprunner pattern."
        ),
    )


@dataclass(frozen=True, kw_only=True)
class ProtonRepositorySpec(Wire):
    """One Git repository to link to Proton, ``owner/repo``."""

    name: ProtonRepositoryName
    encryption_key: (
        Annotated[
            str,
            _kms_key_arn(
                PROTON_ARN_MAX,
                (PROTON_ARN_PATTERN, re.ASCII),
                " in the aws, aws-cn or aws-us-gov partition",
                PROTON_ARN_PORTABLE_PATTERN.removeprefix("^").removesuffix("$"),
            ),
        ]
        | None
    ) = None
    tags: ProtonTags = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ProtonSpec(Wire):
    """The repositories to link to Proton through the request's connection."""

    repositories: Annotated[list[ProtonRepositorySpec], Bounds(min_length=1, max_length=REPOSITORIES_MAX)]

    rules = Rules(
        # GitHub and Bitbucket names are case-insensitive: Acme/Repo and acme/repo are one repository
        no_repeats(
            "repositories",
            by=lambda repo: repo.name.lower(),
            shown=lambda repo: repr(repo.name),
            at=("name",),
            said="No two repositories have the same name, in any case (Acme/Repo is acme/repo).",
        )
    )


def _one_line(maximum: int | None, what: str) -> Check:
    """1-``maximum`` characters (any number when ``None``), none of Unicode category C: AWS's ``^.*$``
    refuses line breaks, and a bidi or zero-width character would disguise a name."""

    def check(value: str) -> str:
        if not value or (maximum is not None and len(value) > maximum):
            fail(f"{what} are 1-{maximum} characters, got {len(value)}" if maximum else f"give the {what}")
        if problem := _unprintable_problem(value):
            fail(problem)
        return value

    limits = f"1-{maximum} characters" if maximum else "At least one character"
    schema: Schema = {
        "minLength": 1,
        **PRINTABLE,
        "description": f"{limits.capitalize()}, without control characters or {_FORMAT_AND_OTHER}.",
    }
    if maximum is not None:
        schema["maxLength"] = maximum
    return Check(check, schema)


def _check_stack_name(value: str) -> str:
    if len(value) > GIT_SYNC_RESOURCE_NAME_MAX:
        fail(f"stack names here are at most {GIT_SYNC_RESOURCE_NAME_MAX} characters, got {len(value)}")
    if not (
        re.fullmatch(GIT_SYNC_RESOURCE_NAME_PATTERN, value)
        and re.fullmatch(CLOUDFORMATION_STACK_NAME_PATTERN, value)
    ):
        fail(f"{_show(value)} is not a stack name (letters, digits and '-', starting with a letter)")
    return value


def _check_role_arn(value: str) -> str:
    if len(value) > GIT_SYNC_ROLE_ARN_MAX:
        fail(f"at most {GIT_SYNC_ROLE_ARN_MAX} characters, got {len(value)}")
    if not re.fullmatch(GIT_SYNC_ROLE_ARN_PATTERN, value, re.ASCII):
        fail(f"{_show(value)} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    return value


def _check_git_sync_key(value: str) -> str:
    if len(value) > GIT_SYNC_KMS_KEY_ARN_MAX:
        fail(f"at most {GIT_SYNC_KMS_KEY_ARN_MAX} characters, got {len(value)}")
    if not (re.fullmatch(_KMS_ARN, value) and re.fullmatch(GIT_SYNC_KMS_KEY_ARN_PATTERN, value, re.ASCII)):
        fail(f"{_show(value)} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; not an alias)")
    return value


StackName = Annotated[
    str,
    Check(
        _check_stack_name,
        # CloudFormation's stack names are a subset of codeconnections' ResourceName: one pattern
        {"maxLength": GIT_SYNC_RESOURCE_NAME_MAX, "pattern": anchored(CLOUDFORMATION_STACK_NAME_PATTERN)},
    ),
]
GIT_SYNC_ROLE_ARN_PORTABLE_PATTERN = GIT_SYNC_ROLE_ARN_PATTERN.replace(r"\d", "[0-9]").replace(
    r"[\w]", "[A-Za-z0-9_]"
)
"""The role ARN pattern as the published schema's ``pattern`` (``\\d``, ``\\w`` are ASCII here)."""
GIT_SYNC_KMS_KEY_ARN_PORTABLE_PATTERN = GIT_SYNC_KMS_KEY_ARN_PATTERN.replace(r"\d", "[0-9]").replace(
    r"[\w]", "[A-Za-z0-9_]"
)


@dataclass(frozen=True, kw_only=True)
class SyncConfigurationSpec(Wire):
    """One CloudFormation stack kept in sync with a file of the repository (``CFN_STACK_SYNC``)."""

    resource_name: StackName
    branch: Annotated[str, _one_line(GIT_SYNC_BRANCH_MAX, "branch names")]
    # codeconnections' DeploymentFilePath has no pattern or limit: the file must merely exist in
    # the repository (Git sync reads it there), so only what no path can hold is refused
    config_file: Annotated[str, _one_line(None, "path of the stack deployment file in the repository")]
    role_arn: Annotated[
        str,
        Check(
            _check_role_arn,
            {"maxLength": GIT_SYNC_ROLE_ARN_MAX, "pattern": anchored(GIT_SYNC_ROLE_ARN_PORTABLE_PATTERN)},
        ),
    ]
    publish_deployment_status: Flag = True
    trigger_resource_update_on: GitSyncTrigger = "ANY_CHANGE"
    pull_request_comment: Flag = False


@dataclass(frozen=True, kw_only=True)
class GitSyncRepositorySpec(Wire):
    """One Git repository linked to the connection (a repository link) and the stacks it syncs."""

    owner_id: Annotated[str, _one_line(GIT_SYNC_OWNER_ID_MAX, "owner ids")]
    repository_name: Annotated[str, _one_line(GIT_SYNC_REPOSITORY_NAME_MAX, "repository names")]
    encryption_key_arn: (
        Annotated[
            str,
            Check(
                _check_git_sync_key,
                {
                    "maxLength": GIT_SYNC_KMS_KEY_ARN_MAX,
                    "pattern": anchored(_KMS_ARN),
                    "allOf": [{"pattern": anchored(GIT_SYNC_KMS_KEY_ARN_PORTABLE_PATTERN)}],
                },
            ),
        ]
        | None
    ) = None
    tags: ConnectionTags = field(default_factory=dict)
    sync_configurations: Annotated[
        list[SyncConfigurationSpec], Bounds(min_length=1, max_length=SYNC_CONFIGURATIONS_MAX)
    ]


def _stack_count(spec: "GitSyncSpec") -> int:
    return sum(len(repo.sync_configurations) for repo in spec.repositories)


def _stacks_synced_twice(spec: "GitSyncSpec") -> Iterator[Violation]:
    first: dict[str, tuple[int, int]] = {}
    for i, repo in enumerate(spec.repositories):
        for j, config in enumerate(repo.sync_configurations):
            seen_at = first.setdefault(config.resource_name, (i, j))
            if seen_at != (i, j):
                yield (
                    ("repositories", i, "syncConfigurations", j, "resourceName"),
                    f"stack {config.resource_name!r} is already synced by repositories[{seen_at[0]}]"
                    f".syncConfigurations[{seen_at[1]}]; a stack has one sync configuration",
                )


@dataclass(frozen=True, kw_only=True)
class GitSyncSpec(Wire):
    """CloudFormation Git sync through the request's connection: repositories and their stacks."""

    repositories: Annotated[list[GitSyncRepositorySpec], Bounds(min_length=1, max_length=REPOSITORIES_MAX)]

    rules = Rules(
        # one repository link per owner and repository (GitHub, GitLab and Bitbucket names are
        # case-insensitive), and one sync configuration per stack across the whole section
        no_repeats(
            "repositories",
            by=lambda repo: f"{repo.owner_id}/{repo.repository_name}".lower(),
            shown=lambda repo: f"{repo.owner_id}/{repo.repository_name}",
            at=("repositoryName",),
            said="No two repositories have the same ownerId and repositoryName, in any case.",
        ),
        Rule(
            beyond(
                lambda spec: _stack_count(spec) <= SYNC_CONFIGURATIONS_MAX,
                f"At most {SYNC_CONFIGURATIONS_MAX} stacks per request.",
            ),
            lambda spec: f"at most {SYNC_CONFIGURATIONS_MAX} stacks per request, got {_stack_count(spec)}",
            "repositories",
        ),
        Rule(
            beyond(
                lambda spec: not list(_stacks_synced_twice(spec)),
                "No stack (resourceName) is listed twice in the section (a stack has one sync"
                " configuration).",
            ),
            explain=_stacks_synced_twice,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class CodeArtifactRepositorySpec(Wire):
    """One CodeArtifact repository; ``upstreams`` in search-priority order."""

    name: CodeArtifactRepositoryName
    description: (
        Annotated[
            str,
            Check(
                _check_description,
                {
                    "maxLength": DESCRIPTION_MAX,
                    **PRINTABLE,
                    "description": (
                        f"At most {DESCRIPTION_MAX} characters, without control characters (line"
                        f" breaks included) or {_FORMAT_AND_OTHER}."
                    ),
                },
            ),
        ]
        | None
    ) = None
    upstreams: Annotated[list[CodeArtifactRepositoryName], Bounds(max_length=UPSTREAMS_MAX)] = field(
        default_factory=list
    )
    external_connection: (
        Annotated[str, Check(_check_external_connection, {"enum": list(EXTERNAL_CONNECTIONS)})] | None
    ) = None
    tags: CodeArtifactTags = field(default_factory=dict)

    rules = Rules(
        Rule(
            beyond(
                lambda repo: repo.name not in repo.upstreams,
                "A repository is not its own upstream,",
            ),
            explain=lambda repo: [
                (("upstreams", position), "a repository cannot be its own upstream")
                for position, upstream in enumerate(repo.upstreams)
                if upstream == repo.name
            ],
        ),
        no_repeats("upstreams"),
        # CodeArtifact: "A repository can have one or more upstream repositories, or an external
        # connection": give the connection to a repository of its own, listed as an upstream
        Rule(
            empty("upstreams"),
            "a repository has upstream repositories or an external connection, not both;"
            " put the external connection on a repository of its own and list it in upstreams",
            "externalConnection",
            when=given("externalConnection"),
        ),
        said="and has upstreams or an externalConnection, not both.",
    )


@dataclass(frozen=True, kw_only=True)
class CodeArtifactConsumersSpec(Wire):
    """Who may read the domain's repositories that this request creates: accounts, an organization.

    repolink adds a statement to the domain's policy (``codeartifact:GetAuthorizationToken``) and
    to each created repository's (read-only actions), merged with the statements others wrote.
    Sharing only adds: a later request naming fewer consumers removes none.
    """

    accounts: Annotated[list[AccountId], Bounds(max_length=CONSUMER_ACCOUNTS_MAX)] = field(
        default_factory=list
    )
    organization_id: OrganizationId | None = None

    rules = Rules(
        Rule(
            any_of(not_empty("accounts"), given("organizationId")),
            "give the consumer accounts, the organizationId, or both",
        ),
        no_repeats("accounts", shown=str),
        said="At least one account or the organizationId; no account listed twice.",
    )


_KEY_ONLY_WHEN_CREATED = Rule(
    is_one_of("createDomain", True, default=False),
    "used only when creating the domain; set createDomain or omit it",
    "encryptionKey",
    when=given("encryptionKey"),
)
_NAMES_ONCE = no_repeats(
    "repositories",
    by=lambda repo: repo.name,
    shown=lambda repo: repr(repo.name),
    at=("name",),
    said="No two repositories have the same name,",
)


@dataclass(frozen=True, kw_only=True)
class CodeArtifactSpec(Wire):
    """A CodeArtifact domain (found, or created when ``createDomain``) and repositories in it."""

    domain: CodeArtifactDomainName
    domain_owner: AccountId | None = None
    create_domain: Flag = False
    encryption_key: Annotated[str, _kms_key_arn(_CODEARTIFACT_ARN_MAX)] | None = None
    tags: CodeArtifactTags = field(default_factory=dict)
    repositories: Annotated[
        list[CodeArtifactRepositorySpec], Bounds(min_length=1, max_length=REPOSITORIES_MAX)
    ]
    consumers: CodeArtifactConsumersSpec | None = None

    rules = Rules(
        _KEY_ONLY_WHEN_CREATED,
        _NAMES_ONCE,
        # reported at the upstream entry that starts the loop: repositories[i].upstreams[j]
        Rule(
            beyond(
                # the graph is one of names only when no name repeats (a rule of its own)
                lambda spec: not _NAMES_ONCE.require.holds(spec) or find_cycle(spec.repositories) is None,
                "and upstreams form no cycle (a -> b -> a).",
            ),
            explain=lambda spec: [_cycle_at(spec.repositories)],
            unless=(_KEY_ONLY_WHEN_CREATED, _NAMES_ONCE),
        ),
        said="encryptionKey only with createDomain.",
    )


def _cycle_at(repositories: "list[CodeArtifactRepositorySpec]") -> Violation:
    cycle = find_cycle(repositories) or []
    start = next(i for i, repo in enumerate(repositories) if repo.name == cycle[0])
    edge = repositories[start].upstreams.index(cycle[1])
    return ("repositories", start, "upstreams", edge), f"upstream cycle: {' -> '.join(cycle)}"
