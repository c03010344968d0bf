"""Task (offboarding, a change's prune): delete the CodeArtifact repositories (downstreams first)
and the domain this onboarding created."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.handlers.common import task_handler
from repolink.models.state.offboarding import RemoveCodeArtifactInput
from repolink.observability import logger, metrics
from repolink.targets.codeartifact import remove_codeartifact


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = RemoveCodeArtifactInput.from_wire(event)
    result = remove_codeartifact(
        task.codeartifact,
        request_id=task.request_id,
        delete_packages=task.delete_packages,
        keep_domain=task.keep_domain,
        untag=task.untag,
    )
    logger.info(
        "codeartifact removed",
        removed=[r.name for r in result.removed],
        retained=[r.name for r in result.retained],
        failure=result.failure.wire() if result.failure else None,
    )
    metrics.add_metric(name="ResourcesRemoved", unit=MetricUnit.Count, value=len(result.removed))
    return result.wire()
