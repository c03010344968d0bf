"""Our own named exceptions. In Step Functions tasks the class name is the error name the ASL matches."""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Self

from repolink.models.record import record

if TYPE_CHECKING:
    from repolink.adapters.quotas import ResourceQuota


class RepolinkError(Exception):
    """The base of every error repolink raises on purpose."""


@record
class FieldError:
    """One problem with a request, at a JSON path written with the wire (camelCase) names.

    ``field`` looks like ``codeartifact.repositories[1].upstreams[0]``, ``connection.hostArn``, or
    ``(root)`` for the request as a whole.
    """

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class RequestValidationError(RepolinkError):
    """The request does not follow the contract; ``errors`` names every field at fault."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors: list[FieldError] = list(errors)
        count = len(self.errors)
        details = "; ".join(str(error) for error in self.errors)
        super().__init__(f"invalid request ({count} error{'s' if count != 1 else ''}): {details}")


class MalformedJson(RequestValidationError):
    """The body is not plain, unambiguous JSON (HTTP 400, not 422): not JSON at all, a key repeated
    in one object, ``NaN`` or ``Infinity``, or nested deeper than the contract allows."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__(errors)
        count = len(self.errors)
        details = "; ".join(str(error) for error in self.errors)
        self.args = (f"malformed JSON ({count} error{'s' if count != 1 else ''}): {details}",)


# --- Refusals: a request refused before anything started. The kind of refusal is the class; the
# API answers each with its HTTP status (models/api.py: HTTP_STATUS, the one mapping), the
# EventBridge ingest with RepositoryLinkRejected (handlers/ingest_event.py), naming every field.


class Refused(RepolinkError):
    """A request refused before anything started; ``errors`` names every field at fault."""

    def __init__(self, message: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors: tuple[FieldError, ...] = tuple(errors)

    @classmethod
    def naming(cls, errors: Sequence[FieldError]) -> Self:
        """The refusal of ``errors``, its message naming each, as a contract violation's does."""
        return cls(str(RequestValidationError(errors)), errors)


class MalformedRequest(Refused):
    """Not plain, unambiguous JSON, or a header that is malformed or says two things at once."""


class RequestTooLarge(Refused):
    """A body over the request's size limit."""


class UnsupportedMediaType(Refused):
    """A body that is not JSON text."""


class ContractViolation(Refused):
    """The request breaks the contract or the deployment's bounds, or asks what AWS would refuse,
    or changes what cannot be changed in place."""


class NoSuchOnboarding(Refused):
    """No onboarding of that id that the caller may see (another team's answers the same)."""


class NotTheOwner(Refused):
    """The deployment's own account may read another team's onboarding, not act on it."""


class StateConflict(Refused):
    """The onboarding's state forbids it now (running, offboarded, out of changes), or a key was
    used with another request."""


class UnsupportedProvider(RepolinkError):
    """A connection provider that the target (e.g. Proton) cannot use."""


# --- AWS failures, as the adapters translate them (repolink.adapters.aws.translate) ---


class AwsError(RepolinkError):
    """An AWS call failed; carries the service, operation and AWS error code."""

    def __init__(self, service: str, operation: str, code: str, message: str) -> None:
        self.service = service
        self.operation = operation
        self.code = code
        self.aws_message = message
        super().__init__(f"{service} {operation} failed with {code}: {message}")


class TransientAwsError(AwsError):
    """Throttling, 5xx or a network error that outlived botocore's own retries.

    The state machine retries this error name with backoff and full jitter.
    """


class AwsRequestRejected(AwsError):
    """AWS refused the request (a 4xx that retrying will not fix)."""


class AwsAccessDenied(AwsRequestRejected):
    """The function's role may not do this: a deployment or permissions problem."""


class AwsNotFound(AwsRequestRejected):
    """The resource named in the request does not exist."""


class AwsConflict(AwsRequestRejected):
    """The resource exists already (the adapters decide whether that is fine)."""


class QuotaExceeded(AwsRequestRejected):
    """AWS refused a creation because one of its resource quotas is reached: permanent, never a
    retry loop. The message names the quota, its limit, whether AWS can raise it and the account
    (``repository links in 222222222222 (100, not adjustable)``); ``quota`` is its row of
    :data:`repolink.adapters.quotas.QUOTAS`."""

    def __init__(
        self,
        service: str,
        operation: str,
        code: str,
        message: str,
        *,
        quota: "ResourceQuota",
        account: str | None,
    ) -> None:
        super().__init__(service, operation, code, message)
        self.quota = quota
        self.account = account
        self.args = (
            f"{quota.describe(account)}: {service} {operation} failed with {code}: {message}"
            f" (quota: {quota.doc})",
        )

    def naming(self, quota: "ResourceQuota") -> "QuotaExceeded":
        """The same refusal, naming ``quota`` (one of the rows sharing its operation and code)."""
        return QuotaExceeded(
            self.service, self.operation, self.code, self.aws_message, quota=quota, account=self.account
        )


# --- workflow outcomes a Step Functions Catch or Choice acts on (class name == ASL error name) ---


class ConnectionConflict(RepolinkError):
    """A connection with the requested name exists with a different provider or host."""


class ConnectionNotOwned(RepolinkError):
    """The request names a connection this caller may not use (another team's, not shared)."""


class HostNotAvailable(RepolinkError):
    """The host the request names is not AVAILABLE: a person has not completed its setup."""


class HostNotFound(RepolinkError):
    """The host the workflow waits for does not exist (deleted meanwhile)."""


class HostConflict(RepolinkError):
    """A host of the requested name exists with another endpoint, provider or VPC configuration."""


class HostNotOwned(RepolinkError):
    """A host of the requested name exists that this caller may not use (not its onboardings')."""


class HostSetupFailed(RepolinkError):
    """The host's VPC configuration failed (VPC_CONFIG_FAILED_INITIALIZATION), or the host went away."""


class HostSetupTimedOut(RepolinkError):
    """Nobody set the host up within the request's handshakeTimeoutHours."""


class ConnectionNotFound(RepolinkError):
    """The connection the request names to reuse does not exist (or is deleted)."""


class HandshakeFailed(RepolinkError):
    """The connection went to ERROR: the third-party handshake failed or was refused."""


class HandshakeTimedOut(RepolinkError):
    """Nobody completed the handshake within the request's handshakeTimeoutHours."""


class ResourceConflict(RepolinkError):
    """A resource we would create exists already with different settings."""


class UpstreamNotFound(RepolinkError):
    """A CodeArtifact upstream is neither in the request nor in the domain."""


class TooManyTags(RepolinkError):
    """A change would leave a CodeArtifact domain or repository, or a Git sync repository link, with
    more tags than AWS allows (200 per resource, repolink's own counted): keys a change drops stay
    on the resource."""


class DomainNotFound(RepolinkError):
    """The CodeArtifact domain does not exist and the request did not ask to create it."""


class DomainNotOwned(RepolinkError):
    """The CodeArtifact domain is another team's (its ownership tags), and not shared."""


class RepositoryNotOwned(RepolinkError):
    """A CodeArtifact repository the request reuses, or names as an upstream, is another team's."""


class PolicyTooLarge(RepolinkError):
    """A CodeArtifact policy with repolink's sharing statements would exceed 7,168 characters."""


class SpokeRoleUnavailable(StateConflict):
    """The spoke role of the onboarding's target account cannot be assumed (the StackSet has not
    reached the account yet, or its trust does not admit this deployment): refused before anything
    is created (409); the same request succeeds once the spoke exists."""
