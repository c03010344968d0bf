"""The Proton link step's input: one repository of the request's proton section.

Field names are camelCase on the wire (see :class:`~repolink.models.wire.Wire`); the ASL refers to
them by path. Plain dataclasses: the task handlers read them with ``from_wire``, without pydantic.
"""

from repolink.models.record import record
from repolink.models.sections import ProtonRepositorySpec
from repolink.models.state.common import ConnectionState
from repolink.models.wire import Wire


@record(kw_only=True)
class LinkProtonInput(Wire):
    request_id: str
    connection: ConnectionState
    repository: ProtonRepositorySpec
