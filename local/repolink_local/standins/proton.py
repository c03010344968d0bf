"""AWS Proton repository links (past end of support; kept because the Proton target is)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from repolink_local.standins.connections import ConnectionStore
from repolink_local.standins.protocol import ServiceError


@dataclass
class StoredRepository:
    arn: str
    name: str
    provider: str
    connection_arn: str
    encryption_key: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        out = {
            "arn": self.arn,
            "name": self.name,
            "provider": self.provider,
            "connectionArn": self.connection_arn,
        }
        if self.encryption_key:
            out["encryptionKey"] = self.encryption_key
        return out


class ProtonApi:
    def __init__(self, connections: ConnectionStore) -> None:
        self.connections = connections
        self.repositories: dict[tuple[str, str], StoredRepository] = {}

    def _get(self, p: dict[str, Any]) -> StoredRepository:
        found = self.repositories.get((p["provider"], p["name"]))
        if found is None:
            raise ServiceError(
                "ResourceNotFoundException", f"Repository {p['provider']}:{p['name']} not found"
            )
        return found

    def CreateRepository(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (p["provider"], p["name"])
        if key in self.repositories:
            raise ServiceError("ConflictException", f"Repository {p['provider']}:{p['name']} already exists")
        conn = self.connections._find(p["connectionArn"])
        if conn is None or conn.status != "AVAILABLE":
            raise ServiceError("ValidationException", f"Connection {p['connectionArn']} is not AVAILABLE")
        region, account = self.connections.region, self.connections.account
        repo = StoredRepository(
            arn=f"arn:aws:proton:{region}:{account}:repository/{p['provider'].lower()}:{p['name']}",
            name=p["name"],
            provider=p["provider"],
            connection_arn=p["connectionArn"],
            encryption_key=p.get("encryptionKey"),
            tags={t["key"]: t["value"] for t in p.get("tags", [])},
        )
        self.repositories[key] = repo
        return {"repository": repo.view()}

    def GetRepository(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"repository": self._get(p).view()}

    def DeleteRepository(self, p: dict[str, Any]) -> dict[str, Any]:
        repo = self._get(p)
        del self.repositories[(repo.provider, repo.name)]
        return {"repository": repo.view()}

    def ListRepositories(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "repositories": [
                {"arn": r.arn, "name": r.name, "provider": r.provider} for r in self.repositories.values()
            ]
        }
