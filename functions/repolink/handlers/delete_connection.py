"""Task: delete a pending connection this onboarding created (never one it reused); given a
``host``, delete the host this onboarding created, if it is not set up and no connection uses it."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import Hosts, connection_service
from repolink.handlers.common import task_handler
from repolink.models.state.common import ConnectionTaskInput, HostTaskInput
from repolink.observability import logger, metrics
from repolink.workflow import hosts
from repolink.workflow.connection import clean_up


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "host" in event:
        host = HostTaskInput.from_wire(event).host
        gone = hosts.clean_up(Hosts(host.service), host)  # type: ignore[arg-type]  # codeconnections' only
        logger.info("host cleanup", host_arn=host.arn, created_by_us=host.created, deleted=gone)
        if gone:
            metrics.add_metric(name="HostsCleanedUp", unit=MetricUnit.Count, value=1)
        return {"deleted": gone, "hostArn": host.arn}
    task = ConnectionTaskInput.from_wire(event)
    conn = task.connection
    deleted = clean_up(connection_service(conn.service), conn)
    logger.info("connection cleanup", connection_arn=conn.arn, created_by_us=conn.created, deleted=deleted)
    if deleted:
        metrics.add_metric(name="ConnectionsCleanedUp", unit=MetricUnit.Count, value=1)
    return {"deleted": deleted, "connectionArn": conn.arn}
