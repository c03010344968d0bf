"""AWS Proton repository links, one repository per call.

AWS Proton reached end of support on 2026-10-07. The target stays (users asked for it) behind
the same seam as the others, so removing it later touches this module, its request section and
its ASL branch only.

Not removed by an offboarding: past end of support its resources can no longer be accessed, so
``proton_retained`` lists them as retained with that reason.
"""

from dataclasses import dataclass

from repolink.adapters import proton
from repolink.errors import AwsConflict, ResourceConflict
from repolink.models.providers import PROTON_END_OF_SUPPORT, proton_provider_for
from repolink.models.sections import ProtonRepositorySpec
from repolink.models.state.common import ConnectionState, Outcome
from repolink.models.state.offboarding import Retained
from repolink.models.state.results import ProtonLinkResult
from repolink.workflow.ledger import REUSED

PROTON_GONE = (
    f"AWS Proton reached end of support on {PROTON_END_OF_SUPPORT}; its resources can no longer be accessed"
)


@dataclass(frozen=True)
class ProtonContext:
    connection: ConnectionState


class ProtonTarget:
    section = "proton"
    needs_connection = True

    def apply(self, spec: ProtonRepositorySpec, context: ProtonContext) -> ProtonLinkResult:
        provider = proton_provider_for(context.connection.provider)
        connection_arn = context.connection.arn
        try:
            repo = proton.create_repository(
                spec.name, provider, connection_arn, spec.encryption_key, dict(spec.tags)
            )
            outcome: Outcome = "created"
        except AwsConflict:
            repo = proton.get_repository(spec.name, provider)
            if repo.connection_arn != connection_arn:
                raise ResourceConflict(
                    f"proton.repositories[{spec.name}]: already linked through connection "
                    f"{repo.connection_arn}, not {connection_arn}"
                ) from None
            if spec.encryption_key and repo.encryption_key != spec.encryption_key:
                raise ResourceConflict(
                    f"proton.repositories[{spec.name}].encryptionKey: the existing link uses "
                    f"{repo.encryption_key or 'an AWS owned key'}, the request asks for {spec.encryption_key}"
                ) from None
            outcome = "existing"
        return ProtonLinkResult(name=repo.name, provider=repo.provider, arn=repo.arn, outcome=outcome)


def proton_retained(repositories: list[ProtonLinkResult]) -> list[Retained]:
    """Proton repositories stay: past end of support, they can no longer be accessed."""
    return [
        Retained(
            type="proton:repository",
            name=r.name,
            arn=r.arn,
            reason=REUSED if r.outcome != "created" else PROTON_GONE,
        )
        for r in repositories
    ]
