"""Every patch of another library's internals the local engine needs, kept small and in one place.

Pinned versions these rely on: moto 5.2.5 (exactly, ``pyproject.toml``), botocore (``endpoint.time``,
``handlers.BUILTIN_HANDLERS``), aws-lambda-powertools 3.37.0 (exactly). ``tests/engine/test_patches.py``
tests each.

- **botocore's retry sleeps** (:func:`sdk_retry_sleeps`): ``botocore/endpoint.py`` sleeps with its
  module-level ``time`` between its own retries; inside the context they advance the virtual clock.
- **Powertools' log stream** (:func:`logs_to_stderr`): the Logger's ``registered_handler`` writes to
  stdout, as Lambda wants; locally stdout is the CLI's, so its stream points at stderr.
- **Powertools' metric set** (:func:`metrics_one_at_a_time`): ``AmazonCloudWatchEMFProvider`` keeps one
  metric set on the class; adding and flushing are serialised across the in-process functions.

And hooks into moto's Step Functions (paths under ``moto/``):

- **Virtual clock** (:func:`virtual_time`).

  - ``stepfunctions/parser/asl/component/state/wait/wait_function/wait_function.py``
    ``WaitFunction._wait_interval`` blocks on ``env.program_state_event`` for every Wait state;
  - ``.../wait_function/timestamp.py`` ``Timestamp._get_wait_seconds`` (also used by
    ``TimestampPath``) measures the delta against ``datetime.now()``;
  - ``stepfunctions/parser/asl/component/common/retry/retrier_decl.py`` calls ``time.sleep``
    between Retry attempts (its module-level ``time`` is swapped for a shim, global
    ``time.sleep`` is untouched).

  Inside the context all three run on a :class:`VirtualClock`: a 72-hour wait advances the clock
  and returns at once, so the ASL stays byte-identical and runs in milliseconds. Not virtualised:
  history-event timestamps and ``$$.State.EnteredTime``/``$$.Execution.StartTime`` (real time).
  There is one clock for all threads, so waits in concurrent Parallel branches or Map iterations
  add up: the clock measures total time waited, not elapsed time.

- **In-process Lambda** (:func:`in_process_lambdas`). With ``lambda.use_docker: False``,
  ``awslambda_simple/models.py`` ``LambdaSimpleBackend.invoke`` echoes its input. Inside the
  context it calls a dispatcher and answers as the Lambda Python runtime would. A raised exception
  becomes ``x-amz-function-error: Unhandled`` with ``{"errorType", "errorMessage", ...}``, which
  ``state_task_service_lambda.py`` ``_from_error`` names after ``errorType``: ``ErrorEquals:
  ["HandshakeFailed"]`` matches ``class HandshakeFailed(Exception)``. A :class:`LambdaServiceError`
  is answered as the Lambda *service* failing (a ``JsonRESTError``, i.e. an HTTP error response),
  which the interpreter names ``Lambda.<code>``, e.g. ``Lambda.TooManyRequestsException``. (The
  interpreter's own boto3 client makes one attempt only, so nothing retries it but the ASL.)

- **History pages** (:func:`execution_history_pages`). ``stepfunctions/responses.py``
  ``StepFunctionResponse.get_execution_history`` ignores ``maxResults``, ``nextToken``,
  ``reverseOrder`` and ``includeExecutionData``; inside the context it pages, orders and leaves out
  the execution data as AWS does.
- **A template's KMS key ids** (:func:`kms_key_id`). ``kms/models.py`` ``Key.__init__`` draws a
  key's id from ``generate_key_id``; inside the context CreateKey gives the id the template's
  reader computed (``template.key_id``), so ``!Ref``/``!GetAtt`` of the key, the functions'
  environment and the IAM evaluator name the key moto holds.
- **Decrypt naming another key** (:func:`kms_decrypt_checks_the_key`). ``kms/models.py``
  ``KmsBackend.decrypt`` answers ``AccessDeniedException`` when the ciphertext names a key that
  is not the ``KeyId`` given (or no key moto holds); AWS answers ``IncorrectKeyException``, and
  ``InvalidCiphertextException`` for a ciphertext that does not parse. Inside the context it does.
- **History quota** (:func:`history_quota`). ``asl/eval/event/event_manager.py``
  ``EventManager.add_event`` has no limit; inside the context event 25,000 fails the execution.
- **Interpreter caches** (:func:`interpreter_caches`). ``asl/utils/boto_client.py``
  ``boto_client_for`` and jsonpath-ng's ``parse`` are shared/cached instead of rebuilt per state;
  ``stepfunctions/parser/models.py`` ``StepFunctionsParserBackend._validate_definition`` parses a
  definition it has already found valid once per process, not once per engine;
  ``backend/execution_worker.py`` ``ExecutionWorker._get_evaluation_entrypoint`` parses a
  definition once per context and builds each execution's components from that tree.
- **Shared service models** (:func:`shared_service_models`). ``botocore/session.py``
  ``Session._register_data_loader`` makes every session its own loader, which parses botocore's
  service models again; inside the context sessions share one loader per data path.
- **Symmetric KMS keys** (:func:`symmetric_keys_without_rsa`). ``kms/models.py`` ``Key.__init__``
  generates an RSA key for every key; inside the context a symmetric key shares one, unread.
- **Reading a history** (:func:`execution_history`): from moto's backend, not its serialiser.
- **Stopping an execution** (:func:`stopping_executions`), at any moment, as AWS does.
  ``backend/execution_worker.py`` ``ExecutionWorker.stop`` calls ``self.env.set_stop``, but the
  worker's thread sets ``env`` only once it has parsed the definition (a second or more for our
  ASL): a StopExecution sent before then raised ``AttributeError`` and the execution ran on, its
  threads outliving the engine and calling handlers in the next test's world. Inside the context
  the stop waits until the program runs, then stops it. And a stop that lands while a state is
  being evaluated makes its components skip their work (``EvalComponent.eval`` checks that the
  program runs), so the state fails with a ``States.Runtime`` error that
  ``asl/eval/environment.py`` ``Environment.set_error`` writes over the stop: the execution ended
  ``FAILED``. Inside the context an error after a stop leaves the execution stopped (``ABORTED``).
  And a Parallel branch started as the stop lands raises in its first step
  (``Environment.next_state_name`` refuses a stopped frame), so
  ``.../state_parallel/branch_worker.py`` ``BranchWorker._thread_routine`` never reported its end
  and the Parallel state waited for it for ever (``branches_decl.py`` ``BranchWorkerPool.wait``).
  Inside the context a branch reports its end however it ends.
- **botocore's event hooks** (:func:`add_hook`). A handler in ``handlers.BUILTIN_HANDLERS`` reaches
  only the sessions made after it was put there, so a client made earlier (cached by the handlers,
  or by a thread of an engine being closed) would go on without it: past the stand-ins to moto
  (``404 Not yet implemented``), past IAM, uncounted. One permanent entry per event name instead
  calls whatever handlers are added now, in rank order: every client, whenever made, sees them.
- **Whose execution calls** (:func:`interpreter_machines`). The interpreter signs every service
  integration with the same access key, whatever the state machine. Inside the context,
  ``.../state_task/lambda_eval_utils.py`` ``execute_lambda_function_integration`` and
  ``.../service/state_task_service_events.py`` ``StateTaskServiceEvents._eval_service_task``
  (both given the execution's ``Environment``, both calling AWS in the calling thread) record the
  execution's state machine ARN in a thread-local, read by :func:`calling_state_machine`.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
import threading
import time
import traceback
import types
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.core.exceptions import JsonRESTError
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEventException
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import Timestamp
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from repolink.workflow.backoff import HISTORY_EVENTS_QUOTA

#: ranks of :func:`add_hook`'s handlers, called in this order: IAM decides before a call is
#: counted, the counter sees every request (a lost one too), then the stand-ins answer
HOOK_IAM, HOOK_COUNTER, HOOK_STANDINS, HOOK_LIMITS = 0, 10, 20, 30


#: the events handlers are added for (each has its permanent entry from this module's import on)
HOOK_EVENTS = (
    "before-send",
    "before-parameter-build",
    "before-call",
    "before-call.eventbridge.PutEvents",
    # the IAM enforcer learns of a spoke session from AWS's answer (its access key)
    "after-call.sts.AssumeRole",
)


class _Hooks:
    """One permanent ``BUILTIN_HANDLERS`` entry per event name, calling the handlers added now."""

    def __init__(self, events: tuple[str, ...]) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        self._lock = threading.Lock()
        #: by event name, ``(rank, handler)`` in call order (replaced, never mutated: read unlocked)
        self._handlers: dict[str, tuple[tuple[int, Callable[..., Any]], ...]] = {}
        for event in events:
            self._handlers[event] = ()
            # ahead of moto's own (its stub answers before-send), as the entries they replace were
            BUILTIN_HANDLERS.insert(0, (event, functools.partial(self._emit, event)))
        import boto3

        boto3.DEFAULT_SESSION = None  # the default session is made again, with them

    def add(self, event: str, handler: Callable[..., Any], rank: int) -> None:
        if event not in self._handlers:
            raise ValueError(f"{event} is not one of the hooked events {HOOK_EVENTS}")
        with self._lock:
            current = [entry for entry in self._handlers.get(event, ()) if entry[1] != handler]
            # the latest of a rank first (as inserting at the front did): nested stand-ins answer first
            at = next((i for i, (r, _) in enumerate(current) if r >= rank), len(current))
            current.insert(at, (rank, handler))
            self._handlers[event] = tuple(current)

    def remove(self, event: str, handler: Callable[..., Any]) -> None:
        with self._lock:
            kept = tuple(entry for entry in self._handlers.get(event, ()) if entry[1] != handler)
            self._handlers[event] = kept

    def added(self, event: str) -> list[Callable[..., Any]]:
        return [handler for _, handler in self._handlers.get(event, ())]

    def _emit(self, event: str, **kwargs: Any) -> Any:
        # as botocore's emitter: the first answer wins, and nothing after it is asked
        for _, handler in self._handlers.get(event, ()):
            response = handler(**kwargs)
            if response is not None:
                return response
        return None


_HOOKS = _Hooks(HOOK_EVENTS)


def add_hook(event: str, handler: Callable[..., Any], rank: int) -> None:
    """Call ``handler`` on botocore's ``event`` for every client, made before or after, until
    :func:`remove_hook`. Among handlers of one event, lower ``rank`` first; of one rank, the latest."""
    _HOOKS.add(event, handler, rank)


def remove_hook(event: str, handler: Callable[..., Any]) -> None:
    _HOOKS.remove(event, handler)


def hooked(event: str) -> list[Callable[..., Any]]:
    """The handlers added for ``event`` now, in call order."""
    return _HOOKS.added(event)


@contextmanager
def hook(event: str, handler: Callable[..., Any], rank: int) -> Iterator[None]:
    add_hook(event, handler, rank)
    try:
        yield
    finally:
        remove_hook(event, handler)


#: ``(function_name, decoded JSON event) -> JSON-serialisable result``
LambdaDispatcher = Callable[[str, Any], Any]


class VirtualClock:
    """Time as the workflow experiences it: advanced by Wait states and Retry sleeps.

    Thread-safe: moto runs each execution in a thread, and each Parallel branch in another.
    """

    def __init__(self, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._now = time.time() if start is None else float(start)
        #: every Wait state's duration (seconds), in order
        self.waits: list[float] = []
        #: every Retry interval (seconds, after backoff, MaxDelaySeconds and jitter), in order
        self.retry_sleeps: list[float] = []
        #: what happens at a virtual time while a callback waits (:meth:`at`): (time, order, action)
        self._scheduled: list[tuple[float, int, Callable[[], object]]] = []

    def now(self) -> float:
        """Virtual epoch seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += max(0.0, float(seconds))

    def wait(self, seconds: float) -> None:
        """A Wait state: record it and advance."""
        with self._lock:
            self.waits.append(max(0.0, float(seconds)))
            self._now += max(0.0, float(seconds))

    def retry_sleep(self, seconds: float) -> None:
        """A Retry interval: record it and advance."""
        with self._lock:
            self.retry_sleeps.append(float(seconds))
            self._now += max(0.0, float(seconds))

    def at(self, when: float, action: Callable[[], object]) -> None:
        """Run ``action`` at virtual time ``when``: a callback wait (:func:`virtual_callbacks`)
        that reaches ``when`` stops there, runs it, and goes on waiting unless it woke the wait.
        One already past runs at the next callback wait, at once."""
        with self._lock:
            self._scheduled.append((float(when), len(self._scheduled), action))
            self._scheduled.sort(key=lambda entry: entry[:2])

    def scheduled(self) -> int:
        """How many actions have not run yet."""
        with self._lock:
            return len(self._scheduled)

    def next_before(self, deadline: float) -> Callable[[], object] | None:
        """The earliest action due before ``deadline``, the clock advanced to its time; None
        when there is none (the clock unmoved)."""
        with self._lock:
            if not self._scheduled or self._scheduled[0][0] >= deadline:
                return None
            when, _, action = self._scheduled.pop(0)
            self._now = max(self._now, when)
            return action

    def waited(self, seconds: float) -> None:
        """A callback wait that has ended (woken or timed out) after ``seconds``: recorded as a
        Wait state's duration is (the clock has already moved)."""
        with self._lock:
            self.waits.append(max(0.0, float(seconds)))


@contextmanager
def virtual_time(clock: VirtualClock) -> Iterator[VirtualClock]:
    """Wait states (``Seconds``, ``SecondsPath``, ``Timestamp``, ``TimestampPath``) and Retry
    intervals advance ``clock`` instead of blocking."""

    def wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        # A stopped/failed execution does not wait: the interpreter sees it is no longer running.
        if env.is_running():
            clock.wait(wait_seconds)

    def timestamp_wait_seconds(self: Timestamp, env: Any) -> int:
        # As moto's, but against the clock, in UTC (moto subtracts a naive local ``datetime.now()``).
        self.string.eval(env=env)
        timestamp_str: str = env.stack.pop()
        timestamp = self._from_timestamp_string(timestamp=timestamp_str)
        if timestamp is None:
            raise FailureEventException(self._create_failure_event(env, timestamp_str))
        return int(timestamp.replace(tzinfo=datetime.UTC).timestamp() - clock.now())

    shim = types.SimpleNamespace(sleep=clock.retry_sleep, time=time.time, monotonic=time.monotonic)
    with (
        mock.patch.object(WaitFunction, "_wait_interval", wait_interval),
        mock.patch.object(Timestamp, "_get_wait_seconds", timestamp_wait_seconds),
        mock.patch.object(retrier_decl, "time", shim),
    ):
        yield clock


@contextmanager
def virtual_callbacks(clock: VirtualClock) -> Iterator[set[str]]:
    """Callback tasks (``.waitForTaskToken``) wait on ``clock``, and a closed task's token is
    refused as AWS refuses it. Yields the tokens of the tasks that are over.

    - ``.../state_task/service/state_task_service_callback.py``
      ``StateTaskServiceCallback._eval_wait_for_task_token`` blocks on ``CallbackEndpoint.wait``
      for the task's timeout in real seconds (and goes on after a StopExecution until then).
      Inside the context, a wait without a heartbeat runs on the virtual clock: the actions
      scheduled before its timeout (:meth:`VirtualClock.at`, e.g. a recheck) run at their time,
      in turn, until one of them ends the task (``SendTaskSuccess``); if none does, the clock
      advances to the timeout and the task times out (``States.Timeout``), at once. A stopped
      execution's wait ends at once, raising nothing (moto's own, once its real-time wait is over,
      raises the timeout, which fails the stopped execution: ``program.py`` ``_eval_body`` sets
      the error over the stop). Each wait's virtual length is recorded as a Wait state's.
    - ``stepfunctions/parser/models.py`` ``StepFunctionsParserBackend.send_task_success``
      finds the token among the running executions' callbacks, and a token whose task is over
      is still there: moto answers success and nothing happens. AWS answers ``TaskTimedOut``
      ("Task Timed Out: 'Provided task does not exist anymore'"); inside the context, so does
      this.
    """
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback as callback_task,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackOutcomeSuccess,
        CallbackOutcomeTimedOut,
    )
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    class TaskTimedOut(AWSError):
        # moto's own (stepfunctions/parser/api.py) has no exception_type: it answers an empty code
        TYPE = "TaskTimedOut"
        STATUS = 400

    over: set[str] = set()
    lock = threading.Lock()
    StateTaskServiceCallback = callback_task.StateTaskServiceCallback
    original_wait = StateTaskServiceCallback._eval_wait_for_task_token
    original_send = StepFunctionsParserBackend.send_task_success

    def wait_for_task_token(
        self: Any, env: Any, timeout_seconds: int, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        if heartbeat_endpoint is not None:
            return original_wait(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        start = clock.now()
        deadline = start + timeout_seconds
        try:
            while env.is_running():
                outcome = callback_endpoint.get_outcome()
                if outcome is not None:
                    clock.waited(clock.now() - start)
                    return outcome
                action = clock.next_before(deadline)
                if action is None:
                    if clock.now() > start:  # actions ran, none woke it: that part is waited too
                        clock.waited(clock.now() - start)
                    # the rest as a Wait state waits it (a clock that hooks Wait states sees it)
                    clock.wait(deadline - clock.now())
                    return CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)
                action()
            # stopped while it waited: the wait ends here, as a Wait state's does, and raises
            # nothing (an error raised now would turn the stopped execution into a failed one)
            clock.waited(clock.now() - start)
            return CallbackOutcomeSuccess(callback_id=callback_endpoint.callback_id, output="null")
        finally:
            with lock:
                over.add(callback_endpoint.callback_id)

    def send_task_success(self: StepFunctionsParserBackend, task_token: str, outcome: str) -> Any:
        with lock:
            closed = task_token in over
        if closed:
            raise TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'")
        answer = original_send(self, task_token, outcome)
        with lock:
            over.add(task_token)  # answered: the task is over from now on
        return answer

    with (
        mock.patch.object(StateTaskServiceCallback, "_eval_wait_for_task_token", wait_for_task_token),
        mock.patch.object(StepFunctionsParserBackend, "send_task_success", send_task_success),
    ):
        yield over


@functools.cache
def _http_status(code: str) -> int:
    """The HTTP status the Lambda API model gives an error code; 500 for codes it does not know."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("lambda")
    try:
        return int(model.shape_for(code).metadata["error"]["httpStatusCode"])
    except Exception:
        return 500


class LambdaServiceError(JsonRESTError):
    """Raise from a dispatcher to make the Lambda *service* fail the invoke (throttled, 5xx).

    ``code`` is the Lambda API error code (``TooManyRequestsException``, ``ServiceException``, ...);
    the HTTP status comes from botocore's Lambda model (429, 500, ...). boto3 raises it as
    ``ClientError`` with that code, and the interpreter reports ``Lambda.<code>``. As in every
    moto ``JsonRESTError``, ``.code`` is the HTTP status and ``.error_type`` the error code.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = _http_status(code)


def function_name(name_or_arn: str) -> str:
    """The bare name from ``NAME``, ``NAME:QUALIFIER``, ``ACCOUNT:function:NAME[:QUALIFIER]`` or an ARN."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        return parts[parts.index("function") + 1]
    return parts[0]


def _unhandled(exc: BaseException) -> dict[str, Any]:
    """The payload the Lambda Python runtime returns for an exception the handler lets escape."""
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "requestId": str(uuid.uuid4()),
        # like the runtime's: the handler's frames, not the frame that called it
        "stackTrace": [line.rstrip("\n") for line in traceback.format_tb(exc.__traceback__)[1:]],
    }


@contextmanager
def in_process_lambdas(dispatch: LambdaDispatcher) -> Iterator[None]:
    """Route every moto Lambda invoke to ``dispatch(function_name, event)``."""

    def invoke(
        self: LambdaSimpleBackend,
        function_name_or_arn: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> bytes:
        event = json.loads(body) if body else {}
        try:
            result = dispatch(function_name(function_name_or_arn), event)
        except LambdaServiceError:
            raise  # moto's response layer turns it into the HTTP error
        except Exception as exc:
            response_headers["x-amz-function-error"] = "Unhandled"
            return json.dumps(_unhandled(exc)).encode()
        return json.dumps(result).encode()

    with mock.patch.object(LambdaSimpleBackend, "invoke", invoke):
        yield


@contextmanager
def sdk_retry_sleeps(clock: VirtualClock, record: list[float]) -> Iterator[None]:
    """botocore sleeps between its own retries (``botocore.endpoint``): on the virtual clock too."""
    import types
    from unittest import mock

    import botocore.endpoint

    def sleep(seconds: float) -> None:
        record.append(seconds)
        clock.advance(seconds)

    shim = types.SimpleNamespace(sleep=sleep, time=time.time, monotonic=time.monotonic)
    with mock.patch.object(botocore.endpoint, "time", shim):
        yield


@contextmanager
def logs_to_stderr(level: str | None) -> Iterator[None]:
    """Powertools logs to stdout, as Lambda wants; locally stdout belongs to the CLI's summary.

    A filter on the handler drops records below ``level`` (Powertools resets the logger's own
    level on every invocation, so setting it would not last).
    """
    import logging

    from repolink.observability import logger

    handler = logger.registered_handler
    threshold = logging.getLevelName(level) if level else logging.NOTSET

    def at_least(record: logging.LogRecord) -> bool:
        return record.levelno >= threshold

    # assigned, not setStream(): that flushes the old stream, which a test's capture may have closed
    stream = handler.stream if isinstance(handler, logging.StreamHandler) else None
    if isinstance(handler, logging.StreamHandler):
        handler.stream = _STDERR_PROXY
    handler.addFilter(at_least)
    try:
        yield
    finally:
        handler.removeFilter(at_least)
        if isinstance(handler, logging.StreamHandler):
            handler.stream = stream


class _StderrProxy:
    """A file object that writes wherever ``sys.stderr`` points at the time of writing."""

    def write(self, text: str) -> int:
        import sys

        return sys.stderr.write(text)

    def flush(self) -> None:
        import sys

        sys.stderr.flush()


_STDERR_PROXY: Any = _StderrProxy()


@contextmanager
def metrics_one_at_a_time() -> Iterator[None]:
    """In Lambda each function has its own process, hence its own Powertools metric set; here
    every function shares one (it lives on the class), so adding, flushing and clearing are
    serialised: otherwise one function's flush can empty the set under another's (which then
    fails with "Must contain at least one metric")."""
    from unittest import mock

    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider as Provider,
    )

    lock = threading.RLock()

    def serialised(method: Callable[..., Any]) -> Callable[..., Any]:
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return locked

    with (
        mock.patch.object(Provider, "add_metric", serialised(Provider.add_metric)),
        mock.patch.object(Provider, "flush_metrics", serialised(Provider.flush_metrics)),
    ):
        yield


#: the state machine definitions moto's parser has accepted in this process (:func:`interpreter_caches`)
_VALID_DEFINITIONS: set[str] = set()
#: the ANTLR parse tree of each definition an execution ran in this process (:func:`interpreter_caches`)
_PARSE_TREES: dict[str, Any] = {}
#: how many trees are kept (an engine's few definitions, and the variants a test run deploys)
PARSE_TREES_KEPT = 64
_PARSE_TREES_LOCK = threading.Lock()


@contextmanager
def interpreter_caches() -> Iterator[None]:
    """Two costs of moto's interpreter that AWS does not have, cut without changing behaviour.

    - ``asl/utils/boto_client.py`` ``boto_client_for`` builds a new boto3 client for every Task
      (a quarter of the interpreter's time in a long handshake wait). Its arguments are only
      the Region and the service (the credentials are always ``ak``/``sk``), and botocore
      clients are thread-safe, so one client per (Region, service) is shared for the context.
    - ``asl/utils/json_path.py`` and ``.../path/result_path.py`` call jsonpath-ng's ``parse``,
      which builds a yacc parser, for every path of every state (a fifth of the time).
      Parsed paths are immutable; they are cached.
    - ``stepfunctions/parser/models.py`` ``StepFunctionsParserBackend._validate_definition``
      parses the whole ASL (an ANTLR parser: most of an engine's start-up) on every
      CreateStateMachine and discards the result. A definition it accepted is accepted again
      without parsing (the verdict depends on the text alone); one it refused is parsed, and
      refused, every time.
    - ``stepfunctions/parser/backend/execution_worker.py``
      ``ExecutionWorker._get_evaluation_entrypoint`` parses the whole ASL again for every
      execution (a sixth of a 500-team burst's time, ``bench/scale.py``). The ANTLR parse tree of
      a definition is kept for the process (the preprocessor only reads it; every engine deploys
      the same few definitions, whose first parse was a sixth of a test's time) and each execution
      still gets its own components, built from it by a new ``Preprocessor``: nothing is shared
      between executions that was not shared before.
    """
    import importlib

    from jsonpath_ng import parse as jsonpath_parse
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path

    lock = threading.Lock()
    clients: dict[tuple[str, str], Any] = {}
    original = boto_client.boto_client_for

    def shared_client(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            key = (region, service)
            if key not in clients:
                clients[key] = original(region, service, state_credentials)
            return clients[key]

    users = [
        importlib.import_module(f"moto.stepfunctions.parser.asl.component.state.exec.state_task.{name}")
        for name in (
            "lambda_eval_utils",
            "service.state_task_service_events",
            "service.state_task_service_sqs",
            "service.state_task_service_sns",
            "service.state_task_service_sfn",
            "service.state_task_service_dynamodb",
            "service.state_task_service_aws_sdk",
        )
    ]
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    cached_parse = functools.lru_cache(maxsize=4096)(jsonpath_parse)
    validate = StepFunctionsParserBackend._validate_definition

    def validate_once(definition: str) -> None:
        if definition not in _VALID_DEFINITIONS:
            validate(definition)
            _VALID_DEFINITIONS.add(definition)

    def entrypoint(worker: Any) -> Any:
        definition = worker._evaluation_details.state_machine_details.definition
        tree = _PARSE_TREES.get(definition)
        if tree is None:
            program, tree = AmazonStateLanguageParser.parse(definition)
            with _PARSE_TREES_LOCK:
                while len(_PARSE_TREES) >= PARSE_TREES_KEPT:  # the oldest goes first
                    del _PARSE_TREES[next(iter(_PARSE_TREES))]
                _PARSE_TREES[definition] = tree
            return program
        return Preprocessor().visit(tree)

    with ExitStack() as stack:
        stack.enter_context(
            mock.patch.object(StepFunctionsParserBackend, "_validate_definition", staticmethod(validate_once))
        )
        stack.enter_context(mock.patch.object(ExecutionWorker, "_get_evaluation_entrypoint", entrypoint))
        for module in users:
            stack.enter_context(mock.patch.object(module, "boto_client_for", shared_client))
        stack.enter_context(mock.patch.object(json_path, "parse", cached_parse))
        stack.enter_context(mock.patch.object(result_path, "parse", cached_parse))
        yield


#: botocore's loader of each data path, shared by the sessions made in this process
#: (:func:`shared_service_models`)
_LOADERS: dict[str | None, Any] = {}
_LOADERS_LOCK = threading.Lock()


class _SearchPaths(list[str]):
    """A shared loader's search paths, each once: boto3's ``session.py`` ``Session._setup_loader``
    appends boto3's own ``data`` directory to its session's loader, once for every session."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@contextmanager
def shared_service_models() -> Iterator[None]:
    """Sessions made inside the context share one botocore loader per data path, for the process.

    ``botocore/session.py`` ``Session._register_data_loader`` gives every session its own
    ``loaders.Loader`` (``create_loader``), which reads and parses the service models, endpoint
    rules and partitions (JSON files of up to megabytes) again and caches them on itself. A Lambda
    container makes its sessions once. The local world makes new ones for every engine, since
    the handlers' clients are forgotten between tests (``engine.reset_app_caches``): reading the
    models again was a quarter of a test's time. A shared loader hands out the same parsed
    documents, which the clients of one session share already; nothing else of a session is shared.
    """
    import botocore.session

    original = botocore.session.create_loader

    def create_loader(search_path_string: str | None = None) -> Any:
        with _LOADERS_LOCK:
            loader = _LOADERS.get(search_path_string)
            if loader is None:
                loader = original(search_path_string)
                loader._search_paths = _SearchPaths(loader.search_paths)
                _LOADERS[search_path_string] = loader
            return loader

    with mock.patch.object(botocore.session, "create_loader", create_loader):
        yield


@contextmanager
def symmetric_keys_without_rsa() -> Iterator[None]:
    """A symmetric KMS key, created inside the context, costs no RSA key generation.

    moto 5.2.5's ``kms/models.py`` ``Key.__init__`` calls ``kms/utils.py`` ``generate_private_key``
    for every key, and its fallback for a symmetric (or HMAC) key spec generates an RSA-2048 key:
    a sixteenth of a test's time. Only Sign, Verify and GetPublicKey read it, and AWS refuses those
    on a symmetric key. Inside the context such a key is given one RSA key generated once for the
    process; an asymmetric key (``RSA_*``, ``ECC_*``) still gets a key of its own.
    """
    from moto.kms import models

    original = models.generate_private_key

    def generate(key_spec: str) -> Any:
        if key_spec.startswith(("RSA_", "ECC_")):
            return original(key_spec)
        return _unused_private_key(original)

    with mock.patch.object(models, "generate_private_key", generate):
        yield


@functools.cache
def _unused_private_key(generate: Callable[[str], Any]) -> Any:
    return generate("SYMMETRIC_DEFAULT")


#: how long a StopExecution waits for an execution's program to start running
STOP_WAIT_SECONDS = 60.0


@contextmanager
def stopping_executions(wait_seconds: float = STOP_WAIT_SECONDS) -> Iterator[None]:
    """A StopExecution stops an execution whatever it is doing, and it ends ``ABORTED``."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branch_worker import BranchWorker
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    original_stop = ExecutionWorker.stop
    original_set_error = Environment.set_error

    def stop(self: Any, stop_date: datetime.datetime, error: str | None, cause: str | None) -> None:
        give_up = time.monotonic() + wait_seconds
        # env is set before the program runs (Program.eval then sets its first state): wait for both
        while (self.env is None or self.env.program_state() is None) and time.monotonic() < give_up:
            time.sleep(0.005)
        if self.env is not None:
            original_stop(self, stop_date=stop_date, error=error, cause=cause)

    def set_error(self: Any, error: Any) -> None:
        if isinstance(self._program_state, ProgramStopped):
            return
        original_set_error(self, error)

    def branch_routine(self: Any) -> None:
        try:
            self._program.eval(self.env)
        finally:
            self._branch_worker_comm.on_terminated(env=self.env)

    with (
        mock.patch.object(ExecutionWorker, "stop", stop),
        mock.patch.object(Environment, "set_error", set_error),
        mock.patch.object(BranchWorker, "_thread_routine", branch_routine),
    ):
        yield


@contextmanager
def history_quota(limit: int = HISTORY_EVENTS_QUOTA) -> Iterator[None]:
    """Step Functions' history quota, enforced as AWS documents it.

    "When an execution reaches 24,999 events, it waits for the next event to happen. If the event
    number 25,000 is ExecutionSucceeded, the execution finishes successfully. If [it] isn't
    ExecutionSucceeded, the ExecutionFailed event is logged and the state machine execution fails
    because of reaching the history limit"
    (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html). No Catch sees it.

    moto's ``asl/eval/event/event_manager.py`` ``EventManager.add_event`` records events without a
    limit. Inside the context, the event that would be number ``limit`` (unless it ends the
    execution) instead fails the whole execution: the root ``Environment`` (every Parallel
    branch and Map iteration shares its event manager) is set to ``ProgramError``, which moto's
    program loop turns into the ``ExecutionFailed`` event. AWS does not document the error name;
    ``States.Runtime`` is used, with a cause that names the quota.
    """
    from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    ending = {
        HistoryEventType.ExecutionSucceeded,
        HistoryEventType.ExecutionFailed,
        HistoryEventType.ExecutionAborted,
        HistoryEventType.ExecutionTimedOut,
    }
    original_init, original_add, original_set_error = (
        Environment.__init__,
        EventManager.add_event,
        Environment.set_error,
    )
    reached = ExecutionFailedEventDetails(
        error="States.Runtime", cause=f"The execution reached the maximum number of history events ({limit})."
    )

    def init(self: Environment, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # frames replace their own manager with the root's afterwards: only the root's keeps this
        self.event_manager._repolink_root = self  # type: ignore[attr-defined]

    def set_error(self: Environment, error: Any) -> None:
        # once the quota ended the execution, what the interrupted states report afterwards (a
        # Parallel re-raises its branches' error, which moto cannot even name) does not replace it
        original_set_error(self, getattr(self, "_repolink_quota_reached", None) or error)

    def add_event(self: EventManager, context: Any, event_type: Any, *args: Any, **kwargs: Any) -> int:
        if event_type not in ending and len(self._history_event_list) >= limit - 1:
            root = getattr(self, "_repolink_root", None)
            if root is not None and getattr(root, "_repolink_quota_reached", None) is None:
                root._repolink_quota_reached = reached
                original_set_error(root, reached)
            return len(self._history_event_list)
        return int(original_add(self, context, event_type, *args, **kwargs))

    with (
        mock.patch.object(Environment, "__init__", init),
        mock.patch.object(Environment, "set_error", set_error),
        mock.patch.object(EventManager, "add_event", add_event),
    ):
        yield


def execution_status(account: str, region: str, execution_arn: str) -> str:
    """A local execution's status, read from moto's backend (``stepfunctions/parser/backend/
    execution.py`` ``Execution.status``): what an engine following an execution asks every 20 ms,
    where a DescribeExecution call (signed, hooked, parsed) was a twentieth of a test's time."""
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    return str(stepfunctions_parser_backends[account][region].describe_execution(execution_arn).status)


def execution_history(account: str, region: str, execution_arn: str) -> list[dict[str, Any]]:
    """Every history event of a local execution, oldest first, as boto3 would return them.

    Read from moto's backend (``stepfunctions/parser/backend/execution.py``
    ``Execution.to_history_output``), not through GetExecutionHistory: moto's response layer
    serialises each event at about 2.5 ms, a minute for a 25,000-event history. Timestamps are
    turned into ``datetime`` as botocore's parser does.
    """
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    execution = stepfunctions_parser_backends[account][region].describe_execution(execution_arn)
    events = [dict(event) for event in execution.to_history_output()["events"]]
    for event in events:
        stamp = event.get("timestamp")
        if isinstance(stamp, str):
            event["timestamp"] = datetime.datetime.fromisoformat(stamp)
    return events


#: GetExecutionHistory's page size when ``maxResults`` is absent or 0, and its largest
#: (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html)
HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX = 100, 1000
#: what ``includeExecutionData: false`` leaves out of an event's details: its execution data (the
#: input, output, and a Task's parameters, which are its input)
_EXECUTION_DATA = frozenset({"input", "output", "parameters"})


def _history_page(
    events: list[dict[str, Any]], arn: str, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``events`` (oldest first) as AWS answers GetExecutionHistory ``params``."""
    import base64

    from moto.stepfunctions.exceptions import InvalidToken, ValidationException

    size = int(params.get("maxResults") or 0) or HISTORY_PAGE_DEFAULT
    if size > HISTORY_PAGE_MAX:
        raise ValidationException(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {HISTORY_PAGE_MAX}"
        )
    newest_first = bool(params.get("reverseOrder"))
    with_data = params.get("includeExecutionData", True) is not False
    # the token names the request it continues ("keep all other arguments unchanged") and the
    # last event id returned, so events appended meanwhile neither repeat nor shift the pages
    scope = [arn, newest_first, with_data]
    after: int | None = None
    if params.get("nextToken"):
        try:
            token = json.loads(base64.urlsafe_b64decode(str(params["nextToken"])))
            after = int(token["after"])
        except (ValueError, KeyError, TypeError):
            raise InvalidToken("the token is not one GetExecutionHistory gave") from None
        if token.get("scope") != scope:
            raise InvalidToken("the token was given for other arguments") from None
    ordered = list(reversed(events)) if newest_first else events
    if after is not None:
        ordered = [e for e in ordered if (e["id"] < after if newest_first else e["id"] > after)]
    page = ordered[:size]
    if not with_data:
        page = [
            {
                key: {k: v for k, v in value.items() if k not in _EXECUTION_DATA}
                if key.endswith("EventDetails") and isinstance(value, dict)
                else value
                for key, value in event.items()
            }
            for event in page
        ]
    more = len(ordered) > size
    token_out = (
        base64.urlsafe_b64encode(json.dumps({"scope": scope, "after": page[-1]["id"]}).encode()).decode()
        if more
        else None
    )
    return page, token_out


def _recorded_events(execution: Any) -> list[dict[str, Any]]:
    """An execution's history events as its event manager holds them, oldest first, not copied
    (``asl/eval/event/event_manager.py`` ``EventManager.get_event_history`` deep-copies them)."""
    env = execution.exec_worker.env
    if env is None:  # the execution has not started yet
        return []
    manager = env.event_manager
    with manager._mutex:
        return list(manager._history_event_list)


@contextmanager
def execution_history_pages() -> Iterator[None]:
    """GetExecutionHistory as AWS answers it: ``maxResults`` pages (default 100, at most 1000),
    ``nextToken``, ``reverseOrder``, and ``includeExecutionData: false`` without the data.

    moto 5.2.5's ``stepfunctions/responses.py`` ``StepFunctionResponse.get_execution_history``
    reads only ``executionArn`` and answers every event, oldest first, with its data: a caller
    that pages, reads newest first or leaves the data out would pass here and fail on AWS.
    """
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def get_execution_history(self: StepFunctionResponse) -> ActionResult:
        arn = self._get_param("executionArn")
        execution = self.stepfunction_backend.describe_execution(arn)
        params = {
            key: self._get_param(key)
            for key in ("maxResults", "reverseOrder", "nextToken", "includeExecutionData")
        }
        events, token = _history_page(_recorded_events(execution), arn, params)
        # the page is copied, as moto copies the whole history (``Execution.to_history_output``
        # deep-copies every event, for every page: a quarter of a long wait's GETs)
        page = copy.deepcopy(events)
        return ActionResult({"events": page, **({"nextToken": token} if token else {})})

    with mock.patch.object(StepFunctionResponse, "get_execution_history", get_execution_history):
        yield


@contextmanager
def kms_key_id(wanted: str) -> Iterator[None]:
    """CreateKey, inside the context, makes the key ``wanted`` (moto 5.2.5 ``kms/models.py``
    ``Key.__init__`` calls the module's ``generate_key_id``)."""
    from moto.kms import models

    with mock.patch.object(models, "generate_key_id", lambda multi_region=False: wanted):
        yield


@contextmanager
def kms_decrypt_checks_the_key() -> Iterator[None]:
    """Decrypt with a ``KeyId`` as AWS answers it: a ciphertext that does not parse is an
    ``InvalidCiphertextException``, one of another key an ``IncorrectKeyException``
    (https://docs.aws.amazon.com/kms/latest/APIReference/API_Decrypt.html#API_Decrypt_Errors).
    moto 5.2.5's ``KmsBackend.decrypt`` answers both with an ``AccessDeniedException``, which
    AWS keeps for a caller that may not use the key."""
    from moto.core.exceptions import JsonRESTError
    from moto.kms.exceptions import InvalidCiphertextException
    from moto.kms.models import KmsBackend
    from moto.kms.utils import _deserialize_ciphertext_blob

    original = KmsBackend.decrypt

    def decrypt(
        self: KmsBackend,
        ciphertext_blob: bytes,
        encryption_context: dict[str, str],
        key_id: str | None = None,
    ) -> tuple[bytes, str]:
        if key_id is not None:
            try:
                named = _deserialize_ciphertext_blob(ciphertext_blob).key_id
            except Exception:
                raise InvalidCiphertextException() from None
            if named != self.any_id_to_key_id(key_id):
                raise JsonRESTError(
                    "IncorrectKeyException",
                    "The key ID in the request does not identify a CMK that can perform this operation.",
                )
        return original(self, ciphertext_blob, encryption_context, key_id)

    with mock.patch.object(KmsBackend, "decrypt", decrypt):
        yield


_interpreter = threading.local()


def calling_state_machine() -> str | None:
    """The ARN of the state machine whose execution makes the interpreter's call in this thread
    (inside :func:`interpreter_machines`), or None outside one."""
    arn: str | None = getattr(_interpreter, "state_machine_arn", None)
    return arn


@contextmanager
def interpreter_machines() -> Iterator[None]:
    """Record, around each interpreter call to AWS, which state machine's execution makes it."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_events,
    )

    def machine_of(env: Any) -> str:
        return str(env.states.context_object.context_object_data["StateMachine"]["Id"])

    def recorded(original: Callable[..., Any], env_at: int) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            env = kwargs["env"] if "env" in kwargs else args[env_at]
            previous = getattr(_interpreter, "state_machine_arn", None)
            _interpreter.state_machine_arn = machine_of(env)
            try:
                return original(*args, **kwargs)
            finally:
                _interpreter.state_machine_arn = previous

        return wrapper

    events = state_task_service_events.StateTaskServiceEvents
    with (
        mock.patch.object(
            lambda_eval_utils,
            "execute_lambda_function_integration",
            recorded(lambda_eval_utils.execute_lambda_function_integration, 0),
        ),
        mock.patch.object(events, "_eval_service_task", recorded(events._eval_service_task, 1)),
    ):
        yield
