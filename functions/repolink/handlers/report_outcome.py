"""Task: decide Completed or Failed from both branches and publish the one result event."""

from dataclasses import replace
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.events import put_event
from repolink.handlers.common import task_handler
from repolink.models.settings import get_settings
from repolink.models.state.results import ReportOutcomeInput
from repolink.observability import logger, metrics
from repolink.workflow.outcome import decide
from repolink.workflow.removal import with_pruned


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ReportOutcomeInput.from_wire(event)
    settings = get_settings()
    detail_type, detail = decide(task.request_id, task.branches)
    if task.pruned:
        detail_type, detail = with_pruned(detail_type, detail, task.pruned)
    if task.execution_name and task.execution_name != task.request_id:
        detail = replace(detail, change_id=task.execution_name)  # a change: say which
    event_id = put_event(settings.event_bus_name, settings.event_source, detail_type, detail.wire())
    logger.info("onboarding finished", detail_type=detail_type, status=detail.status, event_id=event_id)
    metrics.add_metric(
        name="OnboardingsSucceeded" if detail.status == "succeeded" else "OnboardingsFailed",
        unit=MetricUnit.Count,
        value=1,
    )
    return {"detailType": detail_type, "eventId": event_id, **detail.wire()}
