"""The CodeArtifact step's input: the request's codeartifact section.

Field names are camelCase on the wire (see :class:`~repolink.models.wire.Wire`); the ASL refers to
them by path. Plain dataclasses: the task handlers read them with ``from_wire``, without pydantic.
"""

from repolink.models.record import record
from repolink.models.sections import CodeArtifactSpec
from repolink.models.wire import Wire


@record(kw_only=True)
class ProvisionCodeArtifactInput(Wire):
    request_id: str
    codeartifact: CodeArtifactSpec
    #: the account the onboarding belongs to (its domain and repositories carry it in their
    #: ownership tags; another team's are refused)
    caller_account: str
    #: ``$$.State.RetryCount``: how many times the state machine has retried this step
    retry_count: int = 0
    #: ``$$.Execution.Name``: the request id, or a change's name (``workflow.change``)
    execution_name: str = ""

    @property
    def changing(self) -> bool:
        return bool(self.execution_name) and self.execution_name != self.request_id
