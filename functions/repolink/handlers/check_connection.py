"""Task: check the handshake once (or, given a ``host``, the host's setup); raise HandshakeFailed or
HandshakeTimedOut (HostSetupFailed or HostSetupTimedOut), or say how long to wait."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import Hosts, connection_service
from repolink.handlers.common import task_handler
from repolink.models.settings import Settings, get_settings
from repolink.models.state import CheckConnectionInput, CheckHostInput
from repolink.observability import logger, metrics
from repolink.workflow.connection import check_handshake
from repolink.workflow.hosts import check_setup


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    if "host" in event:
        return _host(CheckHostInput.from_wire(event), settings)
    task = CheckConnectionInput.from_wire(event)
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


def _host(task: CheckHostInput, settings: Settings) -> dict[str, Any]:
    setup = check_setup(
        Hosts(task.host.service),  # type: ignore[arg-type]  # hosts are codeconnections' only
        task.host,
        task.poll,
        timeout_hours=task.handshake_timeout_hours,
        base=settings.poll_base_seconds,
        cap=settings.poll_cap_seconds,
        request_id=task.request_id,
    )
    logger.info(
        "host setup checked",
        host_arn=task.host.arn,
        status=setup.host.status,
        attempt=setup.poll.attempt,
        waited_seconds=setup.poll.waited_seconds,
        next_wait_seconds=setup.poll.wait_seconds,
    )
    metrics.add_metric(name="HostSetupChecks", unit=MetricUnit.Count, value=1)
    return setup.wire()
