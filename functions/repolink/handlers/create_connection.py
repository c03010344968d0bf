"""Task: create or reuse the source connection, or (``"step": "CreateHost"``) the host it is made on.

The host's steps run in the connection's functions: a host sits beside its connection (the same
service, the same adapter), and the account's alarms watch at most ten functions in one metric
math expression (CloudWatch's limit), which the existing ten fill.
"""

from dataclasses import replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import Hosts, connection_service
from repolink.handlers.common import task_handler
from repolink.models.settings import Settings, get_settings, listed
from repolink.models.state.connection import CREATE_HOST, CreateConnectionInput, CreateHostInput
from repolink.observability import logger, metrics
from repolink.workflow import hosts
from repolink.workflow.backoff import poll_delay
from repolink.workflow.connection import create_or_reuse


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = get_settings()
    if event.get("step") == CREATE_HOST:
        return _host(CreateHostInput.from_wire(event), settings)
    task = CreateConnectionInput.from_wire(event)
    spec, poll = task.connection, None
    if task.host is not None:
        # the connection is made on the host this onboarding has just waited for, and its
        # handshake wait continues that wait (one deadline, one schedule)
        spec = replace(spec, host=None, host_arn=task.host.host.arn)
        poll = hosts.handshake_poll(
            task.host,
            timeout_hours=task.handshake_timeout_hours,
            base=settings.poll_base_seconds,
            cap=settings.poll_cap_seconds,
            request_id=task.request_id,
        )
    handshake = create_or_reuse(
        connection_service(spec.service),
        spec,
        request_id=task.request_id,
        region=settings.region,
        first_wait=_first_wait(settings, task.request_id),
        caller=task.caller_account,
        shared=listed(settings.shared_connection_arns),
    )
    if poll is not None:
        handshake = replace(handshake, poll=poll)
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


def _first_wait(settings: Settings, request_id: str) -> int:
    return poll_delay(
        0, base=settings.poll_base_seconds, cap=settings.poll_cap_seconds, request_id=request_id
    )


def _host(task: CreateHostInput, settings: Settings) -> dict[str, Any]:
    setup = hosts.create_or_reuse(
        Hosts(task.connection.service),  # type: ignore[arg-type]  # the request model refuses apprunner
        task.connection,
        request_id=task.request_id,
        region=settings.region,
        first_wait=_first_wait(settings, task.request_id),
        caller=task.caller_account,
    )
    host = setup.host
    logger.info("host ready", host_arn=host.arn, status=host.status, created_by_us=host.created)
    metrics.add_metric(name="HostsCreated" if host.created else "HostsReused", unit=MetricUnit.Count, value=1)
    return setup.wire()
