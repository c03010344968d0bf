"""Task (offboarding): delete the connection this onboarding created, once nothing links through it,
then its host, once no connection is made on it."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import GitSync, Hosts, connection_service
from repolink.handlers.common import task_handler
from repolink.models.state.offboarding import RemoveSourceInput
from repolink.observability import logger, metrics
from repolink.workflow.connection import links_on, remove_connection


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = RemoveSourceInput.from_wire(event)
    conn, host = task.connection, task.host
    links = None
    if conn is not None and conn.service != "apprunner":
        links = links_on(GitSync(conn.service))
    hosts = None
    if host is not None and host.service != "apprunner":  # App Runner has no hosts
        hosts = (Hosts(host.service), host, task.host_deleted)
    result = remove_connection(
        connection_service(conn.service) if conn is not None else connection_service("codeconnections"),
        links,
        conn,
        already_deleted=task.connection_deleted,
        request_id=task.request_id,
        caller=task.caller_account,
        host=hosts,
    )
    logger.info(
        "connection removed",
        removed=[r.arn for r in result.removed],
        retained=[r.arn for r in result.retained],
        failure=result.failure.wire() if result.failure else None,
    )
    metrics.add_metric(name="ResourcesRemoved", unit=MetricUnit.Count, value=len(result.removed))
    return result.wire()
