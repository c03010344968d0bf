"""What IAM authorizes for one AWS call: the actions, each on its resource, with its context.

The action, its resource types and their ARN formats come from AWS's authorization data
(:mod:`repolink_local.iam.data`). What no package ships is here, in two tables:

- :data:`BINDINGS`: which request member fills which variable of a resource type's ARN format
  (``${DomainName}`` is CodeArtifact's ``domain``), where the request carries no ARN of it;
- :data:`EXTRA`: the further actions an operation needs, each row with the AWS documentation
  that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from repolink_local.iam import data

Context = dict[str, str | list[str]]


@dataclass(frozen=True)
class Authorization:
    """One request IAM evaluates: ``action`` on ``resource`` (``*`` for actions with no resource
    type), owned by ``account``, with the request's condition keys."""

    action: str
    resource: str
    account: str
    context: Context = field(default_factory=dict, hash=False)
    #: why this authorization is asked (``None`` for the operation's own action)
    reason: str | None = None


#: operations whose IAM action has another name than the API operation
ACTION_NAMES: dict[tuple[str, str], str] = {
    # https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html
    ("lambda", "Invoke"): "InvokeFunction",
}

#: resource-ARN variable -> how to read it from the request parameters, by IAM service prefix
BINDINGS: dict[str, dict[str, Callable[[dict[str, Any]], str | None]]] = {
    "codeartifact": {
        "DomainName": lambda p: p.get("domain"),
        "RepositoryName": lambda p: p.get("repository"),
        "Account": lambda p: p.get("domainOwner"),
    },
    "dynamodb": {"TableName": lambda p: p.get("TableName")},
    "lambda": {"FunctionName": lambda p: p.get("FunctionName")},
    # a Proton repository ARN names the provider in lower case: repository/github:owner/name
    "proton": {
        "Provider": lambda p: str(p["provider"]).lower() if p.get("provider") else None,
        "Name": lambda p: p.get("name"),
    },
    "events": {"EventBusName": lambda p: p.get("EventBusName") or "default"},
    # Git sync names a repository link by its id: repository-link/${RepositoryLinkId}
    **{
        service: {"RepositoryLinkId": lambda p: p.get("RepositoryLinkId")}
        for service in ("codeconnections", "codestar-connections")
    },
    "kms": {"KeyId": lambda p: p.get("KeyId")},
}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def tags_of(params: dict[str, Any]) -> dict[str, str] | None:
    """The tags a request carries, whatever the API's shape (``Tags``/``tags``, list or map)."""
    raw = params.get("Tags", params.get("tags"))
    if raw is None:
        return None
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return {str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value", ""))) for t in raw}


def tag_context(tags: dict[str, str] | None) -> Context:
    if tags is None:
        return {}
    context: Context = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    context["aws:TagKeys"] = sorted(tags)
    return context


def resource_for(action: data.Action, params: dict[str, Any], account: str, region: str) -> tuple[str, str]:
    """The ARN ``action`` is authorized against for this request, and the account that owns it."""
    if action.wildcard_only:
        return "*", account
    arns = [s for s in _strings(params) if s.startswith("arn:")]
    for kind in sorted(action.resource_types, key=lambda t: not t.required):
        for arn in arns:
            if kind.matches(arn):
                return arn, arn.split(":")[4] or account
    bindings = BINDINGS.get(action.service, {})
    values = {"Partition": "aws", "Region": region, "Account": account}
    for variable, read in bindings.items():
        value = read(params)
        if value is not None:
            if value.startswith("arn:"):  # a name-or-ARN member given as an ARN
                return value, value.split(":")[4] or account
            values[variable] = value
    kind = next((t for t in action.resource_types if t.required), action.resource_types[0])
    return kind.arn(values), values["Account"]


def known_action(name: str) -> data.Action:
    found = data.action(name)
    if found is None:
        raise KeyError(f"IAM has no action {name}")
    return found


def primary(service: str, operation: str, params: dict[str, Any], account: str, region: str) -> Authorization:
    action = known_action(f"{service}:{ACTION_NAMES.get((service, operation), operation)}")
    resource, owner = resource_for(action, params, account, region)
    context: Context = {}
    keys = set(action.condition_keys)
    if "aws:TagKeys" in keys:
        context |= tag_context(tags_of(params))
    provider_key = f"{service}:ProviderType"
    if provider_key in keys and params.get("ProviderType"):
        context[provider_key] = str(params["ProviderType"])
    if "sts:SourceIdentity" in keys and params.get("SourceIdentity"):
        context["sts:SourceIdentity"] = str(params["SourceIdentity"])
    vpc_key = f"{service}:VpcId"  # CreateHost, UpdateHost
    if vpc_key in keys and (params.get("VpcConfiguration") or {}).get("VpcId"):
        context[vpc_key] = str(params["VpcConfiguration"]["VpcId"])
    if "kms:EncryptionContextKeys" in keys:
        context |= encryption_context(params.get("EncryptionContext"))
    if "kms:EncryptionAlgorithm" in keys and params.get("EncryptionAlgorithm"):
        context["kms:EncryptionAlgorithm"] = str(params["EncryptionAlgorithm"])
    return Authorization(action.full_name, resource, owner, context)


def encryption_context(pairs: dict[str, str] | None) -> Context:
    """A KMS request's encryption context as IAM sees it: ``kms:EncryptionContextKeys`` (every
    key; absent without a context) and ``kms:EncryptionContext:KEY`` for each pair
    (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context-keys).

    The evaluator (iam-simulate 0.1.173) reads a key with a variable only after a ``/``
    (``aws:RequestTag/KEY``), so it ignores ``kms:EncryptionContext:KEY``: a statement conditioned
    on it is never allowed locally. The template conditions on ``kms:EncryptionContextKeys``."""
    if not pairs:
        return {}
    context: Context = {f"kms:EncryptionContext:{k}": str(v) for k, v in pairs.items()}
    context["kms:EncryptionContextKeys"] = sorted(pairs)
    return context


@dataclass(frozen=True)
class Requirement:
    """An action AWS checks for an operation besides the operation's own: one row of the table."""

    service: str
    operation: str
    #: every action the row may ask for (the security gate reads these)
    grants: tuple[str, ...]
    documentation: str
    needs: Callable[[dict[str, Any], str, str], list[Authorization]]


def _tag_on_create(
    service: str, resource_type: str
) -> Callable[[dict[str, Any], str, str], list[Authorization]]:
    def needs(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
        tags = tags_of(params)
        if not tags:
            return []
        kind = data.resource_type(service, resource_type)
        assert kind is not None, (service, resource_type)
        values = {"Partition": "aws", "Region": region, "Account": account}
        for variable, read in BINDINGS.get(service, {}).items():
            value = read(params)
            if value is not None:
                values[variable] = value
        return [
            Authorization(
                f"{service}:TagResource",
                kind.arn(values),
                values["Account"],
                tag_context(tags),
                reason="tags on create",
            )
        ]

    return needs


def _upstreams(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
    owner = params.get("domainOwner") or account
    kind = data.resource_type("codeartifact", "repository")
    assert kind is not None
    return [
        Authorization(
            "codeartifact:AssociateWithDownstreamRepository",
            kind.arn(
                {
                    "Partition": "aws",
                    "Region": region,
                    "Account": owner,
                    "DomainName": params["domain"],
                    "RepositoryName": upstream["repositoryName"],
                }
            ),
            owner,
            reason=f"upstream {upstream['repositoryName']}",
        )
        for upstream in params.get("upstreams", [])
    ]


def _key_grant(service: str, member: str) -> Callable[[dict[str, Any], str, str], list[Authorization]]:
    """The service uses the key with the caller's credentials (forward access), so the calls
    carry ``kms:ViaService``."""

    def needs(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
        key = params.get(member)
        if not key:
            return []
        arn = key if key.startswith("arn:") else f"arn:aws:kms:{region}:{account}:key/{key}"
        owner = arn.split(":")[4]
        via: Context = {"kms:ViaService": f"{service}.{region}.amazonaws.com"}
        return [
            Authorization("kms:DescribeKey", arn, owner, via, reason="encryption key"),
            Authorization("kms:CreateGrant", arn, owner, via, reason="encryption key"),
        ]

    return needs


def _pass_connection(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
    arn = str(params["connectionArn"])
    service = arn.split(":")[2]  # codeconnections or codestar-connections: the ARN's own name
    return [
        Authorization(
            f"{service}:PassConnection",
            arn,
            arn.split(":")[4],
            {f"{service}:PassedToService": "proton.amazonaws.com"},
            reason="Proton uses the connection",
        ),
        Authorization(
            "iam:CreateServiceLinkedRole",
            f"arn:aws:iam::{account}:role/aws-service-role/sync.proton.amazonaws.com/AWSServiceRoleForProtonSync",
            account,
            {"iam:AWSServiceName": "sync.proton.amazonaws.com"},
            reason="the first repository link creates Proton's service-linked role",
        ),
    ]


#: the service CloudFormation Git sync assumes the role of a sync configuration as (its trust
#: policy's principal, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/git-sync-prereq.html)
GIT_SYNC_SERVICE = "cloudformation.sync.codeconnections.amazonaws.com"
#: the service-linked role Git sync works through, and the service it is linked to
#: (https://docs.aws.amazon.com/dtconsole/latest/userguide/service-linked-role-connections.html)
GIT_SYNC_LINKED_SERVICE = "repository.sync.codeconnections.amazonaws.com"


def _link_uses_connection(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
    """A repository link passes the connection to Git sync and uses it to read the repository."""
    arn = str(params["ConnectionArn"])
    service = arn.split(":")[2]  # the connection's own name: codeconnections or codestar-connections
    owner, name = str(params.get("OwnerId", "")), str(params.get("RepositoryName", ""))
    use: Context = {
        f"{service}:OwnerId": owner,
        f"{service}:RepositoryName": name,
        f"{service}:FullRepositoryId": f"{owner}/{name}",
    }
    return [
        Authorization(
            f"{service}:PassConnection", arn, arn.split(":")[4], reason="Git sync uses the connection"
        ),
        Authorization(
            f"{service}:UseConnection", arn, arn.split(":")[4], use, reason="the link reads the repository"
        ),
        Authorization(
            "iam:CreateServiceLinkedRole",
            f"arn:aws:iam::{account}:role/aws-service-role/{GIT_SYNC_LINKED_SERVICE}/AWSServiceRoleForGitSync",
            account,
            {"iam:AWSServiceName": GIT_SYNC_LINKED_SERVICE},
            reason="the first repository link creates Git sync's service-linked role",
        ),
    ]


def _sync_passes(service: str) -> Callable[[dict[str, Any], str, str], list[Authorization]]:
    """A sync configuration passes its repository link, and its role to Git sync: on create
    always; on update, the link and the role it names (each is optional there)."""

    def needs(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
        kind = data.resource_type(service, "RepositoryLink")
        assert kind is not None
        asked: list[Authorization] = []
        if params.get("RepositoryLinkId"):
            link = kind.arn(
                {
                    "Partition": "aws",
                    "Region": region,
                    "Account": account,
                    "RepositoryLinkId": params["RepositoryLinkId"],
                }
            )
            asked.append(
                Authorization(
                    f"{service}:PassRepository", link, account, reason="Git sync uses the repository link"
                )
            )
        if params.get("RoleArn"):
            role = str(params["RoleArn"])
            asked.append(
                Authorization(
                    "iam:PassRole",
                    role,
                    role.split(":")[4] or account,
                    {"iam:PassedToService": GIT_SYNC_SERVICE},
                    reason="Git sync updates the stack as this role",
                )
            )
        return asked

    return needs


#: what a host with a VPC configuration needs of the caller in EC2, besides CreateHost: AWS builds
#: the host's network interfaces and VPC endpoint in the customer's VPC with the caller's rights
VPC_HOST_DOCUMENTATION = (
    "https://docs.aws.amazon.com/dtconsole/latest/userguide/troubleshooting-connections.html"
    "#troubleshooting-connections-host-vpc"
)
VPC_HOST_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateTags",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeVpcs",
    "ec2:CreateVpcEndpoint",
    "ec2:DeleteVpcEndpoints",
    "ec2:DescribeVpcEndpoints",
)


def _session_source_identity(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
    """AssumeRole with a SourceIdentity also asks sts:SetSourceIdentity on the role."""
    if not params.get("SourceIdentity"):
        return []
    role = str(params["RoleArn"])
    context: Context = {"sts:SourceIdentity": str(params["SourceIdentity"])}
    return [
        Authorization(
            "sts:SetSourceIdentity", role, role.split(":")[4], context, SOURCE_IDENTITY_DOCUMENTATION
        )
    ]


def _session_tags(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
    """AssumeRole with Tags also asks sts:TagSession on the role, with the tags as request tags."""
    tags = tags_of(params)
    if not tags:
        return []
    role = str(params["RoleArn"])
    return [
        Authorization(
            "sts:TagSession", role, role.split(":")[4], tag_context(tags), SESSION_TAGS_DOCUMENTATION
        )
    ]


SOURCE_IDENTITY_DOCUMENTATION = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html"
    "#id_credentials_temp_control-access_monitor-perms"
)
SESSION_TAGS_DOCUMENTATION = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html#id_session-tags_permissions-required"


def _vpc_host_network(params: dict[str, Any], account: str, region: str) -> list[Authorization]:
    """A VPC host's EC2 actions, each on the resources of its resource types: the subnets and
    security groups named, the VPC, and the network interfaces and endpoint made in them."""
    vpc = params.get("VpcConfiguration")
    if not vpc:
        return []

    def arn(kind: str, resource_id: str = "*") -> str:
        return f"arn:aws:ec2:{region}:{account}:{kind}/{resource_id}"

    interfaces, endpoints = arn("network-interface"), arn("vpc-endpoint")
    placed = [arn("subnet", s) for s in vpc.get("SubnetIds", [])]
    placed += [arn("security-group", g) for g in vpc.get("SecurityGroupIds", [])]
    asked: list[tuple[str, str]] = [("ec2:CreateNetworkInterface", r) for r in (interfaces, *placed)]
    asked += [("ec2:CreateTags", interfaces), ("ec2:DeleteNetworkInterface", interfaces)]
    asked += [("ec2:CreateVpcEndpoint", r) for r in (arn("vpc", vpc["VpcId"]), endpoints, *placed)]
    asked += [("ec2:DeleteVpcEndpoints", endpoints)]
    asked += [(a, "*") for a in VPC_HOST_ACTIONS if a.startswith("ec2:Describe")]
    return [
        Authorization(action, resource, account, reason="a VPC host's network") for action, resource in asked
    ]


EXTRA: tuple[Requirement, ...] = (
    *(
        Requirement(
            service,
            "CreateConnection",
            (f"{service}:TagResource",),
            "https://docs.aws.amazon.com/dtconsole/latest/userguide/security-iam.html#permissions-reference-connections",
            _tag_on_create(service, "Connection"),
        )
        for service in ("codeconnections", "codestar-connections")
    ),
    *(
        Requirement(
            service,
            "CreateHost",
            (f"{service}:TagResource",),
            "https://docs.aws.amazon.com/dtconsole/latest/userguide/connections-tag-based-access-control.html",
            _tag_on_create(service, "Host"),
        )
        for service in ("codeconnections", "codestar-connections")
    ),
    *(
        Requirement(service, "CreateHost", VPC_HOST_ACTIONS, VPC_HOST_DOCUMENTATION, _vpc_host_network)
        for service in ("codeconnections", "codestar-connections")
    ),
    *(
        Requirement(
            service,
            "CreateRepositoryLink",
            (f"{service}:PassConnection", f"{service}:UseConnection", "iam:CreateServiceLinkedRole"),
            "https://docs.aws.amazon.com/dtconsole/latest/userguide/security-iam.html#permissions-reference-connections",
            _link_uses_connection,
        )
        for service in ("codeconnections", "codestar-connections")
    ),
    *(
        Requirement(
            service,
            "CreateRepositoryLink",
            (f"{service}:TagResource",),
            "https://docs.aws.amazon.com/dtconsole/latest/userguide/connections-tag-based-access-control.html",
            _tag_on_create(service, "RepositoryLink"),
        )
        for service in ("codeconnections", "codestar-connections")
    ),
    *(
        Requirement(
            service,
            "CreateSyncConfiguration",
            (f"{service}:PassRepository", "iam:PassRole"),
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/git-sync-prereq.html",
            _sync_passes(service),
        )
        for service in ("codeconnections", "codestar-connections")
    ),
    # UpdateSyncConfiguration takes the same link and role as CreateSyncConfiguration, and passes
    # them as it does (the Git sync prerequisites; IAM's "pass a role" rule for a RoleArn:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html)
    *(
        Requirement(
            service,
            "UpdateSyncConfiguration",
            (f"{service}:PassRepository", "iam:PassRole"),
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/git-sync-prereq.html",
            _sync_passes(service),
        )
        for service in ("codeconnections", "codestar-connections")
    ),
    Requirement(
        "apprunner",
        "CreateConnection",
        ("apprunner:TagResource",),
        "https://docs.aws.amazon.com/apprunner/latest/dg/security_iam_service-with-iam.html#security_iam_service-with-iam-tags",
        _tag_on_create("apprunner", "connection"),
    ),
    Requirement(
        "codeartifact",
        "CreateDomain",
        ("codeartifact:TagResource",),
        "https://docs.aws.amazon.com/codeartifact/latest/ug/tag-domains.html",
        _tag_on_create("codeartifact", "domain"),
    ),
    Requirement(
        "codeartifact",
        "CreateDomain",
        ("kms:DescribeKey", "kms:CreateGrant"),
        "https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_CreateDomain.html",
        _key_grant("codeartifact", "encryptionKey"),
    ),
    Requirement(
        "codeartifact",
        "CreateRepository",
        ("codeartifact:TagResource",),
        "https://docs.aws.amazon.com/codeartifact/latest/ug/tag-repositories.html",
        _tag_on_create("codeartifact", "repository"),
    ),
    Requirement(
        "codeartifact",
        "CreateRepository",
        ("codeartifact:AssociateWithDownstreamRepository",),
        "https://docs.aws.amazon.com/codeartifact/latest/ug/repos-upstream.html",
        _upstreams,
    ),
    Requirement(
        "codeartifact",
        "UpdateRepository",
        ("codeartifact:AssociateWithDownstreamRepository",),
        "https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_UpdateRepository.html",
        _upstreams,
    ),
    Requirement(
        "proton",
        "CreateRepository",
        (
            "codeconnections:PassConnection",
            "codestar-connections:PassConnection",
            "iam:CreateServiceLinkedRole",
        ),
        "https://docs.aws.amazon.com/proton/latest/userguide/using-service-linked-roles-sync.html",
        _pass_connection,
    ),
    Requirement(
        "sts",
        "AssumeRole",
        ("sts:SetSourceIdentity",),
        SOURCE_IDENTITY_DOCUMENTATION,
        _session_source_identity,
    ),
    Requirement("sts", "AssumeRole", ("sts:TagSession",), SESSION_TAGS_DOCUMENTATION, _session_tags),
    Requirement(
        "proton",
        "CreateRepository",
        ("proton:TagResource",),
        "https://docs.aws.amazon.com/proton/latest/userguide/resources.html",
        _tag_on_create("proton", "repository"),
    ),
    Requirement(
        "proton",
        "CreateRepository",
        ("kms:DescribeKey", "kms:CreateGrant"),
        "https://docs.aws.amazon.com/proton/latest/userguide/security_iam_service-with-iam.html",
        _key_grant("proton", "encryptionKey"),
    ),
)


def authorizations(
    service: str, operation: str, params: dict[str, Any], account: str, region: str
) -> list[Authorization]:
    """Everything IAM evaluates for calling ``operation`` of ``service`` (its IAM prefix)."""
    if (service, operation) == ("events", "PutEvents"):
        return [_put_event(entry, account, region) for entry in params.get("Entries", [])]
    found = [primary(service, operation, params, account, region)]
    for row in EXTRA:
        if (row.service, row.operation) == (service, operation):
            found += row.needs(params, account, region)
    return found


def _put_event(entry: dict[str, Any], account: str, region: str) -> Authorization:
    """PutEvents authorizes each entry on its bus, with its detail-type and source."""
    found = primary("events", "PutEvents", entry, account, region)
    # both keys are multivalued (ArrayOfString) in the Service Authorization Reference
    context: Context = {
        "events:detail-type": [str(entry.get("DetailType", ""))],
        "events:source": [str(entry.get("Source", ""))],
    }
    return Authorization(found.action, found.resource, found.account, context)


def extra_grants(operations: set[str]) -> set[str]:
    """Every action the table may ask for, for calls of ``operations`` (``service:Operation``)."""
    return {g for row in EXTRA if f"{row.service}:{row.operation}" in operations for g in row.grants}


@dataclass(frozen=True)
class PlatformRequirement:
    """What AWS itself does with a role on the deployment's behalf, not a call of our code: a
    Lambda function writing its logs and traces, a state machine delivering its logs."""

    kind: str  # the resource type that needs it (a function, the state machine, API Gateway's account)
    when: str  # the property that makes AWS need it
    grants: tuple[str, ...]
    documentation: str


PLATFORM: tuple[PlatformRequirement, ...] = (
    PlatformRequirement(
        "AWS::ApiGateway::Account",
        "CloudWatchRoleArn",
        ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"),
        "https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html",
    ),
    PlatformRequirement(
        "AWS::Lambda::Function",
        "LoggingConfig",
        ("logs:CreateLogStream", "logs:PutLogEvents"),
        "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-permissions.html",
    ),
    PlatformRequirement(
        "AWS::Lambda::Function",
        "TracingConfig",
        ("xray:PutTraceSegments", "xray:PutTelemetryRecords"),
        "https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html#services-xray-permissions",
    ),
    PlatformRequirement(
        "AWS::StepFunctions::StateMachine",
        "LoggingConfiguration",
        (
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        ),
        "https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-iam-policy",
    ),
    PlatformRequirement(
        "AWS::StepFunctions::StateMachine",
        "TracingConfiguration",
        (
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
        ),
        "https://docs.aws.amazon.com/step-functions/latest/dg/xray-iam.html",
    ),
)
