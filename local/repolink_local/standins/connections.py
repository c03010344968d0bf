"""Source connections: CodeConnections and CodeStar Connections (one store, two names) and App Runner.

CodeConnections' Git sync is here too, on the same store: repository links (one per provider,
owner and repository in the account) and sync configurations (one per stack).

The handshake a person completes in the console is simulated by a :class:`HandshakePolicy`:
a PENDING connection turns AVAILABLE after N status reads of it, or once a given number of
(virtual) seconds has passed since it was created, turns ERROR, or never changes.

Creations beyond AWS's resource quotas are refused (``standins.quotas.refuse_beyond``), counted
per account and Region of the new resource's ARN: connections under both names are one store and
one quota (250), hosts (50), repository links (100), sync configurations (100 per account, 100
per repository link, 50 per branch); App Runner connections have their own (10).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from repolink_local.standins.protocol import ServiceError
from repolink_local.standins.quotas import in_scope, refuse_beyond

#: the codeconnections model's TagList maximum: the tags a resource holds
TAGS_PER_RESOURCE = 200


@dataclass(frozen=True)
class HandshakePolicy:
    """``after``: AVAILABLE at the ``polls``-th status read; ``at``: AVAILABLE at the first read
    ``seconds`` or more after creation (on the store's clock, the engine's virtual clock)."""

    kind: Literal["after", "at", "error", "never"] = "after"
    polls: int = 1
    seconds: float = 0.0


@dataclass
class StoredConnection:
    arn: str
    name: str
    provider: str
    family: Literal["codeconnections", "apprunner"]
    status: str
    owner: str
    host_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    reads: int = 0
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    #: on the store's clock: when it was created, when the person finished the handshake, and
    #: the first status read that saw it AVAILABLE (the workflow's detection)
    created_clock: float = 0.0
    handshake_done_clock: float | None = None
    seen_available_clock: float | None = None

    @property
    def key(self) -> str:
        """The connection id, the same under both ARN prefixes."""
        return self.arn.rsplit("/", 1)[-1] if self.family == "codeconnections" else self.arn


@dataclass
class StoredHost:
    arn: str
    name: str
    provider: str
    endpoint: str
    #: PENDING until a person completes "Set up host" in the console; VPC_CONFIG_* while a VPC host builds
    status: str = "AVAILABLE"
    vpc: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    reads: int = 0
    created_clock: float = 0.0

    def view(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Name": self.name,
            "HostArn": self.arn,
            "ProviderType": self.provider,
            "ProviderEndpoint": self.endpoint,
            "Status": self.status,
        }
        if self.vpc:
            out["VpcConfiguration"] = self.vpc
        return out


@dataclass
class StoredRepositoryLink:
    id: str
    #: under the name it was created with (codeconnections or codestar-connections)
    arn: str
    connection_arn: str
    owner_id: str
    repository_name: str
    provider: str
    encryption_key_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        out = {
            "ConnectionArn": self.connection_arn,
            "OwnerId": self.owner_id,
            "ProviderType": self.provider,
            "RepositoryLinkArn": self.arn,
            "RepositoryLinkId": self.id,
            "RepositoryName": self.repository_name,
        }
        if self.encryption_key_arn:
            out["EncryptionKeyArn"] = self.encryption_key_arn
        return out


@dataclass
class StoredSyncConfiguration:
    sync_type: str
    resource_name: str
    link: StoredRepositoryLink
    branch: str
    config_file: str
    role_arn: str
    #: the toggles and trigger, as given (absent ones are not answered)
    options: dict[str, str] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "Branch": self.branch,
            "ConfigFile": self.config_file,
            "OwnerId": self.link.owner_id,
            "ProviderType": self.link.provider,
            "RepositoryLinkId": self.link.id,
            "RepositoryName": self.link.repository_name,
            "ResourceName": self.resource_name,
            "RoleArn": self.role_arn,
            "SyncType": self.sync_type,
            **self.options,
        }


_SYNC_OPTIONS = ("PublishDeploymentStatus", "TriggerResourceUpdateOn", "PullRequestComment")


class ConnectionStore:
    def __init__(self, account: str, region: str, handshake: HandshakePolicy) -> None:
        self.account, self.region, self.handshake = account, region, handshake
        #: what "now" is for time-based handshakes; the engine sets its virtual clock here
        self.clock: Callable[[], float] = time.time
        self._connections: dict[str, StoredConnection] = {}
        self.hosts: dict[str, StoredHost] = {}
        #: Git sync: repository links by id, sync configurations by (sync type, resource name)
        self.repository_links: dict[str, StoredRepositoryLink] = {}
        self.sync_configurations: dict[tuple[str, str], StoredSyncConfiguration] = {}

    # -- for tests and the engine --------------------------------------------------------

    def add_host(
        self,
        arn: str,
        provider: str,
        status: str = "AVAILABLE",
        *,
        name: str | None = None,
        endpoint: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> StoredHost:
        """A host that exists in this world already (``--host-status`` says in which state); its
        name and endpoint default to the ARN's ``NAME-ID``."""
        host_id = arn.rsplit("/", 1)[-1]
        host = StoredHost(
            arn,
            name or host_id,
            provider,
            endpoint or f"https://{host_id}.example.com",
            status,
            tags=tags or {},
        )
        host.created_clock = self.clock()
        self.hosts[host_id] = host
        return host

    def read_host(self, host: StoredHost) -> StoredHost:
        """A status read of a host: where the simulated person sets it up. A VPC host's network is
        built first (VPC_CONFIG_INITIALIZING, one read; with the ``error`` policy it fails there,
        VPC_CONFIG_FAILED_INITIALIZATION); then PENDING follows the handshake policy, which
        ``--handshake`` sets for hosts and connections alike."""
        host.reads += 1
        policy = self.handshake
        if host.status == "VPC_CONFIG_INITIALIZING":
            host.status = "VPC_CONFIG_FAILED_INITIALIZATION" if policy.kind == "error" else "PENDING"
            host.reads = 0
            return host
        set_up = (policy.kind in ("after", "error") and host.reads >= policy.polls) or (
            policy.kind == "at" and self.clock() - host.created_clock >= policy.seconds
        )
        if host.status == "PENDING" and set_up:
            host.status = "AVAILABLE"
        return host

    def list(self) -> list[StoredConnection]:
        return list(self._connections.values())

    def get(self, arn: str) -> StoredConnection:
        found = self._find(arn)
        if found is None:
            raise KeyError(arn)
        return found

    def set_status(self, arn: str, status: str) -> None:
        self.get(arn).status = status

    # -- shared rules ----------------------------------------------------------------------

    def _find(self, arn: str) -> StoredConnection | None:
        key = (
            arn.rsplit("/", 1)[-1]
            if arn.split(":")[2:3] in (["codeconnections"], ["codestar-connections"])
            else arn
        )
        return self._connections.get(key)

    def _read(self, conn: StoredConnection) -> StoredConnection:
        """A status read: where the simulated person finishes (or fails) the handshake."""
        conn.reads += 1
        now = self.clock()
        if conn.status in ("PENDING", "PENDING_HANDSHAKE"):
            policy = self.handshake
            if policy.kind == "error":
                conn.status = "ERROR"
            elif policy.kind == "after" and conn.reads >= policy.polls:
                conn.status = "AVAILABLE"
                conn.handshake_done_clock = now
            elif policy.kind == "at" and now - conn.created_clock >= policy.seconds:
                conn.status = "AVAILABLE"
                conn.handshake_done_clock = conn.created_clock + policy.seconds
        if conn.status == "AVAILABLE" and conn.seen_available_clock is None:
            conn.seen_available_clock = now
        return conn

    def _add(self, conn: StoredConnection) -> StoredConnection:
        conn.created_clock = self.clock()
        self._connections[conn.key] = conn
        return conn

    def _remove(self, conn: StoredConnection) -> None:
        self._connections.pop(conn.key, None)

    def _name_taken(self, family: str, name: str) -> bool:
        return any(c.family == family and c.name == name for c in self._connections.values())


def _tags(raw: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in raw or []}


def _page(
    items: list[Any], params: dict[str, Any], token_key: str, size_key: str, default: int
) -> tuple[list[Any], str | None]:
    start = int(params.get(token_key) or 0)
    size = int(params.get(size_key) or default)
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)


class CodeConnectionsApi:
    """codeconnections and codestar-connections operations over the shared store."""

    def __init__(self, store: ConnectionStore, service: str) -> None:
        self.store, self.service = store, service

    def _view(self, conn: StoredConnection) -> dict[str, Any]:
        view = {
            "ConnectionName": conn.name,
            "ConnectionArn": conn.arn,
            "ProviderType": conn.provider,
            "OwnerAccountId": conn.owner,
            "ConnectionStatus": "PENDING" if conn.status == "PENDING_HANDSHAKE" else conn.status,
        }
        if conn.host_arn:
            view["HostArn"] = conn.host_arn
        return view

    def _get(self, arn: str) -> StoredConnection:
        conn = self.store._find(arn)
        if conn is None or conn.family != "codeconnections":
            raise ServiceError("ResourceNotFoundException", f"Connection {arn} does not exist")
        return conn

    def CreateConnection(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["ConnectionName"]
        if self.store._name_taken("codeconnections", name):
            # docs: "Connection names must be unique in an AWS user account"; the model lists no
            # conflict error for CreateConnection, ResourceUnavailableException is the closest
            raise ServiceError("ResourceUnavailableException", f"Connection name {name} is already in use")
        host_arn = p.get("HostArn")
        provider = p.get("ProviderType")
        if host_arn:
            host = self.store.hosts.get(host_arn.rsplit("/", 1)[-1])
            if host is None:
                raise ServiceError("ResourceNotFoundException", f"Host {host_arn} does not exist")
            provider = host.provider
        if not provider:
            raise ServiceError("ValidationException", "ProviderType or HostArn is required")
        arn = f"arn:aws:{self.service}:{self.store.region}:{self.store.account}:connection/{uuid.uuid4()}"
        made = (c.arn for c in self.store.list() if c.family == "codeconnections")
        refuse_beyond("connections", in_scope(made, arn), self.service)
        conn = self.store._add(
            StoredConnection(
                arn,
                name,
                provider,
                "codeconnections",
                "PENDING",
                self.store.account,
                host_arn,
                _tags(p.get("Tags")),
            )
        )
        return {"ConnectionArn": conn.arn, "Tags": p.get("Tags", [])}

    def GetConnection(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"Connection": self._view(self.store._read(self._get(p["ConnectionArn"])))}

    def ListConnections(self, p: dict[str, Any]) -> dict[str, Any]:
        items = [
            c
            for c in self.store.list()
            if c.family == "codeconnections"
            and (not p.get("ProviderTypeFilter") or c.provider == p["ProviderTypeFilter"])
            and (not p.get("HostArnFilter") or c.host_arn == p["HostArnFilter"])
        ]
        page, token = _page(items, p, "NextToken", "MaxResults", 5)
        return {"Connections": [self._view(c) for c in page], **({"NextToken": token} if token else {})}

    def DeleteConnection(self, p: dict[str, Any]) -> dict[str, Any]:
        self.store._remove(self._get(p["ConnectionArn"]))
        return {}

    def _tagged(self, arn: str) -> StoredConnection | StoredRepositoryLink | StoredHost:
        if ":repository-link/" in arn:
            return self._link(arn.rsplit("/", 1)[-1])
        if ":host/" in arn:
            return self._host(arn)
        return self._get(arn)

    def ListTagsForResource(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self._tagged(p["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in found.tags.items()]}

    def TagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self._tagged(p["ResourceArn"])
        added = _tags(p.get("Tags"))
        if len(found.tags.keys() | added.keys()) > TAGS_PER_RESOURCE:
            # the model's TagList (what ListTagsForResource answers) holds at most 200
            raise ServiceError(
                "LimitExceededException", f"A resource takes at most {TAGS_PER_RESOURCE} tags", 429
            )
        found.tags.update(added)
        return {}

    def UntagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        """Removes the keys the resource has; one it lacks is no error."""
        found = self._tagged(p["ResourceArn"])
        for key in p.get("TagKeys") or []:
            found.tags.pop(key, None)
        return {}

    # -- Git sync ----------------------------------------------------------------------------

    def _link(self, link_id: str) -> StoredRepositoryLink:
        found = self.store.repository_links.get(link_id)
        if found is None:
            raise ServiceError("ResourceNotFoundException", f"Repository link {link_id} does not exist")
        return found

    def CreateRepositoryLink(self, p: dict[str, Any]) -> dict[str, Any]:
        conn = self.store._find(p["ConnectionArn"])
        if conn is None or conn.family != "codeconnections":
            raise ServiceError("InvalidInputException", f"Connection {p['ConnectionArn']} does not exist")
        if conn.status != "AVAILABLE":
            raise ServiceError(
                "InvalidInputException", f"Connection {p['ConnectionArn']} is {conn.status}, not AVAILABLE"
            )
        for link in self.store.repository_links.values():
            if (link.provider, link.owner_id.lower(), link.repository_name.lower()) == (
                conn.provider,
                p["OwnerId"].lower(),
                p["RepositoryName"].lower(),
            ):
                raise ServiceError(
                    "ResourceAlreadyExistsException",
                    f"A repository link for {p['OwnerId']}/{p['RepositoryName']} already exists: {link.id}",
                )
        link_id = str(uuid.uuid4())
        arn = f"arn:aws:{self.service}:{self.store.region}:{self.store.account}:repository-link/{link_id}"
        made = (other.arn for other in self.store.repository_links.values())
        refuse_beyond("repository-links", in_scope(made, arn), self.service)
        link = StoredRepositoryLink(
            id=link_id,
            arn=arn,
            connection_arn=p["ConnectionArn"],
            owner_id=p["OwnerId"],
            repository_name=p["RepositoryName"],
            provider=conn.provider,
            encryption_key_arn=p.get("EncryptionKeyArn"),
            tags=_tags(p.get("Tags")),
        )
        self.store.repository_links[link_id] = link
        return {"RepositoryLinkInfo": link.view()}

    def GetRepositoryLink(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"RepositoryLinkInfo": self._link(p["RepositoryLinkId"]).view()}

    def ListRepositoryLinks(self, p: dict[str, Any]) -> dict[str, Any]:
        page, token = _page(list(self.store.repository_links.values()), p, "NextToken", "MaxResults", 5)
        return {"RepositoryLinks": [link.view() for link in page], **({"NextToken": token} if token else {})}

    def DeleteRepositoryLink(self, p: dict[str, Any]) -> dict[str, Any]:
        link = self._link(p["RepositoryLinkId"])
        if any(c.link is link for c in self.store.sync_configurations.values()):
            raise ServiceError(
                "SyncConfigurationStillExistsException",
                f"Repository link {link.id} still has sync configurations; delete them first",
            )
        del self.store.repository_links[link.id]
        return {}

    def _sync(self, p: dict[str, Any], code: str) -> StoredSyncConfiguration:
        found = self.store.sync_configurations.get((p["SyncType"], p["ResourceName"]))
        if found is None:
            raise ServiceError(code, f"No {p['SyncType']} sync configuration for {p['ResourceName']}")
        return found

    def CreateSyncConfiguration(self, p: dict[str, Any]) -> dict[str, Any]:
        link = self.store.repository_links.get(p["RepositoryLinkId"])
        if link is None:
            raise ServiceError(
                "InvalidInputException", f"Repository link {p['RepositoryLinkId']} does not exist"
            )
        key = (p["SyncType"], p["ResourceName"])
        if key in self.store.sync_configurations:
            raise ServiceError(
                "ResourceAlreadyExistsException",
                f"A {p['SyncType']} sync configuration for {p['ResourceName']} already exists",
            )
        on_link = [c for c in self.store.sync_configurations.values() if c.link is link]
        on_branch = sum(1 for c in on_link if c.branch == p["Branch"])
        refuse_beyond("sync-configurations-per-branch", on_branch, self.service)
        refuse_beyond("sync-configurations-per-link", len(on_link), self.service)
        made = (c.link.arn for c in self.store.sync_configurations.values())
        refuse_beyond("sync-configurations", in_scope(made, link.arn), self.service)
        config = StoredSyncConfiguration(
            sync_type=p["SyncType"],
            resource_name=p["ResourceName"],
            link=link,
            branch=p["Branch"],
            config_file=p["ConfigFile"],
            role_arn=p["RoleArn"],
            options={k: p[k] for k in _SYNC_OPTIONS if p.get(k)},
        )
        self.store.sync_configurations[key] = config
        return {"SyncConfiguration": config.view()}

    def GetSyncConfiguration(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"SyncConfiguration": self._sync(p, "ResourceNotFoundException").view()}

    def ListSyncConfigurations(self, p: dict[str, Any]) -> dict[str, Any]:
        link = self._link(p["RepositoryLinkId"])
        items = [
            c
            for c in self.store.sync_configurations.values()
            if c.link is link and c.sync_type == p["SyncType"]
        ]
        page, token = _page(items, p, "NextToken", "MaxResults", 5)
        return {"SyncConfigurations": [c.view() for c in page], **({"NextToken": token} if token else {})}

    def UpdateSyncConfiguration(self, p: dict[str, Any]) -> dict[str, Any]:
        config = self._sync(p, "ResourceNotFoundException")
        if p.get("RepositoryLinkId"):
            config.link = self._link(p["RepositoryLinkId"])
        config.branch = p.get("Branch") or config.branch
        config.config_file = p.get("ConfigFile") or config.config_file
        config.role_arn = p.get("RoleArn") or config.role_arn
        config.options |= {k: p[k] for k in _SYNC_OPTIONS if p.get(k)}
        return {"SyncConfiguration": config.view()}

    def DeleteSyncConfiguration(self, p: dict[str, Any]) -> dict[str, Any]:
        config = self._sync(p, "InvalidInputException")
        del self.store.sync_configurations[(config.sync_type, config.resource_name)]
        return {}

    # -- hosts ---------------------------------------------------------------------------------
    # Host names are not unique (the ARN adds an id): a CreateHost sent twice makes two hosts.

    def _host(self, arn: str) -> StoredHost:
        host = self.store.hosts.get(arn.rsplit("/", 1)[-1])
        if host is None or host.arn.split(":")[2] != self.service:
            raise ServiceError("ResourceNotFoundException", f"Host {arn} does not exist")
        return host

    def CreateHost(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["ProviderType"] not in ("GitHubEnterpriseServer", "GitLabSelfManaged"):
            raise ServiceError(
                "ValidationException", f"Hosts are for installed providers, not {p['ProviderType']}"
            )
        host_id = uuid.uuid4().hex[:16]
        arn = f"arn:aws:{self.service}:{self.store.region}:{self.store.account}:host/{p['Name']}-{host_id}"
        refuse_beyond("hosts", in_scope((h.arn for h in self.store.hosts.values()), arn), self.service)
        vpc = p.get("VpcConfiguration")
        host = StoredHost(
            arn,
            p["Name"],
            p["ProviderType"],
            p["ProviderEndpoint"],
            status="VPC_CONFIG_INITIALIZING" if vpc else "PENDING",
            vpc=vpc,
            tags=_tags(p.get("Tags")),
        )
        host.created_clock = self.store.clock()
        self.store.hosts[arn.rsplit("/", 1)[-1]] = host
        return {"HostArn": arn, "Tags": p.get("Tags", [])}

    def GetHost(self, p: dict[str, Any]) -> dict[str, Any]:
        view = self.store.read_host(self._host(p["HostArn"])).view()
        view.pop("HostArn")
        return view

    def ListHosts(self, p: dict[str, Any]) -> dict[str, Any]:
        hosts = [h for h in self.store.hosts.values() if h.arn.split(":")[2] == self.service]
        page, token = _page(hosts, p, "NextToken", "MaxResults", 5)
        return {"Hosts": [h.view() for h in page], **({"NextToken": token} if token else {})}

    def DeleteHost(self, p: dict[str, Any]) -> dict[str, Any]:
        host = self._host(p["HostArn"])
        if host.status in ("VPC_CONFIG_INITIALIZING", "VPC_CONFIG_DELETING"):
            # DeleteHost's documentation: "A host cannot be deleted if it is in the
            # VPC_CONFIG_INITIALIZING or VPC_CONFIG_DELETING state."
            raise ServiceError("ResourceUnavailableException", f"Host {host.arn} is {host.status}")
        if any(
            c.host_arn and c.host_arn.rsplit("/", 1)[-1] == host.arn.rsplit("/", 1)[-1]
            for c in self.store.list()
        ):
            # "Before you delete a host, all connections associated to the host must be deleted."
            raise ServiceError("ResourceUnavailableException", f"Host {host.arn} still has connections")
        del self.store.hosts[host.arn.rsplit("/", 1)[-1]]
        return {}


class AppRunnerApi:
    """App Runner connections: no GetConnection; found by name with ListConnections."""

    def __init__(self, store: ConnectionStore) -> None:
        self.store = store

    @staticmethod
    def _view(conn: StoredConnection) -> dict[str, Any]:
        return {
            "ConnectionName": conn.name,
            "ConnectionArn": conn.arn,
            "ProviderType": conn.provider,
            "Status": conn.status,
            "CreatedAt": conn.created_at,
        }

    def _get(self, arn: str) -> StoredConnection:
        conn = self.store._find(arn)
        if conn is None or conn.family != "apprunner":
            raise ServiceError("ResourceNotFoundException", f"Connection {arn} does not exist")
        return conn

    def CreateConnection(self, p: dict[str, Any]) -> dict[str, Any]:
        name = p["ConnectionName"]
        if self.store._name_taken("apprunner", name):
            raise ServiceError("InvalidRequestException", f"Connection with name {name} already exists")
        arn = (
            f"arn:aws:apprunner:{self.store.region}:{self.store.account}:connection/{name}/{uuid.uuid4().hex}"
        )
        made = (c.arn for c in self.store.list() if c.family == "apprunner")
        refuse_beyond("apprunner-connections", in_scope(made, arn), "apprunner")
        conn = self.store._add(
            StoredConnection(
                arn,
                name,
                p["ProviderType"],
                "apprunner",
                "PENDING_HANDSHAKE",
                self.store.account,
                tags=_tags(p.get("Tags")),
            )
        )
        return {"Connection": self._view(conn)}

    def ListConnections(self, p: dict[str, Any]) -> dict[str, Any]:
        items = [
            c
            for c in self.store.list()
            if c.family == "apprunner" and c.name == p.get("ConnectionName", c.name)
        ]
        page, token = _page(items, p, "NextToken", "MaxResults", 5)
        if p.get("ConnectionName"):
            page = [self.store._read(c) for c in page]  # a lookup by name is App Runner's status read
        return {
            "ConnectionSummaryList": [self._view(c) for c in page],
            **({"NextToken": token} if token else {}),
        }

    def DeleteConnection(self, p: dict[str, Any]) -> dict[str, Any]:
        conn = self._get(p["ConnectionArn"])
        self.store._remove(conn)
        conn.status = "DELETED"
        return {"Connection": self._view(conn)}

    def ListTagsForResource(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": [{"Key": k, "Value": v} for k, v in self._get(p["ResourceArn"]).tags.items()]}

    def TagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        self._get(p["ResourceArn"]).tags.update(_tags(p.get("Tags")))
        return {}
