"""The API and the published request schema reach one verdict on a request.

Each request rule is stated once (:mod:`repolink.models.rules`): the API's reader checks it, and
the published JSON schema (draft-04, patterns read as ECMA-262) carries it. What a rule does is
tested beside the rule (``test_request_model.py``, ``test_git_sync_request.py``...); this module
checks that the two readings agree: on generated requests, the schema accepts what the API accepts
and refuses what it refuses, except the rules JSON Schema cannot say (:data:`BEYOND_THE_SCHEMA`,
each stated in the schema's ``description``); and on one body per rule, both refuse it.
"""

from __future__ import annotations

import copy
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, Draft202012Validator
from pydantic.alias_generators import to_snake

from repolink.errors import FieldError, RequestValidationError
from repolink.models.validation import validate_request
from repolink_local.contracts import BEYOND_THE_SCHEMA, ecma_validator, request_schema

pytestmark = pytest.mark.unit

SAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "onboarding.json").read_text()
)
ARN = "arn:aws:codeconnections:us-east-1:123456789012:connection/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
HOST = "arn:aws:codeconnections:us-east-1:123456789012:host/ghes-0a1b2c3d"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
APPRUNNER_ARN = "arn:aws:apprunner:us-east-1:123456789012:connection/acme-github/" + "0a" * 16
ROLE = "arn:aws:iam::123456789012:role/acme-gitsync"

#: near the edges of each rule: valid values, and values one step outside
PLAUSIBLE: dict[str, list[Any]] = {
    "name": [
        *("acme-github", "a", "ab", "x" * 32, "x" * 33, "bad name!", "", "acme/repo", "Acme/Repo"),
        *(
            "acme\n",
            "acme/repo\n",
            "gitの名前",
            "acme-\u202ebuhtig",
            "tab\there",
            "pypi-store",
            "team-python",
        ),
    ],
    "provider": [
        *("GitHub", "GitHubEnterpriseServer", "GitLabSelfManaged", "Bitbucket", "GitLab", "AzureDevOps"),
        *("GITHUB", "BITBUCKET", "github", None),
    ],
    "service": ["codeconnections", "codestar-connections", "apprunner", "codecommit", None],
    "hostArn": [
        *(HOST, HOST.replace("codeconnections", "codestar-connections"), HOST + "/x", HOST + " x"),
        *("arn:aws:codeconnections:us-east-1:1234:host/x", HOST + "\n", None),
    ],
    "arn": [ARN, ARN.replace("codeconnections", "codestar-connections"), APPRUNNER_ARN, ARN + "\n", None],
    "tags": [
        *({}, {"team": "payments"}, {"aws:x": "y"}, {"AWS:x": "y"}, {"k": "v" * 256}, {"k": "v" * 257}),
        *({"k": 1}, {"": "v"}, {"k" * 128: "v"}, {"k" * 129: "v"}, {"repolink:request-id": "x"}),
        *({"café": "thé"}, {"k": "a\tb"}, {"k!": "v"}, {"k": "v\n"}, {"k\n": "v"}, {"k": "\u200b"}),
        *({f"k{i}": "v" for i in range(limit)} for limit in (50, 51, 198, 199, 200)),
    ],
    "domain": ["acme", "a", "ab", "Acme", "acme-", "a" * 50, "a" * 51, "acme\n"],
    "consumers": [
        {},
        {"accounts": []},
        {"organizationId": "o-a1b2c3d4e5"},
        {"accounts": ["111111111111"]},
        None,
    ],
    "accounts": [[], ["111111111111"], ["111111111111", "111111111111"], ["1111"], [111111111111], None],
    "organizationId": ["o-a1b2c3d4e5", "o-short", "O-A1B2C3D4E5", "o-" + "a" * 33, "o-a1b2c3d4e5\n", None],
    "domainOwner": ["123456789012", "12345678901", None, 123456789012, "12345678901\u0663"],
    "createDomain": [True, False, 1, "true", None],
    "encryptionKey": [
        *(KMS, "alias/x", KMS.replace(":key/", ":alias/"), KMS.replace("arn:aws:", "arn:aws-iso:")),
        *(KMS + "\n", None),
    ],
    "upstreams": [
        *([], ["pypi-store"], ["team-python"], ["maven-store"], ["maven-store", "maven-store"], ["x"]),
        *(["a", "a"], [f"r{i}" for i in range(10)], [f"r{i}" for i in range(11)]),
        "pypi-store",
    ],
    "externalConnection": ["public:pypi", "public:npmjs", "pypi", "public:pypi\n", None],
    "description": ["store", "d" * 1000, "d" * 1001, "line\nbreak", "zero\u200bwidth", "café", None],
    "handshakeTimeoutHours": [1, 72, 168, 0, 169, "72", 72.0, True, -1],
    "cleanupOnTimeout": [True, False, 0, "false"],
    "repositories": [[], None],
    # gitSync
    "ownerId": ["acme", "a", "o" * 255, "o" * 256, "", "acme\n", "ac\u200bme", "ac\U0001d173me", None],
    "repositoryName": ["infra", "Infra", "r" * 128, "r" * 129, "", "in\tfra", "ин", None],
    "resourceName": ["acme-network", "a", "a" * 100, "a" * 101, "1stack", "a_b", "a-b\n", "", None],
    "branch": ["main", "b" * 255, "b" * 256, "", "main\n", "feature/x", None],
    "configFile": ["deploy/network.yaml", "", "a\nb", "x\u202ey", "x\U000e0041", "x\ue000", None],
    "roleArn": [
        *(ROLE, ROLE.replace("arn:aws:", "arn:aws-cn:"), ROLE.replace(":role/", ":user/"), ROLE + "\n"),
        *("arn:aws:iam::123456789012:role/" + "r" * 1000, "acme-gitsync", None),
    ],
    "encryptionKeyArn": [KMS, KMS.replace(":key/", ":alias/"), KMS + "\n", "x", None],
    "triggerResourceUpdateOn": ["ANY_CHANGE", "FILE_CHANGE", "any_change", None],
    "publishDeploymentStatus": [True, False, "ENABLED", 1, None],
    "pullRequestComment": [True, False, "DISABLED", 0, None],
    "syncConfigurations": [[], None],
}


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into the sample (object keys and array indexes)."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _places(value, (*path, index))
    return found


#: valid requests with every optional field there (null where unused), so a variant can set any
#: field: a host for a hosted provider, a connection to reuse, App Runner, tags everywhere
SEEDS: list[dict[str, Any]] = [
    SAMPLE,
    {
        "connection": {
            "service": "codestar-connections",
            "name": "acme-ghes",
            "provider": "GitHubEnterpriseServer",
            "hostArn": HOST.replace("codeconnections", "codestar-connections"),
            "arn": None,
            "tags": {"team": "payments", "cost-centre": "42"},
        },
        "gitSync": {
            "repositories": [
                {
                    "ownerId": "acme",
                    "repositoryName": "infra",
                    "encryptionKeyArn": KMS,
                    "tags": {"team": "platform"},
                    "syncConfigurations": [
                        {
                            "resourceName": "acme-network",
                            "branch": "main",
                            "configFile": "deploy/network.yaml",
                            "roleArn": ROLE,
                            "publishDeploymentStatus": False,
                            "triggerResourceUpdateOn": "FILE_CHANGE",
                            "pullRequestComment": False,
                        },
                        {
                            "resourceName": "acme-dns",
                            "branch": "main",
                            "configFile": "deploy/dns.yaml",
                            "roleArn": ROLE,
                        },
                    ],
                },
                {
                    "ownerId": "acme",
                    "repositoryName": "apps",
                    "syncConfigurations": [
                        {
                            "resourceName": "acme-apps",
                            "branch": "release",
                            "configFile": "a.yaml",
                            "roleArn": ROLE,
                        }
                    ],
                },
            ]
        },
        "proton": {
            "repositories": [
                {"name": "acme/templates", "encryptionKey": KMS, "tags": {"team": "platform"}},
                {"name": "acme/services", "encryptionKey": None, "tags": {}},
            ]
        },
        "codeartifact": {
            "domain": "acme",
            "domainOwner": "123456789012",
            "createDomain": True,
            "encryptionKey": KMS,
            "tags": {"team": "payments"},
            "repositories": [
                {
                    "name": "pypi-store",
                    "description": None,
                    "upstreams": [],
                    "externalConnection": "public:pypi",
                    "tags": {},
                },
                {
                    "name": "team-python",
                    "description": "team packages",
                    "upstreams": ["pypi-store"],
                    "externalConnection": None,
                    "tags": {"team": "payments"},
                },
            ],
            "consumers": {"accounts": ["111111111111", "222222222222"], "organizationId": "o-a1b2c3d4e5"},
        },
        "handshakeTimeoutHours": 1,
        "cleanupOnTimeout": False,
    },
    {
        "connection": {
            "service": "codeconnections",
            "name": None,
            "provider": None,
            "hostArn": None,
            "arn": ARN,
        },
        "proton": {"repositories": [{"name": "acme/templates"}]},
        "codeartifact": None,
    },
    {
        "connection": {
            "service": "apprunner",
            "name": "acme-github",
            "provider": "GITHUB",
            "hostArn": None,
            "arn": None,
            "tags": {},
        },
        "proton": None,
        "codeartifact": {
            "domain": "acme",
            "createDomain": False,
            "encryptionKey": None,
            "repositories": [{"name": "python", "externalConnection": "public:pypi"}],
        },
    },
]


@st.composite
def variants(draw: st.DrawFn) -> dict[str, Any]:
    """A seed with one to three fields set to a plausible value for their name, removed, or
    renamed to their attribute (snake_case) name."""
    request = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_places(request)))
        parent = request
        try:
            for part in path[:-1]:
                parent = parent[part]
        except (KeyError, IndexError, TypeError):
            continue
        last = path[-1]
        if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
            parent.pop(last, None)
            continue
        if (
            isinstance(parent, dict)
            and isinstance(last, str)
            and last in parent
            and draw(st.integers(0, 5)) == 0
        ):
            # the attribute name for the wire name: both readers must refuse it (camelCase only)
            parent[to_snake(last)] = parent.pop(last)
            continue
        choices = PLAUSIBLE.get(last if isinstance(last, str) else path[-2], [None, "x", 0, [], {}])
        if isinstance(parent, dict) or (
            isinstance(parent, list) and isinstance(last, int) and last < len(parent)
        ):
            # a copy: a later step may change it in place, and the table must stay as written
            parent[last] = copy.deepcopy(draw(st.sampled_from(choices)))
    return request


def _api_errors(data: dict[str, Any]) -> list[FieldError]:
    try:
        validate_request(data)
    except RequestValidationError as refused:
        return list(refused.errors)
    return []


REQUEST_SCHEMA = request_schema()
#: the request schema as JSON Schema reads it: draft-04, patterns in ECMA-262 (jsonschema's own
#: pattern engine is Python's, where ``$`` also matches before a final newline)
PUBLISHED = ecma_validator(REQUEST_SCHEMA)


def _beyond_the_schema(error: FieldError) -> bool:
    return any(said in error.message for said in BEYOND_THE_SCHEMA)


def _published_accepts(data: dict[str, Any]) -> bool:
    return not any(PUBLISHED.iter_errors(data))


@pytest.mark.parametrize("seed", SEEDS, ids=["sample", "every-field", "reuse", "apprunner"])
def test_every_seed_is_accepted_by_the_api_and_the_published_schema(seed: dict[str, Any]) -> None:
    assert (_api_errors(seed), _published_accepts(seed)) == ([], True)


def test_the_published_request_schema_is_draft04() -> None:
    Draft4Validator.check_schema(REQUEST_SCHEMA)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants())
def test_the_api_and_the_published_schema_agree_on_generated_requests(data: dict[str, Any]) -> None:
    errors = _api_errors(data)
    if _published_accepts(data):
        sayable = [e for e in errors if not _beyond_the_schema(e)]
        assert sayable == [], "the schema accepts a body the API refuses for a rule the schema can say"
    else:
        assert errors, [e.message for e in PUBLISHED.iter_errors(data)]


def _seed(index: int, **changes: Any) -> dict[str, Any]:
    """A copy of ``SEEDS[index]`` with ``changes`` at dotted paths (``connection.hostArn``;
    ``codeartifact.repositories.0.name``); the value ``...`` removes the field."""
    body = copy.deepcopy(SEEDS[index])
    for dotted, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in dotted.split("__")]
        node = body
        for part in parents:
            node = node[part]
        if value is ...:
            del node[last]
        else:
            node[last] = value
    return body


SAMPLE_SEED, EVERY_FIELD, REUSE, APPRUNNER = range(4)
OTHER_HOST = HOST  # a codeconnections host, for a codestar-connections connection

#: one body per rule the schema can say, breaking that rule alone: (body, the field the API names)
SAYABLE: dict[str, tuple[dict[str, Any], str]] = {
    "nothing to do": ({"handshakeTimeoutHours": 5}, "(root)"),
    "name unless arn": (_seed(SAMPLE_SEED, connection__name=...), "connection.name"),
    "provider unless arn": (_seed(SAMPLE_SEED, connection__provider=None), "connection.provider"),
    "arn without name": (_seed(REUSE, connection__name="acme"), "connection.name"),
    "arn without hostArn": (_seed(REUSE, connection__hostArn=HOST), "connection.hostArn"),
    "arn without tags": (_seed(REUSE, connection__tags={"team": "x"}), "connection.tags"),
    "hostArn for GitHubEnterpriseServer": (
        _seed(EVERY_FIELD, connection__hostArn=None),
        "connection.hostArn",
    ),
    "hostArn for GitLabSelfManaged": (
        _seed(EVERY_FIELD, connection__provider="GitLabSelfManaged", connection__hostArn=..., proton=None),
        "connection.hostArn",
    ),
    "no hostArn for GitHub": (_seed(SAMPLE_SEED, connection__hostArn=HOST), "connection.hostArn"),
    "no hostArn for apprunner": (_seed(APPRUNNER, connection__hostArn=HOST), "connection.hostArn"),
    "a host of the connection's service": (
        _seed(EVERY_FIELD, connection__hostArn=OTHER_HOST),
        "connection.hostArn",
    ),
    "codestar-connections has no AzureDevOps": (
        _seed(
            SAMPLE_SEED,
            connection__service="codestar-connections",
            connection__provider="AzureDevOps",
            proton=None,
        ),
        "connection.provider",
    ),
    "apprunner spells GITHUB": (_seed(APPRUNNER, connection__provider="GitHub"), "connection.provider"),
    "codeconnections spells GitHub": (
        _seed(SAMPLE_SEED, connection__provider="GITHUB"),
        "connection.provider",
    ),
    "apprunner names are 4-32": (_seed(APPRUNNER, connection__name="abc"), "connection.name"),
    "other names are 1-32": (_seed(SAMPLE_SEED, connection__name="x" * 33), "connection.name"),
    "no control characters in names": (_seed(SAMPLE_SEED, connection__name="a\tb"), "connection.name"),
    "no bidi controls in names": (
        _seed(SAMPLE_SEED, connection__name="acme-\u202ebuhtig"),
        "connection.name",
    ),
    "no zero-width characters in names": (
        _seed(SAMPLE_SEED, connection__name="acme\u200b-github"),
        "connection.name",
    ),
    "no bidi controls in a configFile": (
        _seed(SAMPLE_SEED, gitSync__repositories__0__syncConfigurations__0__configFile="x\u202ey.yaml"),
        "gitSync.repositories[0].syncConfigurations[0].configFile",
    ),
    "no invisible tag characters in a description": (
        _seed(EVERY_FIELD, codeartifact__repositories__1__description="team\U000e0041\U000e0042"),
        "codeartifact.repositories[1].description",
    ),
    "no format characters in a host name": (
        _seed(
            SAMPLE_SEED,
            connection__provider="GitHubEnterpriseServer",
            connection__host={"name": "ghes\u2066", "providerEndpoint": "https://ghes.example.com"},
            gitSync=None,
        ),
        "connection.host.name",
    ),
    "no bidi controls in an endpoint": (
        _seed(
            SAMPLE_SEED,
            connection__provider="GitHubEnterpriseServer",
            connection__host={"name": "ghes", "providerEndpoint": "https://ghes.example.com/\u202eevil"},
            gitSync=None,
        ),
        "connection.host.providerEndpoint",
    ),
    "no zero-width characters in tag values": (
        _seed(SAMPLE_SEED, connection__tags={"team": "a\u200bb"}),
        'connection.tags["team"]',
    ),
    "no bidi controls in tag keys": (
        _seed(SAMPLE_SEED, codeartifact__tags={"te\u202eam": "x"}),
        'codeartifact.tags["te\u202eam"]',
    ),
    "a codeconnections arn": (_seed(REUSE, connection__arn=APPRUNNER_ARN), "connection.arn"),
    "an apprunner arn": (
        _seed(APPRUNNER, connection__arn=ARN, connection__name=None, connection__provider=None),
        "connection.arn",
    ),
    "upstreams or externalConnection": (
        _seed(EVERY_FIELD, codeartifact__repositories__0__upstreams=["maven-store"]),
        "codeartifact.repositories[0].externalConnection",
    ),
    "no upstream twice": (
        _seed(EVERY_FIELD, codeartifact__repositories__1__upstreams=["pypi-store", "pypi-store"]),
        "codeartifact.repositories[1].upstreams[1]",
    ),
    "encryptionKey with createDomain": (
        _seed(EVERY_FIELD, codeartifact__createDomain=False),
        "codeartifact.encryptionKey",
    ),
    "proton through a connection": (_seed(REUSE, connection=...), "connection"),
    "proton not through apprunner": (
        _seed(APPRUNNER, proton={"repositories": [{"name": "acme/templates"}]}),
        "connection.service",
    ),
    "proton with a provider it supports": (
        _seed(REUSE, connection__provider="GitLab"),
        "connection.provider",
    ),
    "gitSync through a connection": (_seed(SAMPLE_SEED, connection=...), "connection"),
    "gitSync not through apprunner": (
        _seed(APPRUNNER, gitSync=SAMPLE["gitSync"]),
        "connection.service",
    ),
    "gitSync with a provider it supports": (
        _seed(SAMPLE_SEED, connection__provider="AzureDevOps"),
        "connection.provider",
    ),
    "pull request comments on codeconnections only": (
        _seed(EVERY_FIELD, gitSync__repositories__0__syncConfigurations__0__pullRequestComment=True),
        "connection.service",
    ),
    "stack names as CloudFormation has them": (
        _seed(SAMPLE_SEED, gitSync__repositories__0__syncConfigurations__0__resourceName="1-stack"),
        "gitSync.repositories[0].syncConfigurations[0].resourceName",
    ),
    "a role ARN": (
        _seed(
            SAMPLE_SEED, gitSync__repositories__0__syncConfigurations__0__roleArn=ROLE.replace("role", "user")
        ),
        "gitSync.repositories[0].syncConfigurations[0].roleArn",
    ),
    "a key ARN, not an alias": (
        _seed(EVERY_FIELD, gitSync__repositories__0__encryptionKeyArn=KMS.replace(":key/", ":alias/")),
        "gitSync.repositories[0].encryptionKeyArn",
    ),
    "branch names up to 255": (
        _seed(SAMPLE_SEED, gitSync__repositories__0__syncConfigurations__0__branch="b" * 256),
        "gitSync.repositories[0].syncConfigurations[0].branch",
    ),
    "no line break in an owner": (
        _seed(SAMPLE_SEED, gitSync__repositories__0__ownerId="acme\n"),
        "gitSync.repositories[0].ownerId",
    ),
    "a stack deployment file": (
        _seed(SAMPLE_SEED, gitSync__repositories__0__syncConfigurations__0__configFile=""),
        "gitSync.repositories[0].syncConfigurations[0].configFile",
    ),
    "proton's keys in aws, aws-cn, aws-us-gov": (
        _seed(EVERY_FIELD, proton__repositories__0__encryptionKey=KMS.replace("arn:aws:", "arn:aws-iso:")),
        "proton.repositories[0].encryptionKey",
    ),
    "reserved tag": (
        _seed(SAMPLE_SEED, connection__tags={"repolink:request-id": "x"}),
        'connection.tags["repolink:request-id"]',
    ),
    "aws: in any case": (
        _seed(SAMPLE_SEED, connection__tags={"AWS:team": "x"}),
        'connection.tags["AWS:team"]',
    ),
    "tag keys up to 128": (
        _seed(SAMPLE_SEED, connection__tags={"k" * 129: "x"}),
        f'connection.tags["{"k" * 129}"]',
    ),
    "tag values up to 256": (_seed(SAMPLE_SEED, connection__tags={"k": "v" * 257}), 'connection.tags["k"]'),
    "50 Proton tags": (
        _seed(EVERY_FIELD, proton__repositories__0__tags={f"k{i}": "v" for i in range(51)}),
        "proton.repositories[0].tags",
    ),
    "the tag character set (ASCII)": (
        _seed(SAMPLE_SEED, codeartifact__tags={"team!": "x"}),
        'codeartifact.tags["team!"]',
    ),
    "no line break in a description": (
        _seed(EVERY_FIELD, codeartifact__repositories__1__description="line\nbreak"),
        "codeartifact.repositories[1].description",
    ),
    "a known external connection": (
        _seed(EVERY_FIELD, codeartifact__repositories__0__externalConnection="pypi"),
        "codeartifact.repositories[0].externalConnection",
    ),
    "a known service": (_seed(SAMPLE_SEED, connection__service="codecommit"), "connection.service"),
    "198 connection tags": (
        _seed(SAMPLE_SEED, connection__tags={f"k{i}": "v" for i in range(199)}),
        "connection.tags",
    ),
    "199 CodeArtifact tags": (
        _seed(EVERY_FIELD, codeartifact__tags={f"k{i}": "v" for i in range(200)}),
        "codeartifact.tags",
    ),
    "199 tags on a CodeArtifact repository": (
        _seed(EVERY_FIELD, codeartifact__repositories__0__tags={f"k{i}": "v" for i in range(200)}),
        "codeartifact.repositories[0].tags",
    ),
    "an account id": (
        _seed(SAMPLE_SEED, codeartifact__domainOwner="12345678901"),
        "codeartifact.domainOwner",
    ),
    "a KMS key ARN for CodeArtifact": (
        _seed(EVERY_FIELD, codeartifact__encryptionKey="alias/x"),
        "codeartifact.encryptionKey",
    ),
    "a KMS key ARN for Proton": (
        _seed(EVERY_FIELD, proton__repositories__0__encryptionKey=KMS.replace(":kms:", ":s3:")),
        "proton.repositories[0].encryptionKey",
    ),
    "Proton keys up to 200 characters": (
        _seed(
            EVERY_FIELD, proton__repositories__0__encryptionKey=KMS.split(":key/")[0] + ":alias/" + "a" * 160
        ),
        "proton.repositories[0].encryptionKey",
    ),
    "CodeArtifact keys up to 1011 characters": (
        _seed(EVERY_FIELD, codeartifact__encryptionKey=KMS.split(":key/")[0] + ":alias/" + "a" * 980),
        "codeartifact.encryptionKey",
    ),
    "Proton names up to 100 characters": (
        _seed(EVERY_FIELD, proton__repositories__0__name="acme/" + "r" * 96),
        "proton.repositories[0].name",
    ),
    "consumers name someone": (_seed(EVERY_FIELD, codeartifact__consumers={}), "codeartifact.consumers"),
    "consumer accounts, if given, are some": (
        _seed(EVERY_FIELD, codeartifact__consumers__accounts=[], codeartifact__consumers__organizationId=...),
        "codeartifact.consumers",
    ),
    "a consumer account id": (
        _seed(EVERY_FIELD, codeartifact__consumers__accounts=["11111111111"]),
        "codeartifact.consumers.accounts[0]",
    ),
    "a consumer account once": (
        _seed(EVERY_FIELD, codeartifact__consumers__accounts=["111111111111", "111111111111"]),
        "codeartifact.consumers.accounts[1]",
    ),
    "at most 50 consumer accounts": (
        _seed(EVERY_FIELD, codeartifact__consumers__accounts=[f"{i:012d}" for i in range(51)]),
        "codeartifact.consumers.accounts",
    ),
    "an organization id": (
        _seed(EVERY_FIELD, codeartifact__consumers__organizationId="o-short"),
        "codeartifact.consumers.organizationId",
    ),
    "an integer, not 72.0": (_seed(SAMPLE_SEED, handshakeTimeoutHours=72.0), "handshakeTimeoutHours"),
    "at most 168 hours": (_seed(SAMPLE_SEED, handshakeTimeoutHours=169), "handshakeTimeoutHours"),
    "no trailing newline": (_seed(SAMPLE_SEED, codeartifact__domain="acme\n"), "codeartifact.domain"),
}


@pytest.mark.parametrize("case", SAYABLE)
def test_the_api_and_the_published_schema_refuse_a_body_breaking_one_rule(case: str) -> None:
    body, field = SAYABLE[case]

    assert [error.field for error in _api_errors(body)] == [field]
    assert not _published_accepts(body)


#: one body per rule beyond the schema: (body, the field the API names, what the schema's
#: description says of it)
UNSAYABLE: dict[str, tuple[dict[str, Any], str, str]] = {
    "upstream cycle": (
        _seed(
            EVERY_FIELD,
            codeartifact__repositories__0__upstreams=["team-python"],
            codeartifact__repositories__0__externalConnection=None,
        ),
        "codeartifact.repositories[0].upstreams[0]",
        "upstreams form no cycle",
    ),
    "repository names unique": (
        _seed(
            EVERY_FIELD,
            codeartifact__repositories__1__name="pypi-store",
            codeartifact__repositories__1__upstreams=[],
        ),
        "codeartifact.repositories[1].name",
        "No two repositories have the same name",
    ),
    "Proton names unique in any case": (
        _seed(EVERY_FIELD, proton__repositories__1__name="ACME/Templates"),
        "proton.repositories[1].name",
        "in any case (Acme/Repo is acme/repo)",
    ),
    "not its own upstream": (
        _seed(EVERY_FIELD, codeartifact__repositories__1__upstreams=["team-python"]),
        "codeartifact.repositories[1].upstreams[0]",
        "is not its own upstream",
    ),
    "no private-use characters in names": (
        _seed(SAMPLE_SEED, connection__name="acme-\ue000"),
        "connection.name",
        "without control characters or format (bidi, zero-width), surrogate, private-use",
    ),
    "Git sync repositories unique in any case": (
        _seed(EVERY_FIELD, gitSync__repositories__1__repositoryName="INFRA"),
        "gitSync.repositories[1].repositoryName",
        "the same ownerId and repositoryName, in any case",
    ),
    "one sync configuration per stack": (
        _seed(EVERY_FIELD, gitSync__repositories__1__syncConfigurations__0__resourceName="acme-dns"),
        "gitSync.repositories[1].syncConfigurations[0].resourceName",
        "a stack has one sync configuration",
    ),
    "no unassigned characters in a configFile": (
        _seed(
            SAMPLE_SEED, gitSync__repositories__0__syncConfigurations__0__configFile="x\U000e0100\u0378.yaml"
        ),
        "gitSync.repositories[0].syncConfigurations[0].configFile",
        "surrogate, private-use or unassigned characters",
    ),
    "tag characters beyond ASCII": (
        _seed(SAMPLE_SEED, connection__tags={"team": "a\u20acb"}),
        'connection.tags["team"]',
        "the patterns check the ASCII, control and format characters",
    ),
}


@pytest.mark.parametrize("case", UNSAYABLE)
def test_a_rule_beyond_the_schema_is_the_apis_alone_and_its_description_states_it(case: str) -> None:
    body, field, said = UNSAYABLE[case]

    assert [(error.field, _beyond_the_schema(error)) for error in _api_errors(body)] == [(field, True)]
    assert _published_accepts(body)
    assert said in json.dumps(REQUEST_SCHEMA["definitions"], ensure_ascii=False)


FORMAT_CHARACTERS = [chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Cf"]


def test_the_api_and_the_published_schema_refuse_every_format_character_in_a_name() -> None:
    verdicts = {
        ascii(char): (bool(_api_errors(body)), _published_accepts(body))
        for char in FORMAT_CHARACTERS
        if (body := _seed(SAMPLE_SEED, connection__name=f"ac{char}me"))
    }

    assert {verdict for verdict in verdicts.values()} == {(True, False)}, verdicts


@pytest.mark.parametrize("name", ["équipe", "acme-\U0001f600", "ℵ-\u00a0-\u2028"])
def test_the_api_and_the_published_schema_accept_printable_names_of_any_script(name: str) -> None:
    body = _seed(SAMPLE_SEED, connection__name=name)

    assert (_api_errors(body), _published_accepts(body)) == ([], True)


def test_draft4_refuses_an_integral_float_where_2020_12_takes_it() -> None:
    body = _seed(SAMPLE_SEED, handshakeTimeoutHours=72.0)
    verdicts = (
        Draft4Validator(REQUEST_SCHEMA).is_valid(body),
        Draft202012Validator(REQUEST_SCHEMA).is_valid(body),
    )

    assert verdicts == (False, True)
