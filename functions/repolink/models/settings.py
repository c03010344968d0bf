"""Environment variables, parsed once per process into a typed model.

Read lazily (on first use inside a handler), never at import time, so tests can set
the environment before calling a handler and a missing variable fails with a clear message.
"""

import os
from functools import cache

from pydantic import BaseModel, Field, ValidationError


class SettingsError(RuntimeError):
    """A required environment variable is missing or malformed."""


class Settings(BaseModel):
    region: str = Field(min_length=1)
    event_bus_name: str = Field(min_length=1)
    event_source: str = Field(default="repolink", min_length=1)
    poll_base_seconds: int = Field(default=15, ge=1, le=3600)
    poll_cap_seconds: int = Field(default=300, ge=1, le=3600)


_ENV = {
    "region": "AWS_REGION",
    "event_bus_name": "EVENT_BUS_NAME",
    "event_source": "EVENT_SOURCE",
    "poll_base_seconds": "POLL_BASE_SECONDS",
    "poll_cap_seconds": "POLL_CAP_SECONDS",
}


@cache
def get_settings() -> Settings:
    values = {field: os.environ[var] for field, var in _ENV.items() if var in os.environ}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_ENV[str(err['loc'][0])]}: {err['msg']}" for err in exc.errors() if err["loc"]
        )
        raise SettingsError(f"invalid Lambda environment: {problems}") from exc
