"""The patches of other libraries' internals: moto's interpreter (virtual clock, in-process Lambda),
botocore's retry sleeps and event hooks, Powertools' log stream and metric set."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.botocore_stubber import MockRawResponse
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from repolink_local.patches import (
    LambdaServiceError,
    VirtualClock,
    execution_history_pages,
    function_name,
    in_process_lambdas,
    interpreter_caches,
    stopping_executions,
    virtual_callbacks,
    virtual_time,
)

pytestmark = pytest.mark.statemachine

MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
START = 1_700_000_000.0  # 2023-11-14T22:13:20Z
DEADLINE_SECONDS = 30.0
THREE_DAYS = 259_200


class FlakyError(Exception):
    """A handler's own error: the ASL retries and catches it by this class name."""


@dataclass
class Aws:
    sfn: Any
    lam: Any
    function_arn: str
    role_arn: str


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws(config=MOTO_CONFIG):
        # moto's CreateFunction insists the role exists ("cannot be assumed by Lambda" otherwise)
        role_arn = boto3.client("iam").create_role(RoleName="worker", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as archive:
            archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
        lam = boto3.client("lambda")
        function = lam.create_function(
            FunctionName="worker",
            Runtime="python3.13",
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": code.getvalue()},
        )
        yield Aws(boto3.client("stepfunctions"), lam, function["FunctionArn"], role_arn)


@dataclass
class Run:
    status: str
    output: Any
    elapsed: float
    history: list[dict[str, Any]]

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == kind]

    def task_errors(self) -> list[str]:
        return [event["taskFailedEventDetails"]["error"] for event in self.events("TaskFailed")]

    def entered(self) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e
        ]


def run(aws: Aws, definition: dict[str, Any], payload: Any) -> Run:
    machine = aws.sfn.create_state_machine(
        name=f"m{time.monotonic_ns()}", definition=json.dumps(definition), roleArn=aws.role_arn
    )
    started = time.monotonic()
    execution_arn = aws.sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps(payload)
    )["executionArn"]
    while True:
        described = aws.sfn.describe_execution(executionArn=execution_arn)
        elapsed = time.monotonic() - started
        if described["status"] != "RUNNING":
            break
        assert elapsed < DEADLINE_SECONDS, "execution still RUNNING at the deadline"
        time.sleep(0.02)
    history = aws.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    output = json.loads(described["output"]) if described.get("output") else None
    return Run(described["status"], output, elapsed, history)


def invoke(function_arn: str, payload: Any, **extra: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function_arn, "Payload": payload},
    }
    if isinstance(payload, str) and payload.startswith("$"):
        state["Parameters"] = {"FunctionName": function_arn, "Payload.$": payload}
    return state | extra


class Recorder:
    """A dispatcher that records what it was sent and fails as ``behaviour`` says."""

    def __init__(self, behaviour: Callable[[dict[str, Any]], None] = lambda event: None) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.behaviour = behaviour
        self._lock = threading.Lock()

    def __call__(self, name: str, event: Any) -> Any:
        with self._lock:
            self.calls.append((name, event))
            attempt = sum(1 for _, seen in self.calls if seen == event)
        if isinstance(event, dict) and event.get("op") == "flaky":
            raise FlakyError(f"attempt {attempt}")
        self.behaviour(event)
        return {"seen": event}


def test_waits_retries_and_function_errors_run_on_the_virtual_clock(aws: Aws) -> None:
    definition = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": invoke(
                aws.function_arn,
                "$",
                ResultSelector={"r.$": "$.Payload"},
                ResultPath="$.first",
                Next="WaitThreeDays",
            ),
            "WaitThreeDays": {"Type": "Wait", "Seconds": THREE_DAYS, "Next": "WaitFromInput"},
            "WaitFromInput": {"Type": "Wait", "SecondsPath": "$.delay", "Next": "Flaky"},
            "Flaky": invoke(
                aws.function_arn,
                {
                    "op": "flaky",
                    "greeting.$": "States.Format('hi {}', $.name)",
                    "n.$": "States.MathAdd($.delay, 1)",
                },
                Retry=[
                    {
                        "ErrorEquals": ["FlakyError"],
                        "IntervalSeconds": 60,
                        "BackoffRate": 2,
                        "MaxAttempts": 3,
                        "JitterStrategy": "FULL",
                    }
                ],
                Catch=[{"ErrorEquals": ["FlakyError"], "ResultPath": "$.error", "Next": "Recovered"}],
                End=True,
            ),
            "Recovered": {"Type": "Pass", "End": True},
        },
    }
    payload = {"name": "repo", "delay": 90}
    clock = VirtualClock(start=START)
    dispatch = Recorder()

    with virtual_time(clock), in_process_lambdas(dispatch):
        result = run(aws, definition, payload)

    assert result.status == "SUCCEEDED"
    assert result.elapsed < 10
    # the clock moved by exactly the waits and the (jittered) retry intervals
    assert clock.waits == [THREE_DAYS, 90]
    assert len(clock.retry_sleeps) == 3
    for sleep, unjittered in zip(clock.retry_sleeps, [60, 120, 240], strict=True):
        assert 0 <= sleep <= unjittered
    assert clock.now() - START == pytest.approx(THREE_DAYS + 90 + sum(clock.retry_sleeps))
    # the dispatcher got the bare function name and exactly what the ASL passed
    flaky_event = {"op": "flaky", "greeting": "hi repo", "n": 91}
    assert dispatch.calls == [("worker", payload)] + [("worker", flaky_event)] * 4
    assert result.output["first"] == {"r": {"seen": payload}}
    # each raise is a TaskFailed named after the Python class, carrying the runtime's error body
    assert result.task_errors() == ["FlakyError"] * 4
    causes = [json.loads(e["taskFailedEventDetails"]["cause"]) for e in result.events("TaskFailed")]
    assert [cause["errorMessage"] for cause in causes] == [f"attempt {n}" for n in range(1, 5)]
    assert {cause["errorType"] for cause in causes} == {"FlakyError"}
    assert all(cause["requestId"] and cause["stackTrace"] for cause in causes)
    # ... retried three times, then caught
    assert len(result.events("TaskScheduled")) == 5
    assert result.entered()[-2:] == ["Flaky", "Recovered"]
    assert result.output["error"]["Error"] == "FlakyError"


@pytest.mark.parametrize(("code", "status"), [("TooManyRequestsException", 429), ("ServiceException", 500)])
def test_lambda_service_error_is_reported_as_lambda_dot_code(aws: Aws, code: str, status: int) -> None:
    def fail(event: Any) -> None:
        raise LambdaServiceError(code, "Rate exceeded")

    definition = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": invoke(
                aws.function_arn,
                {"x": 1},
                Retry=[{"ErrorEquals": [f"Lambda.{code}"], "IntervalSeconds": 2, "MaxAttempts": 1}],
                Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                End=True,
            ),
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    clock = VirtualClock(start=START)
    with virtual_time(clock), in_process_lambdas(Recorder(fail)):
        result = run(aws, definition, {})

    assert result.status == "SUCCEEDED"
    assert result.task_errors() == [f"Lambda.{code}"] * 2
    cause = result.events("TaskFailed")[0]["taskFailedEventDetails"]["cause"]
    assert cause.startswith("Rate exceeded (Service: AWSLambda; ")
    assert f"Status Code: {status}; Error Code: {code};" in cause
    assert clock.retry_sleeps == [2.0]
    assert result.output["error"]["Error"] == f"Lambda.{code}"


def test_boto3_sees_function_and_service_errors_as_the_real_service_returns_them(aws: Aws) -> None:
    def dispatch(name: str, event: Any) -> Any:
        if event == "throttle":
            raise LambdaServiceError("TooManyRequestsException", "Rate exceeded")
        if event == "raise":
            raise FlakyError("boom")
        return [name, event]

    with in_process_lambdas(dispatch):
        for name in ("worker", aws.function_arn, f"{aws.function_arn}:live", "123456789012:function:worker"):
            response = aws.lam.invoke(FunctionName=name, Payload=json.dumps({"k": 1}))
            assert json.load(response["Payload"]) == ["worker", {"k": 1}]
            assert "FunctionError" not in response

        failed = aws.lam.invoke(FunctionName="worker", Payload=json.dumps("raise"))
        assert failed["StatusCode"] == 200
        assert failed["FunctionError"] == "Unhandled"
        body = json.load(failed["Payload"])
        assert (body["errorType"], body["errorMessage"]) == ("FlakyError", "boom")
        assert "in dispatch" in body["stackTrace"][0]

        no_retries = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))
        with pytest.raises(ClientError) as raised:
            no_retries.invoke(FunctionName="worker", Payload=json.dumps("throttle"))
        assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_timestamp_waits_and_parallel_branches_share_the_clock(aws: Aws) -> None:
    branch = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 100, "Next": "Map"},
            "Map": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"value.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Work",
                    "States": {"Work": invoke(aws.function_arn, "$", OutputPath="$.Payload", End=True)},
                },
                "End": True,
            },
        },
    }
    definition = {
        "StartAt": "Until",
        "States": {
            "Until": {"Type": "Wait", "TimestampPath": "$.until", "Next": "AlreadyPast"},
            "AlreadyPast": {"Type": "Wait", "Timestamp": "2000-01-01T00:00:00Z", "Next": "Both"},
            "Both": {"Type": "Parallel", "Branches": [branch, branch], "End": True},
        },
    }
    clock = VirtualClock(start=START)
    dispatch = Recorder()
    with virtual_time(clock), in_process_lambdas(dispatch):
        result = run(aws, definition, {"until": "2023-11-15T00:00:00Z", "items": ["a", "b"]})

    assert result.status == "SUCCEEDED"
    # 22:13:20Z -> midnight on the virtual clock; a past timestamp waits 0
    assert clock.waits[:2] == [6400, 0]
    # one clock for every thread: concurrent branches' waits add up (total waited, not elapsed)
    assert clock.waits[2:] == [100, 100]
    assert clock.now() - START == 6600
    assert result.output == [[{"seen": {"value": "a", "index": 0}}, {"seen": {"value": "b", "index": 1}}]] * 2


def test_patches_apply_only_inside_the_contexts() -> None:
    originals = (
        WaitFunction._wait_interval,
        Timestamp._get_wait_seconds,
        retrier_decl.time,
        LambdaSimpleBackend.invoke,
    )

    def current() -> tuple[Any, ...]:
        return (
            WaitFunction._wait_interval,
            Timestamp._get_wait_seconds,
            retrier_decl.time,
            LambdaSimpleBackend.invoke,
        )

    with virtual_time(VirtualClock()) as clock, in_process_lambdas(lambda name, event: event):
        patched = current()
        assert all(now is not before for now, before in zip(patched, originals, strict=True))
        assert retrier_decl.time.sleep == clock.retry_sleep
        assert time.sleep is not clock.retry_sleep  # global time.sleep untouched
    assert current() == originals

    with pytest.raises(RuntimeError), virtual_time(VirtualClock()), in_process_lambdas(lambda n, e: e):
        raise RuntimeError("boom")
    assert current() == originals


def callback_wait(function_arn: str) -> dict[str, Any]:
    """A callback task (``lambda:invoke.waitForTaskToken``) that times out after ``$.delay``
    seconds into ``TimedOut``, or succeeds with what ``SendTaskSuccess`` sent."""
    return {
        "StartAt": "Wait for a callback",
        "States": {
            "Wait for a callback": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": function_arn, "Payload": {"token.$": "$$.Task.Token"}},
                "TimeoutSecondsPath": "$.delay",
                "ResultPath": "$.woken",
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": None, "Next": "TimedOut"}],
                "End": True,
            },
            "TimedOut": {"Type": "Pass", "End": True},
        },
    }


def test_a_callback_wait_nobody_ends_times_out_on_the_virtual_clock_at_once(aws: Aws) -> None:
    clock = VirtualClock(start=START)
    with virtual_time(clock), virtual_callbacks(clock), in_process_lambdas(Recorder()):
        result = run(aws, callback_wait(aws.function_arn), {"delay": THREE_DAYS})
    # moto alone blocks for the three days; here the clock moves, and States.Timeout is caught
    assert result.status == "SUCCEEDED" and result.elapsed < 10
    assert result.entered() == ["Wait for a callback", "TimedOut"]
    assert [e["taskTimedOutEventDetails"]["error"] for e in result.events("TaskTimedOut")] == [
        "States.Timeout"
    ]
    assert clock.now() - START == THREE_DAYS and clock.waits == [THREE_DAYS]


def test_an_action_at_virtual_time_t_wakes_the_callback_at_t_and_its_token_is_then_refused(aws: Aws) -> None:
    clock = VirtualClock(start=START)
    dispatch = Recorder()
    refused: list[str] = []

    def wake() -> None:
        (token,) = [event["token"] for _, event in dispatch.calls]
        aws.sfn.send_task_success(taskToken=token, output=json.dumps(1234))
        # the same token again: the task is over, as AWS answers it
        with pytest.raises(ClientError) as again:
            aws.sfn.send_task_success(taskToken=token, output=json.dumps(1))
        refused.append(again.value.response["Error"]["Code"])

    with virtual_time(clock), virtual_callbacks(clock) as over, in_process_lambdas(dispatch):
        clock.at(START + 1234, wake)
        result = run(aws, callback_wait(aws.function_arn), {"delay": THREE_DAYS})
    assert result.status == "SUCCEEDED"
    assert result.output == {"delay": THREE_DAYS, "woken": 1234}
    assert clock.now() - START == 1234 and clock.waits == [1234]
    assert refused == ["TaskTimedOut"] and len(over) == 1
    assert clock.scheduled() == 0


def test_stopping_an_execution_that_waits_on_a_callback_stops_it_at_once(aws: Aws) -> None:
    clock = VirtualClock(start=START)
    stopped: list[str] = []

    def stop() -> None:
        (execution,) = aws.sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
        aws.sfn.stop_execution(executionArn=execution["executionArn"])
        stopped.append(execution["executionArn"])

    with virtual_time(clock), virtual_callbacks(clock), in_process_lambdas(Recorder()):
        machine = aws.sfn.create_state_machine(
            name="stoppable", definition=json.dumps(callback_wait(aws.function_arn)), roleArn=aws.role_arn
        )["stateMachineArn"]
        clock.at(START + 60, stop)
        started = time.monotonic()
        aws.sfn.start_execution(stateMachineArn=machine, input=json.dumps({"delay": THREE_DAYS}))
        while not stopped or aws.sfn.describe_execution(executionArn=stopped[0])["status"] == "RUNNING":
            assert time.monotonic() - started < DEADLINE_SECONDS
            time.sleep(0.02)
    assert aws.sfn.describe_execution(executionArn=stopped[0])["status"] == "ABORTED"
    # the wait ended where the stop came, not at its timeout
    assert clock.now() - START == 60


def test_an_execution_stopped_while_its_definition_is_parsed_is_stopped(aws: Aws) -> None:
    """A StopExecution that arrives before the worker has its program (moto sets the worker's
    environment only after parsing) stops the execution, as AWS does, instead of failing and
    leaving it running."""
    from unittest import mock

    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    clock = VirtualClock(start=START)
    parsing, release = threading.Event(), threading.Event()
    parse = ExecutionWorker._get_evaluation_entrypoint

    def slow_parse(worker: Any) -> Any:
        parsing.set()
        release.wait(DEADLINE_SECONDS)
        return parse(worker)

    with (
        virtual_time(clock),
        virtual_callbacks(clock),
        in_process_lambdas(Recorder()),
        stopping_executions(),
        mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", slow_parse),
    ):
        machine = aws.sfn.create_state_machine(
            name="parsing", definition=json.dumps(callback_wait(aws.function_arn)), roleArn=aws.role_arn
        )["stateMachineArn"]
        execution_arn = aws.sfn.start_execution(
            stateMachineArn=machine, input=json.dumps({"delay": THREE_DAYS})
        )["executionArn"]
        assert parsing.wait(DEADLINE_SECONDS)
        threading.Timer(1.0, release.set).start()  # the stop below is sent while it parses
        aws.sfn.stop_execution(executionArn=execution_arn)
        started = time.monotonic()
        while aws.sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING":
            assert time.monotonic() - started < DEADLINE_SECONDS
            time.sleep(0.02)
        status = aws.sfn.describe_execution(executionArn=execution_arn)["status"]
    # without the patch the stop raised, the wait timed out on the virtual clock and it succeeded;
    # or, stopped as its task began, the task failed (States.Runtime) and the execution with it
    assert status == "ABORTED"


def test_a_parallel_branch_that_raises_still_reports_its_end() -> None:
    """A branch started as a stop lands raises in its first step; moto's worker then never told
    its Parallel state, which waited for it for ever (and the execution's threads with it)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import BranchWorker

    ended: list[object] = []

    class Pool(BranchWorker.BranchWorkerComm):
        def on_terminated(self, env: Any) -> None:
            ended.append(env)

    class StoppedProgram:
        def eval(self, env: Any) -> None:
            raise RuntimeError("Could not set NextState value when in state 'ProgramStopped'.")

    env = object()
    with stopping_executions():
        worker = BranchWorker(Pool(), StoppedProgram(), env)  # type: ignore[arg-type]
        with pytest.raises(RuntimeError, match="ProgramStopped"):
            worker._thread_routine()
    assert ended == [env]


def test_virtual_clock_is_monotonic_and_thread_safe() -> None:
    before = time.time()
    assert before <= VirtualClock().now() <= time.time()

    clock = VirtualClock(start=10)
    clock.advance(-5)
    assert clock.now() == 10

    def work() -> None:
        for _ in range(1000):
            clock.advance(1)
            clock.wait(1)
            clock.retry_sleep(1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == 10 + 3 * 8000
    assert len(clock.waits) == len(clock.retry_sleeps) == 8000


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("worker", "worker"),
        ("worker:live", "worker"),
        ("123456789012:function:worker", "worker"),
        ("arn:aws:lambda:us-east-1:123456789012:function:worker", "worker"),
        ("arn:aws:lambda:us-east-1:123456789012:function:worker:$LATEST", "worker"),
    ],
)
def test_function_name_is_the_bare_name(given: str, name: str) -> None:
    assert function_name(given) == name


def test_botocores_retry_sleeps_advance_the_virtual_clock_instead_of_blocking() -> None:
    import botocore.endpoint

    from repolink_local.patches import sdk_retry_sleeps

    clock, slept = VirtualClock(start=START), []
    with sdk_retry_sleeps(clock, slept):
        began = time.monotonic()
        botocore.endpoint.time.sleep(3600)
        assert time.monotonic() - began < 1
    assert slept == [3600]
    assert clock.now() == START + 3600
    assert botocore.endpoint.time is time  # restored


def test_powertools_logs_go_to_stderr_at_or_above_the_level_and_come_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from repolink.observability import logger
    from repolink_local.patches import logs_to_stderr

    with logs_to_stderr("WARNING"):
        logger.info("quiet")
        logger.warning("loud")
    captured = capsys.readouterr()
    assert "loud" in captured.err
    assert "quiet" not in captured.err + captured.out


def test_metrics_are_added_and_flushed_one_function_at_a_time() -> None:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider as Provider,
    )

    from repolink_local.patches import metrics_one_at_a_time

    original = Provider.add_metric
    with metrics_one_at_a_time():
        assert Provider.add_metric is not original
    assert Provider.add_metric is original


def test_execution_history_pages_orders_and_leaves_out_the_data_as_aws_does(aws: Aws) -> None:
    steps = [f"Step {n}" for n in range(12)]
    definition = {
        "StartAt": steps[0],
        "States": {
            name: {"Type": "Pass", "Result": {"n": n}, "ResultPath": f"$.s{n}"}
            | ({"Next": steps[n + 1]} if n + 1 < len(steps) else {"End": True})
            for n, name in enumerate(steps)
        },
    }
    with execution_history_pages():
        finished = run(aws, definition, {"request": "x" * 100})
        arn = aws.sfn.list_executions(
            stateMachineArn=aws.sfn.list_state_machines()["stateMachines"][-1]["stateMachineArn"]
        )["executions"][0]["executionArn"]

        def pages(**params: Any) -> list[list[dict[str, Any]]]:
            read, token = [], None
            while True:
                page = aws.sfn.get_execution_history(
                    executionArn=arn, **params, **({"nextToken": token} if token else {})
                )
                read.append(page["events"])
                token = page.get("nextToken")
                if not token:
                    return read

        everything = [event for page in pages(maxResults=1000) for event in page]
        assert len(everything) == 2 * len(steps) + 2  # started, entered/exited each, succeeded
        # pages of maxResults (default 100), oldest first, and newest first with reverseOrder
        by_five = pages(maxResults=5)
        assert [len(page) for page in by_five] == [5] * 5 + [1]
        assert [e["id"] for page in by_five for e in page] == [e["id"] for e in everything]
        newest = pages(maxResults=5, reverseOrder=True)
        assert [e["id"] for page in newest for e in page] == [e["id"] for e in reversed(everything)]
        assert len(pages()[0]) == len(everything)
        # without the execution data: no input, output or parameters, all else as it was
        bare = pages(maxResults=1000, includeExecutionData=False)[0]
        assert [(e["id"], e["type"]) for e in bare] == [(e["id"], e["type"]) for e in everything]
        for event in bare:
            for key, details in event.items():
                if key.endswith("EventDetails"):
                    assert not {"input", "output", "parameters"} & details.keys(), event
        assert bare[1]["stateEnteredEventDetails"]["name"] == steps[0]
        assert "input" in everything[1]["stateEnteredEventDetails"]  # the data was there
        # what AWS refuses: a page over 1000, a token given for other arguments, a made-up token
        with pytest.raises(ClientError, match="ValidationException"):
            aws.sfn.get_execution_history(executionArn=arn, maxResults=1001)
        token = aws.sfn.get_execution_history(executionArn=arn, maxResults=5, reverseOrder=True)["nextToken"]
        with pytest.raises(ClientError, match="InvalidToken"):
            aws.sfn.get_execution_history(executionArn=arn, maxResults=5, nextToken=token)
        with pytest.raises(ClientError, match="InvalidToken"):
            aws.sfn.get_execution_history(executionArn=arn, nextToken="bm90LWEtdG9rZW4=")
    # moto alone answers every event, oldest first, whatever was asked: the patch is still needed
    alone = aws.sfn.get_execution_history(executionArn=arn, maxResults=5, reverseOrder=True)
    assert [e["id"] for e in alone["events"]] == [e["id"] for e in everything]
    assert "nextToken" not in alone and finished.status == "SUCCEEDED"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every definition moto's ASL parser is given, in order."""
    from moto.stepfunctions.parser.asl.parse import asl_parser

    seen: list[str] = []
    parse = asl_parser.AmazonStateLanguageParser.parse

    def counting(definition: str) -> Any:
        seen.append(definition)
        return parse(definition)

    monkeypatch.setattr(asl_parser.AmazonStateLanguageParser, "parse", staticmethod(counting))
    return seen


def test_a_definition_found_valid_is_not_parsed_again_and_an_invalid_one_is_refused_every_time(
    parsed: list[str],
) -> None:
    from moto.stepfunctions.parser.api import InvalidDefinition
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    valid = json.dumps(
        {"StartAt": "Done", "States": {"Done": {"Type": "Succeed", "Comment": str(time.time())}}}
    )
    invalid = json.dumps({"StartAt": "Nowhere", "States": {"Done": {"Type": "Nothing"}}})
    original = StepFunctionsParserBackend._validate_definition
    with interpreter_caches():
        for _ in range(3):
            StepFunctionsParserBackend._validate_definition(valid)
        for _ in range(2):
            with pytest.raises(InvalidDefinition, match="ASLParserException"):
                StepFunctionsParserBackend._validate_definition(invalid)
    assert parsed == [valid, invalid, invalid]
    assert StepFunctionsParserBackend._validate_definition is original


def test_a_client_made_before_a_hook_is_added_is_served_by_it_and_not_after_it_is_removed() -> None:
    """What the stand-ins, IAM and the call counter rely on: a cached client (made before an engine
    started, or by a thread of one being closed) goes through the handlers added now, in rank order."""
    from repolink_local.patches import HOOK_COUNTER, HOOK_STANDINS, hook

    with mock_aws():
        early = boto3.client("codeconnections", region_name="us-east-1")
        asked: list[str] = []

        def answer(request: Any, event_name: str = "", **_: Any) -> Any:
            asked.append(f"answer:{event_name}")
            return AWSResponse(request.url, 200, {}, MockRawResponse(b'{"Connections": []}'))

        def count(event_name: str = "", **_: Any) -> None:
            asked.append(f"count:{event_name}")

        # added in the opposite order to their ranks: the counter is still asked first
        with hook("before-send", answer, HOOK_STANDINS), hook("before-send", count, HOOK_COUNTER):
            assert early.list_connections()["Connections"] == []
        assert asked == [
            "count:before-send.codeconnections.ListConnections",
            "answer:before-send.codeconnections.ListConnections",
        ]
        with pytest.raises(ClientError, match="404"):  # moto has no CodeConnections: its stub answers
            early.list_connections()
        assert len(asked) == 2


def test_a_kms_key_is_created_with_the_id_the_template_gives_it() -> None:
    from repolink_local.patches import kms_key_id
    from repolink_local.template import key_id

    wanted = key_id("123456789012", "us-east-1", "ListingTokenKey")
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        with kms_key_id(wanted):
            made = kms.create_key(Description="ours")["KeyMetadata"]
        other = kms.create_key(Description="not ours")["KeyMetadata"]
    assert made["KeyId"] == wanted
    assert made["Arn"] == f"arn:aws:kms:us-east-1:123456789012:key/{wanted}"
    assert other["KeyId"] != wanted  # only inside the context


def test_kms_decrypt_binds_the_context_and_names_another_key_as_aws_does() -> None:
    """moto's Decrypt refuses another encryption context (AES-GCM's additional data: the binding
    the listing's tokens rely on); inside the context a ciphertext of another key, or one that
    does not parse, gets AWS's error codes instead of moto's AccessDeniedException."""
    from repolink_local.patches import kms_decrypt_checks_the_key

    def code(call: Callable[[], Any]) -> str:
        with pytest.raises(ClientError) as refused:
            call()
        return str(refused.value.response["Error"]["Code"])

    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        ours, theirs = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
        context = {"caller": "210987654321", "state": "any"}
        blob = kms.encrypt(KeyId=ours, Plaintext=b"page 2", EncryptionContext=context)["CiphertextBlob"]
        foreign = kms.encrypt(KeyId=theirs, Plaintext=b"page 2", EncryptionContext=context)["CiphertextBlob"]
        garbage = b"g" * 36 + bytes(64)

        def decrypt(ciphertext: bytes, **more: Any) -> Callable[[], Any]:
            params = {"KeyId": ours, "CiphertextBlob": ciphertext, "EncryptionContext": context}
            return lambda: kms.decrypt(**{**params, **more})

        assert decrypt(blob)()["Plaintext"] == b"page 2"
        for other in ({"caller": "222222222222", "state": "any"}, {"caller": "210987654321"}, {}):
            assert code(decrypt(blob, EncryptionContext=other)) == "InvalidCiphertextException"
        assert code(decrypt(blob[:-1] + bytes([blob[-1] ^ 1]))) == "InvalidCiphertextException"
        # moto as it is
        assert code(decrypt(foreign)) == "AccessDeniedException"
        assert code(decrypt(garbage)) == "AccessDeniedException"
        with kms_decrypt_checks_the_key():
            assert decrypt(blob)()["Plaintext"] == b"page 2"
            assert code(decrypt(foreign)) == "IncorrectKeyException"
            assert code(decrypt(garbage)) == "IncorrectKeyException"
            assert code(decrypt(b"short")) == "InvalidCiphertextException"
            assert code(decrypt(blob, EncryptionContext={})) == "InvalidCiphertextException"


def test_an_execution_reuses_its_definitions_parse_tree_and_gets_components_of_its_own(
    parsed: list[str],
) -> None:
    from types import SimpleNamespace

    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    # a definition no other test of this process ran: its tree is kept for the process
    done = {"Type": "Pass", "End": True, "Comment": str(uuid.uuid4())}
    definition = json.dumps({"StartAt": "Done", "States": {"Done": done}})
    details = SimpleNamespace(state_machine_details=SimpleNamespace(definition=definition))
    worker = SimpleNamespace(_evaluation_details=details)
    original = ExecutionWorker._get_evaluation_entrypoint
    with interpreter_caches():
        first = ExecutionWorker._get_evaluation_entrypoint(worker)  # type: ignore[arg-type]
        second = ExecutionWorker._get_evaluation_entrypoint(worker)  # type: ignore[arg-type]
    with interpreter_caches():  # another engine of the same process
        third = ExecutionWorker._get_evaluation_entrypoint(worker)  # type: ignore[arg-type]
    assert parsed == [definition]
    assert first is not second and type(first) is type(second)
    assert third is not first and type(third) is type(first)
    assert ExecutionWorker._get_evaluation_entrypoint is original


def test_sessions_made_inside_the_context_share_one_loader_whose_paths_do_not_grow() -> None:
    from repolink_local.patches import shared_service_models

    with shared_service_models():
        sessions = [boto3.session.Session(region_name="us-east-1") for _ in range(3)]
        loaders = {id(s._loader) for s in sessions}
        paths = list(sessions[0]._loader.search_paths)
        clients = [s.client("sts") for s in sessions]
        models = {id(c.meta.service_model._service_description) for c in clients}
    outside = boto3.session.Session(region_name="us-east-1")
    assert len(loaders) == 1 and len(models) == 1
    assert len(paths) == len(set(paths))  # boto3 appended its data directory once, not three times
    assert outside._loader is not sessions[0]._loader


def test_a_symmetric_key_generates_no_rsa_key_inside_the_context_and_an_asymmetric_one_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moto.kms import models
    from moto.kms.models import kms_backends

    from repolink_local.patches import symmetric_keys_without_rsa

    generated: list[str] = []
    generate = models.generate_private_key

    def counting(key_spec: str) -> Any:
        generated.append(key_spec)
        return generate(key_spec)

    monkeypatch.setattr(models, "generate_private_key", counting)
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        kms.create_key()  # moto as it is: an RSA key for a symmetric one
        assert generated == ["SYMMETRIC_DEFAULT"]
        with symmetric_keys_without_rsa():
            made = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)]
            signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        keys = kms_backends["123456789012"]["us-east-1"].keys
        assert len({id(keys[k].private_key) for k in made}) == 1
        assert keys[signing].private_key is not keys[made[0]].private_key
        assert generated.count("RSA_2048") == 1 and generated.count("SYMMETRIC_DEFAULT") <= 2
        assert kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
