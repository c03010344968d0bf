"""The create step's input: the request's connection section (and its host), to create or reuse.

Field names are camelCase on the wire (see :class:`~repolink.models.wire.Wire`); the ASL refers to
them by path. Plain dataclasses: the task handlers read them with ``from_wire``, without pydantic.
"""

from typing import Literal

from repolink.models.record import record
from repolink.models.sections import ConnectionSpec
from repolink.models.state.common import HostSetup
from repolink.models.wire import Wire

#: the ``step`` of the create task's input that asks for the host, not the connection
CREATE_HOST = "CreateHost"


@record(kw_only=True)
class CreateHostInput(Wire):
    step: Literal["CreateHost"]
    request_id: str
    connection: ConnectionSpec
    #: the account the onboarding belongs to (its hosts carry it in their ownership tag)
    caller_account: str


@record(kw_only=True)
class CreateConnectionInput(Wire):
    request_id: str
    connection: ConnectionSpec
    #: the account the onboarding belongs to (its connections carry it in their ownership tag)
    caller_account: str
    #: the host this onboarding set up first (``connection.host``), AVAILABLE by now; its wait
    #: counts against the handshake's deadline
    host: HostSetup | None = None
    handshake_timeout_hours: int = 72
