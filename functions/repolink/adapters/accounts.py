"""Which account an AWS call acts in: the deployment's own, or a team's through its spoke role.

With the template's ``SpokeRoleName`` set, an onboarding acts in its target account (the
caller's, or the one its ``account`` field names): its connection, host, repository links, sync
configurations, App Runner connection and the CodeArtifact domain it owns are made there, by the
spoke role (``spoke/template.yaml``). A task runs :func:`acting_in` around its work; inside it,
:func:`repolink.adapters.aws.client` answers the services of :data:`TEAM_SERVICES` with clients on
the spoke's credentials, every other service (Step Functions, DynamoDB, EventBridge, KMS,
Proton) with the platform's own.

- **AssumeRole** on the Region's STS endpoint, with ``SourceIdentity`` = the onboarding's request
  id and the session tags ``repolink:request-id`` and ``repolink:owner-account`` (the caller's
  account), so the team's CloudTrail shows which onboarding did what
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
- **Caching**: the credentials and clients live as long as one :func:`acting_in` (one task
  invocation), never across the wait between two tasks. Only botocore's data loader (the
  service models and endpoint rules read from disk, the same for every account) is shared by
  the sessions of one process: without it every task in a team account parsed them again.
- **Refusal**: AccessDenied on AssumeRole (no spoke there yet, a trust that does not match) is
  :class:`~repolink.errors.SpokeRoleUnavailable`, naming the account, the role and the runbook
  section.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from repolink.errors import AwsAccessDenied, FieldError, SpokeRoleUnavailable
from repolink.models.record import record
from repolink.models.tags import RESERVED_CONNECTION_TAGS

#: the services whose resources an onboarding makes in its target account
TEAM_SERVICES = frozenset({"codeconnections", "codestar-connections", "apprunner", "codeartifact"})
#: the runbook section a SpokeRoleUnavailable points to
RUNBOOK_SECTION = "docs/runbook.md#rolling-out-the-spoke-role"
#: the session's name in the team's CloudTrail (the request id is its source identity)
SESSION_NAME = "repolink"
REQUEST_TAG, OWNER_TAG = RESERVED_CONNECTION_TAGS


@record
class Target:
    """The account an onboarding acts in, and what its sessions there carry."""

    account: str
    role_arn: str
    request_id: str
    caller: str
    #: CodeArtifact acts there too: the onboarding's domain is the target account's (a domain of
    #: the deployment's account, or of another admitted one, stays as without spokes)
    codeartifact: bool = True


class _Scope:
    """One acting_in: the invocation's own account, its target (None: the own account), the
    target's session and its clients (a plain class: a dataclass costs a cold start about 0.7 ms
    to define, models/record.py)."""

    __slots__ = ("clients", "own_account", "session", "target")

    def __init__(self, own_account: str, target: Target | None) -> None:
        self.own_account = own_account
        self.target = target
        self.session: Any = None
        self.clients: dict[tuple[str, int], Any] = {}


#: the one statement of which account the current invocation acts in (None: outside any
#: acting_in, where no account is known and nothing is created)
_scope: ContextVar[_Scope | None] = ContextVar("repolink_acting_account", default=None)


def spoke_role_arn(account: str, role_name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account}:role/{role_name}"


def target_of(
    account: str | None,
    *,
    own_account: str,
    role_name: str,
    request_id: str,
    caller: str,
    partition: str = "aws",
    domain_owner: str | None = None,
) -> Target | None:
    """Where an onboarding acts: ``None`` for the deployment's own account (no spoke role set, or
    the target is this account), else the target account through its spoke role; CodeArtifact
    too when ``domain_owner`` (the request's ``domainOwner``) is absent or that account."""
    if not role_name or not account or account == own_account:
        return None
    role_arn = spoke_role_arn(account, role_name, partition)
    return Target(account, role_arn, request_id, caller, codeartifact=domain_owner in (None, account))


def domain_owner_of(section: object) -> str | None:
    """The account of a task's CodeArtifact domain: the request's ``domainOwner``, or the account
    of a recorded ``domainArn`` (None: not said, the account the task acts in)."""
    if not isinstance(section, dict):
        return None
    if section.get("domainOwner"):
        return str(section["domainOwner"])
    arn = str(section.get("domainArn") or "")
    return arn.split(":")[4] if arn.count(":") >= 5 else None


@contextmanager
def acting_in(target: Target | None, own_account: str) -> Iterator[None]:
    """Within it, :func:`repolink.adapters.aws.client` gives the target account's clients for
    :data:`TEAM_SERVICES` (``None``: the deployment's own account, as without spokes), and
    :func:`acting_account` says which account each service's calls act in: the target's, or
    ``own_account`` (the invocation's: a task handler's context, the entry point's deployment)."""
    token = _scope.set(_Scope(own_account, target))
    try:
        yield
    finally:
        _scope.reset(token)


def reach() -> None:
    """Assume the spoke role of the current target now (nothing if there is none): a request is
    refused at accept, :class:`SpokeRoleUnavailable`, before anything starts."""
    from repolink.adapters.aws import CLIENT_CONFIG

    scope = _scope.get()
    if scope is not None and scope.target is not None and scope.session is None:
        scope.session = assume(scope.target, CLIENT_CONFIG)


def _team_target(scope: _Scope | None, service: str) -> Target | None:
    """The target whose spoke ``service``'s calls go through now, or None: the own account."""
    if scope is None or scope.target is None or service not in TEAM_SERVICES:
        return None
    if service == "codeartifact" and not scope.target.codeartifact:
        return None
    return scope.target


def acting_account(service: str) -> str | None:
    """The account ``service``'s calls act in now: the target account where the current
    invocation's clients for it are the spoke's, else the invocation's own; None outside any
    :func:`acting_in` (no account is known there)."""
    scope = _scope.get()
    target = _team_target(scope, service)
    if target is not None:
        return target.account
    return scope.own_account if scope is not None else None


def scoped_client(service: str, config: Any, attempts: int) -> Any | None:
    """The target account's client for ``service`` (made once per :func:`acting_in`), or
    ``None``: the caller uses the platform's own."""
    scope = _scope.get()
    target = _team_target(scope, service)
    if scope is None or target is None:
        return None
    made = scope.clients.get((service, attempts))
    if made is None:
        if scope.session is None:
            scope.session = assume(target, config)
        made = scope.clients[(service, attempts)] = scope.session.client(service, config=config)
    return made


def assume(target: Target, config: Any) -> Any:
    """A boto3 session on the spoke role's credentials (:class:`SpokeRoleUnavailable` when AWS
    refuses the role), from the Region's STS endpoint."""
    import boto3
    import botocore.session

    from repolink.adapters.aws import call, client

    try:
        answer = call(
            client("sts"),
            "AssumeRole",
            RoleArn=target.role_arn,
            RoleSessionName=SESSION_NAME,
            SourceIdentity=target.request_id,
            Tags=[
                {"Key": REQUEST_TAG, "Value": target.request_id},
                {"Key": OWNER_TAG, "Value": target.caller},
            ],
        )
    except AwsAccessDenied as exc:
        raise unavailable(target.account, target.role_arn, exc.aws_message) from exc
    credentials = answer["Credentials"]
    core = botocore.session.Session()
    core.register_component("data_loader", _data_loader())
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        botocore_session=core,
    )


@cache
def _data_loader() -> Any:
    """botocore's loader of service models and endpoint rules, one per process: it caches what
    it reads, which a new session would read and parse again (a fifth of a task's time)."""
    import botocore.session

    return botocore.session.Session().get_component("data_loader")


def unavailable(account: str, role_arn: str, why: str) -> SpokeRoleUnavailable:
    message = (
        f"SpokeRoleUnavailable: repolink cannot assume {role_arn} in account {account} (the spoke"
        f" StackSet has not reached it, or its trust does not admit this deployment): {why}. Roll"
        f" the spoke out to the account first ({RUNBOOK_SECTION}), then send the request again"
    )
    return SpokeRoleUnavailable(message, [FieldError("account", message)])
