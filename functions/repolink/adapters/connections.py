"""Source connections behind one interface: CodeConnections, CodeStar Connections, App Runner.

The three differ in client names, status values (App Runner says ``PENDING_HANDSHAKE``), tag
shapes and lookup (App Runner has no ``GetConnection``: it is found by name with
``ListConnections``). The workflow sees only :class:`ConnectionService`.

CodeConnections' Git sync (repository links and sync configurations, :class:`GitSync`) is the
same service, the same client and the same two endpoints, so it lives here too: one module per
AWS service, and its ``OPERATIONS`` are what IAM is checked against.
"""

from dataclasses import field
from typing import Any, Literal, Protocol

from repolink.adapters.aws import call, client, delete_idempotently, pages
from repolink.errors import AwsNotFound, AwsRequestRejected, ConnectionNotFound, HostNotFound
from repolink.models.providers import ConnectionService as ServiceName
from repolink.models.record import record
from repolink.models.state.common import ConnectionStatus

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {
    service: frozenset(
        {"ListConnections", "CreateConnection", "GetConnection", "ListTagsForResource", "DeleteConnection"}
    )
    | {"GetHost", "ListHosts", "CreateHost", "DeleteHost"}
    | {"ListRepositoryLinks", "CreateRepositoryLink", "DeleteRepositoryLink"}
    | {"CreateSyncConfiguration", "GetSyncConfiguration", "ListSyncConfigurations", "DeleteSyncConfiguration"}
    | {"UpdateSyncConfiguration", "TagResource", "UntagResource"}
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


@record
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
        delete_idempotently(
            lambda: call(self._aws, "DeleteConnection", ConnectionArn=arn), lambda: self.tags(arn)
        )


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
        # the model's maximum page size: fewest calls
        for page in pages(self._aws, "ListConnections", MaxResults=LIST_PAGE_SIZE):
            for raw in page.get("Connections", []):
                if raw["ConnectionName"] == name:
                    return self._from(raw)
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
        listed = pages(self._aws, "ListConnections", ConnectionName=name, MaxResults=LIST_PAGE_SIZE)
        return [self._from(raw) for page in listed for raw in page.get("ConnectionSummaryList", [])]

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


@record
class RepositoryLink:
    """A Git repository linked to a connection, for Git sync."""

    id: str
    arn: str
    connection_arn: str
    owner_id: str
    repository_name: str
    provider: str
    encryption_key_arn: str | None = None


@record
class SyncConfiguration:
    """A resource (a CloudFormation stack) that Git sync keeps in line with a file of a branch."""

    resource_name: str
    repository_link_id: str
    branch: str
    config_file: str | None
    role_arn: str
    publish_deployment_status: str | None = None
    trigger_resource_update_on: str | None = None
    pull_request_comment: str | None = None
    #: the repository the link names (in AWS's answers; not part of what is asked)
    owner_id: str | None = field(default=None, compare=False)
    repository_name: str | None = field(default=None, compare=False)


class GitSync(_SharedConnectionCalls):
    """CodeConnections' Git sync: repository links, and the sync configurations made on them."""

    def __init__(self, service: Literal["codeconnections", "codestar-connections"] = "codeconnections"):
        self.service: ServiceName = service

    @staticmethod
    def _link(raw: dict[str, Any]) -> RepositoryLink:
        return RepositoryLink(
            id=raw["RepositoryLinkId"],
            arn=raw["RepositoryLinkArn"],
            connection_arn=raw["ConnectionArn"],
            owner_id=raw["OwnerId"],
            repository_name=raw["RepositoryName"],
            provider=raw.get("ProviderType", ""),
            encryption_key_arn=raw.get("EncryptionKeyArn"),
        )

    @staticmethod
    def _sync(raw: dict[str, Any]) -> SyncConfiguration:
        return SyncConfiguration(
            resource_name=raw["ResourceName"],
            repository_link_id=raw["RepositoryLinkId"],
            branch=raw["Branch"],
            config_file=raw.get("ConfigFile"),
            role_arn=raw["RoleArn"],
            publish_deployment_status=raw.get("PublishDeploymentStatus"),
            trigger_resource_update_on=raw.get("TriggerResourceUpdateOn"),
            pull_request_comment=raw.get("PullRequestComment"),
            owner_id=raw.get("OwnerId"),
            repository_name=raw.get("RepositoryName"),
        )

    def links(self) -> list[RepositoryLink]:
        """Every repository link of the account and Region (``ListRepositoryLinks``, every page)."""
        listed = pages(self._aws, "ListRepositoryLinks", MaxResults=LIST_PAGE_SIZE)
        return [self._link(raw) for page in listed for raw in page.get("RepositoryLinks", [])]

    def create_link(
        self,
        connection_arn: str,
        owner_id: str,
        repository_name: str,
        encryption_key_arn: str | None,
        tags: dict[str, str],
    ) -> RepositoryLink:
        params: dict[str, Any] = {
            "ConnectionArn": connection_arn,
            "OwnerId": owner_id,
            "RepositoryName": repository_name,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        }
        if encryption_key_arn:
            params["EncryptionKeyArn"] = encryption_key_arn
        return self._link(call(self._aws, "CreateRepositoryLink", **params)["RepositoryLinkInfo"])

    def tag_link(self, arn: str, tags: dict[str, str]) -> None:
        """Add ``tags`` to the repository link, or overwrite their values (``TagResource``); its
        other tags stay."""
        call(
            self._aws,
            "TagResource",
            ResourceArn=arn,
            Tags=[{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        )

    def untag_link(self, arn: str, keys: list[str]) -> None:
        """Remove the tags ``keys`` from the repository link (``UntagResource``; a key it lacks is
        no error, so a lost answer's retry is harmless)."""
        call(self._aws, "UntagResource", ResourceArn=arn, TagKeys=sorted(keys))

    def delete_link(self, link_id: str) -> None:
        def listed() -> None:
            if all(link.id != link_id for link in self.links()):
                raise AwsNotFound(self.service, "ListRepositoryLinks", "NotListed", f"no link {link_id}")

        delete_idempotently(lambda: call(self._aws, "DeleteRepositoryLink", RepositoryLinkId=link_id), listed)

    @staticmethod
    def _sync_params(wanted: SyncConfiguration, sync_type: str) -> dict[str, Any]:
        params: dict[str, Any] = {
            "SyncType": sync_type,
            "ResourceName": wanted.resource_name,
            "RepositoryLinkId": wanted.repository_link_id,
            "Branch": wanted.branch,
            "ConfigFile": wanted.config_file,
            "RoleArn": wanted.role_arn,
        }
        for key, value in (
            ("PublishDeploymentStatus", wanted.publish_deployment_status),
            ("TriggerResourceUpdateOn", wanted.trigger_resource_update_on),
            ("PullRequestComment", wanted.pull_request_comment),
        ):
            if value is not None:
                params[key] = value
        return params

    def create_sync(self, wanted: SyncConfiguration, sync_type: str) -> SyncConfiguration:
        params = self._sync_params(wanted, sync_type)
        return self._sync(call(self._aws, "CreateSyncConfiguration", **params)["SyncConfiguration"])

    def update_sync(self, wanted: SyncConfiguration, sync_type: str) -> SyncConfiguration:
        """Set the stack's sync configuration to ``wanted`` (``UpdateSyncConfiguration``): every
        value is sent, so the SDK sending it again after a lost answer sets the same ones. The
        repository link is left out: repolink updates a configuration only on the link it is on."""
        params = self._sync_params(wanted, sync_type)
        del params["RepositoryLinkId"]
        return self._sync(call(self._aws, "UpdateSyncConfiguration", **params)["SyncConfiguration"])

    def get_sync(self, resource_name: str, sync_type: str) -> SyncConfiguration | None:
        try:
            raw = call(self._aws, "GetSyncConfiguration", SyncType=sync_type, ResourceName=resource_name)
        except AwsNotFound:
            return None
        return self._sync(raw["SyncConfiguration"])

    def delete_sync(self, resource_name: str, sync_type: str) -> None:
        """Delete the resource's sync configuration; one already gone counts as deleted (AWS
        answers a missing one ``InvalidInputException`` or ``ResourceNotFoundException``)."""
        try:
            call(self._aws, "DeleteSyncConfiguration", SyncType=sync_type, ResourceName=resource_name)
        except AwsNotFound:
            return
        except AwsRequestRejected as exc:
            if exc.code != "InvalidInputException" or self.get_sync(resource_name, sync_type) is not None:
                raise

    def syncs_of(self, link_id: str, sync_type: str) -> list[SyncConfiguration]:
        """The sync configurations made on a repository link (every page)."""
        listed = pages(
            self._aws,
            "ListSyncConfigurations",
            RepositoryLinkId=link_id,
            SyncType=sync_type,
            MaxResults=LIST_PAGE_SIZE,
        )
        return [self._sync(raw) for page in listed for raw in page.get("SyncConfigurations", [])]


@record
class Host:
    """A host: where an installed provider (GitHub Enterprise Server, GitLab self-managed) runs."""

    arn: str
    name: str
    provider: str
    endpoint: str
    #: ``PENDING``, ``AVAILABLE``, ``VPC_CONFIG_INITIALIZING``, ``VPC_CONFIG_FAILED_INITIALIZATION``
    #: or ``VPC_CONFIG_DELETING`` (codeconnections' ``Host.Status`` documentation)
    status: str
    #: ``VpcId``, ``SubnetIds``, ``SecurityGroupIds`` (and ``TlsCertificate``) as AWS answers them
    vpc: dict[str, Any] | None = None


class Hosts(_SharedConnectionCalls):
    """CodeConnections' hosts (App Runner has none): the same service, client and endpoints."""

    def __init__(self, service: Literal["codeconnections", "codestar-connections"] = "codeconnections"):
        self.service: ServiceName = service

    @staticmethod
    def _from(raw: dict[str, Any], arn: str | None = None) -> Host:
        return Host(
            arn=arn or raw["HostArn"],
            name=raw.get("Name", ""),
            provider=raw.get("ProviderType", ""),
            endpoint=raw.get("ProviderEndpoint", ""),
            status=raw.get("Status", ""),
            vpc=raw.get("VpcConfiguration"),
        )

    def find_by_name(self, name: str) -> list[Host]:
        """Every host of that name (host names are not unique: the ARN adds an id)."""
        listed = pages(self._aws, "ListHosts", MaxResults=LIST_PAGE_SIZE)
        return [
            self._from(raw) for page in listed for raw in page.get("Hosts", []) if raw.get("Name") == name
        ]

    def create(
        self, name: str, provider: str, endpoint: str, vpc: dict[str, Any] | None, tags: dict[str, str]
    ) -> Host:
        """``CreateHost``, sent once: it has no idempotency token, so a lost answer is followed by a
        look-up (:func:`repolink.workflow.hosts.create_or_reuse`), never by a second host."""
        params: dict[str, Any] = {
            "Name": name,
            "ProviderType": provider,
            "ProviderEndpoint": endpoint,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        }
        if vpc:
            params["VpcConfiguration"] = vpc
        arn = call(client(self.service, attempts=1), "CreateHost", **params)["HostArn"]
        # CreateHost answers only the ARN: a new host is PENDING, a VPC host first builds its
        # network (https://docs.aws.amazon.com/dtconsole/latest/userguide/connections-host-create.html)
        status = "VPC_CONFIG_INITIALIZING" if vpc else "PENDING"
        return Host(arn=arn, name=name, provider=provider, endpoint=endpoint, status=status, vpc=vpc)

    def get(self, arn: str) -> Host:
        try:
            return self._from(call(self._aws, "GetHost", HostArn=arn), arn)
        except AwsNotFound as exc:
            raise HostNotFound(f"host {arn} does not exist") from exc

    def delete(self, arn: str) -> None:
        # read again with the tags, as a connection is: the one read both roles that delete hosts
        # (the cleanup's and the offboarding's) are granted on host/*
        delete_idempotently(lambda: call(self._aws, "DeleteHost", HostArn=arn), lambda: self.tags(arn))

    def connections_on(self, arn: str) -> list[str]:
        """The ARNs of the connections made on the host (``ListConnections`` by ``HostArnFilter``)."""
        listed = pages(self._aws, "ListConnections", HostArnFilter=arn, MaxResults=LIST_PAGE_SIZE)
        return [raw["ConnectionArn"] for page in listed for raw in page.get("Connections", [])]

    def console_url(self, arn: str, region: str) -> str:
        """The host's console page, where a person chooses "Set up host"."""
        return CodeConnections(self.service).console_url(arn, region)  # type: ignore[arg-type]


def connection_service(service: ServiceName) -> ConnectionService:
    """The adapter for ``service`` (the request's ``connection.service``)."""
    if service == "apprunner":
        return AppRunnerConnections()
    return CodeConnections(service)
