"""The local engine: the deployed workflow, run here with no AWS account.

It builds what ``template.yaml`` declares on moto (event bus, Lambda functions, the state
machine from the very ASL file ``sam deploy`` ships, with its ``DefinitionSubstitutions``
resolved), serves the four APIs moto lacks with the stand-ins, dispatches every Lambda task
in-process to the handler its ``Handler:`` names, and runs Wait states on a virtual clock.

It knows about AWS APIs, not about the workflow: tests and the CLI drive the real handlers
through it, so what passes here is what ships.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import threading
import time
import uuid
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout, suppress
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws

from repolink_local.iam import AccessDenied, Deployment, DeploymentDenied, IamEnforcer, Principal
from repolink_local.iam.enforcer import LOCAL_ORGANIZATION_ID, Organization
from repolink_local.iam.requests import Authorization
from repolink_local.limits import (
    ENTRY_BYTES_MAX,
    LAMBDA_PAYLOAD_MAX,
    DeploymentOverLimit,
    deployment_problems,
    entry_size,
    eventbridge_entries,
)
from repolink_local.patches import (
    HOOK_COUNTER,
    LambdaServiceError,
    VirtualClock,
    execution_history,
    execution_history_pages,
    execution_status,
    history_quota,
    hook,
    in_process_lambdas,
    interpreter_caches,
    interpreter_machines,
    kms_decrypt_checks_the_key,
    kms_key_id,
    logs_to_stderr,
    metrics_one_at_a_time,
    sdk_retry_sleeps,
    shared_service_models,
    stopping_executions,
    symmetric_keys_without_rsa,
    virtual_callbacks,
    virtual_time,
)
from repolink_local.standins import StandIns
from repolink_local.template import ACCOUNT_ID, ONBOARDING, REGION, TEMPLATE, FunctionSpec, LocalTemplate

if TYPE_CHECKING:
    from repolink_local.apigw import HeaderPairs

#: what a Lambda runtime and Powertools need, set for the whole local run
LOCAL_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    # metrics are printed as EMF, as in Lambda, and collected from stdout (MetricsSink)
    "POWERTOOLS_METRICS_DISABLED": "false",
}


#: the REST API's id in the local world (its ARNs: arn:aws:execute-api:REGION:ACCOUNT:local/v1/...)
LOCAL_API_ID = "local"


@dataclass
class FakeLambdaContext:
    """The attributes of a Lambda context that Powertools and our handlers read."""

    function_name: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    account: str = ACCOUNT_ID
    region: str = REGION

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def function_version(self) -> str:
        return "$LATEST"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


def _queue(arn: str) -> str:
    """The URL of the queue ``arn`` names, made on first use (a template's queues are not built)."""
    return str(boto3.client("sqs").create_queue(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"])


class EntryTooLarge(ValueError):
    """EventBridge refused a PutEvents entry over 256 KiB (``ValidationException`` on AWS)."""


@dataclass
class ExecutionResult:
    """What one onboarding did, as the CLI prints it and the tests assert on it."""

    execution_arn: str
    status: str
    output: dict[str, Any] | None
    history: list[dict[str, Any]]
    events: list[dict[str, Any]]
    api_calls: dict[str, int]
    lambda_invocations: dict[str, int]
    waits: list[float]
    retry_sleeps: list[float]
    sdk_retry_sleeps: list[float]
    #: Powertools metrics the handlers emitted (EMF), summed by name, over the engine's lifetime
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def states_entered(self) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"] for e in self.history if "stateEnteredEventDetails" in e
        ]

    @property
    def state_transitions(self) -> int:
        return len(self.states_entered)

    def events_of(self, detail_type: str) -> list[dict[str, Any]]:
        return [e["detail"] for e in self.events if e["detail-type"] == detail_type]


class _CallCounter:
    """A ``before-send`` handler that counts every AWS request a Lambda handler makes.

    Inserted before moto's and the stand-ins' handlers, it always returns None. Only
    requests made while a handler runs are counted (the engine's own set-up and polling are
    not), and retries count as separate requests, as AWS bills and throttles them.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        #: the same requests by the function that made them (its logical id)
        self.by_function: dict[str, Counter[str]] = {}
        self.active = threading.local()
        self._lock = threading.Lock()

    def __call__(self, event_name: str = "", **_: Any) -> None:
        functions: list[str] = getattr(self.active, "functions", [])
        if functions:
            _, service, operation = event_name.split(".", 2)
            with self._lock:
                self.calls[f"{service}:{operation}"] += 1
                self.by_function.setdefault(functions[-1], Counter())[f"{service}:{operation}"] += 1

    @contextmanager
    def counting(self, function: str) -> Iterator[None]:
        if not hasattr(self.active, "functions"):
            self.active.functions = []
        self.active.functions.append(function)
        try:
            yield
        finally:
            self.active.functions.pop()


def _stub_zip() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "repolink local engine: the code runs in-process")
    return buffer.getvalue()


def reset_app_caches() -> None:
    """Clients, settings and the idempotency store are cached per process (as in a warm Lambda);
    a new engine, or a new test, needs fresh ones."""
    from repolink.adapters.aws import client
    from repolink.models.settings import (
        get_api_settings,
        get_entry_settings,
        get_recheck_settings,
        get_settings,
    )
    from repolink.workflow.start import idempotent_start

    cached_ones = (client, get_settings, get_entry_settings, get_api_settings, get_recheck_settings)
    for cached in (*cached_ones, idempotent_start):
        cached.cache_clear()
    boto3.DEFAULT_SESSION = None


class LocalEngine:
    """Use as a context manager; then :meth:`run` one request or :meth:`start` several."""

    def __init__(
        self,
        standins: StandIns | None = None,
        *,
        template: Path = TEMPLATE,
        clock: VirtualClock | None = None,
        lambda_faults: Callable[[str], LambdaServiceError | None] | None = None,
        progress: Callable[[str], None] | None = None,
        log_level: str | None = None,
        parameters: dict[str, str] | None = None,
        account: str = ACCOUNT_ID,
        region: str = REGION,
        revoked: frozenset[tuple[str, str]] = frozenset(),
        spoke_accounts: Collection[str] | None = None,
        outside_organization: Collection[str] = (),
    ) -> None:
        """``template``, ``parameters``, ``account`` and ``region`` say which deployment is
        simulated (``--parameter-overrides``, the account and Region ``sam deploy`` targets).
        Every account is in one organisation (the one ``AllowedOrganizationId`` names, else a
        local one) but those ``outside_organization``. With ``SpokeRoleName`` set, the spoke
        (``spoke/template.yaml``) is deployed in ``spoke_accounts`` (by default every account of
        ``AllowedAccountIds`` and, with ``AllowedOrganizationId``, every account of the
        organisation): the others simulate accounts the StackSet has not reached."""
        self.account, self.region = account, region
        self.standins = standins or StandIns(account_id=account, region=region)
        if (self.standins.account_id, self.standins.region) != (account, region):
            raise ValueError("the stand-ins must serve the deployment's account and Region")
        self.template = LocalTemplate(template, account, region, dict(parameters or {}))
        #: IAM as the deployment would have it: every call of a function or of the state machine
        #: is authorized against its role, callers from other accounts against resource policies
        self.iam = IamEnforcer(Deployment(account, region, dict(parameters or {}), template, revoked))
        values = self.template.parameter_values()
        organization = values.get("AllowedOrganizationId", "")
        self.iam.organization = Organization(
            organization or LOCAL_ORGANIZATION_ID, frozenset(outside_organization)
        )
        if spoke_accounts is None:
            spoke_accounts = [a for a in values.get("AllowedAccountIds", "").split(",") if a]
            # a StackSet to the organisation's OUs, with automatic deployment, reaches every member
            self.iam.spoke_in_organization = bool(organization)
        self.iam.spoke_accounts = frozenset(spoke_accounts)
        self.iam.resource_tags = self.standins.resource_tags
        self.clock = clock or VirtualClock()
        self.lambda_faults = lambda_faults
        self.progress = progress or (lambda _line: None)
        #: follow the history while waiting only when someone reads the progress (each read
        #: serialises the whole history: quadratic in a long run)
        self._follow = progress is not None
        self.log_level = log_level
        self.functions: dict[str, FunctionSpec] = {f.name: f for f in self.template.functions()}
        self.lambda_invocations: Counter[str] = Counter()
        # one execution environment per function: like Lambda, it runs one invocation at a time
        self._environments = {name: threading.Lock() for name in self.functions}
        self.sdk_retry_sleeps: list[float] = []
        #: every failed attempt of an asynchronous invocation (function, error): Lambda retried it
        self.failed_attempts: list[tuple[str, str]] = []
        self.counter = _CallCounter()
        self._stack = ExitStack()
        self._threads_before: set[threading.Thread] = set()
        self._handlers: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        #: the onboarding state machine's ARN (:attr:`state_machine_arns` has every machine's)
        self.state_machine_arn = ""
        self.state_machine_arns: dict[str, str] = {}
        self.bus_name = ""
        self._events_queue_url = ""
        self._events: list[dict[str, Any]] = []
        #: the CloudWatch embedded-metric-format documents the handlers printed
        self.metrics = MetricsSink()

    # -- set-up -------------------------------------------------------------------------

    def __enter__(self) -> LocalEngine:
        # what CloudFormation refuses to create, too large (a parameter, a policy built from one)
        over = deployment_problems(self.iam.deployment, LOCAL_API_ID)
        if over:
            raise DeploymentOverLimit(over)
        # what AWS itself needs of the roles (logs, traces): a deployment without it does not start
        denied = self.iam.platform_denials()
        if denied:
            raise DeploymentDenied(denied)
        self._threads_before = set(threading.enumerate())
        try:
            return self._enter()
        except BaseException:
            self._stack.close()
            raise

    def _enter(self) -> LocalEngine:
        stack = self._stack
        environment = LOCAL_ENVIRONMENT | {
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "MOTO_ACCOUNT_ID": self.account,
        }
        for spec in self.functions.values():
            environment.update(spec.environment)
        if self.log_level:
            environment["POWERTOOLS_LOG_LEVEL"] = self.log_level
        stack.enter_context(_environment(environment))
        stack.enter_context(_quiet_interpreter())
        stack.enter_context(shared_service_models())
        stack.enter_context(symmetric_keys_without_rsa())
        stack.enter_context(hook("before-send", self.counter, HOOK_COUNTER))
        stack.enter_context(
            mock_aws(
                config={"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
            )
        )
        self.standins.connections.clock = self.clock.now
        self.standins.install()
        stack.callback(self.standins.uninstall)
        self.iam.install()
        stack.callback(self.iam.uninstall)
        stack.enter_context(eventbridge_entries())
        reset_app_caches()
        stack.callback(reset_app_caches)
        stack.enter_context(logs_to_stderr(self.log_level))
        stack.enter_context(redirect_stdout(self.metrics))  # type: ignore[type-var]
        stack.enter_context(metrics_one_at_a_time())
        stack.enter_context(virtual_time(self.clock))
        stack.enter_context(virtual_callbacks(self.clock))
        # the recheck function reads the wall clock (its 10 s bound, the time a wait began): here
        # the time the workflow lives in is the virtual clock
        from repolink.handlers import recheck

        stack.enter_context(mock.patch.object(recheck, "CLOCK", self.clock.now))
        stack.enter_context(interpreter_caches())
        stack.enter_context(interpreter_machines())
        stack.enter_context(history_quota())
        stack.enter_context(stopping_executions())
        stack.enter_context(sdk_retry_sleeps(self.clock, self.sdk_retry_sleeps))
        stack.enter_context(in_process_lambdas(self._dispatch))
        stack.enter_context(execution_history_pages())
        stack.enter_context(kms_decrypt_checks_the_key())
        self._build()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._stop_running()
        finally:
            self._stack.close()

    def _stop_running(self) -> None:
        """An execution left running would go on calling handlers after the engine is gone (its
        threads outlive the context): stop every one, as deleting the stack would."""
        if not self.state_machine_arn:
            return
        sfn = boto3.client("stepfunctions")
        for execution in (e for machine in self.state_machine_arns for e in self.executions(machine)):
            if execution["status"] == "RUNNING":
                with suppress(ClientError):  # it ended meanwhile
                    sfn.stop_execution(executionArn=execution["executionArn"], cause="local engine closed")
        # and let the interpreter's threads end here: one still in a Task would otherwise run its
        # handler in the next engine's world. A thread may start another (a Parallel branch, a
        # Map iteration) while it is joined: list them again until none is left.
        give_up = time.monotonic() + 10
        joined: set[threading.Thread] = {threading.current_thread()}
        while time.monotonic() < give_up:
            left = {t for t in threading.enumerate() if t.is_alive() or t.ident is None}
            left -= self._threads_before | joined
            if not left:
                return
            for thread in left:
                # one being started at this instant is listed before it may be joined: let it start
                while thread.ident is None and time.monotonic() < give_up:
                    time.sleep(0.001)
                with suppress(RuntimeError):  # still not started after the wait: nothing to join
                    thread.join(timeout=max(0.0, give_up - time.monotonic()))
                if not thread.is_alive():
                    joined.add(thread)
        left_over = set(threading.enumerate()) - self._threads_before - joined
        names = sorted({t.name[:60] for t in left_over if t.is_alive()})
        if names:
            warnings.warn(
                f"local engine closed with {len(names)} interpreter threads still running: {names}",
                RuntimeWarning,
                stacklevel=3,
            )

    def _build(self) -> None:
        iam = boto3.client("iam")
        role = iam.create_role(
            RoleName="repolink-local",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        dynamodb = boto3.client("dynamodb")
        for table_id, table in self.template.resources_of_type("AWS::DynamoDB::Table").items():
            props = table["Properties"]
            dynamodb.create_table(
                TableName=self.template.physical_name(table_id),
                KeySchema=props["KeySchema"],
                AttributeDefinitions=props["AttributeDefinitions"],
                BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
            )
            if "TimeToLiveSpecification" in props:
                dynamodb.update_time_to_live(
                    TableName=self.template.physical_name(table_id),
                    TimeToLiveSpecification=props["TimeToLiveSpecification"],
                )
        kms = boto3.client("kms")
        for key_id, key in self.template.resources_of_type("AWS::KMS::Key").items():
            props = key["Properties"]
            with kms_key_id(self.template.physical_name(key_id)):
                kms.create_key(
                    Description=str(props.get("Description", "")),
                    Policy=json.dumps(self.template.resolve(props["KeyPolicy"])),
                    KeySpec=str(props.get("KeySpec", "SYMMETRIC_DEFAULT")),
                    KeyUsage=str(props.get("KeyUsage", "ENCRYPT_DECRYPT")),
                )
            if props.get("EnableKeyRotation"):
                kms.enable_key_rotation(KeyId=self.template.physical_name(key_id))
        for bus_id in self.template.resources_of_type("AWS::Events::EventBus"):
            self.bus_name = self.template.physical_name(bus_id)
            boto3.client("events").create_event_bus(Name=self.bus_name)
        self._capture_events()
        aws_lambda = boto3.client("lambda")
        for spec in self.functions.values():
            aws_lambda.create_function(
                FunctionName=spec.name,
                Runtime="python3.13",
                Role=role,
                Handler=spec.handler,
                Code={"ZipFile": _stub_zip()},
                Timeout=spec.timeout,
                MemorySize=spec.memory,
            )
        sfn = boto3.client("stepfunctions")
        for machine in self.template.state_machines():
            self.state_machine_arns[machine.logical_id] = sfn.create_state_machine(
                name=machine.name, definition=machine.definition(), roleArn=role, type="STANDARD"
            )["stateMachineArn"]
        self.state_machine_arn = self.state_machine_arns[ONBOARDING]

    def _capture_events(self) -> None:
        """Every event on our bus also lands in a queue, so a run can list what it emitted."""
        sqs = boto3.client("sqs")
        self._events_queue_url = sqs.create_queue(QueueName="repolink-local-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=self._events_queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        events = boto3.client("events")
        events.put_rule(
            Name="repolink-local-capture",
            EventBusName=self.bus_name,
            EventPattern=json.dumps({"source": [{"prefix": ""}]}),
        )
        events.put_targets(
            Rule="repolink-local-capture",
            EventBusName=self.bus_name,
            Targets=[{"Id": "capture", "Arn": queue_arn}],
        )

    # -- Lambda dispatch ----------------------------------------------------------------

    def _handler(self, name: str) -> Callable[[dict[str, Any], Any], Any]:
        if name not in self._handlers:
            module_name, _, attribute = self.functions[name].handler.rpartition(".")
            self._handlers[name] = getattr(importlib.import_module(module_name), attribute)
        return self._handlers[name]

    def _dispatch(self, function_name: str, event: Any, *, inject: bool = True) -> Any:
        """Run one invocation; ``inject``: injected Lambda service faults apply (the state
        machine's invocations; an entry point's own invocation is never faulted)."""
        if function_name not in self.functions:
            raise LambdaServiceError("ResourceNotFoundException", f"Function not found: {function_name}")
        self.lambda_invocations[function_name] += 1
        size = len(json.dumps(event, default=str).encode())
        if size > LAMBDA_PAYLOAD_MAX:
            raise LambdaServiceError(
                "RequestEntityTooLargeException",
                f"Request must be smaller than {LAMBDA_PAYLOAD_MAX} bytes for the InvokeFunction operation",
            )
        if inject and self.lambda_faults is not None:
            fault = self.lambda_faults(function_name)
            if fault is not None:
                raise fault
        spec = self.functions[function_name]
        context = FakeLambdaContext(
            spec.name, spec.memory, spec.timeout, account=self.account, region=self.region
        )
        with (
            self._environments[function_name],
            self.counter.counting(spec.logical_id),
            self.iam.acting_as_function(spec.logical_id, spec.name),
        ):
            return self._handler(function_name)(event, context)

    # -- running ------------------------------------------------------------------------

    def invoke(self, function_name: str, event: dict[str, Any]) -> Any:
        """Invoke a function as its event source would (API Gateway, an EventBridge rule).

        Lambda's 6 MB limit holds both ways (the interpreter's invocations go through moto, which
        checks responses itself): a larger answer is the function's error, as Lambda reports it."""
        answer = self._dispatch(function_name, event, inject=False)
        if len(json.dumps(answer, default=str).encode()) > LAMBDA_PAYLOAD_MAX:
            raise LambdaServiceError(
                "Function.ResponseSizeTooLarge",
                f"Response payload size exceeded maximum allowed payload size ({LAMBDA_PAYLOAD_MAX} bytes).",
            )
        return answer

    def api(
        self,
        method: str,
        path: str,
        body: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        caller_account: str | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """Call the REST API as API Gateway would (IAM-authenticated ``caller_account``): the
        API's resource policy decides whether the call reaches the function (403 otherwise).
        The answer's body is parsed JSON (``None`` when empty): :meth:`api_response` has the text."""
        code, answer_headers, text = self.api_response(
            method, path, body, headers=headers, caller_account=caller_account
        )
        return code, answer_headers, json.loads(text) if text else None

    def api_response(
        self,
        method: str,
        path: str,
        body: str | None = None,
        *,
        headers: HeaderPairs | None = None,
        caller_account: str | None = None,
        query: str | None = None,
    ) -> tuple[int, dict[str, str], str | None]:
        """:meth:`api`, with the body as the function (or API Gateway's refusal) wrote it;
        ``headers`` may repeat a name, and ``query`` given means ``path`` is decoded and whole
        (:func:`~repolink_local.apigw.proxy_event`)."""
        from repolink_local.apigw import match, proxy_event, route_functions, routes_of

        caller_account = caller_account or self.account
        api = f"arn:aws:execute-api:{self.region}:{self.account}:{LOCAL_API_ID}"
        # execute-api:Invoke is on the method and path; the query string is not part of the ARN
        bare = path if query is not None else path.split("?", 1)[0]
        resource = f"{api}/v1/{method}/{bare.lstrip('/')}"
        try:
            self.iam.require(
                Principal.of_account(caller_account),
                Authorization("execute-api:Invoke", resource, self.account),
                self.iam.deployment.api_policy(LOCAL_API_ID),
            )
        except AccessDenied as denied:
            refused = {"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException"}
            return 403, refused, json.dumps({"Message": str(denied)})
        routes = routes_of(self.iam.deployment.template)
        # the function the route's integration invokes (an unknown route: the API's, which says 404)
        matched = match(routes, method, urlsplit(bare).path if query is None else bare)
        served_by = route_functions(self.iam.deployment.template)
        function = (
            self.template.physical_name(served_by[(method, matched[0])])
            if matched and (method, matched[0]) in served_by
            else self._function_for_handler("repolink.handlers.api.handler")
        )
        response = self.invoke(
            function, proxy_event(method, path, body, headers or {}, caller_account, routes, query=query)
        )
        answer_headers = dict(response.get("headers") or {})
        answer_headers |= {k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items() if v}
        return int(response["statusCode"]), answer_headers, response.get("body") or None

    def recheck_at(
        self, when: float, request_id: str, *, caller_account: str | None = None
    ) -> list[tuple[int, Any]]:
        """POST ``/links/{request_id}/recheck`` as ``caller_account`` (the deployment's by
        default) at virtual time ``when``: a callback wait that reaches ``when`` stops there and
        asks (:meth:`VirtualClock.at`). The answers, ``(status, body)``, are appended to the list
        returned as they come (none if no wait reached ``when``)."""
        answers: list[tuple[int, Any]] = []

        def ask() -> None:
            code, _, body = self.api("POST", f"/links/{request_id}/recheck", caller_account=caller_account)
            answers.append((code, body))

        self.clock.at(when, ask)
        return answers

    def put_event(
        self,
        detail: dict[str, Any],
        *,
        account: str | None = None,
        event_id: str | None = None,
        detail_type: str = "RepositoryLinkRequested",
    ) -> Any:
        """Deliver an event (RepositoryLinkRequested by default) to the target of the template's
        rule that matches its detail-type, as EventBridge would (none matching: ``LookupError``).

        The sender's PutEvents is authorized first, against the bus's policy: a refused entry
        raises :class:`~repolink_local.iam.AccessDenied` and reaches nothing; an entry over
        EventBridge's 256 KiB raises :class:`EntryTooLarge`. The rule then invokes the function
        asynchronously (:meth:`invoke_async`): it answers what the last attempt returned, or
        ``{"status": "failed", ...}`` when every attempt failed."""
        account = account or self.account
        size = entry_size(
            {
                "Source": "com.example.platform",
                "DetailType": detail_type,
                "Detail": json.dumps(detail),
            }
        )
        if size > ENTRY_BYTES_MAX:
            raise EntryTooLarge(
                f"the PutEvents entry is {size} bytes; EventBridge takes at most {ENTRY_BYTES_MAX}"
            )
        self.iam.require(
            Principal.of_account(account),
            Authorization(
                "events:PutEvents",
                self.template.arn(next(iter(self.template.resources_of_type("AWS::Events::EventBus")))),
                self.account,
                {
                    "events:detail-type": [detail_type],
                    "events:source": ["com.example.platform"],
                },
            ),
            self.iam.deployment.bus_policy(self.bus_name),
        )
        function = self._rule_target(detail_type)
        event = {
            "version": "0",
            "id": event_id or str(uuid.uuid4()),
            "detail-type": detail_type,
            "source": "com.example.platform",
            "account": account,
            "time": "2026-11-22T00:00:00Z",
            "region": self.region,
            "resources": [],
            "detail": detail,
        }
        return self.invoke_async(function, event)

    def _rule_target(self, detail_type: str) -> str:
        """The function whose EventBridgeRule event on our bus matches ``detail_type``."""
        for logical_id, resource in self.template.resources_of_type("AWS::Serverless::Function").items():
            for source in (resource["Properties"].get("Events") or {}).values():
                pattern = (
                    source.get("Properties", {}).get("Pattern", {})
                    if source["Type"] == "EventBridgeRule"
                    else {}
                )
                if detail_type in pattern.get("detail-type", []):
                    return self.template.physical_name(logical_id)
        raise LookupError(f"no rule on the bus matches detail-type {detail_type}")

    def invoke_async(self, function_name: str, event: dict[str, Any]) -> Any:
        """Lambda's asynchronous invocation, as an EventBridge rule makes it.

        On a function error Lambda retries ``MaximumRetryAttempts`` times (the function's
        ``EventInvokeConfig``; 2 without one), "one minute before the first retry, two minutes
        before the second" (on the virtual clock); then it sends the invocation record to the
        ``OnFailure`` destination with the function's execution role, or discards the event
        (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html)."""
        spec = self.functions[function_name]
        config, destination = self._event_invoke_config(function_name)
        attempts = 1 + int(config.get("MaximumRetryAttempts", 2))
        error: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                self.clock.advance(60 * attempt)
            try:
                return self.invoke(function_name, event)
            except Exception as exc:
                error = exc
                self.failed_attempts.append((function_name, f"{type(exc).__name__}: {exc}"))
        answer: dict[str, Any] = {"status": "failed", "attempts": attempts, "error": type(error).__name__}
        if destination is None:
            return answer
        self.iam.require(
            Principal.of_role(self.iam.deployment.function_role(spec.logical_id), spec.name, self.account),
            Authorization("sqs:SendMessage", destination, self.account, {}),
        )
        function_arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{spec.name}"
        record = {
            "version": "1.0",
            "timestamp": datetime.datetime.fromtimestamp(self.clock.now(), datetime.UTC).isoformat(),
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": f"{function_arn}:$LATEST",
                "condition": "RetriesExhausted",
                "approximateInvokeCount": attempts,
            },
            "requestPayload": event,
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "responsePayload": {"errorType": type(error).__name__, "errorMessage": str(error)},
        }
        boto3.client("sqs").send_message(
            QueueUrl=_queue(destination), MessageBody=json.dumps(record, default=str)
        )
        return answer | {"destination": destination}

    def _event_invoke_config(self, function_name: str) -> tuple[dict[str, Any], str | None]:
        """The function's ``EventInvokeConfig`` and its on-failure destination's ARN, if any."""
        resource = self.template.resources[self.functions[function_name].logical_id]
        config: dict[str, Any] = resource.get("Properties", {}).get("EventInvokeConfig", {})
        destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        return config, None if destination is None else str(self.template.resolve(destination))

    def failed_invocations(self, function_name: str) -> list[dict[str, Any]]:
        """The invocation records in ``function_name``'s on-failure destination (left there)."""
        _, destination = self._event_invoke_config(function_name)
        if destination is None:
            return []
        sqs = boto3.client("sqs")
        found = sqs.receive_message(QueueUrl=_queue(destination), MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [json.loads(m["Body"]) for m in found.get("Messages", [])]

    def executions(self, machine: str = ONBOARDING) -> list[dict[str, Any]]:
        """Every execution of a state machine (by logical id; the onboarding's by default) so far."""
        sfn = boto3.client("stepfunctions")
        arn = self.state_machine_arns[machine]
        return list(sfn.list_executions(stateMachineArn=arn, maxResults=1000)["executions"])

    def _function_for_handler(self, handler: str) -> str:
        return next(name for name, spec in self.functions.items() if spec.handler == handler)

    def start(self, request_id: str, request: dict[str, Any]) -> str:
        """Start one onboarding; the execution name is the request id (one execution per id)."""
        return str(
            boto3.client("stepfunctions").start_execution(
                stateMachineArn=self.state_machine_arn,
                name=request_id,
                input=json.dumps(
                    {"requestId": request_id, "callerAccount": self.account, "request": request}
                ),
            )["executionArn"]
        )

    def wait(self, execution_arn: str, *, deadline_seconds: float = 120.0) -> ExecutionResult:
        """Follow the execution until it ends (or the real-time deadline passes), printing progress."""
        sfn = boto3.client("stepfunctions")
        seen = 0
        events_seen = len(self._events)
        give_up = time.monotonic() + deadline_seconds
        while True:
            status = execution_status(self.account, self.region, execution_arn)
            if self._follow or status != "RUNNING":
                history = self._history(execution_arn)
                for entry in history[seen:]:
                    self._report(entry)
                seen = len(history)
                events = self.emitted_events()
                for event in events[events_seen:]:
                    detail = event.get("detail", {})
                    link = f": a person opens {detail['consoleUrl']}" if "consoleUrl" in detail else ""
                    self.progress(f"  ✉ {event['detail-type']}{link}")
                events_seen = len(events)
            if status != "RUNNING":
                break
            if time.monotonic() > give_up:
                sfn.stop_execution(
                    executionArn=execution_arn, error="LocalDeadline", cause="real-time deadline"
                )
                status = "TIMED_OUT_LOCALLY"
                break
            time.sleep(0.02)
        description = sfn.describe_execution(executionArn=execution_arn)
        output = json.loads(description["output"]) if description.get("output") else None
        return ExecutionResult(
            execution_arn=execution_arn,
            status=status,
            output=output,
            history=self._history(execution_arn),
            events=self.emitted_events(),
            api_calls=dict(sorted(self.counter.calls.items())),
            lambda_invocations=dict(sorted(self.lambda_invocations.items())),
            waits=list(self.clock.waits),
            retry_sleeps=list(self.clock.retry_sleeps),
            sdk_retry_sleeps=list(self.sdk_retry_sleeps),
            metrics=self.metrics.totals(),
        )

    def run(
        self, request_id: str, request: dict[str, Any], *, deadline_seconds: float = 120.0
    ) -> ExecutionResult:
        return self.wait(self.start(request_id, request), deadline_seconds=deadline_seconds)

    def _history(self, execution_arn: str) -> list[dict[str, Any]]:
        return execution_history(self.account, self.region, execution_arn)

    def _report(self, entry: dict[str, Any]) -> None:
        kind = entry["type"]
        if "stateEnteredEventDetails" in entry:
            self.progress(f"→ {entry['stateEnteredEventDetails']['name']}")
        elif kind.endswith("Failed"):
            details = next((v for k, v in entry.items() if k.endswith("EventDetails")), {})
            cause = str(details.get("cause", ""))
            with suppress(ValueError, AttributeError):
                cause = str(json.loads(cause).get("errorMessage", cause))
            self.progress(f"  ✗ {kind}: {details.get('error', '')}: {cause[:300]}")

    def emitted_events(self) -> list[dict[str, Any]]:
        """Every event put on our bus so far, oldest first."""
        sqs = boto3.client("sqs")
        while True:
            messages = sqs.receive_message(QueueUrl=self._events_queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not messages:
                return list(self._events)
            for message in messages:
                self._events.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self._events_queue_url, ReceiptHandle=message["ReceiptHandle"])


@contextmanager
def _quiet_interpreter() -> Iterator[None]:
    """moto's interpreter logs every evaluation detail at WARNING/ERROR; progress says what matters."""
    import logging
    import warnings

    interpreter = logging.getLogger("moto.stepfunctions")
    level = interpreter.level
    interpreter.setLevel(logging.CRITICAL)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        try:
            yield
        finally:
            interpreter.setLevel(level)


class MetricsSink:
    """Where stdout goes while the engine runs: Powertools Metrics prints EMF documents there
    (as Lambda, whose stdout CloudWatch parses); anything else is passed on to stderr."""

    def __init__(self) -> None:
        self.documents: list[dict[str, Any]] = []
        # print() writes the text and the newline separately: keep each thread's line apart
        self._partial = threading.local()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        import sys

        lines = (getattr(self._partial, "text", "") + text).split("\n")
        self._partial.text = lines.pop()
        with self._lock:
            for line in lines:
                try:
                    document = json.loads(line)
                except ValueError:
                    document = None
                if isinstance(document, dict) and "_aws" in document:
                    self.documents.append(document)
                elif line:
                    sys.stderr.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        pass

    def totals(self) -> dict[str, float]:
        """Each metric's values summed over every document, by metric name."""
        sums: Counter[str] = Counter()
        with self._lock:
            for document in self.documents:
                for directive in document["_aws"]["CloudWatchMetrics"]:
                    for metric in directive["Metrics"]:
                        value = document[metric["Name"]]
                        sums[metric["Name"]] += sum(value) if isinstance(value, list) else value
        return dict(sorted(sums.items()))


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
