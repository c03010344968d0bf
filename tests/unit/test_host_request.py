"""connection.host: every edge AWS refuses is a 422 naming the field, and the limits are botocore's."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from helpers.contract import LISTED, errors_of, fields_of
from repolink.models import sections as model
from repolink.models.validation import validate_request
from repolink.workflow.accept import judge

pytestmark = pytest.mark.unit

SAMPLE = json.loads((Path(__file__).resolve().parents[2] / "events" / "onboarding-host.json").read_text())
HOST_ARN = "arn:aws:codeconnections:us-east-1:123456789012:host/acme-ghes-0123456789abcdef"
VPC = {
    "vpcId": "vpc-0a1b2c3d",
    "subnetIds": ["subnet-0a1b2c3d", "subnet-0a1b2c3d4e5f67890"],
    "securityGroupIds": ["sg-0a1b2c3d"],
    "tlsCertificate": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
}


@cache
def shape(service: str, name: str) -> Any:
    return botocore.session.get_session().get_service_model(service).shape_for(name)


def with_connection(**changes: Any) -> dict[str, Any]:
    """The host sample with connection fields changed (``None`` drops one)."""
    body = copy.deepcopy(SAMPLE)
    for key, value in changes.items():
        if value is None:
            body["connection"].pop(key, None)
        else:
            body["connection"][key] = value
    return body


def with_host(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(SAMPLE)
    body["connection"]["host"] |= changes
    return body


def test_the_host_sample_is_accepted() -> None:
    verdict = judge(SAMPLE, caller="123456789012", idempotency_key=None, deployment=LISTED)
    assert verdict.status == 202, verdict.errors
    assert verdict.request is not None and verdict.request.connection is not None
    host = verdict.request.connection.host
    assert host is not None
    assert (host.name, host.provider_endpoint, host.vpc_configuration) == (
        "acme-ghes",
        "https://ghe.example.com",
        None,
    )


def test_a_vpc_configuration_aws_takes_is_accepted() -> None:
    request = validate_request(with_host(vpcConfiguration=VPC))
    assert request.connection is not None and request.connection.host is not None
    vpc = request.connection.host.vpc_configuration
    assert vpc is not None
    assert vpc.subnet_ids == VPC["subnetIds"]
    assert vpc.tls_certificate == VPC["tlsCertificate"]


@pytest.mark.parametrize("provider", ["GitHubEnterpriseServer", "GitLabSelfManaged"])
def test_host_is_for_installed_providers(provider: str) -> None:
    assert validate_request(with_connection(provider=provider)).connection is not None


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"name": ""}, "connection.host.name", "1-64"),
        ({"name": "h" * 65}, "connection.host.name", "1-64"),
        ({"name": "acme\nghes"}, "connection.host.name", "control"),
        ({"name": "acme-\u202eghes"}, "connection.host.name", "bidi"),
        ({"providerEndpoint": "http://ghe.example.com"}, "connection.host.providerEndpoint", "https"),
        ({"providerEndpoint": "ghe.example.com"}, "connection.host.providerEndpoint", "https"),
        ({"providerEndpoint": "https://ghe example.com"}, "connection.host.providerEndpoint", "https"),
        (
            {"providerEndpoint": "https://ghe.example.com/a\u0085b"},
            "connection.host.providerEndpoint",
            "https",
        ),
        (
            {"providerEndpoint": "https://ghe.example.com/\u202emoc"},
            "connection.host.providerEndpoint",
            "bidi",
        ),
        (
            {"providerEndpoint": "https://g.example.com/" + "p" * 500},
            "connection.host.providerEndpoint",
            "512",
        ),
        ({"vpcConfiguration": {**VPC, "vpcId": "vpc-123"}}, "connection.host.vpcConfiguration.vpcId", "12"),
        (
            {"vpcConfiguration": {**VPC, "vpcId": "vpc-0a1b2c3d4"}},
            "connection.host.vpcConfiguration.vpcId",
            "VPC id",
        ),
        (
            {"vpcConfiguration": {**VPC, "subnetIds": []}},
            "connection.host.vpcConfiguration.subnetIds",
            "at least 1",
        ),
        (
            {"vpcConfiguration": {**VPC, "subnetIds": [f"subnet-{i:08d}" for i in range(11)]}},
            "connection.host.vpcConfiguration.subnetIds",
            "at most 10",
        ),
        (
            {"vpcConfiguration": {**VPC, "subnetIds": ["sg-0a1b2c3d4e5f6"]}},
            "connection.host.vpcConfiguration.subnetIds[0]",
            "subnet id",
        ),
        (
            {"vpcConfiguration": {**VPC, "securityGroupIds": ["sg-0a1b"]}},
            "connection.host.vpcConfiguration.securityGroupIds[0]",
            "11",
        ),
        (
            {"vpcConfiguration": {**VPC, "subnetIds": ["subnet-0a1b2c3d", "subnet-0a1b2c3d"]}},
            "connection.host.vpcConfiguration.subnetIds[1]",
            "already listed",
        ),
        (
            {"vpcConfiguration": {**VPC, "tlsCertificate": "c" * 16385}},
            "connection.host.vpcConfiguration.tlsCertificate",
            "16384",
        ),
        ({"vpcConfiguration": {"vpcId": VPC["vpcId"]}}, "connection.host.vpcConfiguration.subnetIds", ""),
    ],
)
def test_a_host_field_aws_refuses_is_named(changes: dict[str, Any], field: str, fragment: str) -> None:
    errors = errors_of(with_host(**changes))
    named = [e for e in errors if e.field == field]
    assert named, errors
    assert fragment in named[0].message


def test_host_and_host_arn_together_are_refused_naming_host() -> None:
    assert fields_of(with_connection(hostArn=HOST_ARN)) == ["connection.host"]


def test_a_reused_connection_keeps_its_host() -> None:
    arn = "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
    fields = fields_of(with_connection(arn=arn, name=None, provider=None, tags=None))
    assert "connection.host" in fields


@pytest.mark.parametrize("provider", ["GitHub", "GitLab", "Bitbucket"])
def test_host_is_refused_for_providers_that_need_none(provider: str) -> None:
    errors = errors_of(with_connection(provider=provider))
    assert [e.field for e in errors] == ["connection.host"]
    assert provider in errors[0].message


def test_app_runner_has_no_hosts() -> None:
    body = with_connection(service="apprunner", name="acme-ghes", provider="GITHUB")
    body.pop("gitSync")
    errors = errors_of(body)
    assert "connection.host" in [e.field for e in errors]


def test_an_installed_provider_needs_host_or_host_arn() -> None:
    errors = errors_of(with_connection(host=None))
    assert [e.field for e in errors] == ["connection.hostArn"]
    assert "host" in errors[0].message


def test_the_published_schema_says_the_same(sample_event: Any) -> None:
    from jsonschema import Draft4Validator

    root = Path(__file__).resolve().parents[2]
    schema = json.loads((root / "schemas" / "RepositoryLinkRequested.json").read_text())
    definitions = schema["definitions"]
    request_schema = {"$ref": "#/definitions/OnboardingRequest", "definitions": definitions}
    validator = Draft4Validator(request_schema)
    assert list(validator.iter_errors(SAMPLE)) == []
    for refused in (
        with_connection(hostArn=HOST_ARN),
        with_connection(provider="GitHub"),
        with_host(providerEndpoint="http://ghe.example.com"),
        with_host(vpcConfiguration={**VPC, "subnetIds": []}),
    ):
        assert list(validator.iter_errors(refused)), refused


# --- the constants against codeconnections' and codestar-connections' models


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
@pytest.mark.parametrize(
    ("shape_name", "key", "constant"),
    [
        ("HostName", "max", model.HOST_NAME_MAX),
        ("HostName", "min", 1),
        ("Url", "max", model.HOST_ENDPOINT_MAX),
        ("VpcId", "min", 12),
        ("VpcId", "max", 21),
        ("SubnetId", "min", 15),
        ("SubnetId", "max", 24),
        ("SecurityGroupId", "min", 11),
        ("SecurityGroupId", "max", 20),
        ("SubnetIds", "max", model.VPC_IDS_MAX),
        ("SecurityGroupIds", "max", model.VPC_IDS_MAX),
        ("SubnetIds", "min", 1),
        ("TlsCertificate", "max", model.TLS_CERTIFICATE_MAX),
    ],
)
def test_host_limits_equal_the_service_models(service: str, shape_name: str, key: str, constant: int) -> None:
    assert shape(service, shape_name).metadata[key] == constant


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
@pytest.mark.parametrize(
    ("shape_name", "constant"),
    [
        ("VpcId", model.VPC_ID_PATTERN),
        ("SubnetId", model.SUBNET_ID_PATTERN),
        ("SecurityGroupId", model.SECURITY_GROUP_ID_PATTERN),
    ],
)
def test_vpc_id_patterns_are_the_models_with_w_spelt_out(
    service: str, shape_name: str, constant: str
) -> None:
    assert constant == shape(service, shape_name).metadata["pattern"].replace(r"\w", "[A-Za-z0-9_]")


@pytest.mark.parametrize(
    "endpoint", ["https://ghe.example.com", "https://git.corp:8443/gitlab", "https://10.0.0.12/"]
)
def test_every_endpoint_we_accept_is_one_codeconnections_accepts(endpoint: str) -> None:
    url = shape("codeconnections", "Url")
    assert re.fullmatch(url.metadata["pattern"], endpoint)
    assert url.metadata["min"] <= len(endpoint) <= url.metadata["max"]
    assert validate_request(with_host(providerEndpoint=endpoint)).connection is not None
