"""boto3 clients and AWS error translation: the one place that knows botocore's error shapes.

Every client has explicit timeouts and botocore's ``standard`` retry mode, which retries
throttling, 5xx and connection errors with exponential backoff and full jitter. What is still
failing after that becomes a :class:`TransientAwsError`, which the state machine retries again
with its own backoff; everything else becomes a named, permanent error. A creation refused for
one of AWS's resource quotas (:mod:`repolink.adapters.quotas`: told by operation and code) becomes
:class:`QuotaExceeded`, naming the quota and the account it is reached in.
"""

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from repolink.adapters import quotas
from repolink.errors import (
    AwsAccessDenied,
    AwsConflict,
    AwsNotFound,
    AwsRequestRejected,
    QuotaExceeded,
    TransientAwsError,
)

CLIENT_CONFIG = Config(
    connect_timeout=5,
    read_timeout=20,
    retries={"mode": "standard", "total_max_attempts": 5},
    user_agent_extra="repolink/0.1",
)

TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "InternalServerException",
        "InternalServiceErrorException",
        "InternalFailure",
        "InternalError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
ACCESS_DENIED_CODES = frozenset(
    {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "UnrecognizedClientException"}
)
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "NotFoundException", "ResourceNotFound"})
CONFLICT_CODES = frozenset({"ConflictException", "ResourceAlreadyExistsException"})
NETWORK_ERRORS = (ConnectTimeoutError, ReadTimeoutError, EndpointConnectionError, ConnectionClosedError)
#: parameters whose ARN (or account id) names the account of what the call creates: a repository
#: link's connection, a sync configuration's role (Git sync requires it in the stack's account),
#: a connection's host, a repository's domain owner
_OWNER_PARAMETERS = ("ConnectionArn", "RoleArn", "HostArn", "domainOwner")


def client(service: str, *, attempts: int = 5) -> Any:
    """The client for ``service`` in the account the current task acts in: the target account's,
    through its spoke role, inside :func:`repolink.adapters.accounts.acting_in`; else this
    deployment's own, one per service per process (clients are thread-safe and costly to build).

    ``attempts=1`` is for a create without an idempotency token whose name AWS does not keep
    unique (``CreateHost``): botocore would send it again after a lost answer and make a second
    one, so the caller looks for the first before it tries again.
    """
    from repolink.adapters.accounts import scoped_client

    scoped = scoped_client(service, _config(attempts), attempts)
    return scoped if scoped is not None else _own_client(service, attempts)


def _config(attempts: int) -> Config:
    if attempts == 5:
        return CLIENT_CONFIG
    return CLIENT_CONFIG.merge(Config(retries={"mode": "standard", "total_max_attempts": attempts}))


@cache
def _own_client(service: str, attempts: int) -> Any:
    return boto3.session.Session().client(service, config=_config(attempts))  # type: ignore[call-overload]


#: forget the deployment's own clients (a new local engine, a new test)
client.cache_clear = _own_client.cache_clear  # type: ignore[attr-defined]


def call(aws: Any, operation: str, /, **params: Any) -> dict[str, Any]:
    """Call ``operation`` (its API name, e.g. ``CreateConnection``) and translate any failure."""
    service = aws.meta.service_model.service_name
    try:
        response: dict[str, Any] = getattr(aws, xform_name(operation))(**params)
    except ClientError as exc:
        raise translate(exc, service, operation, account=owner(params, service)) from exc
    except NETWORK_ERRORS as exc:
        raise TransientAwsError(service, operation, type(exc).__name__, str(exc)) from exc
    return response


def delete_idempotently(delete: Callable[[], object], read: Callable[[], object]) -> None:
    """``delete()`` a resource; one already gone counts as deleted (a lost answer, a retried step).

    Where a delete is allowed only on what carries repolink's ownership tags (the spoke role's
    ``aws:ResourceTag`` conditions), AWS refuses it with AccessDenied, not NotFound, once the
    resource is gone: IAM has no tags to read. That is what the SDK's retry of a delete whose
    answer was lost meets. So a refusal is checked with ``read()`` (any read of the resource that
    raises :class:`AwsNotFound` when it is gone, unconditioned by tags): gone is deleted, there
    the refusal stands."""
    try:
        delete()
    except AwsNotFound:
        return
    except AwsAccessDenied as denied:
        try:
            read()
        except AwsNotFound:
            return  # the retry of a delete that took effect
        except AwsAccessDenied:
            raise denied from None
        raise


def pages(
    aws: Any, operation: str, /, *, page_field: str = "NextToken", **params: Any
) -> Iterator[dict[str, Any]]:
    """Every page of a paginated ``operation`` (each a :func:`call`), read lazily: a caller that
    stops early reads no further page. ``page_field`` is the operation's pagination field
    (``NextToken``, or Step Functions' ``nextToken``)."""
    while True:
        page = call(aws, operation, **params)
        yield page
        if not (following := page.get(page_field)):
            return
        params = {**params, page_field: following}


def owner(params: dict[str, Any], service: str = "") -> str | None:
    """The account that owns what a call of ``service`` with ``params`` creates: the one its
    parameters name, else the account that service's calls act in now (the target account's,
    through the spoke, or the invocation's own: a CodeArtifact domain of the deployment's
    account stays here while the task's connections act in the team's)."""
    for name in _OWNER_PARAMETERS:
        value = params.get(name)
        if isinstance(value, str) and value:
            account = value if name == "domainOwner" else (value.split(":")[4:5] or [""])[0]
            if account:
                return account
    from repolink.adapters.accounts import acting_account

    return acting_account(service)


def translate(
    exc: ClientError, service: str, operation: str, *, account: str | None = None
) -> AwsRequestRejected | TransientAwsError:
    """``exc`` as our named error; ``account`` owns what the call would have created."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "")) or str(exc)
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
    reached = quotas.answered(service, operation, code)
    if reached is not None:
        return QuotaExceeded(service, operation, code, message, quota=reached, account=account)
    if code in TRANSIENT_CODES or status >= 500:
        return TransientAwsError(service, operation, code, message)
    if code in ACCESS_DENIED_CODES:
        return AwsAccessDenied(service, operation, code, message)
    if code in NOT_FOUND_CODES:
        return AwsNotFound(service, operation, code, message)
    if code in CONFLICT_CODES:
        return AwsConflict(service, operation, code, message)
    return AwsRequestRejected(service, operation, code, message)
