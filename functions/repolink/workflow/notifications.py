"""The pending-handshake announcement."""

from repolink.models.events import PENDING_HANDSHAKE, ConnectionPendingHandshakeDetail, ConnectionSummary
from repolink.models.state import ConnectionTaskInput


def pending_handshake(task: ConnectionTaskInput) -> tuple[str, ConnectionPendingHandshakeDetail]:
    c = task.connection
    return PENDING_HANDSHAKE, ConnectionPendingHandshakeDetail(
        request_id=task.request_id,
        connection=ConnectionSummary(
            arn=c.arn, name=c.name, service=c.service, provider=c.provider, status=c.status, created=c.created
        ),
        console_url=c.console_url,
        handshake_timeout_hours=task.handshake_timeout_hours,
        instructions=(
            f"Open the console link, choose 'Update pending connection' and authorize {c.provider} "
            f"within {task.handshake_timeout_hours} hours; the onboarding continues by itself."
        ),
    )
