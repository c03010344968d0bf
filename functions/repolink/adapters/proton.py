"""AWS Proton repository links (Proton reached end of support on 2026-10-07; see docs)."""

from typing import Any

from repolink.adapters.aws import call, client
from repolink.models.record import record

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {"proton": frozenset({"CreateRepository", "GetRepository"})}


@record
class ProtonRepository:
    arn: str
    name: str
    provider: str
    connection_arn: str
    encryption_key: str | None


def _from(raw: dict[str, Any]) -> ProtonRepository:
    return ProtonRepository(
        arn=raw["arn"],
        name=raw["name"],
        provider=raw["provider"],
        connection_arn=raw["connectionArn"],
        encryption_key=raw.get("encryptionKey"),
    )


def create_repository(
    name: str, provider: str, connection_arn: str, encryption_key: str | None, tags: dict[str, str]
) -> ProtonRepository:
    params: dict[str, Any] = {"name": name, "provider": provider, "connectionArn": connection_arn}
    if encryption_key:
        params["encryptionKey"] = encryption_key
    if tags:
        params["tags"] = [{"key": k, "value": v} for k, v in sorted(tags.items())]
    return _from(call(client("proton"), "CreateRepository", **params)["repository"])


def get_repository(name: str, provider: str) -> ProtonRepository:
    return _from(call(client("proton"), "GetRepository", name=name, provider=provider)["repository"])
