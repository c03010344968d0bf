"""Who may do what in a deployment: every principal's policies, exactly as the SAM translator
builds them from ``template.yaml`` (inline statements, expanded policy templates, the managed
policies SAM attaches), with the template's parameters applied; plus the resource policies that
admit other accounts (the API's and the bus's)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from repolink_local.template import ROOT, TEMPLATE, LocalTemplate

#: the role repolink assumes in each team account (a StackSet to the organisation's OUs)
SPOKE_TEMPLATE = ROOT / "spoke" / "template.yaml"
#: the spoke role's logical id, as the least-privilege matrix names it
SPOKE_ROLE = "SpokeRole"


@cache
def _managed_policies() -> dict[str, Any]:
    """AWS managed policy documents, as moto ships them (name -> document)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return {name: data["Document"] for name, data in json.loads(aws_managed_policies_data).items()}


def managed_policy(arn: str) -> dict[str, Any]:
    name = arn.rsplit("/", 1)[-1]
    documents = _managed_policies()
    if name not in documents:
        raise KeyError(f"no document for the managed policy {arn}")
    return dict(documents[name])


def _without(document: dict[str, Any], actions: set[str]) -> dict[str, Any]:
    """The policy with ``actions`` (lower case) taken out of every statement; a statement left
    with no action goes too."""
    if not actions:
        return document
    statements = []
    body = document["Statement"]
    for statement in body if isinstance(body, list) else [body]:
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        kept = [a for a in listed if a.lower() not in actions]
        if kept:
            statements.append({**statement, "Action": kept})
    return {**document, "Statement": statements}


@dataclass(frozen=True)
class Role:
    """An IAM role of the stack and the policies attached to it (name -> document)."""

    logical_id: str
    arn: str
    policies: dict[str, dict[str, Any]]

    def session(self, session_name: str, account: str) -> str:
        """The principal ARN of a session of this role, as AWS names it in AccessDenied messages."""
        return f"arn:aws:sts::{account}:assumed-role/{self.logical_id}/{session_name}"

    def statements(self) -> list[dict[str, Any]]:
        found = []
        for document in self.policies.values():
            body = document["Statement"]
            found += body if isinstance(body, list) else [body]
        return found


@dataclass(frozen=True)
class Spoke:
    """The spoke stack deployed in one team account: its role, and the role's trust policy."""

    account: str
    role: Role
    trust: dict[str, Any]


@dataclass
class Deployment:
    """The IAM side of one simulated deployment of ``template.yaml``."""

    account_id: str
    region: str
    parameters: dict[str, str] = field(default_factory=dict)
    path: Path = TEMPLATE
    #: (role, action or managed policy ARN) taken away, to measure least privilege (``matrix``)
    revoked: frozenset[tuple[str, str]] = frozenset()
    template: LocalTemplate = field(init=False)
    _spokes: dict[str, Spoke] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.template = LocalTemplate(
            self.path, self.account_id, self.region, dict(self.parameters), translated=True
        )

    @cached_property
    def roles(self) -> dict[str, Role]:
        roles = {}
        for logical_id, resource in self.template.resources_of_type("AWS::IAM::Role").items():
            props = self.template.resolve(resource["Properties"])
            gone = {item.lower() for role, item in self.revoked if role == logical_id}
            policies = {
                p["PolicyName"]: _without(p["PolicyDocument"], gone) for p in props.get("Policies", [])
            }
            for arn in props.get("ManagedPolicyArns", []):
                if arn.lower() not in gone:
                    policies[arn] = managed_policy(arn)
            roles[logical_id] = Role(logical_id, self.template.arn(logical_id), policies)
        # policies the template attaches to its roles from outside them (AWS::IAM::Policy, with the
        # condition CloudFormation creates it under)
        for resource in self.template.resources_of_type("AWS::IAM::Policy").values():
            if "Condition" in resource and not self.template.condition(resource["Condition"]):
                continue
            props = self.template.resolve(resource["Properties"])
            for role_name in props.get("Roles", []):
                gone = {item.lower() for role, item in self.revoked if role == role_name}
                roles[role_name].policies[props["PolicyName"]] = _without(props["PolicyDocument"], gone)
        return roles

    def role_of(self, logical_id: str) -> Role:
        """The role a function, state machine or API Gateway account setting runs as."""
        resource = self.template.resources[logical_id]
        key = {"AWS::Lambda::Function": "Role", "AWS::ApiGateway::Account": "CloudWatchRoleArn"}.get(
            resource["Type"], "RoleArn"
        )
        reference = resource["Properties"][key]
        return self.roles[reference["Fn::GetAtt"][0]]

    def function_role(self, function_name: str) -> Role:
        return self.role_of(function_name)

    def state_machine_roles(self) -> dict[str, Role]:
        """Each state machine's role, by the machine's logical id (its name in the local engine)."""
        machines = self.template.resources_of_type("AWS::StepFunctions::StateMachine")
        return {logical_id: self.role_of(logical_id) for logical_id in machines}

    def api_policy(self, api_id: str) -> dict[str, Any]:
        """The REST API's resource policy, with ``execute-api:/…`` expanded as API Gateway does."""
        (api,) = self.template.resources_of_type("AWS::ApiGateway::RestApi").values()
        policy = self.template.resolve(api["Properties"]["Body"]["x-amazon-apigateway-policy"])
        prefix = f"arn:aws:execute-api:{self.region}:{self.account_id}:{api_id}"
        text = json.dumps(policy).replace('"execute-api:/', f'"{prefix}/')
        expanded: dict[str, Any] = json.loads(text)
        return expanded

    def bus_policy(self, bus_name: str) -> dict[str, Any]:
        """The bus's resource policy: every ``AWS::Events::EventBusPolicy`` of the deployment
        whose condition holds, one statement each (``StatementId`` as ``Sid``)."""
        statements = []
        for resource in self.template.resources_of_type("AWS::Events::EventBusPolicy").values():
            if "Condition" in resource and not self.template.condition(resource["Condition"]):
                continue
            props = self.template.resolve(resource["Properties"])
            if props["EventBusName"] != bus_name:
                continue
            statements.append({"Sid": props["StatementId"], **props["Statement"]})
        return {"Version": "2012-10-17", "Statement": statements}

    def key_policy(self, key_arn: str) -> dict[str, Any] | None:
        """The key policy of the template's KMS key ``key_arn``, or None for a key not the stack's."""
        for logical_id, resource in self.template.resources_of_type("AWS::KMS::Key").items():
            if self.template.arn(logical_id) == key_arn:
                policy: dict[str, Any] = self.template.resolve(resource["Properties"]["KeyPolicy"])
                return policy
        return None

    @property
    def spoke_role_name(self) -> str:
        """The template's ``SpokeRoleName`` ("": no spokes, everything acts in this account)."""
        return self.template.parameter_values().get("SpokeRoleName", "")

    def spoke(self, account: str) -> Spoke:
        """``spoke/template.yaml`` as a StackSet deploys it in ``account``: its role named after
        ``SpokeRoleName``, trusting the roles this deployment outputs (``SpokeTrustedRoleArns``),
        in the organisation it admits (``PlatformOrganizationId`` is ``AllowedOrganizationId``, as
        the runbook sets it), the role's policies exactly as the template states them."""
        if account not in self._spokes:
            trusted = self.template.resolve(self.template.raw["Outputs"]["SpokeTrustedRoleArns"]["Value"])
            parameters = {
                "RoleName": self.spoke_role_name,
                "PlatformRoleArns": str(trusted),
                "PlatformOrganizationId": self.template.parameter_values().get("AllowedOrganizationId", ""),
            }
            template = LocalTemplate(SPOKE_TEMPLATE, account, self.region, parameters)
            props = template.resolve(template.resources[SPOKE_ROLE]["Properties"])
            gone = {item.lower() for role, item in self.revoked if role == SPOKE_ROLE}
            policies = {p["PolicyName"]: _without(p["PolicyDocument"], gone) for p in props["Policies"]}
            role = Role(SPOKE_ROLE, f"arn:aws:iam::{account}:role/{props['RoleName']}", policies)
            self._spokes[account] = Spoke(account, role, props["AssumeRolePolicyDocument"])
        return self._spokes[account]
