"""The onboarding request contract: what it accepts, what it refuses, and where each error points."""

import copy
import dataclasses
import json
from typing import Any

import pytest

from repolink.errors import FieldError, MalformedJson, RepolinkError, RequestValidationError
from repolink.models.providers import EXTERNAL_CONNECTIONS
from repolink.models.request import OnboardingRequest
from repolink.models.rules import RuleViolations
from repolink.models.sections import (
    CodeArtifactRepositorySpec,
    CodeArtifactSpec,
    ConnectionSpec,
    ProtonRepositorySpec,
    ProtonSpec,
)
from repolink.models.validation import MAX_JSON_DEPTH, field_path, validate_request
from repolink.workflow.accept import Deployment, judge

pytestmark = pytest.mark.unit

type Json = dict[str, Any]

EXAMPLE: Json = {
    "connection": {
        "service": "codeconnections",
        "name": "acme-github",
        "provider": "GitHub",
        "hostArn": None,
        "arn": None,
        "tags": {"team": "payments"},
    },
    "proton": {"repositories": [{"name": "acme/proton-templates", "encryptionKey": None, "tags": {}}]},
    "codeartifact": {
        "domain": "acme",
        "domainOwner": "123456789012",
        "createDomain": True,
        "repositories": [
            {"name": "pypi-store", "externalConnection": "public:pypi"},
            {"name": "team-python", "upstreams": ["pypi-store"], "description": "team packages"},
        ],
    },
    "handshakeTimeoutHours": 72,
    "cleanupOnTimeout": True,
}

CONNECTION_ARN = (
    "arn:aws:codeconnections:us-east-1:123456789012:connection/aEXAMPLE-8aad-4d5d-8878-dfcab0bc441f"
)
CODESTAR_CONNECTION_ARN = (
    "arn:aws:codestar-connections:eu-west-1:123456789012:connection/0a1b2c3d-8aad-4d5d-8878-dfcab0bc441f"
)
APPRUNNER_CONNECTION_ARN = (
    "arn:aws:apprunner:us-east-1:123456789012:connection/my-github/e7656250f67242d7819feade6800f59e"
)
HOST_ARN = "arn:aws:codeconnections:us-west-2:123456789012:host/My-Host-28aef605"
KMS_KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_ALIAS_ARN = "arn:aws:kms:us-east-1:123456789012:alias/proton/templates"


def example() -> Json:
    return copy.deepcopy(EXAMPLE)


def connection_only(**fields: Any) -> Json:
    base: Json = {"name": "acme-github", "provider": "GitHub"}
    return {"connection": {**base, **fields}}


def codeartifact_only(*repositories: Json, **fields: Any) -> Json:
    return {
        "codeartifact": {
            "domain": "acme",
            "repositories": list(repositories) or [{"name": "store"}],
            **fields,
        }
    }


def proton_with(connection: Json, *repositories: Json) -> Json:
    return {
        "connection": connection,
        "proton": {"repositories": list(repositories) or [{"name": "acme/infra"}]},
    }


def errors_of(data: object) -> list[FieldError]:
    with pytest.raises(RequestValidationError) as caught:
        validate_request(data)
    return caught.value.errors


def assert_rejected(data: object, field: str, fragment: str = "") -> None:
    """Validation fails with an error at ``field`` whose message contains ``fragment``."""
    errors = errors_of(data)
    at_field = [error.message for error in errors if error.field == field]
    assert at_field, f"no error at {field}; got {errors}"
    assert any(fragment.lower() in message.lower() for message in at_field), at_field


# --- the example and each section alone


def test_the_contract_example_validates() -> None:
    # Given the example from the contract / When
    request = validate_request(example())

    # Then
    assert request.connection is not None and request.connection.name == "acme-github"
    assert request.connection.tags == {"team": "payments"}
    assert request.proton is not None and request.proton.repositories[0].name == "acme/proton-templates"
    assert request.codeartifact is not None and request.codeartifact.create_domain is True
    assert [repo.name for repo in request.codeartifact.repositories] == ["pypi-store", "team-python"]
    assert request.codeartifact.repositories[1].upstreams == ["pypi-store"]
    assert request.handshake_timeout_hours == 72
    assert request.cleanup_on_timeout is True


def test_the_example_round_trips_through_camel_case_json() -> None:
    # Given a validated request
    request = validate_request(example())

    # When it is dumped the documented way and read back
    dumped = request.wire()

    # Then the wire names are camelCase and nothing is lost
    assert set(dumped) == {
        "connection",
        "proton",
        "codeartifact",
        "handshakeTimeoutHours",
        "cleanupOnTimeout",
    }
    assert "hostArn" not in dumped["connection"]  # fields left as None are left out
    assert dumped["codeartifact"]["createDomain"] is True and "domainOwner" in dumped["codeartifact"]
    assert validate_request(dumped) == request


@pytest.mark.parametrize("encode", [json.dumps, lambda data: json.dumps(data).encode()], ids=["str", "bytes"])
def test_json_text_is_accepted(encode: Any) -> None:
    assert validate_request(encode(example())) == validate_request(example())


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**connection_only(), "handshake_timeout_hours": 5}, "handshake_timeout_hours"),
        ({**connection_only(), "cleanup_on_timeout": True}, "cleanup_on_timeout"),
        (connection_only(provider="GitHubEnterpriseServer", host_arn=HOST_ARN), "connection.host_arn"),
        (codeartifact_only(domain_owner="123456789012"), "codeartifact.domain_owner"),
        (codeartifact_only({"name": "py", "external_connection": "public:pypi"}), None),
    ],
)
def test_attribute_names_are_unknown_fields_the_contract_is_camel_case(data: Json, field: str | None) -> None:
    # The published schema is camelCase with no additional properties: python names are not aliases.
    errors = errors_of(data)
    field = field or "codeartifact.repositories[0].external_connection"
    assert FieldError(field, "unknown field") in errors
    # and the field it resembles is not named instead
    assert all(error.field != field.replace("_", "") for error in errors)


def test_a_snake_case_key_beside_its_camel_case_twin_is_still_refused() -> None:
    data = {**connection_only(), "handshakeTimeoutHours": 72, "handshake_timeout_hours": 1}

    assert errors_of(data) == [FieldError("handshake_timeout_hours", "unknown field")]


def test_models_can_be_built_directly() -> None:
    request = OnboardingRequest(
        connection=ConnectionSpec(name="acme", provider="Bitbucket"),
        proton=ProtonSpec(repositories=[ProtonRepositorySpec(name="acme/infra")]),
        codeartifact=CodeArtifactSpec(domain="acme", repositories=[CodeArtifactRepositorySpec(name="store")]),
    )

    assert request.handshake_timeout_hours == 72 and request.cleanup_on_timeout is False


def test_connection_alone_is_a_request_with_defaults() -> None:
    request = validate_request(connection_only())

    assert request.connection == ConnectionSpec(
        service="codeconnections", name="acme-github", provider="GitHub"
    )
    assert request.proton is None and request.codeartifact is None
    assert request.handshake_timeout_hours == 72 and request.cleanup_on_timeout is False


def test_codeartifact_alone_needs_no_connection() -> None:
    request = validate_request(codeartifact_only())

    assert request.connection is None and request.codeartifact is not None
    assert request.codeartifact.create_domain is False


def test_proton_alone_is_refused_at_connection() -> None:
    assert_rejected({"proton": {"repositories": [{"name": "acme/infra"}]}}, "connection", "connection")


def test_a_deployment_with_the_proton_target_off_rejects_proton_naming_the_end_of_support() -> None:
    from repolink.workflow.accept import Deployment, judge

    off = Deployment(account="123456789012", region="us-east-1")  # off is the default
    verdict = judge(example(), caller="123456789012", idempotency_key=None, deployment=off)
    assert verdict.status == 422
    (error,) = verdict.errors
    assert error.field == "proton"
    assert "2026-10-07" in error.message
    assert "ProtonTarget" in error.message
    assert "Git sync" in error.message
    assert "gitSync" in error.message
    without = {k: v for k, v in example().items() if k != "proton"}
    assert judge(without, caller="123456789012", idempotency_key=None, deployment=off).accepted
    on = Deployment(account="123456789012", region="us-east-1", proton_target="enabled")
    assert judge(example(), caller="123456789012", idempotency_key=None, deployment=on).accepted


def test_models_are_frozen() -> None:
    request = validate_request(example())

    with pytest.raises(dataclasses.FrozenInstanceError):
        request.handshake_timeout_hours = 5  # type: ignore[misc]


# --- the request as a whole


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({}, "nothing to do"),
        ({"connection": None, "proton": None, "codeartifact": None}, "nothing to do"),
        ("{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "array"),
        ("42", "number"),
        ('"hello"', "string"),
        ("null", "null"),
        ([], "array"),
        (None, "null"),
        (True, "boolean"),
    ],
)
def test_whole_request_problems_are_reported_at_root(body: object, fragment: str) -> None:
    assert_rejected(body, "(root)", fragment)


# --- the JSON itself: plain and unambiguous, or 400 (not 422) naming where

# EXAMPLE has a proton section: these tests are about the JSON, so the Proton target is on
DEPLOYMENT = Deployment(account="123456789012", region="us-east-1", proton_target="enabled")


def refused_json(body: object) -> list[FieldError]:
    """The errors of a 400 from the one accept path; validate_request raises MalformedJson alike."""
    verdict = judge(body, caller="123456789012", idempotency_key=None, deployment=DEPLOYMENT)
    assert verdict.status == 400, verdict
    with pytest.raises(MalformedJson) as caught:
        validate_request(body)
    assert caught.value.errors == list(verdict.errors)
    return list(verdict.errors)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (
            '{"handshakeTimeoutHours": 72, "handshakeTimeoutHours": 1, "connection": {}}',
            "handshakeTimeoutHours",
        ),
        (
            '{"connection": {"name": "acme-github", "provider": "GitHub", "name": "other"}}',
            "connection.name",
        ),
        (
            '{"connection": {"name": "c", "provider": "GitHub", "tags": {"team": "a", "team": "b"}}}',
            'connection.tags["team"]',
        ),
        (
            '{"codeartifact": {"domain": "acme", "repositories": [{"name": "a"}, {"name": "b", "name": "c"}]'
            "}}",
            "codeartifact.repositories[1].name",
        ),
    ],
)
def test_a_key_repeated_in_one_object_is_400_naming_it(text: str, field: str) -> None:
    # the stdlib would keep the last silently: which one the sender meant is ambiguous
    assert refused_json(text) == [FieldError(field, "appears more than once in one object")]


def test_a_request_whose_only_fault_is_a_repeated_key_is_still_refused() -> None:
    text = json.dumps(EXAMPLE)
    assert judge(text, caller="1", idempotency_key=None, deployment=DEPLOYMENT).accepted
    twice = '{"cleanupOnTimeout": false, ' + text[1:]

    assert refused_json(twice) == [FieldError("cleanupOnTimeout", "appears more than once in one object")]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize("where", ["handshakeTimeoutHours", "connection.tags"])
def test_nan_and_infinity_are_400_not_422(constant: str, where: str) -> None:
    if where == "connection.tags":
        text, field = (
            '{"connection": {"name": "c", "provider": "GitHub", "tags": {"k": %s}}}',
            'connection.tags["k"]',
        )
    else:
        text, field = (
            '{"connection": {"name": "c", "provider": "GitHub"}, "handshakeTimeoutHours": %s}',
            where,
        )

    (error,) = refused_json(text % constant)

    assert error.field == field and constant in error.message


def test_a_number_beyond_a_float_is_400() -> None:
    (error,) = refused_json(
        '{"connection": {"name": "c", "provider": "GitHub"}, "handshakeTimeoutHours": 1e400}'
    )
    assert error.field == "handshakeTimeoutHours" and "range" in error.message


def test_nan_in_json_already_parsed_is_400_too() -> None:
    # an event's detail arrives parsed (Python's json reads NaN): held to the same rule
    (error,) = refused_json({**connection_only(), "handshakeTimeoutHours": float("nan")})
    assert error.field == "handshakeTimeoutHours"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 200, 10_000])
def test_nesting_deeper_than_the_bound_is_400_naming_the_bound(depth: int) -> None:
    (error,) = refused_json("[" * depth + "]" * depth)
    assert f"deeper than {MAX_JSON_DEPTH} levels" in error.message


def test_an_unclosed_deep_body_is_400_naming_the_bound() -> None:
    # the report's body: about 10 KB of [ (the parser's recursion gives up before the syntax error)
    (error,) = refused_json("[" * 10_000)
    assert error.field == "(root)" and f"deeper than {MAX_JSON_DEPTH} levels" in error.message


def test_deep_nesting_is_named_where_it_goes_too_deep() -> None:
    deep: object = "x"
    for _ in range(MAX_JSON_DEPTH):
        deep = [deep]
    (error,) = refused_json({"connection": {"name": "c", "provider": "GitHub", "tags": {"k": deep}}})
    # the request, connection and tags are three levels: the 14th array would be the 17th
    assert error.field == 'connection.tags["k"]' + "[0]" * (MAX_JSON_DEPTH - 3)


def test_nesting_up_to_the_bound_is_judged_by_the_contract() -> None:
    deep: object = "x"
    for _ in range(MAX_JSON_DEPTH - 3):
        deep = [deep]
    verdict = judge(
        {"connection": {"name": "c", "provider": "GitHub", "tags": {"k": deep}}},
        caller="1",
        idempotency_key=None,
        deployment=DEPLOYMENT,
    )
    assert verdict.status == 422 and [e.field for e in verdict.errors] == ['connection.tags["k"]']


def test_unknown_fields_are_refused_where_they_are() -> None:
    data = example()
    data["surprise"] = 1
    data["codeartifact"]["repositories"][1]["priority"] = 1

    assert_rejected(data, "surprise", "unknown field")
    assert_rejected(data, "codeartifact.repositories[1].priority", "unknown field")


@pytest.mark.parametrize("hours", [1, 72, 168])
def test_handshake_timeout_within_a_week_is_accepted(hours: int) -> None:
    assert (
        validate_request({**connection_only(), "handshakeTimeoutHours": hours}).handshake_timeout_hours
        == hours
    )


@pytest.mark.parametrize("hours", [0, -1, 169, "72", 72.5, True, None])
def test_handshake_timeout_outside_a_week_or_not_an_integer_is_refused(hours: object) -> None:
    assert_rejected({**connection_only(), "handshakeTimeoutHours": hours}, "handshakeTimeoutHours")


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_cleanup_on_timeout_must_be_a_boolean(value: object) -> None:
    assert_rejected({**connection_only(), "cleanupOnTimeout": value}, "cleanupOnTimeout", "boolean")


# --- connection


def test_a_connection_to_create_needs_name_and_provider() -> None:
    errors = errors_of({"connection": {"service": "codeconnections"}})

    assert {error.field for error in errors} == {"connection.name", "connection.provider"}


@pytest.mark.parametrize(
    ("service", "arn"),
    [
        ("codeconnections", CONNECTION_ARN),
        ("codeconnections", CODESTAR_CONNECTION_ARN),
        ("codestar-connections", CODESTAR_CONNECTION_ARN),
        ("codestar-connections", CONNECTION_ARN),
        ("codeconnections", "arn:aws-us-gov:codeconnections:us-gov-west-1:123456789012:connection/abc-123"),
        ("codeconnections", "arn:aws-cn:codestar-connections:cn-north-1:123456789012:connection/abc"),
        ("apprunner", APPRUNNER_CONNECTION_ARN),
    ],
)
def test_an_existing_connection_is_reused_by_arn(service: str, arn: str) -> None:
    request = validate_request({"connection": {"service": service, "arn": arn}})

    assert request.connection is not None and request.connection.arn == arn
    assert request.connection.name is None and request.connection.provider is None


def test_a_reused_connection_may_state_its_provider() -> None:
    request = validate_request({"connection": {"arn": CONNECTION_ARN, "provider": "GitHubEnterpriseServer"}})

    assert request.connection is not None and request.connection.provider == "GitHubEnterpriseServer"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("name", "acme-github", "either arn"),
        ("hostArn", HOST_ARN, "keeps its host"),
        ("tags", {"team": "payments"}, "only to a connection this request creates"),
    ],
)
def test_a_reused_connection_refuses_what_only_creation_uses(
    field: str, value: object, fragment: str
) -> None:
    data = {"connection": {"arn": CONNECTION_ARN, "provider": "GitHubEnterpriseServer", field: value}}

    assert_rejected(data, f"connection.{field}", fragment)


@pytest.mark.parametrize(
    ("service", "arn"),
    [
        ("codeconnections", APPRUNNER_CONNECTION_ARN),
        ("codeconnections", HOST_ARN),
        ("codeconnections", "arn:aws:codeconnections:us-east-1:12345:connection/abc"),
        ("codeconnections", "arn:aws:codeconnections:useast1:123456789012:connection/abc"),
        ("codeconnections", "arn:aws:codeconnections:us-east-1:123456789012:connection/"),
        ("codeconnections", "arn:aws:s3:::bucket"),
        ("codeconnections", "acme-github"),
        ("codeconnections", CONNECTION_ARN + " "),
        ("codeconnections", CONNECTION_ARN + "a" * 300),
        ("apprunner", CONNECTION_ARN),
        ("apprunner", "arn:aws:apprunner:us-east-1:123456789012:connection/my-github"),
        (
            "apprunner",
            "arn:aws:apprunner:us-east-1:123456789012:connection/ab/e7656250f67242d7819feade6800f59e",
        ),
        (
            "apprunner",
            "arn:aws:apprunner:us-east-1:123456789012:service/my-github/e7656250f67242d7819feade6800f59e",
        ),
    ],
)
def test_a_malformed_connection_arn_is_refused(service: str, arn: str) -> None:
    assert_rejected(
        {"connection": {"service": service, "arn": arn}}, "connection.arn", f"{service} connection ARN"
    )


def test_an_unknown_service_is_refused() -> None:
    assert_rejected(connection_only(service="github"), "connection.service")


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
@pytest.mark.parametrize("name", ["a", "x" * 32, "Acme GitHub (prod)", "équipe"])
def test_connection_names_follow_the_service_limits(service: str, name: str) -> None:
    assert validate_request(connection_only(service=service, name=name)).connection is not None


@pytest.mark.parametrize(
    ("name", "fragment"), [("", "1-32"), ("x" * 33, "1-32"), ("acme\ngithub", "control")]
)
def test_connection_names_outside_the_limits_are_refused(name: str, fragment: str) -> None:
    assert_rejected(connection_only(name=name), "connection.name", fragment)


#: characters that make text display as other text: bidi controls, zero-width characters, a lone
#: surrogate (JSON's "\\ud800" parses to one), a byte-order mark
MISLEADING = {
    "right-to-left override": "acme-\u202ebuhtig",  # displays as "acme-github"
    "left-to-right isolate": "acme\u2066-github",
    "right-to-left mark": "acme\u200f-github",
    "zero-width space": "acme\u200b-github",
    "zero-width joiner": "acme\u200d-github",
    "word joiner": "acme\u2060-github",
    "byte-order mark": "\ufeffacme-github",
    "lone high surrogate": "acme-\ud800",
    "lone low surrogate": "acme-\udfff",
}


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections", "apprunner"])
@pytest.mark.parametrize("name", MISLEADING.values(), ids=MISLEADING.keys())
def test_connection_names_cannot_carry_bidi_zero_width_or_surrogate_characters(
    service: str, name: str
) -> None:
    # AWS's ConnectionName is [\s\S]* for CodeConnections: it would take them all
    provider = "GITHUB" if service == "apprunner" else "GitHub"
    errors = errors_of(connection_only(service=service, name=name, provider=provider))

    assert [e.field for e in errors] == ["connection.name"]


def test_a_lone_surrogate_escaped_in_json_text_is_refused_at_the_name() -> None:
    text = '{"connection": {"name": "acme-\\ud800", "provider": "GitHub"}}'
    verdict = judge(text, caller="1", idempotency_key=None, deployment=DEPLOYMENT)

    assert verdict.status == 422 and [e.field for e in verdict.errors] == ["connection.name"]


@pytest.mark.parametrize("name", ["abcd", "my-github_1", "A" * 32])
def test_app_runner_names_follow_its_pattern(name: str) -> None:
    assert validate_request(connection_only(service="apprunner", name=name, provider="GITHUB")).connection


@pytest.mark.parametrize("name", ["abc", "A" * 33, "-abcd", "_abcd", "my github", "my.github", "émoji"])
def test_app_runner_names_outside_its_pattern_are_refused(name: str) -> None:
    data = connection_only(service="apprunner", name=name, provider="GITHUB")

    assert_rejected(data, "connection.name", "App Runner connection name")


@pytest.mark.parametrize(
    ("service", "provider"),
    [
        ("codeconnections", "Bitbucket"),
        ("codeconnections", "GitHub"),
        ("codeconnections", "GitLab"),
        ("codeconnections", "AzureDevOps"),
        ("codestar-connections", "Bitbucket"),
        ("codestar-connections", "GitHub"),
        ("codestar-connections", "GitLab"),
        ("apprunner", "GITHUB"),
        ("apprunner", "BITBUCKET"),
    ],
)
def test_each_service_accepts_its_own_providers(service: str, provider: str) -> None:
    request = validate_request(connection_only(service=service, provider=provider))

    assert request.connection is not None and request.connection.provider == provider


@pytest.mark.parametrize(
    ("service", "provider"),
    [
        ("codestar-connections", "AzureDevOps"),
        ("codeconnections", "GITHUB"),
        ("codeconnections", "github"),
        ("codeconnections", "Gitea"),
        ("apprunner", "GitHub"),
        ("apprunner", "GITLAB"),
    ],
)
def test_each_service_refuses_other_providers(service: str, provider: str) -> None:
    assert_rejected(connection_only(service=service, provider=provider), "connection.provider", "use one of")


@pytest.mark.parametrize("provider", ["GitHubEnterpriseServer", "GitLabSelfManaged"])
@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
def test_installed_providers_need_a_host(service: str, provider: str) -> None:
    # Given no host / Then refused at hostArn
    assert_rejected(connection_only(service=service, provider=provider), "connection.hostArn", "required")

    # Given a host of the service / Then accepted
    host = HOST_ARN.replace(":codeconnections:", f":{service}:")
    request = validate_request(connection_only(service=service, provider=provider, hostArn=host))
    assert request.connection is not None and request.connection.host_arn == host


@pytest.mark.parametrize(
    ("service", "host_arn"),
    [
        ("codeconnections", HOST_ARN),
        ("codestar-connections", "arn:aws:codestar-connections:us-west-2:123456789012:host/My-Host-28aef605"),
        ("codeconnections", "arn:aws-us-gov:codeconnections:us-gov-west-1:123456789012:host/ghes-0a1b2c3d"),
    ],
)
def test_a_host_of_the_connections_service_is_accepted(service: str, host_arn: str) -> None:
    data = connection_only(service=service, provider="GitHubEnterpriseServer", hostArn=host_arn)
    assert validate_request(data).connection


@pytest.mark.parametrize(
    ("service", "host_arn"),
    [
        # codestar-connections' HostArn pattern admits codestar-connections hosts only
        ("codestar-connections", HOST_ARN),
        # and the other way round: one service per connection, host included
        ("codeconnections", "arn:aws:codestar-connections:us-west-2:123456789012:host/My-Host-28aef605"),
    ],
)
def test_a_host_of_the_other_connection_service_is_refused_at_host_arn(service: str, host_arn: str) -> None:
    data = connection_only(service=service, provider="GitHubEnterpriseServer", hostArn=host_arn)

    errors = errors_of(data)

    assert [e.field for e in errors] == ["connection.hostArn"]
    assert f"for a {service} connection" in errors[0].message


@pytest.mark.parametrize("provider", ["GitHub", "Bitbucket", "GitLab", "AzureDevOps"])
def test_cloud_providers_refuse_a_host(provider: str) -> None:
    assert_rejected(connection_only(provider=provider, hostArn=HOST_ARN), "connection.hostArn", "use a host")


def test_app_runner_refuses_a_host() -> None:
    data = connection_only(service="apprunner", name="my-github", provider="GITHUB", hostArn=HOST_ARN)

    assert_rejected(data, "connection.hostArn", "App Runner")


@pytest.mark.parametrize(
    "host_arn",
    [
        CONNECTION_ARN,
        "arn:aws:codeconnections:us-west-2:123456789012:host/",
        "arn:aws:codeconnections:us-west-2:1234:host/My-Host-28aef605",
        "arn:aws:apprunner:us-west-2:123456789012:host/My-Host-28aef605",
        "My-Host-28aef605",
    ],
)
def test_a_malformed_host_arn_is_refused(host_arn: str) -> None:
    data = connection_only(provider="GitLabSelfManaged", hostArn=host_arn)

    assert_rejected(data, "connection.hostArn", "not a host ARN")


# --- tags, wherever they are

TAG_PLACES: list[tuple[str, Json, Any]] = [
    ("connection.tags", connection_only(), lambda data: data["connection"]),
    ("codeartifact.tags", codeartifact_only(), lambda data: data["codeartifact"]),
    (
        "codeartifact.repositories[0].tags",
        codeartifact_only(),
        lambda data: data["codeartifact"]["repositories"][0],
    ),
    (
        "proton.repositories[0].tags",
        proton_with(connection_only()["connection"]),
        lambda data: data["proton"]["repositories"][0],
    ),
]


def tagged(place: tuple[str, Json, Any], tags: object) -> Json:
    _, base, locate = place
    data = copy.deepcopy(base)
    locate(data)["tags"] = tags
    return data


@pytest.fixture(params=TAG_PLACES, ids=[place[0] for place in TAG_PLACES])
def tag_place(request: pytest.FixtureRequest) -> tuple[str, Json, Any]:
    place: tuple[str, Json, Any] = request.param
    return place


@pytest.mark.parametrize(
    "tags",
    [
        {},
        {"team": ""},
        {"k" * 128: "v" * 256},
        {"équipe": "paiements", "チーム": "決済", "cost center": "42"},
        {"a_b.c:d/e=f+g-h@i": "a_b.c:d/e=f+g-h@i"},
        {"awsome": "not the aws: prefix"},
    ],
)
def test_well_formed_tags_are_accepted(tag_place: tuple[str, Json, Any], tags: dict[str, str]) -> None:
    validate_request(tagged(tag_place, tags))


@pytest.mark.parametrize(
    ("tags", "key", "fragment"),
    [
        ({"aws:team": "x"}, "aws:team", "reserved"),
        ({"AWS:team": "x"}, "AWS:team", "reserved"),
        ({"Aws:Team": "x"}, "Aws:Team", "reserved"),
        ({"": "x"}, "", "1-128"),
        ({"k" * 129: "x"}, "k" * 129, "1-128"),
        ({"team": "v" * 257}, "team", "at most 256"),
        ({"team#1": "x"}, "team#1", "may contain only"),
        ({"team": "a*b"}, "team", "may contain only"),
        ({"team": "tab\there"}, "team", "control"),
        ({"line\nbreak": "x"}, "line\nbreak", "control"),
    ],
)
def test_malformed_tags_are_refused_at_their_key(
    tag_place: tuple[str, Json, Any], tags: dict[str, str], key: str, fragment: str
) -> None:
    assert_rejected(tagged(tag_place, tags), f"{tag_place[0]}[{json.dumps(key)}]", fragment)


@pytest.mark.parametrize("text", MISLEADING.values(), ids=MISLEADING.keys())
@pytest.mark.parametrize("part", ["key", "value"])
def test_tags_cannot_carry_bidi_zero_width_or_surrogate_characters(
    tag_place: tuple[str, Json, Any], text: str, part: str
) -> None:
    # AWS's own tag pattern ([\p{L}\p{Z}\p{N}_.:/=+\-@]*) has none of them; checked before AWS sees them
    key, value = (text, "x") if part == "key" else ("team", text)
    field = f"{tag_place[0]}[{json.dumps(key, ensure_ascii=False)}]"

    assert_rejected(tagged(tag_place, {key: value}), field, f"tag {part}")


def test_a_tag_value_that_is_not_a_string_is_refused_at_its_key_unchanged() -> None:
    # The key keeps its own spelling: tag keys are data, not field names to camelCase.
    assert_rejected(connection_only(tags={"cost_center": 42}), 'connection.tags["cost_center"]', "string")


@pytest.mark.parametrize("place", TAG_PLACES[1:3], ids=lambda p: p[0])
def test_codeartifact_takes_198_tags_as_repolink_adds_its_two_ownership_tags(
    place: tuple[str, Json, Any],
) -> None:
    # the request id and, since issue 22, the owner account, as on a connection
    many = {f"key-{i}": "v" for i in range(199)}

    validate_request(tagged(place, dict(list(many.items())[:198])))
    assert_rejected(tagged(place, many), place[0], "at most 198")
    for reserved in ("repolink:request-id", "repolink:owner-account"):
        assert_rejected(tagged(place, {reserved: "forged"}), f'{place[0]}["{reserved}"]', "sets itself")


def test_a_connection_takes_198_tags_as_repolink_adds_two() -> None:
    many = {f"key-{i}": "v" for i in range(199)}

    validate_request(connection_only(tags=dict(list(many.items())[:198])))
    assert_rejected(connection_only(tags=many), "connection.tags", "at most 198")


def test_proton_repositories_take_at_most_50_tags() -> None:
    place = TAG_PLACES[3]

    validate_request(tagged(place, {f"key-{i}": "v" for i in range(50)}))
    assert_rejected(
        tagged(place, {f"key-{i}": "v" for i in range(51)}), "proton.repositories[0].tags", "at most 50"
    )


# --- proton


@pytest.mark.parametrize("name", ["acme/proton-templates", "my.org/repo_1", "A/b", "a-b/c.d"])
def test_proton_repository_names_are_owner_slash_repo(name: str) -> None:
    validate_request(proton_with(connection_only()["connection"], {"name": name}))


@pytest.mark.parametrize(
    "name", ["acme", "acme/", "/repo", "a/b/c", "acme/my repo", "acme/émoji", "acme/" + "r" * 96, ""]
)
def test_other_proton_repository_names_are_refused(name: str) -> None:
    assert_rejected(
        proton_with(connection_only()["connection"], {"name": name}), "proton.repositories[0].name"
    )


@pytest.mark.parametrize(
    "key",
    [
        KMS_KEY_ARN,
        KMS_ALIAS_ARN,
        "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ],
)
def test_proton_encryption_keys_are_kms_key_or_alias_arns(key: str) -> None:
    data = proton_with(connection_only()["connection"], {"name": "acme/infra", "encryptionKey": key})

    request = validate_request(data)
    assert request.proton is not None and request.proton.repositories[0].encryption_key == key


@pytest.mark.parametrize(
    "key",
    [
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "alias/proton",
        "arn:aws:s3:::bucket",
        "arn:aws:kms:us-east-1:123456789012:grant/abc",
        "arn:aws-iso:kms:us-iso-east-1:123456789012:key/1234abcd",
        "arn:aws:kms:us-east-1:123456789012:alias/" + "a" * 200,
    ],
)
def test_other_proton_encryption_keys_are_refused(key: str) -> None:
    data = proton_with(connection_only()["connection"], {"name": "acme/infra", "encryptionKey": key})

    assert_rejected(data, "proton.repositories[0].encryptionKey")


@pytest.mark.parametrize("count", [0, 101])
def test_proton_takes_1_to_100_repositories(count: int) -> None:
    repositories = [{"name": f"acme/repo-{i}"} for i in range(count)]
    data = {"connection": connection_only()["connection"], "proton": {"repositories": repositories}}

    assert_rejected(data, "proton.repositories")


def test_proton_repository_names_are_unique_ignoring_case() -> None:
    data = proton_with(connection_only()["connection"], {"name": "acme/infra"}, {"name": "Acme/Infra"})

    assert_rejected(data, "proton.repositories[1].name", "already listed at repositories[0]")


@pytest.mark.parametrize(
    "connection",
    [
        {"name": "acme", "provider": "GitHub"},
        {"name": "acme", "provider": "Bitbucket"},
        {"service": "codestar-connections", "name": "acme", "provider": "GitHub"},
        {"name": "acme", "provider": "GitHubEnterpriseServer", "hostArn": HOST_ARN},
        {"arn": CONNECTION_ARN},
    ],
)
def test_proton_links_through_connections_of_its_providers(connection: Json) -> None:
    assert validate_request(proton_with(connection)).proton is not None


@pytest.mark.parametrize(
    "connection",
    [
        {"name": "acme", "provider": "GitLab"},
        {"name": "acme", "provider": "AzureDevOps"},
        {"name": "acme", "provider": "GitLabSelfManaged", "hostArn": HOST_ARN},
        {"arn": CONNECTION_ARN, "provider": "GitLab"},
    ],
)
def test_proton_refuses_providers_it_cannot_link(connection: Json) -> None:
    assert_rejected(proton_with(connection), "connection.provider", "Proton cannot link")


def test_proton_refuses_app_runner_connections() -> None:
    connection = {"service": "apprunner", "name": "my-github", "provider": "GITHUB"}

    errors = errors_of(proton_with(connection))

    assert [error.field for error in errors] == ["connection.service"]


# --- codeartifact


@pytest.mark.parametrize("name", ["ab", "my.repo_1-x", "R" * 100, "9lives"])
def test_codeartifact_repository_names_follow_the_pattern(name: str) -> None:
    validate_request(codeartifact_only({"name": name}))


@pytest.mark.parametrize("name", ["a", "-ab", ".ab", "ab cd", "ab/cd", "R" * 101, "repo:1", ""])
def test_other_codeartifact_repository_names_are_refused(name: str) -> None:
    assert_rejected(codeartifact_only({"name": name}), "codeartifact.repositories[0].name", "repository name")


@pytest.mark.parametrize("description", ["", "team packages", "d" * 1000, "paquets de l'équipe ✓"])
def test_descriptions_up_to_1000_printable_characters_are_accepted(description: str) -> None:
    validate_request(codeartifact_only({"name": "store", "description": description}))


@pytest.mark.parametrize(
    ("description", "fragment"),
    [
        ("d" * 1001, "at most 1000"),
        ("two\nlines", "control"),
        ("bell\x07", "control"),
        ("zero\u200bwidth", "format"),
    ],
)
def test_descriptions_too_long_or_with_control_characters_are_refused(
    description: str, fragment: str
) -> None:
    data = codeartifact_only({"name": "store", "description": description})

    assert_rejected(data, "codeartifact.repositories[0].description", fragment)


def test_ten_upstreams_are_accepted_and_eleven_refused() -> None:
    upstreams = [f"up-{i}" for i in range(11)]

    validate_request(codeartifact_only({"name": "team", "upstreams": upstreams[:10]}))
    assert_rejected(
        codeartifact_only({"name": "team", "upstreams": upstreams}), "codeartifact.repositories[0].upstreams"
    )


def test_upstreams_are_unique() -> None:
    data = codeartifact_only({"name": "team", "upstreams": ["store", "other", "store"]})

    assert_rejected(data, "codeartifact.repositories[0].upstreams[2]", "already listed at upstreams[0]")


def test_a_repository_is_not_its_own_upstream() -> None:
    data = codeartifact_only({"name": "store"}, {"name": "team", "upstreams": ["store", "team"]})

    assert_rejected(data, "codeartifact.repositories[1].upstreams[1]", "own upstream")


def test_upstream_names_follow_the_repository_name_pattern() -> None:
    data = codeartifact_only({"name": "team", "upstreams": ["store", "bad name"]})

    assert_rejected(data, "codeartifact.repositories[0].upstreams[1]", "repository name")


def test_upstreams_outside_the_request_are_allowed() -> None:
    request = validate_request(codeartifact_only({"name": "team", "upstreams": ["already-in-domain"]}))

    assert request.codeartifact is not None
    assert request.codeartifact.repositories[0].upstreams == ["already-in-domain"]


@pytest.mark.parametrize("connection", EXTERNAL_CONNECTIONS)
def test_every_known_external_connection_is_accepted(connection: str) -> None:
    validate_request(codeartifact_only({"name": "store", "externalConnection": connection}))


@pytest.mark.parametrize(
    "connection", ["public:unknown", "npmjs", "public:PyPI", ["public:pypi", "public:npmjs"]]
)
def test_other_external_connections_are_refused(connection: object) -> None:
    data = codeartifact_only({"name": "store", "externalConnection": connection})

    assert_rejected(data, "codeartifact.repositories[0].externalConnection")


def test_a_repository_has_upstreams_or_an_external_connection_not_both() -> None:
    # CodeArtifact: "A repository can have one or more upstream repositories, or an external connection"
    data = codeartifact_only(
        {"name": "store", "externalConnection": "public:pypi"},
        {"name": "team", "upstreams": ["store"], "externalConnection": "public:npmjs"},
    )

    errors = errors_of(data)

    assert [e.field for e in errors] == ["codeartifact.repositories[1].externalConnection"]
    assert "not both" in errors[0].message


@pytest.mark.parametrize("domain", ["ab", "acme", "acme-corp-2", "a" * 50])
def test_domain_names_follow_the_pattern(domain: str) -> None:
    validate_request(codeartifact_only(domain=domain))


@pytest.mark.parametrize("domain", ["a", "Acme", "1acme", "acme-", "acme_corp", "acme.corp", "a" * 51])
def test_other_domain_names_are_refused(domain: str) -> None:
    assert_rejected(codeartifact_only(domain=domain), "codeartifact.domain", "domain name")


@pytest.mark.parametrize(
    "owner", ["12345678901", "1234567890123", "12345678901a", "١٢٣٤٥٦٧٨٩٠١٢", 123456789012]
)
def test_domain_owner_is_exactly_12_digits(owner: object) -> None:
    assert_rejected(codeartifact_only(domainOwner=owner), "codeartifact.domainOwner")


@pytest.mark.parametrize("key", [KMS_KEY_ARN, KMS_ALIAS_ARN])
def test_domain_encryption_key_is_used_when_creating_the_domain(key: str) -> None:
    request = validate_request(codeartifact_only(createDomain=True, encryptionKey=key))

    assert request.codeartifact is not None and request.codeartifact.encryption_key == key


def test_domain_encryption_key_without_creating_the_domain_is_refused() -> None:
    assert_rejected(
        codeartifact_only(encryptionKey=KMS_KEY_ARN), "codeartifact.encryptionKey", "createDomain"
    )


@pytest.mark.parametrize("key", ["alias/codeartifact", "arn:aws:kms:us-east-1:123456789012:keys/abc", "x"])
def test_domain_encryption_key_must_be_a_kms_arn(key: str) -> None:
    assert_rejected(
        codeartifact_only(createDomain=True, encryptionKey=key), "codeartifact.encryptionKey", "KMS"
    )


@pytest.mark.parametrize("count", [0, 101])
def test_codeartifact_takes_1_to_100_repositories(count: int) -> None:
    data = {"codeartifact": {"domain": "acme", "repositories": [{"name": f"repo-{i}"} for i in range(count)]}}

    assert_rejected(data, "codeartifact.repositories")


def test_codeartifact_repository_names_are_unique() -> None:
    data = codeartifact_only({"name": "store"}, {"name": "team"}, {"name": "store"})

    assert_rejected(data, "codeartifact.repositories[2].name", "already listed at repositories[0]")


def test_a_two_repository_upstream_cycle_is_refused_and_named() -> None:
    data = codeartifact_only({"name": "aa", "upstreams": ["bb"]}, {"name": "bb", "upstreams": ["aa"]})

    assert_rejected(data, "codeartifact.repositories[0].upstreams[0]", "upstream cycle: aa -> bb -> aa")


def test_a_three_repository_upstream_cycle_is_refused_at_the_edge_that_starts_it() -> None:
    data = codeartifact_only(
        {"name": "entry", "upstreams": ["aa"]},
        {"name": "aa", "upstreams": ["elsewhere", "bb"]},
        {"name": "bb", "upstreams": ["cc"]},
        {"name": "cc", "upstreams": ["aa"]},
    )

    errors = errors_of(data)

    assert errors == [
        FieldError("codeartifact.repositories[1].upstreams[1]", "upstream cycle: aa -> bb -> cc -> aa")
    ]


def test_diamond_upstreams_are_not_a_cycle() -> None:
    data = codeartifact_only(
        {"name": "top", "upstreams": ["left", "right"]},
        {"name": "left", "upstreams": ["bottom"]},
        {"name": "right", "upstreams": ["bottom"]},
        {"name": "bottom", "externalConnection": "public:npmjs"},
    )

    assert validate_request(data).codeartifact is not None


# --- errors and their paths


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    # Given problems in three sections
    data = example()
    data["connection"]["provider"] = "Gitea"
    data["codeartifact"]["repositories"][1]["upstreams"] = ["pypi-store", "bad name"]
    data["codeartifact"]["domainOwner"] = "42"
    data["handshakeTimeoutHours"] = 0

    # When
    fields = {error.field for error in errors_of(data)}

    # Then
    assert fields == {
        "connection.provider",
        "codeartifact.repositories[1].upstreams[1]",
        "codeartifact.domainOwner",
        "handshakeTimeoutHours",
    }


def test_request_validation_error_reads_as_a_list_of_fields() -> None:
    with pytest.raises(RequestValidationError) as caught:
        validate_request({"connection": {"service": "codeconnections"}})

    error = caught.value
    assert isinstance(error, RepolinkError)
    assert str(error).startswith("invalid request (2 errors): ")
    assert "connection.name: required" in str(error) and "connection.provider: required" in str(error)


def test_field_errors_are_frozen_values() -> None:
    error = FieldError("connection.hostArn", "required")

    assert error == FieldError("connection.hostArn", "required")
    assert str(error) == "connection.hostArn: required"
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.field = "elsewhere"  # type: ignore[misc]


def test_direct_construction_applies_the_cross_field_rules() -> None:
    with pytest.raises(RuleViolations, match="hostArn: required for GitLabSelfManaged"):
        ConnectionSpec(name="acme", provider="GitLabSelfManaged")


@pytest.mark.parametrize(
    ("loc", "path"),
    [
        ((), "(root)"),
        (("codeartifact", "repositories", 1, "upstreams", 0), "codeartifact.repositories[1].upstreams[0]"),
        (("connection", "hostArn"), "connection.hostArn"),
        (("proton", "repositories", 0, "encryptionKey"), "proton.repositories[0].encryptionKey"),
        # an attribute name is not a wire name: it is reported as given (an unknown field)
        (("connection", "host_arn"), "connection.host_arn"),
        (("handshake_timeout_hours",), "handshake_timeout_hours"),
        (("connection", "tags", "cost_center"), 'connection.tags["cost_center"]'),
        (("connection", "tags", "[key]"), 'connection.tags["[key]"]'),
        (("connection", "made_up"), "connection.made_up"),
        (("made_up", "deeper", 2), "made_up.deeper[2]"),
    ],
)
def test_locations_become_wire_json_paths(loc: tuple[str | int, ...], path: str) -> None:
    assert field_path(loc) == path


def test_a_request_cannot_set_the_tags_repolink_owns_connections_by() -> None:
    forged = {"repolink:owner-account": "210987654321"}
    with pytest.raises(RequestValidationError) as caught:
        validate_request({"connection": {"name": "c", "provider": "GitHub", "tags": forged}})
    assert [e.field for e in caught.value.errors] == ['connection.tags["repolink:owner-account"]']


def test_a_wait_that_cannot_fit_one_executions_history_is_refused_naming_the_longest_that_fits() -> None:
    from repolink.workflow.accept import Deployment, judge
    from repolink.workflow.backoff import MAX_CHECKS, checks_needed

    dev = Deployment(
        account="123456789012", region="us-east-1", poll_cap_seconds=120, proton_target="enabled"
    )
    long_wait = {**example(), "handshakeTimeoutHours": 168}
    verdict = judge(long_wait, caller="123456789012", idempotency_key=None, deployment=dev)
    assert verdict.status == 422
    (error,) = verdict.errors
    assert error.field == "handshakeTimeoutHours"
    assert "PollCapSeconds=120" in error.message and "at most 50h" in error.message
    # the longest it names is accepted, one hour more is not; the default deployment takes 124h
    # (a wait on a person is a callback task since issue 25: 13 history events a check, not 9)
    assert (
        checks_needed(50 * 3600, base=15, cap=120) <= MAX_CHECKS < checks_needed(51 * 3600, base=15, cap=120)
    )
    fits = {**example(), "handshakeTimeoutHours": 50}
    assert judge(fits, caller="123456789012", idempotency_key=None, deployment=dev).accepted
    default = Deployment(account="123456789012", region="us-east-1", proton_target="enabled")
    longest_by_default = {**example(), "handshakeTimeoutHours": 124}
    assert judge(longest_by_default, caller="123456789012", idempotency_key=None, deployment=default).accepted
    # with no connection there is no wait to fit
    no_wait = {k: v for k, v in long_wait.items() if k not in ("connection", "proton")}
    assert judge(no_wait, caller="123456789012", idempotency_key=None, deployment=dev).accepted
