"""Task: create or reuse the source connection."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import connection_service
from repolink.handlers.common import task_handler
from repolink.models.settings import get_settings
from repolink.models.state import CreateConnectionInput
from repolink.observability import logger, metrics
from repolink.workflow.backoff import poll_delay
from repolink.workflow.connection import create_or_reuse
from repolink.workflow.tenancy import shared_connections


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = CreateConnectionInput.from_wire(event)
    settings = get_settings()
    first_wait = poll_delay(
        0, base=settings.poll_base_seconds, cap=settings.poll_cap_seconds, request_id=task.request_id
    )
    handshake = create_or_reuse(
        connection_service(task.connection.service),
        task.connection,
        request_id=task.request_id,
        region=settings.region,
        first_wait=first_wait,
        caller=task.caller_account,
        shared=shared_connections(settings.shared_connection_arns),
    )
    conn = handshake.connection
    logger.info(
        "connection ready",
        connection_arn=conn.arn,
        status=conn.status,
        created_by_us=conn.created,
        connection_service=conn.service,
    )
    metrics.add_metric(
        name="ConnectionsCreated" if conn.created else "ConnectionsReused", unit=MetricUnit.Count, value=1
    )
    return handshake.wire()
