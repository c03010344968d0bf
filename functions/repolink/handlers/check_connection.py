"""Task: check the handshake once (or, given a ``host``, the host's setup); raise HandshakeFailed or
HandshakeTimedOut (HostSetupFailed or HostSetupTimedOut), or say how long to wait."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import Hosts, connection_service
from repolink.handlers.common import task_handler
from repolink.models.settings import Settings, get_settings
from repolink.models.state.common import CheckConnectionInput, CheckHostInput, PollState
from repolink.observability import logger, metrics
from repolink.workflow.connection import check_handshake
from repolink.workflow.hosts import check_setup


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    if "host" in event:
        host = CheckHostInput.from_wire(event)
        hosts = Hosts(host.host.service)  # type: ignore[arg-type]  # hosts are codeconnections' only
        setup = check_setup(hosts, host.host, host.poll, **_schedule(settings, host))
        _checked(
            "host setup checked",
            "HostSetupChecks",
            setup.poll,
            host_arn=host.host.arn,
            status=setup.host.status,
        )
        return setup.wire()
    task = CheckConnectionInput.from_wire(event)
    svc = connection_service(task.connection.service)
    handshake = check_handshake(svc, task.connection, task.poll, **_schedule(settings, task))
    status = handshake.connection.status
    _checked(
        "handshake checked",
        "HandshakeChecks",
        handshake.poll,
        connection_arn=task.connection.arn,
        status=status,
    )
    if status == "AVAILABLE":
        hours = handshake.poll.waited_seconds / 3600
        metrics.add_metric(name="HandshakeWaitHours", unit=MetricUnit.Count, value=hours)
    return handshake.wire()


def _schedule(settings: Settings, task: CheckHostInput | CheckConnectionInput) -> dict[str, Any]:
    """The wait's schedule: the request's deadline, the deployment's backoff."""
    return {
        "timeout_hours": task.handshake_timeout_hours,
        "base": settings.poll_base_seconds,
        "cap": settings.poll_cap_seconds,
        "request_id": task.request_id,
    }


def _checked(message: str, metric: str, poll: PollState, **fields: Any) -> None:
    """One check, logged (what was checked, its status, where the wait is) and counted."""
    logger.info(
        message,
        **fields,
        attempt=poll.attempt,
        waited_seconds=poll.waited_seconds,
        next_wait_seconds=poll.wait_seconds,
    )
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
