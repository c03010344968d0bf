"""Static checks of the ASL against the template and the code: what `sam deploy` ships is coherent."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from typing import Any

import pytest

from helpers.asl import states
from repolink import errors
from repolink_local.template import ACCOUNT_ID, OFFBOARDING, ONBOARDING, REGION, TEMPLATE, LocalTemplate

pytestmark = pytest.mark.unit

TEMPLATE_MODEL = LocalTemplate(TEMPLATE, ACCOUNT_ID, REGION)
MACHINE = TEMPLATE_MODEL.state_machine(ONBOARDING)
ASL: dict[str, Any] = json.loads(MACHINE.definition_path.read_text())
#: every state machine of the template (the onboarding's and the offboarding's), by logical id
MACHINES = {m.logical_id: m for m in TEMPLATE_MODEL.state_machines()}
ASLS: dict[str, dict[str, Any]] = {i: json.loads(m.definition_path.read_text()) for i, m in MACHINES.items()}
LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


TASKS = [
    (name, state)
    for name, state in states(ASL)
    if state["Type"] == "Task" and state["Resource"] == "arn:aws:states:::lambda:invoke"
]
#: the Lambda tasks of every machine
ALL_TASKS = [
    (name, state)
    for asl in ASLS.values()
    for name, state in states(asl)
    if state["Type"] == "Task" and state["Resource"] == "arn:aws:states:::lambda:invoke"
]


def error_names() -> set[str]:
    names: set[str] = set()
    for _, state in (pair for asl in ASLS.values() for pair in states(asl)):
        for rule in state.get("Retry", []) + state.get("Catch", []):
            names.update(rule["ErrorEquals"])
    return names


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_substitution_is_defined_and_every_definition_is_used(machine: str) -> None:
    spec = MACHINES[machine]
    used = set(re.findall(r"\$\{([^}]+)\}", spec.definition_path.read_text()))
    assert used == set(spec.substitutions)
    json.loads(spec.definition())


def test_the_offboarding_report_step_retries_and_its_failure_fails_the_execution() -> None:
    report = ASLS[OFFBOARDING]["States"]["Report the offboarding"]
    assert {e for r in report["Retry"] for e in r["ErrorEquals"]} >= LAMBDA_ERRORS | {"TransientAwsError"}
    (catch,) = report["Catch"]
    assert ASLS[OFFBOARDING]["States"][catch["Next"]]["Type"] == "Fail"


@pytest.mark.parametrize(
    ("name", "state"),
    [t for t in ALL_TASKS if t[0] != "Report the offboarding"],
    ids=[n for n, _ in ALL_TASKS if n != "Report the offboarding"],
)
def test_every_task_retries_with_full_jitter_and_catches(name: str, state: dict[str, Any]) -> None:
    retriers = state.get("Retry", [])
    assert retriers, f"{name} has no Retry"
    covered = {e for r in retriers for e in r["ErrorEquals"]}
    assert LAMBDA_ERRORS | {"TransientAwsError"} <= covered
    for retrier in retriers:
        assert retrier["JitterStrategy"] == "FULL"
        assert retrier["BackoffRate"] >= 1.5 and retrier["MaxDelaySeconds"] <= 300
    assert any("States.ALL" in c["ErrorEquals"] for c in state.get("Catch", [])), f"{name} has no catch-all"


def test_every_error_name_is_a_lambda_error_a_states_error_or_one_of_ours() -> None:
    ours = {n for n, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, BaseException)}
    for name in error_names():
        assert name in LAMBDA_ERRORS or name.startswith("States.") or name in ours, name


def test_every_function_handler_imports_and_is_callable() -> None:
    for function in TEMPLATE_MODEL.functions():
        module, _, attribute = function.handler.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), function.handler


@pytest.mark.parametrize("machine", sorted(MACHINES))
def test_every_function_the_asl_invokes_is_in_the_template(machine: str) -> None:
    names = {f"{f.logical_id}Arn" for f in TEMPLATE_MODEL.functions()}
    # besides the functions, only the bus the workflow's own failure event goes to
    assert set(MACHINES[machine].substitutions) <= names | {"EventBusName", "EventSource"}


#: the callback waits of the handshake and host-setup loops (workflow/recheck.py)
CALLBACK_WAITS = [
    (name, state)
    for name, state in states(ASL)
    if state["Type"] == "Task" and state["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
]


def test_each_wait_is_a_callback_whose_timeout_is_the_backoff_and_leads_into_the_check() -> None:
    branch = ASL["States"]["Connect and provision in parallel"]["Branches"][0]["States"]
    assert sorted(n for n, _ in CALLBACK_WAITS) == [
        "Wait before checking the handshake",
        "Wait before checking the host",
    ]
    for _, state in CALLBACK_WAITS:
        # the delay the check computed is the timeout (today's Wait), and a wake writes the
        # seconds waited over it: the deadline counts real waiting
        poll = state["TimeoutSecondsPath"].removesuffix(".waitSeconds")
        assert state["TimeoutSecondsPath"] == f"{poll}.waitSeconds" == state["ResultPath"]
        assert state["Parameters"]["Payload"]["waitSeconds.$"] == state["TimeoutSecondsPath"]
        assert state["Parameters"]["Payload"]["token.$"] == "$$.Task.Token"
        assert state["Parameters"]["FunctionName"] == "${RecheckFunctionArn}"
        # a timeout is today's path: into the check, the state unchanged
        timeout, everything = state["Catch"]
        assert timeout == {"ErrorEquals": ["States.Timeout"], "ResultPath": None, "Next": state["Next"]}
        assert everything["ErrorEquals"] == ["States.ALL"]
        assert branch[state["Next"]]["Resource"] == "arn:aws:states:::lambda:invoke"
        assert {e for r in state["Retry"] for e in r["ErrorEquals"]} >= LAMBDA_ERRORS


def test_the_only_other_task_is_the_workflows_own_failure_event_retried_and_caught() -> None:
    others = [
        (n, s)
        for n, s in states(ASL)
        if s["Type"] == "Task" and (n, s) not in TASKS and (n, s) not in CALLBACK_WAITS
    ]
    assert [n for n, _ in others] == ["Publish that reporting failed"]
    ((_, state),) = others
    assert state["Resource"] == "arn:aws:states:::events:putEvents"
    (entry,) = state["Parameters"]["Entries"]
    assert entry["DetailType"] == "RepositoryLinkFailed" and entry["EventBusName"] == "${EventBusName}"
    (retrier,) = state["Retry"]
    assert retrier["ErrorEquals"] == ["States.ALL"] and retrier["JitterStrategy"] == "FULL"
    assert any("States.ALL" in c["ErrorEquals"] for c in state["Catch"])


def test_the_codeartifact_step_knows_its_last_attempt() -> None:
    from repolink.handlers.provision_codeartifact import TRANSIENT_RETRIES

    state = dict(TASKS)["Provision CodeArtifact"]
    (transient,) = [r for r in state["Retry"] if r["ErrorEquals"] == ["TransientAwsError"]]
    assert transient["MaxAttempts"] == TRANSIENT_RETRIES
    assert state["Parameters"]["Payload"]["retryCount.$"] == "$$.State.RetryCount"
