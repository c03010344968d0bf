"""Task: announce that a person must complete a step in the console, with its link: a host's setup
(``HostPendingSetup``) or a connection's handshake (``ConnectionPendingHandshake``)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.events import put_event
from repolink.handlers.common import task_handler
from repolink.models.settings import get_settings
from repolink.models.state.common import ConnectionTaskInput, HostTaskInput
from repolink.models.wire import Wire
from repolink.observability import logger, metrics
from repolink.workflow.notifications import pending_handshake, pending_host_setup


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    detail: Wire
    if "host" in event:
        host_task = HostTaskInput.from_wire(event)
        detail_type, detail = pending_host_setup(host_task)
        arn, console_url, metric = host_task.host.arn, host_task.host.console_url, "HostSetupsPending"
    else:
        task = ConnectionTaskInput.from_wire(event)
        detail_type, detail = pending_handshake(task)
        arn, console_url, metric = task.connection.arn, task.connection.console_url, "HandshakesPending"
    event_id = put_event(settings.event_bus_name, settings.event_source, detail_type, detail.wire())
    logger.info(
        "person needed", detail_type=detail_type, resource_arn=arn, console_url=console_url, event_id=event_id
    )
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return {"eventId": event_id}
