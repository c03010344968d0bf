"""Read ``template.yaml`` the way the local engine needs it: functions, handlers, environment,
the state machine's ASL file and its ``DefinitionSubstitutions``, resolved for a local account.

Only the intrinsic functions the template uses are resolved (``Ref`` to parameters and
resources, ``Fn::GetAtt`` ``.Arn``, ``Fn::Sub``); anything else fails loudly, so the template
cannot drift into something the engine silently misreads.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

#: the account and region every local run pretends to be in
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
#: what the sample request (events/onboarding.json) needs of a deployment beyond the template's
#: defaults: the role its gitSync section names, listed in GitSyncRoleArns
SAMPLE_PARAMETERS = {"GitSyncRoleArns": f"arn:aws:iam::{ACCOUNT_ID}:role/acme-gitsync"}
#: the template's state machines: an onboarding, and the offboarding of one (an execution of its own)
ONBOARDING, OFFBOARDING = "OnboardingStateMachine", "OffboardingStateMachine"
ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

_SUB = re.compile(r"\$\{([^}!]+)\}")
#: ``Ref: AWS::NoValue``: the property is left out
_NO_VALUE = object()


class TemplateError(ValueError):
    """The template uses something the local engine does not understand."""


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns ``!Ref x`` into ``{"Ref": x}`` and so on."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    name: str
    definition_path: Path
    substitutions: dict[str, str]

    def definition(self) -> str:
        """The ASL with its substitutions applied, exactly as CloudFormation would."""
        text = self.definition_path.read_text()

        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in self.substitutions:
                raise TemplateError(f"{self.definition_path.name}: no DefinitionSubstitution for ${{{key}}}")
            return self.substitutions[key]

        resolved = _SUB.sub(replace, text)
        json.loads(resolved)  # must still be JSON
        return resolved


@dataclass
class LocalTemplate:
    """The parts of the SAM template the engine builds, resolved for one account and region.

    ``parameters`` override the template's defaults (``--parameter-overrides``). With
    ``translated``, the template is read as CloudFormation receives it after the SAM transform
    (roles with their policy templates expanded and managed policies attached).
    """

    path: Path
    account_id: str
    region: str
    parameters: dict[str, str] = field(default_factory=dict)
    translated: bool = False
    raw: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        unknown = set(self.parameters) - set(
            _parsed(self.path, self.path.stat().st_mtime_ns).get("Parameters", {})
        )
        if unknown:
            raise TemplateError(f"no such parameter in {self.path.name}: {', '.join(sorted(unknown))}")
        if self.translated:
            values = tuple(sorted(self.parameter_values().items()))
            self.raw = _translated(self.path, self.path.stat().st_mtime_ns, values)
        else:
            self.raw = _parsed(self.path, self.path.stat().st_mtime_ns)

    def parameter_values(self) -> dict[str, str]:
        """Every parameter's value: the override, else the template's default."""
        declared = _parsed(self.path, self.path.stat().st_mtime_ns).get("Parameters", {})
        values = {k: str(v["Default"]) for k, v in declared.items() if "Default" in v}
        return values | self.parameters

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.raw.get("Resources", {}))

    def resources_of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == kind}

    def physical_name(self, logical_id: str) -> str:
        resource = self.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"no resource {logical_id}")
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Events::EventBus":
            return str(self.resolve(props["Name"]))
        if resource["Type"] == "AWS::Logs::LogGroup" and "LogGroupName" in props:
            return str(self.resolve(props["LogGroupName"]))
        if resource["Type"] == "AWS::KMS::Key":
            return key_id(self.account_id, self.region, logical_id)
        if resource["Type"] == "AWS::Serverless::Function" and "FunctionName" in props:
            return str(self.resolve(props["FunctionName"]))
        return logical_id

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_name(logical_id)
        prefix = f"arn:aws:{{}}:{self.region}:{self.account_id}:"
        rules = {
            "AWS::Serverless::Function": prefix.format("lambda") + f"function:{name}",
            "AWS::Lambda::Function": prefix.format("lambda") + f"function:{name}",
            "AWS::Events::EventBus": prefix.format("events") + f"event-bus/{name}",
            "AWS::Serverless::StateMachine": prefix.format("states") + f"stateMachine:{name}",
            "AWS::StepFunctions::StateMachine": prefix.format("states") + f"stateMachine:{name}",
            "AWS::Logs::LogGroup": prefix.format("logs") + f"log-group:{name}",
            "AWS::DynamoDB::Table": prefix.format("dynamodb") + f"table/{name}",
            "AWS::SQS::Queue": prefix.format("sqs") + name,
            "AWS::SNS::Topic": prefix.format("sns") + name,
            "AWS::KMS::Key": prefix.format("kms") + f"key/{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{self.account_id}:role/{name}",
            "AWS::EventSchemas::Registry": prefix.format("schemas") + f"registry/{name}",
        }
        if kind not in rules:
            raise TemplateError(f"no ARN rule for {kind} ({logical_id})")
        return rules[kind]

    def _get_att(self, logical: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical)
        if attribute in ("Name", "QueueName", "RegistryName", "TopicName", "KeyId"):
            return self.physical_name(logical)
        raise TemplateError(f"GetAtt {logical}.{attribute} is not supported locally")

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::StackName": "repolink-local",
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def _ref(self, name: str) -> Any:
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name == "AWS::NoValue":
            return _NO_VALUE
        params = self.raw.get("Parameters", {})
        if name in params:
            if name in self.parameters:
                value = self.parameters[name]
            elif "Default" not in params[name]:
                raise TemplateError(f"parameter {name} has no Default for local runs")
            else:
                value = str(params[name]["Default"])
            # a list parameter is a list to the intrinsic functions (Ref, Join, Select)
            return value.split(",") if params[name].get("Type") == "CommaDelimitedList" else value
        if name in self.resources:
            kind = self.resources[name]["Type"]
            if kind in (
                "AWS::Serverless::StateMachine",
                "AWS::StepFunctions::StateMachine",
                "AWS::SNS::Topic",
            ):
                return self.arn(name)  # Ref of a state machine or a topic is its ARN
            return self.physical_name(name)
        raise TemplateError(f"cannot resolve Ref {name}")

    def condition(self, name: str) -> bool:
        """A condition of the template's ``Conditions``, evaluated for these parameters."""
        return bool(self._condition(self.raw.get("Conditions", {})[name]))

    def _condition(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Fn::Equals":
                left, right = (self.resolve(a) for a in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self._condition(arg[0])
            if key == "Fn::And":
                return all(self._condition(a) for a in arg)
            if key == "Fn::Or":
                return any(self._condition(a) for a in arg)
            if key == "Condition":
                return self.condition(str(arg))
        return self.resolve(value)

    def resolve(self, value: Any) -> Any:
        """Resolve the intrinsic functions in ``value``."""
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(str(arg))
            if key == "Fn::GetAtt":
                logical, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
                return self._get_att(logical, attribute)
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self._resolve(arg[1]))

                def sub(match: re.Match[str]) -> str:
                    token = match.group(1)
                    if token in variables:
                        return str(variables[token])
                    if "." in token:
                        return str(self._get_att(*token.split(".", 1)))
                    return str(self._ref(token))

                return _SUB.sub(sub, text)
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self._resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Split":
                separator, text = arg
                return str(self._resolve(text)).split(separator)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(i) for i in self._resolve(items))
            if key == "Fn::Select":
                index, items = arg
                return self._resolve(items)[int(index)]
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported locally")
        if isinstance(value, dict):
            resolved = {k: self._resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
        if isinstance(value, list):
            return [v for v in (self._resolve(v) for v in value) if v is not _NO_VALUE]
        return value

    def functions(self) -> list[FunctionSpec]:
        glob = self.raw.get("Globals", {}).get("Function", {})
        global_env = _global_variables(self.raw)
        specs = []
        for logical_id, resource in self.resources_of_type("AWS::Serverless::Function").items():
            props = resource.get("Properties", {})
            env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
            specs.append(
                FunctionSpec(
                    logical_id=logical_id,
                    name=self.physical_name(logical_id),
                    handler=str(props.get("Handler", glob.get("Handler"))),
                    environment={k: str(self.resolve(v)) for k, v in env.items()},
                    timeout=int(props.get("Timeout", glob.get("Timeout", 3))),
                    memory=int(props.get("MemorySize", glob.get("MemorySize", 128))),
                )
            )
        return specs

    def state_machines(self) -> list[StateMachineSpec]:
        """Every state machine of the template, each as :meth:`state_machine` reads it."""
        return [self.state_machine(i) for i in self.resources_of_type("AWS::Serverless::StateMachine")]

    def state_machine(self, logical_id: str | None = None) -> StateMachineSpec:
        machines = self.resources_of_type("AWS::Serverless::StateMachine")
        if logical_id is None:
            if len(machines) != 1:
                raise TemplateError(f"expected one state machine, found {sorted(machines)}")
            logical_id = next(iter(machines))
        props = machines[logical_id]["Properties"]
        substitutions = {k: str(self.resolve(v)) for k, v in props.get("DefinitionSubstitutions", {}).items()}
        return StateMachineSpec(
            logical_id=logical_id,
            name=logical_id,
            definition_path=self.path.parent / props["DefinitionUri"],
            substitutions=substitutions,
        )


def powertools_environment(path: Path = TEMPLATE) -> dict[str, str]:
    """The Powertools variables the template's ``Globals`` give every function (its service name,
    metrics namespace, log level): plain values, as Lambda sets them before the handler's import."""
    variables = _global_variables(_parsed(path, path.stat().st_mtime_ns))
    return {k: v for k, v in variables.items() if k.startswith("POWERTOOLS_") and isinstance(v, str)}


def _global_variables(raw: dict[str, Any]) -> dict[str, Any]:
    """The environment variables SAM's ``Globals: Function`` gives every function, unresolved."""
    return dict(raw.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {}))


def key_id(account_id: str, region: str, logical_id: str) -> str:
    """The id of a template's KMS key in a local deployment: a UUID, as KMS gives one, that every
    reader of the template (the engine that creates the key in moto, the IAM evaluator, a function's
    environment) computes alike, as CloudFormation would have it once the key exists."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"repolink-local:{account_id}:{region}:{logical_id}"))


@functools.cache
def _parsed(path: Path, mtime_ns: int) -> dict[str, Any]:
    """The template as YAML reads it, once per version of the file (read-only: never mutate it)."""
    parsed: dict[str, Any] = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return parsed


@functools.cache
def _translated(path: Path, mtime_ns: int, parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """:func:`sam_translated`, once per version of the file and set of parameters (read-only)."""
    return sam_translated(dict(parameters), path)


def sam_translated(parameters: dict[str, str], path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as CloudFormation receives it after ``sam package`` and the SAM transform
    (offline: code and definition URIs are replaced by S3 URIs, as ``sam package`` does)."""
    import json
    import os
    from unittest.mock import MagicMock

    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform

    raw, problems = decode(str(path))
    if problems:
        raise TemplateError(f"{path}: {problems}")
    template = json.loads(json.dumps(raw))
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/code.zip"
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::StateMachine":
            resource["Properties"]["DefinitionUri"] = "s3://bucket/machine.asl.json"
    loader = MagicMock()
    loader.load.return_value = {}
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    translated: dict[str, Any] = transform(template, parameters, loader)
    return translated
