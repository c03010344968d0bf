"""Offboarding: remove what an onboarding created, newest first, and keep (and say why) the rest.

The order is the reverse of creation, one step per resource family, each family's removal beside
its creation. The state machine (``statemachines/offboarding.asl.json``) runs two branches:

- the source: sync configurations, then repository links (``remove_git_sync``,
  :mod:`repolink.targets.gitsync`; Proton repositories are listed as retained, ``proton_retained``,
  :mod:`repolink.targets.proton`); then the connection and its host (``remove_connection``,
  :mod:`repolink.workflow.connection`, and ``remove_host``, :mod:`repolink.workflow.hosts`);
- CodeArtifact: repositories downstream first, then the domain (``remove_codeartifact``,
  :mod:`repolink.targets.codeartifact`).

A change's prune runs the same steps on what the change dropped. What to remove comes from the
onboarding's recorded result; before each deletion the resource's ownership is read again from
AWS, and a resource whose tag does not name this onboarding is retained, never deleted (each
family's module says how it reads ownership, and what else keeps a resource). Everything reused
(``outcome: existing``, ``created: false``) is retained with that reason. Each deletion is
idempotent: a resource already gone counts as removed (a retried step, or a ``Delete`` whose
answer was lost and which the SDK sent again). A permanent failure is reported with what was done
before it (``RemovalResult.failure``); a transient one propagates, and the state machine retries
the whole step, which reads everything again (:mod:`repolink.workflow.ledger`).

This module holds what spans the families: the order the steps' results are reported in
(``STEPS``) and the offboarding's one result event (:func:`decide`), or a change's with what its
prune removed (:func:`with_pruned`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import ClassVar, Literal

from repolink.models.events import (
    FAILED,
    OFFBOARD_FAILED,
    OFFBOARDED,
    Removals,
    RepositoryLinkCompletedDetail,
    RepositoryLinkFailedDetail,
    RepositoryLinkOffboardedDetail,
    RepositoryLinkOffboardFailedDetail,
    Succeeded,
)
from repolink.models.state.common import Failure
from repolink.models.state.offboarding import RemovalResult, Retained
from repolink.models.wire import Wire
from repolink.workflow.outcome import StepError, readable_cause

#: the order the steps' results are reported in: the order they remove (newest first)
STEPS = ("gitSync", "connection", "codeartifact")


def decide(
    request_id: str, branches: list[dict[str, object]], replaced: Sequence[Retained] = ()
) -> tuple[str, RepositoryLinkOffboardedDetail | RepositoryLinkOffboardFailedDetail]:
    """The detail type and detail of the offboarding's one result event; ``replaced`` (what a
    change swapped in for the connection, host or domain, ``offboard.union``) is listed retained."""
    found: dict[str, RemovalResult] = {}
    failures: list[Failure] = []
    for raw in branches:
        branch = BranchRemovals.from_wire(raw)
        for step in STEPS:
            output = getattr(branch, _ATTRS[step])
            if output is not None:
                found[step] = output.removal
        if branch.failed_step and branch.failure is not None:
            cause = readable_cause(branch.failure.cause)
            failures.append(Failure(step=branch.failed_step, error=branch.failure.error, cause=cause))
    removed = [r for step in STEPS if step in found for r in found[step].removed]
    retained = [r for step in STEPS if step in found for r in found[step].retained] + list(replaced)
    failures = [f for s in STEPS if s in found and (f := found[s].failure) is not None] + failures
    if not failures:
        return OFFBOARDED, RepositoryLinkOffboardedDetail(
            request_id=request_id, removed=removed, retained=retained
        )
    first = failures[0]
    return OFFBOARD_FAILED, RepositoryLinkOffboardFailedDetail(
        request_id=request_id,
        removed=removed,
        retained=retained,
        step=first.step,
        error=first.error,
        cause=first.cause,
        failures=failures,
    )


def with_pruned(
    detail_type: str,
    detail: RepositoryLinkCompletedDetail | RepositoryLinkFailedDetail,
    branches: list[dict[str, object]],
) -> tuple[str, RepositoryLinkCompletedDetail | RepositoryLinkFailedDetail]:
    """A change's result with what its prune steps (``branches``) removed and retained; a prune
    that failed fails the change, naming its step after any earlier failure."""
    _, removals = decide(detail.request_id, branches)
    pruned = Removals(removed=removals.removed, retained=removals.retained)
    failures = removals.failures if isinstance(removals, RepositoryLinkOffboardFailedDetail) else []
    if isinstance(detail, RepositoryLinkFailedDetail):
        return FAILED, replace(detail, pruned=pruned, failures=[*detail.failures, *failures])
    if not failures:
        return detail_type, replace(detail, pruned=pruned)
    first = failures[0]
    succeeded = {f.name: getattr(detail, f.name) for f in fields(Succeeded)}
    return FAILED, RepositoryLinkFailedDetail(
        **succeeded | {"pruned": pruned},
        request_id=detail.request_id,
        step=first.step,
        error=first.error,
        cause=first.cause,
        failures=failures,
    )


_ATTRS = {"gitSync": "git_sync", "connection": "connection", "codeartifact": "codeartifact"}


@dataclass(frozen=True, kw_only=True)
class StepRemovals(Wire):
    """A removal step's result, as the ASL keeps it (``{"removal": ...}``)."""

    removal: RemovalResult


@dataclass(frozen=True, kw_only=True)
class BranchRemovals(Wire):
    """What a branch of the offboarding leaves in its state (``$.result``)."""

    wire_extra: ClassVar[Literal["forbid", "ignore"]] = "ignore"

    git_sync: StepRemovals | None = None
    connection: StepRemovals | None = None
    codeartifact: StepRemovals | None = None
    failed_step: str | None = None
    failure: StepError | None = None
