"""The announcements of a step a person completes: a connection's handshake, a host's setup."""

from repolink.models.events import (
    PENDING_HANDSHAKE,
    PENDING_HOST_SETUP,
    ConnectionPendingHandshakeDetail,
    ConnectionSummary,
    HostPendingSetupDetail,
    HostSummary,
)
from repolink.models.state.common import ConnectionTaskInput, HostState, HostTaskInput


def recheck_url(request_id: str) -> str:
    """Where a person (or a portal) says the handshake or the host's setup is done: relative to the
    API's stage URL (https://HOST/v1/), as a POST's statusUrl is relative to https://HOST/v1/links."""
    return f"links/{request_id}/recheck"


def pending_handshake(task: ConnectionTaskInput) -> tuple[str, ConnectionPendingHandshakeDetail]:
    c = task.connection
    return PENDING_HANDSHAKE, ConnectionPendingHandshakeDetail(
        request_id=task.request_id,
        connection=ConnectionSummary(
            arn=c.arn, name=c.name, service=c.service, provider=c.provider, status=c.status, created=c.created
        ),
        console_url=c.console_url,
        recheck_url=recheck_url(task.request_id),
        handshake_timeout_hours=task.handshake_timeout_hours,
        instructions=(
            f"Open the console link, choose 'Update pending connection' and authorize {c.provider} "
            f"within {task.handshake_timeout_hours} hours; the onboarding continues by itself (POST"
            " recheckUrl when done, and it checks at once)."
        ),
    )


#: what "Set up host" asks of a person, by provider
#: (https://docs.aws.amazon.com/dtconsole/latest/userguide/connections-host-setup.html)
_SET_UP = {
    "GitHubEnterpriseServer": "create and install the GitHub App it proposes (an instance administrator)",
    "GitLabSelfManaged": "give a GitLab personal access token with the api scope (an administrator's)",
}


def host_summary(h: HostState) -> HostSummary:
    return HostSummary(
        arn=h.arn,
        name=h.name,
        service=h.service,
        provider=h.provider,
        provider_endpoint=h.provider_endpoint,
        status=h.status,
        created=h.created,
    )


def pending_host_setup(task: HostTaskInput) -> tuple[str, HostPendingSetupDetail]:
    h = task.host
    return PENDING_HOST_SETUP, HostPendingSetupDetail(
        request_id=task.request_id,
        host=host_summary(h),
        console_url=h.console_url,
        recheck_url=recheck_url(task.request_id),
        handshake_timeout_hours=task.handshake_timeout_hours,
        instructions=(
            f"Open the console link, choose 'Set up host' and {_SET_UP.get(h.provider, 'complete the setup')}"
            f" for {h.provider_endpoint} within {task.handshake_timeout_hours} hours (that time"
            " includes the connection's handshake, announced next); the onboarding continues by itself"
            " (POST recheckUrl when done, and it checks at once)."
        ),
    )
