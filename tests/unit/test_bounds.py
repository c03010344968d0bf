"""A request cannot reach outside this deployment's accounts, nor adopt another account's connection."""

from __future__ import annotations

from typing import Any

import pytest

from repolink.models.validation import validate_request
from repolink.workflow.bounds import allowed_accounts, out_of_bounds

pytestmark = pytest.mark.unit
OWN, FRIEND, STRANGER = "123456789012", "111111111111", "999999999999"


def request(**sections: Any) -> Any:
    return validate_request(sections)


def fields(req: Any, allowed: str = FRIEND) -> set[str]:
    errors = out_of_bounds(
        req, own_account=OWN, region="us-east-1", allowed_accounts=allowed_accounts(allowed)
    )
    return {e.field for e in errors}


def kms(account: str) -> str:
    return f"arn:aws:kms:us-east-1:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_the_allowed_accounts_setting_is_split_on_commas() -> None:
    assert allowed_accounts("") == frozenset()
    assert allowed_accounts("111111111111,222222222222") == {"111111111111", "222222222222"}


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
