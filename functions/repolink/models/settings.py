"""Environment variables, parsed once per process into a typed model.

Read lazily (on first use inside a handler), never at import time, so tests can set
the environment before calling a handler and a missing variable fails with a clear message.
"""

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    region: str = Field(min_length=1)
    event_bus_name: str = Field(min_length=1)
    event_source: str = Field(default="repolink", min_length=1)
    poll_base_seconds: int = Field(default=15, ge=1, le=3600)
    poll_cap_seconds: int = Field(default=300, ge=1, le=3600)


class EntrySettings(Settings):
    """The entry points (API, EventBridge) also start executions and keep idempotency records."""

    state_machine_arn: str = Field(min_length=1)
    idempotency_table: str = Field(min_length=1)
    idempotency_ttl_hours: int = Field(default=24 * 7, ge=1, le=24 * 90)
    #: the template's AllowedAccountIds: accounts (besides this one) a request may reach into
    allowed_account_ids: str = Field(default="", pattern=r"^$|^[0-9]{12}(,[0-9]{12})*$")


_ENV = {
    "region": "AWS_REGION",
    "event_bus_name": "EVENT_BUS_NAME",
    "event_source": "EVENT_SOURCE",
    "poll_base_seconds": "POLL_BASE_SECONDS",
    "poll_cap_seconds": "POLL_CAP_SECONDS",
    "state_machine_arn": "STATE_MACHINE_ARN",
    "idempotency_table": "IDEMPOTENCY_TABLE",
    "idempotency_ttl_hours": "IDEMPOTENCY_TTL_HOURS",
    "allowed_account_ids": "ALLOWED_ACCOUNT_IDS",
}


def _load[S: Settings](model: type[S]) -> S:
    values = {f: os.environ[_ENV[f]] for f in model.model_fields if _ENV.get(f, "") in os.environ}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_ENV[str(err['loc'][0])]}: {err['msg']}" for err in exc.errors() if err["loc"]
        )
        raise SettingsError(f"invalid Lambda environment: {problems}") from exc


@cache
def get_settings() -> Settings:
    return _load(Settings)


@cache
def get_entry_settings() -> EntrySettings:
    return _load(EntrySettings)
