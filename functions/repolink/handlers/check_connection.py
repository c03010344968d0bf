"""Task: check the handshake once; raise HandshakeFailed or HandshakeTimedOut, or say how long to wait."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import connection_service
from repolink.handlers.common import task_handler
from repolink.models.settings import get_settings
from repolink.models.state import CheckConnectionInput
from repolink.observability import logger, metrics
from repolink.workflow.connection import check_handshake


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = CheckConnectionInput.from_wire(event)
    settings = get_settings()
    handshake = check_handshake(
        connection_service(task.connection.service),
        task.connection,
        task.poll,
        timeout_hours=task.handshake_timeout_hours,
        base=settings.poll_base_seconds,
        cap=settings.poll_cap_seconds,
        request_id=task.request_id,
    )
    logger.info(
        "handshake checked",
        connection_arn=task.connection.arn,
        status=handshake.connection.status,
        attempt=handshake.poll.attempt,
        waited_seconds=handshake.poll.waited_seconds,
        next_wait_seconds=handshake.poll.wait_seconds,
    )
    metrics.add_metric(name="HandshakeChecks", unit=MetricUnit.Count, value=1)
    if handshake.connection.status == "AVAILABLE":
        metrics.add_metric(
            name="HandshakeWaitHours", unit=MetricUnit.Count, value=handshake.poll.waited_seconds / 3600
        )
    return handshake.wire()
