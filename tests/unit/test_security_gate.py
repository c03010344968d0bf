"""Least privilege, authentication and encryption, checked on the template SAM will deploy."""

from __future__ import annotations

import ast
import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repolink_local.iam.requests import extra_grants
from repolink_local.security import MANAGED_POLICIES, as_list, grant_problems
from repolink_local.template import ACCOUNT_ID, REGION, TEMPLATE, LocalTemplate

pytestmark = pytest.mark.unit
PACKAGE = Path(importlib.import_module("repolink").__file__ or "").parent


PARAMETERS = {"AllowedAccountIds": "111111111111,222222222222", "AllowedOrganizationId": "o-abcdefghij"}


@pytest.fixture(scope="module")
def translated() -> LocalTemplate:
    """The template as CloudFormation receives it after ``sam package`` and the SAM transform."""
    return LocalTemplate(TEMPLATE, ACCOUNT_ID, REGION, PARAMETERS, translated=True)


@pytest.fixture(scope="module")
def deployed(translated: LocalTemplate) -> dict[str, Any]:
    return translated.resources


def statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in role["Properties"].get("Policies", []):
        body = policy["PolicyDocument"]["Statement"]
        yield from body if isinstance(body, list) else [body]


def roles(deployed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in deployed.items() if v["Type"] == "AWS::IAM::Role"}


def test_no_wildcard_actions(deployed: dict[str, Any]) -> None:
    for name, role in roles(deployed).items():
        for statement in statements(role):
            for action in as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), (name, action)


def test_every_statement_grants_known_actions_on_resources_iam_authorizes_them_on(
    translated: LocalTemplate,
) -> None:
    """AWS's authorization data decides: no unknown action, no ARNs for an action IAM authorizes on
    ``*`` only, no ``*`` for an action that has a resource type, no ARN of another type."""
    problems = []
    for name, role in roles(translated.resources).items():
        for statement in statements(role):
            resolved = translated.resolve(statement)
            problems += [f"{name}: {p}" for p in grant_problems(resolved)]
    assert problems == []


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        ({"Action": "codeconnections:UseHost", "Resource": "*"}, "IAM has no such action"),
        (
            {"Action": "codeartifact:CreateDomain", "Resource": "arn:aws:codeartifact:us-east-1:1:domain/*"},
            "authorized on '*' only",
        ),
        ({"Action": "codeartifact:DescribeDomain", "Resource": "*"}, "scope it to their ARNs"),
        (
            {
                "Action": "codeartifact:DescribeDomain",
                "Resource": "arn:aws:codeartifact:us-east-1:1:repository/*",
            },
            "none of",
        ),
    ],
)
def test_the_gate_refuses_what_iam_could_never_grant(statement: dict[str, Any], problem: str) -> None:
    found = list(grant_problems({"Effect": "Allow", **statement}))
    assert any(problem in p for p in found), found


def test_a_well_scoped_statement_passes_the_gate() -> None:
    statement = {
        "Effect": "Allow",
        "Action": ["codeartifact:DescribeDomain", "codeartifact:TagResource"],
        "Resource": "arn:aws:codeartifact:us-east-1:*:domain/*",
    }
    assert list(grant_problems(statement)) == []


def test_only_known_managed_policies(translated: LocalTemplate) -> None:
    for role in roles(translated.resources).values():
        attached = translated.resolve(role["Properties"].get("ManagedPolicyArns", []))
        assert set(attached) <= set(MANAGED_POLICIES)


# --- each function's role against what its code calls ---------------------------------------


def reachable_modules(module: str) -> set[str]:
    """The repolink modules ``module`` imports, transitively (read from source, not executed)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or not name.startswith("repolink"):
            continue
        path = PACKAGE.parent / (name.replace(".", "/") + ".py")
        if not path.exists():
            path = PACKAGE.parent / name.replace(".", "/") / "__init__.py"
        if not path.exists():
            continue
        seen.add(name)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                todo.append(node.module)
                todo.extend(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                todo.extend(alias.name for alias in node.names)
    return seen


def code_operations(handler: str) -> set[str]:
    operations: set[str] = set()
    for module in reachable_modules(handler.rpartition(".")[0]):
        declared = getattr(importlib.import_module(module), "OPERATIONS", {})
        operations |= {f"{service}:{op}" for service, ops in declared.items() for op in ops}
    return operations


def function_roles(deployed: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for name, resource in deployed.items():
        if resource["Type"] == "AWS::Lambda::Function":
            role = resource["Properties"]["Role"]["Fn::GetAtt"][0]
            yield name, resource["Properties"]["Handler"], deployed[role]


def destination_grants(deployed: dict[str, Any], function: str) -> set[str]:
    """What Lambda itself does with a function's role: sending the records of failed asynchronous
    invocations to an SQS on-failure destination
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)."""
    for resource in deployed.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::EventInvokeConfig" and props["FunctionName"] == {
            "Ref": function
        }:
            destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination", {})
            if (
                "Fn::GetAtt" in destination
                and deployed[destination["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"
            ):
                return {"sqs:SendMessage"}
    return set()


def test_every_function_may_call_only_what_its_code_calls(deployed: dict[str, Any]) -> None:
    checked = 0
    for name, handler, role in function_roles(deployed):
        calls = code_operations(handler)
        # the further actions AWS checks for those calls, and what Lambda does with the role
        needed = calls | extra_grants(calls) | destination_grants(deployed, name)
        granted = {a for s in statements(role) for a in as_list(s["Action"])}
        extra = granted - needed
        assert not extra, f"{name} ({handler}) may call {sorted(extra)}, which its code never needs"
        granted_services = {a.split(":")[0] for a in granted - (needed - calls)}
        called_services = {c.split(":")[0] for c in calls}
        assert granted_services <= called_services, name
        checked += 1
    assert checked == 15


def test_every_declared_operation_is_really_called_by_its_module() -> None:
    """The OPERATIONS lists can't drift: each names exactly the call(..., "Op") and pages(..., "Op")
    literals in its module (adapters.aws: one call, or every page of one)."""
    for module in (
        reachable_modules("repolink.handlers.api")
        | reachable_modules("repolink.handlers.create_connection")
        | reachable_modules("repolink.handlers.provision_codeartifact")
        | reachable_modules("repolink.handlers.link_proton")
        | reachable_modules("repolink.handlers.link_git_sync")
    ):
        declared = getattr(importlib.import_module(module), "OPERATIONS", None)
        if declared is None or module.endswith(".start"):
            continue
        path = PACKAGE.parent / (module.replace(".", "/") + ".py")
        literals = {
            node.args[1].value
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", "") in ("call", "pages")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
        }
        assert literals == set().union(*declared.values()), module


# --- authentication, bus policy, encryption, state machine observability -------------------


def test_every_api_method_requires_iam(deployed: dict[str, Any]) -> None:
    (api,) = [r for r in deployed.values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    methods = [m for path in api["Properties"]["Body"]["paths"].values() for m in path.values()]
    assert methods
    for method in methods:
        assert method["security"] == [{"AWS_IAM": []}]
        assert "credentials" not in method["x-amazon-apigateway-integration"]  # not the caller's


def test_every_event_bus_has_a_policy(deployed: dict[str, Any]) -> None:
    buses = {k for k, v in deployed.items() if v["Type"] == "AWS::Events::EventBus"}
    governed = {
        v["Properties"]["EventBusName"]["Ref"]
        for v in deployed.values()
        if v["Type"] == "AWS::Events::EventBusPolicy"
    }
    assert buses and buses <= governed


def test_queues_tables_and_log_groups_are_encrypted(deployed: dict[str, Any]) -> None:
    for name, resource in deployed.items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::SQS::Queue":
            assert props.get("SqsManagedSseEnabled") or props.get("KmsMasterKeyId"), name
        elif resource["Type"] == "AWS::DynamoDB::Table":
            assert props["SSESpecification"]["SSEEnabled"], name
        elif resource["Type"] == "AWS::Logs::LogGroup":
            assert "KmsKeyId" in props and "RetentionInDays" in props, name


def test_every_function_logs_to_its_own_retained_encrypted_group(deployed: dict[str, Any]) -> None:
    groups = {k for k, v in deployed.items() if v["Type"] == "AWS::Logs::LogGroup"}
    for name, resource in deployed.items():
        if resource["Type"] == "AWS::Lambda::Function":
            assert resource["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] in groups, name


def test_state_machines_log_and_trace(deployed: dict[str, Any]) -> None:
    machines = [r for r in deployed.values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert machines
    for machine in machines:
        props = machine["Properties"]
        assert props["TracingConfiguration"]["Enabled"] is True
        assert props["LoggingConfiguration"]["Level"] in ("ERROR", "ALL")
        destination = props["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"][
            "LogGroupArn"
        ]
        assert deployed[destination["Fn::GetAtt"][0]]["Properties"]["KmsKeyId"]


def test_cloudwatch_alarms_can_publish_to_the_stacks_alarm_topic(translated: LocalTemplate) -> None:
    """The topic's key must admit cloudwatch.amazonaws.com (alias/aws/sns never can): decided by
    the evaluator on the key's own policy, as KMS would."""
    from repolink_local.iam import IamEnforcer, Principal
    from repolink_local.iam.deployment import Deployment
    from repolink_local.iam.requests import Authorization

    topic = translated.resources["AlarmTopic"]["Properties"]
    key = topic["KmsMasterKeyId"]
    assert isinstance(key, dict), f"the alarm topic is encrypted with {key!r}, which CloudWatch cannot use"
    (key_id,) = key.values()
    policy = translated.resolve(translated.resources[key_id]["Properties"]["KeyPolicy"])
    enforcer = IamEnforcer(Deployment(ACCOUNT_ID, REGION, PARAMETERS))
    cloudwatch = Principal("cloudwatch.amazonaws.com", ACCOUNT_ID, {})
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    for action in ("kms:Decrypt", "kms:GenerateDataKey"):
        decision = enforcer.decide(
            cloudwatch,
            Authorization(action, arn, ACCOUNT_ID, {"aws:SourceAccount": ACCOUNT_ID}),
            policy,
        )
        assert decision.allowed, (action, decision)


def test_the_api_keeps_an_access_log_of_who_called_what(translated: LocalTemplate) -> None:
    (stage,) = translated.resources_of_type("AWS::ApiGateway::Stage").values()
    setting = stage["Properties"]["AccessLogSetting"]
    group = translated.resources[setting["DestinationArn"]["Fn::GetAtt"][0]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert "KmsKeyId" in group["Properties"]
    assert "RetentionInDays" in group["Properties"]
    fields = json.loads(setting["Format"])  # JSON, one object a request
    for variable in ("$context.requestId", "$context.identity.accountId", "$context.identity.userArn"):
        assert variable in fields.values(), variable
    (account,) = translated.resources_of_type("AWS::ApiGateway::Account").values()
    assert "CloudWatchRoleArn" in account["Properties"]  # API Gateway can write the log at all


def test_one_team_cannot_starve_the_others(translated: LocalTemplate) -> None:
    (api,) = translated.resources_of_type("AWS::ApiGateway::Stage").values()
    (throttle,) = api["Properties"]["MethodSettings"]
    assert throttle["ThrottlingRateLimit"] > 0
    ingest = next(
        f
        for f in translated.resources_of_type("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == "repolink.handlers.ingest_event.handler"
    )
    assert ingest["Properties"]["ReservedConcurrentExecutions"] >= 1
