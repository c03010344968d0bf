"""Task (offboarding): decide Offboarded or OffboardFailed from both branches and publish it."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.events import put_event
from repolink.handlers.common import task_handler
from repolink.models.settings import get_settings
from repolink.models.state.offboarding import ReportOffboardingInput
from repolink.observability import logger, metrics
from repolink.workflow.removal import decide


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ReportOffboardingInput.from_wire(event)
    settings = get_settings()
    detail_type, detail = decide(task.request_id, task.branches, task.replaced)
    event_id = put_event(settings.event_bus_name, settings.event_source, detail_type, detail.wire())
    logger.info("offboarding finished", detail_type=detail_type, status=detail.status, event_id=event_id)
    metrics.add_metric(
        name="OffboardingsSucceeded" if detail.status == "offboarded" else "OffboardingsFailed",
        unit=MetricUnit.Count,
        value=1,
    )
    return {"detailType": detail_type, "eventId": event_id, **detail.wire()}
