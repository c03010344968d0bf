"""A request cannot reach outside this deployment's accounts, nor adopt another account's connection."""

from __future__ import annotations

from typing import Any

import pytest

from repolink.models.settings import listed
from repolink.models.validation import validate_request
from repolink.workflow.bounds import out_of_bounds, partition_of

pytestmark = pytest.mark.unit
OWN, FRIEND, STRANGER = "123456789012", "111111111111", "999999999999"


def request(**sections: Any) -> Any:
    return validate_request(sections)


def fields(req: Any, allowed: str = FRIEND, region: str = "us-east-1") -> set[str]:
    errors = out_of_bounds(req, own_account=OWN, region=region, allowed_accounts=listed(allowed))
    return {e.field for e in errors}


def kms(account: str, region: str = "us-east-1", partition: str = "aws") -> str:
    return f"arn:{partition}:kms:{region}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_the_allowed_accounts_setting_is_split_on_commas() -> None:
    assert listed("") == frozenset()
    assert listed("111111111111,222222222222") == {"111111111111", "222222222222"}


@pytest.mark.parametrize("owner, ok", [(OWN, True), (FRIEND, True), (STRANGER, False)])
def test_domain_owner_must_be_this_or_an_allowed_account(owner: str, ok: bool) -> None:
    req = request(codeartifact={"domain": "acme", "domainOwner": owner, "repositories": [{"name": "py"}]})
    assert fields(req) == (set() if ok else {"codeartifact.domainOwner"})


def test_with_no_allowed_accounts_only_this_account_is_in_bounds() -> None:
    req = request(codeartifact={"domain": "acme", "domainOwner": FRIEND, "repositories": [{"name": "py"}]})
    assert fields(req, allowed="") == {"codeartifact.domainOwner"}


def test_kms_keys_must_belong_to_this_or_an_allowed_account() -> None:
    req = request(
        connection={"name": "gh", "provider": "GitHub"},
        codeartifact={
            "domain": "acme",
            "createDomain": True,
            "encryptionKey": kms(STRANGER),
            "repositories": [{"name": "py"}],
        },
        proton={
            "repositories": [
                {"name": "acme/a", "encryptionKey": kms(FRIEND)},
                {"name": "acme/b", "encryptionKey": kms(STRANGER)},
            ]
        },
    )
    assert fields(req) == {"codeartifact.encryptionKey", "proton.repositories[1].encryptionKey"}


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
    ],
)
def test_the_deployments_partition_follows_from_its_region(region: str, partition: str) -> None:
    assert partition_of(region) == partition


def keyed(key: str) -> Any:
    return request(
        connection={"name": "gh", "provider": "GitHub"},
        codeartifact={
            "domain": "acme",
            "createDomain": True,
            "encryptionKey": key,
            "repositories": [{"name": "py"}],
        },
        proton={"repositories": [{"name": "acme/a", "encryptionKey": key}]},
    )


KEY_FIELDS = {"codeartifact.encryptionKey", "proton.repositories[0].encryptionKey"}


@pytest.mark.parametrize(
    ("key", "region", "ok"),
    [
        (kms(OWN), "us-east-1", True),
        (kms(FRIEND), "us-east-1", True),
        # KMS keys are regional: CodeArtifact and Proton take a key of their own Region only
        (kms(OWN, "eu-west-1"), "us-east-1", False),
        (kms(OWN, "us-east-2"), "us-east-1", False),
        # another partition, even for a Region name that exists there
        (kms(OWN, "us-gov-west-1", "aws-us-gov"), "us-east-1", False),
        (kms(OWN, "us-east-1", "aws-us-gov"), "us-east-1", False),
        (kms(OWN, "cn-north-1", "aws-cn"), "us-east-1", False),
        # a deployment in China takes China's keys, not the aws partition's
        (kms(OWN, "cn-north-1", "aws-cn"), "cn-north-1", True),
        (kms(OWN, "cn-north-1"), "cn-north-1", False),
    ],
)
def test_kms_keys_must_be_in_the_deployments_partition_and_region(key: str, region: str, ok: bool) -> None:
    assert fields(keyed(key), region=region) == (set() if ok else KEY_FIELDS)


def test_a_key_elsewhere_names_the_partition_and_region_it_must_be_in() -> None:
    errors = out_of_bounds(
        keyed(kms(OWN, "cn-north-1", "aws-cn")),
        own_account=OWN,
        region="us-east-1",
        allowed_accounts=frozenset(),
    )
    assert {e.message for e in errors} == {
        "the key must be in this partition and Region (aws, us-east-1), not aws-cn, cn-north-1"
    }


CONNECTION_ID = "connection/0c1d2e3f-aaaa-bbbb-cccc-123456789012"


@pytest.mark.parametrize(
    ("arn", "region", "ok"),
    [
        (f"arn:aws-us-gov:codeconnections:us-east-1:{OWN}:{CONNECTION_ID}", "us-east-1", False),
        (f"arn:aws-cn:codestar-connections:us-east-1:{OWN}:{CONNECTION_ID}", "us-east-1", False),
        (f"arn:aws-us-gov:codeconnections:us-gov-west-1:{OWN}:{CONNECTION_ID}", "us-gov-west-1", True),
        (f"arn:aws:codeconnections:us-gov-west-1:{OWN}:{CONNECTION_ID}", "us-gov-west-1", False),
    ],
)
def test_a_reused_connection_must_be_in_the_deployments_partition(arn: str, region: str, ok: bool) -> None:
    assert fields(request(connection={"arn": arn}), region=region) == (set() if ok else {"connection.arn"})


@pytest.mark.parametrize(("partition", "region"), [("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-east-1")])
def test_a_host_must_be_in_the_deployments_partition(partition: str, region: str) -> None:
    def with_host(arn: str) -> Any:
        return request(connection={"name": "gh", "provider": "GitHubEnterpriseServer", "hostArn": arn})

    # another partition's host, written with this Region or with its own
    for host_region in ("us-east-1", region):
        assert fields(with_host(f"arn:{partition}:codeconnections:{host_region}:{OWN}:host/g-1")) == {
            "connection.hostArn"
        }
    # in that partition's deployment, its host is in bounds and the aws partition's is not
    assert (
        fields(with_host(f"arn:{partition}:codeconnections:{region}:{OWN}:host/g-1"), region=region) == set()
    )
    assert fields(with_host(f"arn:aws:codeconnections:{region}:{OWN}:host/g-1"), region=region) == {
        "connection.hostArn"
    }


@pytest.mark.parametrize(
    "arn, ok",
    [
        (f"arn:aws:codeconnections:us-east-1:{OWN}:connection/0c1d2e3f-aaaa-bbbb-cccc-123456789012", True),
        (
            f"arn:aws:codestar-connections:us-east-1:{OWN}:connection/0c1d2e3f-aaaa-bbbb-cccc-123456789012",
            True,
        ),
        # even an allowed account's connection is not ours to poll, link or delete
        (
            f"arn:aws:codeconnections:us-east-1:{FRIEND}:connection/0c1d2e3f-aaaa-bbbb-cccc-123456789012",
            False,
        ),
        (f"arn:aws:codeconnections:eu-west-1:{OWN}:connection/0c1d2e3f-aaaa-bbbb-cccc-123456789012", False),
    ],
)
def test_a_reused_connection_must_be_in_this_account_and_region(arn: str, ok: bool) -> None:
    req = request(connection={"arn": arn})
    assert fields(req) == (set() if ok else {"connection.arn"})


@pytest.mark.parametrize(
    "tags",
    [{"team": "pay\nments"}, {"team": 'x\r\n{"level":"ERROR"}'}, {"a\u0000b": "x"}, {"team": "a\u202eb"}],
)
def test_tags_cannot_carry_line_breaks_or_control_characters_into_logs(tags: dict[str, str]) -> None:
    with pytest.raises(Exception) as caught:
        request(connection={"name": "gh", "provider": "GitHub", "tags": tags})
    assert "connection.tags" in str(caught.value)


@pytest.mark.parametrize("name", ["gh:evil", "gh/../x", "gh x"])
def test_app_runner_names_which_become_arn_segments_cannot_carry_separators(name: str) -> None:
    # App Runner puts the name in the connection ARN (connection/NAME/id); CodeConnections ARNs
    # carry an id only, so its names (any characters, as AWS allows) never reach an ARN
    with pytest.raises(Exception) as caught:
        request(connection={"service": "apprunner", "name": name, "provider": "GITHUB"})
    assert "connection.name" in str(caught.value)


@pytest.mark.parametrize("name", ["gh\nx", "gh\u0000", "gh\u001b[31m"])
def test_connection_names_cannot_carry_control_characters_into_logs(name: str) -> None:
    with pytest.raises(Exception) as caught:
        request(connection={"name": name, "provider": "GitHub"})
    assert "connection.name" in str(caught.value)
