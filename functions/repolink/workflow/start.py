"""Start an onboarding, once: the one path the API and the EventBridge rule share.

The idempotency key is the caller's ``Idempotency-Key`` (scoped to the caller's account) or,
without one, a digest of the normalized request. Powertools idempotency on DynamoDB remembers
each key (with a TTL) and the digest of the request it came with: a duplicate or a redelivery
returns the first answer, the same key with another body is refused. The execution is named
after the key, so even a start that slips past the idempotency record (expired, or racing) lands
on the same execution.

A record found in progress is not an answer: it may be a twin's that has not started the
execution yet, or this very call's, whose PutItem took effect and lost its answer (the SDK's
retry then finds it). Either way the execution is started (or found) by name, so a caller is
told ``202`` only for an execution that exists.
"""

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.aws import CLIENT_CONFIG
from repolink.adapters.stepfunctions import start_execution
from repolink.models.settings import EntrySettings
from repolink.observability import metrics
from repolink.workflow.idempotency import StartCommand, request_id_for_key

#: the idempotency store's calls (Powertools' DynamoDBPersistenceLayer), for the security gate
OPERATIONS: dict[str, frozenset[str]] = {
    "dynamodb": frozenset({"GetItem", "PutItem", "UpdateItem", "DeleteItem"})
}


def _start(command: StartCommand, state_machine_arn: str) -> dict[str, Any]:
    request_id = request_id_for_key(command.key)
    document = {
        "requestId": request_id,
        "callerAccount": command.caller,
        "targetAccount": command.target or command.caller,
        "request": command.request,
    }
    arn = start_execution(state_machine_arn, request_id, document)
    return {"requestId": request_id, "executionArn": arn}


@cache
def idempotent_start(settings: EntrySettings) -> tuple[Any, IdempotencyConfig]:
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="digest",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=settings.idempotency_ttl_hours * 3600,
    )
    store = DynamoDBPersistenceLayer(table_name=settings.idempotency_table, boto_config=CLIENT_CONFIG)

    def start(command: StartCommand) -> dict[str, Any]:
        started = _start(command, settings.state_machine_arn)
        # only a first request gets here: duplicates are answered from the idempotency record
        metrics.add_metric(name="OnboardingsStarted", unit=MetricUnit.Count, value=1)
        return started

    once: Callable[..., dict[str, Any]] = idempotent_function(
        start, data_keyword_argument="command", persistence_store=store, config=config
    )
    return once, config


def start_once(command: StartCommand, settings: EntrySettings, context: LambdaContext) -> dict[str, Any]:
    """``{"requestId", "executionArn"}``, the same for every duplicate of ``command``.

    Raises Powertools' ``IdempotencyValidationError`` when the key was used with another
    request, and :class:`~repolink.errors.ResourceConflict` when the execution of its name holds
    another request. A record in progress starts the execution by name (StartExecution with the
    same name and input is the same execution), so the answer always names one that exists.
    """
    start, config = idempotent_start(settings)
    config.register_lambda_context(context)
    try:
        result: dict[str, Any] = start(command=command)
    except IdempotencyAlreadyInProgressError:
        return _start(command, settings.state_machine_arn)
    return result
