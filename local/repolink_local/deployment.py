"""A simulated deployment of ``template.yaml``: what ``sam deploy`` would set, for the local modes.

The flags follow SAM CLI's (``-t/--template``, ``--parameter-overrides``) plus the account and
Region the stack is deployed to, and the caller's account. The verdict on a request comes from
the one accept function (:func:`repolink.workflow.accept.judge`) with the settings the API
function would have in that deployment, so ``repolink validate`` answers what the API answers,
all but the checks that read the account (reuse of a connection the caller may not use, another
team's CodeArtifact domain or repositories), which the API makes next, and the local modes with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repolink.models.settings import EntrySettings, load
from repolink.models.validation import validate_request
from repolink.workflow.accept import Deployment, Verdict, judge
from repolink.workflow.idempotency import command_for
from repolink_local.template import ACCOUNT_ID, REGION, SAMPLE_PARAMETERS, TEMPLATE, LocalTemplate

#: the handler the API's function runs: its environment is what a verdict depends on
API_HANDLER = "repolink.handlers.api.handler"


@dataclass(frozen=True)
class SimulatedDeployment:
    """``sam deploy`` of ``template`` with ``parameters`` (``--parameter-overrides``) over the
    template's defaults and :data:`~repolink_local.template.SAMPLE_PARAMETERS`: the one
    parameter the template cannot default, ``GitSyncRoleArns``, lists the simulated account's
    sample role, so the sample's ``gitSync`` is accepted as pasted (``GitSyncRoleArns=`` turns
    Git sync off, as the template's own default does)."""

    template: Path = TEMPLATE
    account: str = ACCOUNT_ID
    region: str = REGION
    parameters: dict[str, str] = field(default_factory=dict)
    #: the accounts the spoke StackSet has reached (None: every account of AllowedAccountIds and,
    #: with AllowedOrganizationId, of the organisation)
    spoke_accounts: tuple[str, ...] | None = None
    #: the accounts that are not in the organisation (every other one is)
    outside_organization: tuple[str, ...] = ()

    @property
    def deployed_parameters(self) -> dict[str, str]:
        """The parameters the simulated stack has: the overrides over the sample's."""
        return {**SAMPLE_PARAMETERS, **self.parameters}

    def local_template(self) -> LocalTemplate:
        return LocalTemplate(self.template, self.account, self.region, self.deployed_parameters)

    def rules(self) -> Deployment:
        """What the API function's settings say in this deployment."""
        (api,) = [f for f in self.local_template().functions() if f.handler == API_HANDLER]
        settings = load(EntrySettings, {**api.environment, "AWS_REGION": self.region})
        return Deployment.of(settings, self.account)

    def judge(
        self, body: object, *, caller: str | None = None, idempotency_key: str | None = None
    ) -> Verdict:
        return judge(
            body, caller=caller or self.account, idempotency_key=idempotency_key, deployment=self.rules()
        )

    def engine_options(self) -> dict[str, Any]:
        """The :class:`~repolink_local.engine.LocalEngine` arguments for this deployment."""
        return {
            "template": self.template,
            "account": self.account,
            "region": self.region,
            "parameters": self.deployed_parameters,
            "spoke_accounts": self.spoke_accounts,
            "outside_organization": self.outside_organization,
        }


def request_id_of(request: dict[str, Any], caller: str = ACCOUNT_ID) -> str:
    """The id the API assigns a keyless request from ``caller`` (the one formula, in ``accept``)."""
    return command_for(validate_request(request), idempotency_key=None, caller=caller).request_id
