"""The Git sync link step's input: one repository of the request's gitSync section.

Field names are camelCase on the wire (see :class:`~repolink.models.wire.Wire`); the ASL refers to
them by path. Plain dataclasses: the task handlers read them with ``from_wire``, without pydantic.
"""

from repolink.models.record import record
from repolink.models.sections import GitSyncRepositorySpec
from repolink.models.state.common import ConnectionState
from repolink.models.wire import Wire


@record(kw_only=True)
class LinkGitSyncInput(Wire):
    request_id: str
    #: the account the onboarding belongs to (its repository links carry it in their ownership tag)
    caller_account: str
    connection: ConnectionState
    repository: GitSyncRepositorySpec
    #: ``$$.Execution.Name``: the request id, or a change's name (``workflow.change``)
    execution_name: str = ""

    @property
    def changing(self) -> bool:
        return bool(self.execution_name) and self.execution_name != self.request_id
