"""The local engine's reading of template.yaml."""

from pathlib import Path

import pytest

from repolink_local.template import ACCOUNT_ID, ONBOARDING, REGION, TEMPLATE, LocalTemplate, TemplateError

pytestmark = pytest.mark.unit


def write(tmp_path: Path, body: str) -> LocalTemplate:
    path = tmp_path / "template.yaml"
    path.write_text(body)
    return LocalTemplate(path, ACCOUNT_ID, REGION)


def test_functions_carry_handler_and_resolved_environment() -> None:
    functions = {f.logical_id: f for f in LocalTemplate(TEMPLATE, ACCOUNT_ID, REGION).functions()}
    create = functions["CreateConnectionFunction"]
    assert create.handler == "repolink.handlers.create_connection.handler"
    assert create.environment["EVENT_BUS_NAME"] == "repolink-local-bus"
    assert create.environment["POLL_CAP_SECONDS"] == "300"
    assert functions["ProvisionCodeArtifactFunction"].timeout == 300


def test_definition_substitutions_resolve_to_local_arns() -> None:
    machine = LocalTemplate(TEMPLATE, ACCOUNT_ID, REGION).state_machine(ONBOARDING)
    assert machine.substitutions["CheckConnectionFunctionArn"] == (
        f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:CheckConnectionFunction"
    )
    assert "${" not in machine.definition()


def test_sub_with_pseudo_parameters_and_getatt(tmp_path: Path) -> None:
    t = write(
        tmp_path,
        "Parameters:\n  P: {Type: String, Default: x}\n"
        "Resources:\n"
        "  Bus: {Type: AWS::Events::EventBus, Properties: {Name: !Sub '${AWS::StackName}-${P}'}}\n"
        "  Logs: {Type: AWS::Logs::LogGroup}\n",
    )
    assert t.physical_name("Bus") == "repolink-local-x"
    assert (
        t.resolve({"Fn::Sub": "${Bus.Arn}"})
        == f"arn:aws:events:{REGION}:{ACCOUNT_ID}:event-bus/repolink-local-x"
    )
    assert t.resolve(["a", {"Ref": "AWS::Partition"}]) == ["a", "aws"]
    assert t.arn("Logs").endswith(":log-group:Logs")


@pytest.mark.parametrize(
    "value",
    [
        {"Fn::GetAtt": ["Bus", "StackOutput"]},
        {"Fn::ImportValue": "shared-vpc"},
        {"Fn::FindInMap": ["M", "k", "v"]},
        {"Ref": "Nope"},
        {"Ref": "NoDefault"},
    ],
)
def test_unsupported_or_unknown_intrinsics_fail_loudly(tmp_path: Path, value: object) -> None:
    t = write(
        tmp_path,
        "Parameters:\n  NoDefault: {Type: String}\n"
        "Resources:\n  Bus: {Type: AWS::Events::EventBus, Properties: {Name: b}}\n",
    )
    with pytest.raises(TemplateError):
        t.resolve(value)


def test_a_missing_substitution_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "m.asl.json").write_text('{"x": "${Missing}"}')
    t = write(
        tmp_path,
        "Resources:\n  M: {Type: AWS::Serverless::StateMachine, Properties: {DefinitionUri: m.asl.json}}\n",
    )
    with pytest.raises(TemplateError, match="Missing"):
        t.state_machine().definition()


def test_two_state_machines_need_a_name(tmp_path: Path) -> None:
    t = write(
        tmp_path,
        "Resources:\n"
        "  A: {Type: AWS::Serverless::StateMachine, Properties: {DefinitionUri: a}}\n"
        "  B: {Type: AWS::Serverless::StateMachine, Properties: {DefinitionUri: b}}\n",
    )
    with pytest.raises(TemplateError, match="one state machine"):
        t.state_machine()
    assert t.state_machine("B").definition_path.name == "b"
    with pytest.raises(TemplateError):
        t.physical_name("Nope")


def test_conditions_overrides_and_the_intrinsics_the_translated_template_uses(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text(
        "Parameters:\n  Accounts: {Type: String, Default: ''}\n"
        "Conditions:\n  HasAccounts: !Not [!Equals [!Ref Accounts, '']]\n"
        "Resources:\n  Bus: {Type: AWS::Events::EventBus, Properties: {Name: b}}\n"
    )
    default = LocalTemplate(path, ACCOUNT_ID, REGION)
    listed = LocalTemplate(path, ACCOUNT_ID, REGION, {"Accounts": "111111111111,222222222222"})
    assert default.condition("HasAccounts") is False
    assert listed.condition("HasAccounts") is True
    choose = {"Fn::If": ["HasAccounts", {"Fn::Split": [",", {"Ref": "Accounts"}]}, {"Ref": "AWS::NoValue"}]}
    assert listed.resolve(choose) == ["111111111111", "222222222222"]
    assert default.resolve({"List": [choose]}) == {"List": []}
    assert listed.resolve({"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}]]}) == f"a-{REGION}"
    assert (
        listed.resolve({"Fn::Sub": ["${X}/${Bus.Name}", {"X": {"Ref": "AWS::AccountId"}}]})
        == f"{ACCOUNT_ID}/b"
    )
    assert listed.resolve({"Fn::Select": [1, ["a", "b"]]}) == "b"
    with pytest.raises(TemplateError, match="no such parameter"):
        LocalTemplate(path, ACCOUNT_ID, REGION, {"Typo": "x"})
