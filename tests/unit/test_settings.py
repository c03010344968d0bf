"""Settings from the Lambda environment: typed, bounded, and a clear message naming the variable."""

from __future__ import annotations

import os

import pytest

from repolink.models.settings import EntrySettings, Settings, SettingsError, load

pytestmark = pytest.mark.unit

BASE = {"AWS_REGION": "eu-west-1", "EVENT_BUS_NAME": "repolink"}
ENTRY = {
    **BASE,
    "STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:x",
    "OFFBOARDING_STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:123456789012:stateMachine:y",
    "IDEMPOTENCY_TABLE": "t",
    "LIFECYCLE_TABLE": "l",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        *ENTRY,
        "POLL_BASE_SECONDS",
        "POLL_CAP_SECONDS",
        "EVENT_SOURCE",
        "IDEMPOTENCY_TTL_HOURS",
        "ALLOWED_ACCOUNT_IDS",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_apply_and_numbers_are_numbers(environment: pytest.MonkeyPatch) -> None:
    for name, value in {
        **ENTRY,
        "POLL_CAP_SECONDS": "120",
        "ALLOWED_ACCOUNT_IDS": "111111111111,222222222222",
    }.items():
        environment.setenv(name, value)

    settings = load(EntrySettings, os.environ)

    assert settings == EntrySettings(
        region="eu-west-1",
        event_bus_name="repolink",
        poll_cap_seconds=120,
        state_machine_arn=ENTRY["STATE_MACHINE_ARN"],
        offboarding_state_machine_arn=ENTRY["OFFBOARDING_STATE_MACHINE_ARN"],
        idempotency_table="t",
        lifecycle_table="l",
        allowed_account_ids="111111111111,222222222222",
    )
    assert settings.poll_base_seconds == 15 and settings.idempotency_ttl_hours == 168


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("POLL_BASE_SECONDS", "fast", "POLL_BASE_SECONDS: must be an integer, got 'fast'"),
        ("POLL_CAP_SECONDS", "0", "POLL_CAP_SECONDS: must be between 1 and 3600, got 0"),
        ("EVENT_BUS_NAME", "", "EVENT_BUS_NAME: must not be empty"),
        ("ALLOWED_ACCOUNT_IDS", "1234", "ALLOWED_ACCOUNT_IDS: must match"),
        ("ALLOWED_ORGANIZATION_ID", "o-short", "ALLOWED_ORGANIZATION_ID: must match"),
    ],
)
def test_a_bad_variable_is_named(
    environment: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    for name, given in {**ENTRY, variable: value}.items():
        environment.setenv(name, given)

    with pytest.raises(SettingsError, match="invalid Lambda environment") as caught:
        load(EntrySettings, os.environ)
    assert message in str(caught.value)


def test_every_missing_variable_is_named_at_once(environment: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError) as caught:
        load(Settings, os.environ)

    assert str(caught.value) == "invalid Lambda environment: AWS_REGION: required; EVENT_BUS_NAME: required"
