"""Task: provision the CodeArtifact domain, repositories and external connections."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from repolink.adapters.accounts import acting_account
from repolink.handlers.common import task_handler
from repolink.models.settings import get_settings, listed
from repolink.models.state.codeartifact import ProvisionCodeArtifactInput
from repolink.observability import logger, metrics
from repolink.targets.codeartifact import CodeArtifactTarget

#: the ASL's Retry on TransientAwsError for "Provision CodeArtifact" (MaxAttempts counts retries);
#: tests/unit/test_asl_contract.py holds the two together
TRANSIENT_RETRIES = 8


@task_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ProvisionCodeArtifactInput.from_wire(event)
    # on the step's last attempt a transient error is reported with what was done (the domain,
    # the repositories so far), not thrown into a Catch that knows none of it
    last = task.retry_count >= TRANSIENT_RETRIES
    # the account its domain is made in: the target account's own, through the spoke
    account = acting_account("codeartifact")
    if account is None:  # pragma: no cover - task_handler always acts in an account
        raise RuntimeError("provision_codeartifact runs inside task_handler")
    target = CodeArtifactTarget(
        task.request_id,
        account,
        changing=task.changing,
        caller=task.caller_account,
        shared=listed(get_settings().shared_domains),
    )
    result = target.apply(task.codeartifact, last_attempt=last)
    logger.info(
        "codeartifact provisioned",
        status=result.status,
        domain_arn=result.domain_arn,
        repositories=[r.name for r in result.repositories],
        failure=result.failure.wire() if result.failure else None,
    )
    metrics.add_metric(name="TargetsLinked", unit=MetricUnit.Count, value=len(result.repositories))
    return result.wire()
