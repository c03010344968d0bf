"""The hand-written AWS constants match the installed botocore models, and Proton's provider mapping.

The Lambda never loads botocore's models (cold start); these tests do, so an SDK upgrade that adds a
provider or changes a limit fails here instead of drifting silently.
"""

import re
from functools import cache
from typing import Any, get_args

import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

from repolink.errors import RepolinkError, UnsupportedProvider
from repolink.models import sections as request
from repolink.models import tags
from repolink.models.providers import (
    APPRUNNER_PROVIDER_TYPES,
    CODECONNECTIONS_PROVIDER_TYPES,
    CODESTAR_CONNECTIONS_PROVIDER_TYPES,
    CONNECTION_SERVICES,
    EXTERNAL_CONNECTIONS,
    GIT_SYNC_PROVIDER_TYPES,
    GIT_SYNC_TOGGLES,
    GIT_SYNC_TRIGGERS,
    GIT_SYNC_TYPE,
    HOST_PROVIDER_TYPES,
    PROTON_PROVIDER_BY_CONNECTION_PROVIDER,
    PROTON_PROVIDERS,
    PROVIDER_TYPES_BY_SERVICE,
    ConnectionService,
    GitSyncTrigger,
    proton_provider_for,
)

pytestmark = pytest.mark.unit


@cache
def shape(service: str, name: str) -> Any:
    return botocore.session.get_session().get_service_model(service).shape_for(name)


def enum(service: str, name: str) -> list[str]:
    values: list[str] = shape(service, name).enum
    return values


# --- enums


@pytest.mark.parametrize(
    ("service", "constant"),
    [
        ("codeconnections", CODECONNECTIONS_PROVIDER_TYPES),
        ("codestar-connections", CODESTAR_CONNECTIONS_PROVIDER_TYPES),
        ("apprunner", APPRUNNER_PROVIDER_TYPES),
    ],
)
def test_provider_types_equal_the_service_model(service: str, constant: tuple[str, ...]) -> None:
    assert sorted(constant) == sorted(enum(service, "ProviderType"))


def test_every_connection_service_has_its_provider_types() -> None:
    assert get_args(ConnectionService) == CONNECTION_SERVICES
    assert set(PROVIDER_TYPES_BY_SERVICE) == set(CONNECTION_SERVICES)
    available = botocore.session.get_session().get_available_services()
    assert set(CONNECTION_SERVICES) <= set(available)


def test_proton_providers_equal_the_proton_model() -> None:
    assert sorted(PROTON_PROVIDERS) == sorted(enum("proton", "RepositoryProvider"))


def test_host_providers_exist_in_both_connection_services() -> None:
    assert set(HOST_PROVIDER_TYPES) <= set(CODECONNECTIONS_PROVIDER_TYPES)
    assert set(HOST_PROVIDER_TYPES) <= set(CODESTAR_CONNECTIONS_PROVIDER_TYPES)


def test_proton_mapping_goes_from_connection_providers_to_every_proton_provider() -> None:
    assert set(PROTON_PROVIDER_BY_CONNECTION_PROVIDER) <= set(CODESTAR_CONNECTIONS_PROVIDER_TYPES)
    assert sorted(PROTON_PROVIDER_BY_CONNECTION_PROVIDER.values()) == sorted(PROTON_PROVIDERS)


def test_external_connections_fit_the_codeartifact_name_shape() -> None:
    # botocore has no enum for them, only a pattern
    pattern = re.compile(shape("codeartifact", "ExternalConnectionName").metadata["pattern"])
    assert len(set(EXTERNAL_CONNECTIONS)) == len(EXTERNAL_CONNECTIONS)
    for name in EXTERNAL_CONNECTIONS:
        assert pattern.fullmatch(name), name


# --- proton_provider_for


@pytest.mark.parametrize(
    ("connection_provider", "proton_provider"),
    [("GitHub", "GITHUB"), ("GitHubEnterpriseServer", "GITHUB_ENTERPRISE"), ("Bitbucket", "BITBUCKET")],
)
def test_proton_provider_for_supported_providers(connection_provider: str, proton_provider: str) -> None:
    assert proton_provider_for(connection_provider) == proton_provider


@pytest.mark.parametrize(
    "connection_provider", ["GitLab", "GitLabSelfManaged", "AzureDevOps", "github", "GITHUB"]
)
def test_proton_provider_for_anything_else_is_unsupported(connection_provider: str) -> None:
    with pytest.raises(UnsupportedProvider, match=connection_provider) as caught:
        proton_provider_for(connection_provider)

    assert isinstance(caught.value, RepolinkError)


# --- the request model's limits and patterns, against the same models


@pytest.mark.parametrize(
    ("service", "shape_name", "constant"),
    [
        ("apprunner", "ConnectionName", request.APPRUNNER_CONNECTION_NAME_PATTERN),
        ("codeartifact", "RepositoryName", request.CODEARTIFACT_REPOSITORY_NAME_PATTERN),
        ("codeartifact", "DomainName", request.CODEARTIFACT_DOMAIN_NAME_PATTERN),
        ("codeartifact", "AccountId", request.ACCOUNT_ID_PATTERN),
        ("proton", "Arn", request.PROTON_ARN_PATTERN),
    ],
)
def test_patterns_equal_the_service_model(service: str, shape_name: str, constant: str) -> None:
    assert constant == shape(service, shape_name).metadata["pattern"]


@pytest.mark.parametrize(
    ("service", "shape_name", "key", "constant"),
    [
        ("codeconnections", "ConnectionName", "max", request.CONNECTION_NAME_MAX),
        ("codestar-connections", "ConnectionName", "max", request.CONNECTION_NAME_MAX),
        ("codeconnections", "ConnectionName", "min", 1),
        ("codestar-connections", "ConnectionName", "min", 1),
        ("apprunner", "ConnectionName", "min", 4),
        ("apprunner", "ConnectionName", "max", 32),
        ("codeconnections", "ConnectionArn", "max", request._CONNECTION_ARN_MAX),
        ("codeconnections", "HostArn", "max", request._CONNECTION_ARN_MAX),
        ("codeartifact", "Description", "max", request.DESCRIPTION_MAX),
        ("codeartifact", "Arn", "max", request._CODEARTIFACT_ARN_MAX),
        ("codeartifact", "TagList", "max", tags.TAGS_MAX),
        ("codeconnections", "TagList", "max", tags.TAGS_MAX),
        ("codeartifact", "TagKey", "max", tags.TAG_KEY_MAX),
        ("codeartifact", "TagValue", "max", tags.TAG_VALUE_MAX),
        ("proton", "TagList", "max", request.PROTON_TAGS_MAX),
        ("proton", "RepositoryName", "max", request.PROTON_REPOSITORY_NAME_MAX),
        ("proton", "Arn", "max", request.PROTON_ARN_MAX),
    ],
)
def test_limits_equal_the_service_model(service: str, shape_name: str, key: str, constant: int) -> None:
    assert shape(service, shape_name).metadata[key] == constant


def test_proton_tag_limit_is_the_narrowest() -> None:
    assert request.PROTON_TAGS_MAX < tags.TAGS_MAX


@given(st.from_regex(request.PROTON_REPOSITORY_NAME_PATTERN, fullmatch=True))
def test_every_proton_name_we_accept_is_one_proton_accepts(name: str) -> None:
    proton_pattern = shape("proton", "RepositoryName").metadata["pattern"]
    assert re.fullmatch(proton_pattern, name)


@given(st.from_regex(request._HOST_ARN, fullmatch=True))
def test_every_host_arn_we_accept_is_one_codeconnections_accepts(arn: str) -> None:
    assert re.fullmatch(shape("codeconnections", "HostArn").metadata["pattern"], arn)


@given(st.from_regex(request._CONNECTION_ARN, fullmatch=True))
def test_every_connection_arn_we_accept_is_one_codeconnections_accepts(arn: str) -> None:
    assert re.fullmatch(shape("codeconnections", "ConnectionArn").metadata["pattern"], arn)


@given(st.from_regex(request._APPRUNNER_CONNECTION_ARN, fullmatch=True))
def test_every_apprunner_arn_we_accept_is_one_apprunner_accepts(arn: str) -> None:
    assert re.fullmatch(shape("apprunner", "AppRunnerResourceArn").metadata["pattern"], arn)


# --- Git sync: codeconnections' repository links and sync configurations


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
def test_git_sync_enums_equal_both_service_models(service: str) -> None:
    assert enum(service, "SyncConfigurationType") == [GIT_SYNC_TYPE]
    assert sorted(GIT_SYNC_TRIGGERS) == sorted(enum(service, "TriggerResourceUpdateOn"))
    assert sorted(GIT_SYNC_TOGGLES) == sorted(enum(service, "PublishDeploymentStatus"))
    assert get_args(GitSyncTrigger) == GIT_SYNC_TRIGGERS


def test_git_sync_pull_request_comment_is_codeconnections_only() -> None:
    assert sorted(GIT_SYNC_TOGGLES) == sorted(enum("codeconnections", "PullRequestComment"))
    create = botocore.session.get_session().get_service_model("codestar-connections")
    assert "PullRequestComment" not in create.operation_model("CreateSyncConfiguration").input_shape.members


def test_git_sync_providers_are_connection_providers_without_azure_devops() -> None:
    # CloudFormation Git sync: GitHub, GitHub Enterprise, GitLab, GitLab self-managed, Bitbucket
    assert set(GIT_SYNC_PROVIDER_TYPES) <= set(CODESTAR_CONNECTIONS_PROVIDER_TYPES)
    assert set(CODECONNECTIONS_PROVIDER_TYPES) - set(GIT_SYNC_PROVIDER_TYPES) == {"AzureDevOps"}


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
@pytest.mark.parametrize(
    ("shape_name", "constant"),
    [
        ("ResourceName", request.GIT_SYNC_RESOURCE_NAME_PATTERN),
        ("IamRoleArn", request.GIT_SYNC_ROLE_ARN_PATTERN),
        ("KmsKeyArn", request.GIT_SYNC_KMS_KEY_ARN_PATTERN),
    ],
)
def test_git_sync_patterns_equal_the_service_models(service: str, shape_name: str, constant: str) -> None:
    assert shape(service, shape_name).metadata["pattern"] in (constant, f"^{constant}$")


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
@pytest.mark.parametrize(
    ("shape_name", "key", "constant"),
    [
        ("OwnerId", "max", request.GIT_SYNC_OWNER_ID_MAX),
        ("OwnerId", "min", 1),
        ("RepositoryName", "max", request.GIT_SYNC_REPOSITORY_NAME_MAX),
        ("RepositoryName", "min", 1),
        ("BranchName", "max", request.GIT_SYNC_BRANCH_MAX),
        ("BranchName", "min", 1),
        ("ResourceName", "max", request.GIT_SYNC_RESOURCE_NAME_MAX),
        ("IamRoleArn", "max", request.GIT_SYNC_ROLE_ARN_MAX),
        ("KmsKeyArn", "max", request.GIT_SYNC_KMS_KEY_ARN_MAX),
    ],
)
def test_git_sync_limits_equal_the_service_models(
    service: str, shape_name: str, key: str, constant: int
) -> None:
    assert shape(service, shape_name).metadata[key] == constant


@pytest.mark.parametrize("service", ["codeconnections", "codestar-connections"])
def test_git_sync_free_text_is_one_line_in_the_models(service: str) -> None:
    # OwnerId, RepositoryName and BranchName are "^.*$": one line of anything, which is what we check
    for name in ("OwnerId", "RepositoryName", "BranchName"):
        assert shape(service, name).metadata["pattern"] == "^.*$"
    assert "pattern" not in shape(service, "DeploymentFilePath").metadata


@given(
    st.from_regex(request.CLOUDFORMATION_STACK_NAME_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 100)
)
def test_every_stack_name_we_accept_is_one_codeconnections_accepts(name: str) -> None:
    assert re.search(shape("codeconnections", "ResourceName").metadata["pattern"], name)
    assert re.search(shape("codestar-connections", "ResourceName").metadata["pattern"], name)
