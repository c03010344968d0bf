"""Source connections behind one interface: CodeConnections, CodeStar Connections, App Runner.

The three differ in client names, status values (App Runner says ``PENDING_HANDSHAKE``), tag
shapes and lookup (App Runner has no ``GetConnection``: it is found by name with
``ListConnections``). The workflow sees only :class:`ConnectionService`.
"""

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from repolink.adapters.aws import call, client
from repolink.errors import AwsNotFound, ConnectionNotFound
from repolink.models.providers import ConnectionService as ServiceName
from repolink.models.state import ConnectionStatus

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {
    service: frozenset(
        {"ListConnections", "CreateConnection", "GetConnection", "ListTagsForResource", "DeleteConnection"}
    )
    | {"GetHost"}
    for service in ("codeconnections", "codestar-connections")
} | {
    "apprunner": frozenset({"ListConnections", "CreateConnection", "ListTagsForResource", "DeleteConnection"})
}

_STATUS: dict[str, ConnectionStatus] = {
    "PENDING": "PENDING",
    "PENDING_HANDSHAKE": "PENDING",
    "AVAILABLE": "AVAILABLE",
    "ERROR": "ERROR",
    "DELETED": "DELETED",
}

#: ListConnections' MaxResults maximum in both services' botocore models
LIST_PAGE_SIZE = 100


@dataclass(frozen=True)
class Connection:
    arn: str
    name: str
    provider: str
    status: ConnectionStatus
    host_arn: str | None = None


class ConnectionService(Protocol):
    """What the workflow needs from a connection service."""

    service: ServiceName

    def find_by_name(self, name: str) -> Connection | None: ...

    def create(self, name: str, provider: str, host_arn: str | None, tags: dict[str, str]) -> Connection: ...

    def get(self, arn: str) -> Connection: ...

    def tags(self, arn: str) -> dict[str, str]: ...

    def delete(self, arn: str) -> None: ...

    def console_url(self, arn: str, region: str) -> str: ...

    def host_status(self, arn: str) -> str: ...


def _status(raw: str) -> ConnectionStatus:
    return _STATUS.get(raw, "ERROR")


class _SharedConnectionCalls:
    """The calls both connection APIs take alike: same operation names, same parameters."""

    service: ServiceName

    @property
    def _aws(self) -> Any:
        return client(self.service)

    def tags(self, arn: str) -> dict[str, str]:
        raw = call(self._aws, "ListTagsForResource", ResourceArn=arn).get("Tags", [])
        return {t["Key"]: t.get("Value", "") for t in raw}

    def delete(self, arn: str) -> None:
        try:
            call(self._aws, "DeleteConnection", ConnectionArn=arn)
        except AwsNotFound:
            return  # already gone: deleting is idempotent


class CodeConnections(_SharedConnectionCalls):
    """AWS CodeConnections, or its former name CodeStar Connections: one API, two endpoints."""

    def __init__(self, service: Literal["codeconnections", "codestar-connections"] = "codeconnections"):
        self.service: ServiceName = service

    @staticmethod
    def _from(raw: dict[str, Any]) -> Connection:
        return Connection(
            arn=raw["ConnectionArn"],
            name=raw["ConnectionName"],
            provider=raw.get("ProviderType", ""),
            status=_status(raw.get("ConnectionStatus", "ERROR")),
            host_arn=raw.get("HostArn"),
        )

    def find_by_name(self, name: str) -> Connection | None:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"MaxResults": LIST_PAGE_SIZE}  # the model's maximum: fewest calls
            if token:
                params["NextToken"] = token
            page = call(self._aws, "ListConnections", **params)
            for raw in page.get("Connections", []):
                if raw["ConnectionName"] == name:
                    return self._from(raw)
            token = page.get("NextToken")
            if not token:
                return None

    def create(self, name: str, provider: str, host_arn: str | None, tags: dict[str, str]) -> Connection:
        params: dict[str, Any] = {
            "ConnectionName": name,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        }
        if host_arn:
            params["HostArn"] = host_arn
        else:
            params["ProviderType"] = provider
        arn = call(self._aws, "CreateConnection", **params)["ConnectionArn"]
        return Connection(arn=arn, name=name, provider=provider, status="PENDING", host_arn=host_arn)

    def get(self, arn: str) -> Connection:
        try:
            raw = call(self._aws, "GetConnection", ConnectionArn=arn)["Connection"]
        except AwsNotFound as exc:
            raise ConnectionNotFound(f"connection {arn} does not exist") from exc
        return self._from(raw)

    def console_url(self, arn: str, region: str) -> str:
        """The console page of a connection (``connection/ID``) or host (``host/NAME-ID``)."""
        parts = arn.split(":")
        account, (kind, resource_id) = parts[4], parts[5].split("/", 1)
        page = "hosts" if kind == "host" else "connections"
        return (
            f"https://{region}.console.aws.amazon.com/codesuite/settings/{account}/{region}"
            f"/{page}/{resource_id}?region={region}"
        )

    def host_status(self, arn: str) -> str:
        """The host's status: ``AVAILABLE`` once set up, else ``PENDING`` or a ``VPC_CONFIG_*`` state."""
        try:
            return str(call(self._aws, "GetHost", HostArn=arn)["Status"])
        except AwsNotFound as exc:
            raise ConnectionNotFound(f"host {arn} does not exist") from exc


class AppRunnerConnections(_SharedConnectionCalls):
    """App Runner source connections (GITHUB, BITBUCKET); found by name, never by ARN."""

    service: ServiceName = "apprunner"

    @staticmethod
    def _from(raw: dict[str, Any]) -> Connection:
        return Connection(
            arn=raw["ConnectionArn"],
            name=raw["ConnectionName"],
            provider=raw.get("ProviderType", ""),
            status=_status(raw.get("Status", "ERROR")),
        )

    def _list(self, name: str) -> list[Connection]:
        found: list[Connection] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"ConnectionName": name, "MaxResults": LIST_PAGE_SIZE}
            if token:
                params["NextToken"] = token
            page = call(self._aws, "ListConnections", **params)
            found += [self._from(raw) for raw in page.get("ConnectionSummaryList", [])]
            token = page.get("NextToken")
            if not token:
                return found

    def find_by_name(self, name: str) -> Connection | None:
        live = [c for c in self._list(name) if c.name == name and c.status != "DELETED"]
        return live[0] if live else None

    def create(self, name: str, provider: str, host_arn: str | None, tags: dict[str, str]) -> Connection:
        raw = call(
            self._aws,
            "CreateConnection",
            ConnectionName=name,
            ProviderType=provider,
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )["Connection"]
        return self._from(raw)

    def get(self, arn: str) -> Connection:
        # arn:aws:apprunner:REGION:ACCOUNT:connection/NAME/ID
        name = arn.split(":", 5)[-1].split("/")[1] if arn.count("/") >= 2 else ""
        for connection in self._list(name) if name else []:
            if connection.arn == arn:
                return connection
        raise ConnectionNotFound(f"connection {arn} does not exist")

    def console_url(self, arn: str, region: str) -> str:
        return f"https://{region}.console.aws.amazon.com/apprunner/home?region={region}#/connections"

    def host_status(self, arn: str) -> str:
        raise ConnectionNotFound("App Runner connections have no hosts")


def connection_service(service: ServiceName) -> ConnectionService:
    """The adapter for ``service`` (the request's ``connection.service``)."""
    if service == "apprunner":
        return AppRunnerConnections()
    return CodeConnections(service)
