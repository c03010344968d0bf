"""IAM in the local engine: AWS's authorization data, the deployment's principals and policies,
and an evaluator that decides every call as AWS would (see ``docs/architecture.md``)."""

from repolink_local.iam.deployment import Deployment, Role
from repolink_local.iam.enforcer import AccessDenied, Denial, DeploymentDenied, IamEnforcer, Principal

__all__ = ["AccessDenied", "Denial", "Deployment", "DeploymentDenied", "IamEnforcer", "Principal", "Role"]
