"""Task: announce that a person must complete the handshake, with the console link."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.events import put_event
from repolink.handlers.common import task_handler
from repolink.models.settings import get_settings
from repolink.models.state import ConnectionTaskInput
from repolink.observability import logger, metrics
from repolink.workflow.notifications import pending_handshake


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ConnectionTaskInput.from_wire(event)
    settings = get_settings()
    detail_type, detail = pending_handshake(task)
    event_id = put_event(settings.event_bus_name, settings.event_source, detail_type, detail.wire())
    logger.info(
        "handshake pending",
        connection_arn=task.connection.arn,
        console_url=task.connection.console_url,
        event_id=event_id,
    )
    metrics.add_metric(name="HandshakesPending", unit=MetricUnit.Count, value=1)
    return {"eventId": event_id}
