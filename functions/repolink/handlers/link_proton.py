"""Task: link one Proton repository through the AVAILABLE connection (one Map item)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.handlers.common import task_handler
from repolink.models.state.proton import LinkProtonInput
from repolink.observability import logger, metrics
from repolink.targets.proton import ProtonContext, ProtonTarget


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = LinkProtonInput.from_wire(event)
    result = ProtonTarget().apply(task.repository, ProtonContext(connection=task.connection))
    logger.info("proton repository linked", repository=result.name, arn=result.arn, outcome=result.outcome)
    metrics.add_metric(name="TargetsLinked", unit=MetricUnit.Count, value=1)
    return result.wire()
