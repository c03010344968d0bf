"""What a removal step records: each resource it removed, each it retained with the reason, and
the failure it stopped at.

Every family's removal (``remove_git_sync`` in :mod:`repolink.targets.gitsync`,
``remove_connection`` in :mod:`repolink.workflow.connection` with ``remove_host`` in
:mod:`repolink.workflow.hosts`, ``remove_codeartifact`` in :mod:`repolink.targets.codeartifact`)
writes into a :class:`Ledger` and reports it with :func:`reported`; the order they run in and the
offboarding's one result are :mod:`repolink.workflow.removal`'s.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from repolink.errors import AwsNotFound, RepolinkError, TransientAwsError
from repolink.models.state.common import Failure
from repolink.models.state.offboarding import RemovalResult, Removed, Retained, Untag
from repolink.models.tags import RESERVED_CODEARTIFACT_TAG
from repolink.workflow.tenancy import OWNER_TAG, REQUEST_TAG

REUSED = "reused: this onboarding did not create it"
NOT_OURS = "its ownership tag does not name this onboarding"


@dataclass
class Ledger:
    """What a step removed and retained so far, in order."""

    removed: list[Removed] = field(default_factory=list)
    retained: list[Retained] = field(default_factory=list)

    def remove(self, kind: str, name: str, arn: str | None, delete: Callable[[], None]) -> None:
        delete()
        self.removed.append(Removed(type=kind, name=name, arn=arn))

    def keep(self, kind: str, name: str, arn: str | None, reason: str) -> None:
        self.retained.append(Retained(type=kind, name=name, arn=arn, reason=reason))

    def result(self, failure: Failure | None = None) -> RemovalResult:
        return RemovalResult(removed=list(self.removed), retained=list(self.retained), failure=failure)


def reported(step: str, work: Callable[[Ledger], None]) -> RemovalResult:
    """``work``'s ledger as the step's result: a permanent failure is reported with what was done
    before it; a transient one propagates, and the state machine retries the whole step, which
    reads everything again."""
    ledger = Ledger()
    try:
        work(ledger)
    except TransientAwsError:
        raise  # the state machine retries the step, which reads everything again
    except RepolinkError as exc:
        failure = Failure(step=step, error=type(exc).__name__, cause=str(exc))
        return ledger.result(failure)
    return ledger.result()


def untag_keys(
    ledger: Ledger,
    kind: str,
    item: Untag,
    tags_of: Callable[[str], dict[str, str]],
    untag: Callable[[str, list[str]], None],
    ours: Callable[[dict[str, str]], bool],
) -> None:
    """A prune's dropped tag keys off a resource this onboarding created (its ownership tags read
    again first; a resource gone or not ours is left), each key listed as removed
    (``KIND:tag``, ``NAME/KEY``). A key it no longer has counts as removed; repolink's own never
    goes."""
    try:
        tags = tags_of(item.arn)
    except AwsNotFound:
        return  # gone with its tags
    if not ours(tags):
        ledger.keep(kind, item.name, item.arn, NOT_OURS + ": its tags are left as they are")
        return
    keys = sorted(set(item.keys) - {REQUEST_TAG, OWNER_TAG, RESERVED_CODEARTIFACT_TAG})
    present = [key for key in keys if key in tags]
    if present:
        untag(item.arn, present)
    for key in keys:
        ledger.removed.append(Removed(type=f"{kind}:tag", name=f"{item.name}/{key}", arn=item.arn))
