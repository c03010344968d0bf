"""Task: provision the CodeArtifact domain, repositories and external connections."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.handlers.common import task_handler
from repolink.models.state import ProvisionCodeArtifactInput
from repolink.observability import logger, metrics
from repolink.targets.codeartifact import CodeArtifactTarget


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ProvisionCodeArtifactInput.from_wire(event)
    result = CodeArtifactTarget().apply(task.codeartifact)
    logger.info(
        "codeartifact provisioned",
        status=result.status,
        domain_arn=result.domain_arn,
        repositories=[r.name for r in result.repositories],
        failure=result.failure.wire() if result.failure else None,
    )
    metrics.add_metric(name="TargetsLinked", unit=MetricUnit.Count, value=len(result.repositories))
    return result.wire()
