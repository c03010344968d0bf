"""Task (offboarding, a change's prune): delete the sync configurations and repository links
this onboarding created."""

from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.connections import GitSync
from repolink.handlers.common import task_handler
from repolink.models.state.offboarding import RemoveSourceInput
from repolink.observability import logger, metrics
from repolink.targets.gitsync import remove_git_sync
from repolink.targets.proton import proton_retained


def _git_sync(service: str) -> GitSync:
    name: Literal["codeconnections", "codestar-connections"] = (
        "codestar-connections" if service == "codestar-connections" else "codeconnections"
    )
    return GitSync(name)


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = RemoveSourceInput.from_wire(event)
    result = remove_git_sync(
        _git_sync,
        task.git_sync_repositories,
        request_id=task.request_id,
        caller=task.caller_account,
        keep_links=frozenset(task.keep_links),
        untag=task.untag,
    )
    retained = result.retained + proton_retained(task.proton_repositories)
    logger.info(
        "git sync removed",
        removed=[r.name for r in result.removed],
        retained=[r.name for r in retained],
        failure=result.failure.wire() if result.failure else None,
    )
    metrics.add_metric(name="ResourcesRemoved", unit=MetricUnit.Count, value=len(result.removed))
    return {**result.wire(), "retained": [r.wire() for r in retained]}
