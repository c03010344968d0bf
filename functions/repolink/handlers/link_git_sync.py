"""Task: link one repository for CloudFormation Git sync and sync its stacks (one Map item)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.handlers.common import task_handler
from repolink.models.state.gitsync import LinkGitSyncInput
from repolink.observability import logger, metrics
from repolink.targets.gitsync import GitSyncContext, GitSyncTarget


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = LinkGitSyncInput.from_wire(event)
    result = GitSyncTarget().apply(
        task.repository,
        GitSyncContext(
            connection=task.connection,
            request_id=task.request_id,
            caller=task.caller_account,
            changing=task.changing,
        ),
    )
    logger.info(
        "git sync repository linked",
        repository_link_arn=result.repository_link_arn,
        outcome=result.outcome,
        stacks=len(result.sync_configurations),
        failed=len(result.failures),
        link_deleted=result.link_deleted,
    )
    metrics.add_metric(name="TargetsLinked", unit=MetricUnit.Count, value=len(result.sync_configurations))
    return result.wire()
