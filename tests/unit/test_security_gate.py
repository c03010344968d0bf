"""Least privilege, authentication and encryption, checked on the template SAM will deploy."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repolink_local.security import AUTHORIZATION_ONLY, MANAGED_POLICIES, UNSCOPABLE
from repolink_local.template import sam_translated

pytestmark = pytest.mark.unit
PACKAGE = Path(importlib.import_module("repolink").__file__ or "").parent


@pytest.fixture(scope="module")
def deployed() -> dict[str, Any]:
    """The template as CloudFormation receives it after ``sam package`` and the SAM transform."""
    parameters = {"AllowedAccountIds": "111111111111,222222222222", "AllowedOrganizationId": "o-abcdefghij"}
    return dict(sam_translated(parameters)["Resources"])


def statements(role: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for policy in role["Properties"].get("Policies", []):
        body = policy["PolicyDocument"]["Statement"]
        yield from body if isinstance(body, list) else [body]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def roles(deployed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in deployed.items() if v["Type"] == "AWS::IAM::Role"}


def test_no_wildcard_actions(deployed: dict[str, Any]) -> None:
    for name, role in roles(deployed).items():
        for statement in statements(role):
            for action in as_list(statement["Action"]):
                assert action != "*" and not action.endswith(":*"), (name, action)


def test_resource_star_only_for_unscopable_actions(deployed: dict[str, Any]) -> None:
    for name, role in roles(deployed).items():
        for statement in statements(role):
            if "*" in as_list(statement["Resource"]):
                loose = set(as_list(statement["Action"])) - set(UNSCOPABLE)
                assert not loose, f"{name}: {sorted(loose)} on '*' (add to UNSCOPABLE only with AWS's reason)"


def test_only_known_managed_policies(deployed: dict[str, Any]) -> None:
    for role in roles(deployed).values():
        assert set(role["Properties"].get("ManagedPolicyArns", [])) <= set(MANAGED_POLICIES)


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


def test_every_function_may_call_only_what_its_code_calls(deployed: dict[str, Any]) -> None:
    checked = 0
    for name, handler, role in function_roles(deployed):
        calls = code_operations(handler)
        granted = {a for s in statements(role) for a in as_list(s["Action"])}
        extra = granted - calls - set(AUTHORIZATION_ONLY)
        assert not extra, f"{name} ({handler}) may call {sorted(extra)}, which its code never calls"
        granted_services = {a.split(":")[0] for a in granted - set(AUTHORIZATION_ONLY)}
        called_services = {c.split(":")[0] for c in calls}
        assert granted_services <= called_services, name
        checked += 1
    assert checked == 9


def test_every_declared_operation_is_really_called_by_its_module() -> None:
    """The OPERATIONS lists can't drift: each names exactly the call(..., "Op") literals in its module."""
    for module in (
        reachable_modules("repolink.handlers.api")
        | reachable_modules("repolink.handlers.create_connection")
        | reachable_modules("repolink.handlers.provision_codeartifact")
        | reachable_modules("repolink.handlers.link_proton")
    ):
        declared = getattr(importlib.import_module(module), "OPERATIONS", None)
        if declared is None or module.endswith(".start"):
            continue
        path = PACKAGE.parent / (module.replace(".", "/") + ".py")
        literals = {
            node.args[1].value
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call)
            and getattr(node.func, "id", "") == "call"
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
