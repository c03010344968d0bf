"""Reading an execution's history: what ``GET /links/{id}`` answers, from the execution itself (no
second store to drift).

A finished onboarding says everything in its result: the detail "Report the outcome" returns
(the connection, CodeArtifact's results, each Proton link, and on failure the step, error, cause
and whether the connection was deleted). A succeeded execution's output *is* that detail, so
DescribeExecution answers it; a failed one's detail is the output of "Report the outcome", a few
events from the end of its history. A running onboarding is read from its newest events: the
step it is in, and the connection (with its console link) from the newest "Create or reuse the
connection" / "Check the handshake" exit; while a host (``connection.host``) is being set up,
before any connection exists, the host and its console link from the newest "Create or reuse the
host" / "Check the host setup" exit. CodeArtifact's result of a running onboarding is from
near the *start* of the history (the branch ends early): its exit is found among the oldest
events read without data, then the events up to it are read with data.

Bounded per GET, whatever the length of the wait (a 72-hour handshake at a 5-minute poll cap is
~7,800 events): one DescribeExecution and at most ``NEWEST_PAGES + 2`` = 6 GetExecutionHistory
calls, reading at most ``NEWEST_PAGES * NEWEST_PAGE + OLDEST_EVENTS`` = 100 events with their data
and ``LOCATE_PAGE`` = 100 without. A succeeded onboarding: one call, ``STEP_PAGE`` = 5 events
without data; a failed one: one call, ``NEWEST_PAGE`` = 10 events. Step Functions caps each
event's data at 256 KiB, so the bytes are bounded too: 25 MiB in theory, 0.03-0.5 MB measured
for the sample and a 57 KB request (docs/performance.md).
What the bound costs: a running onboarding lists the Proton links in its newest 40 events (about
5 repositories at a time), and CodeArtifact's result only once its exit is among the oldest 60
events; the finished onboarding lists everything.

An onboarding that has finished may have been changed (``PUT /links/{id}``, ``workflow.change``):
its changes are executions of their own, ``ID-change-1``, ``ID-change-2``..., found by name
(``workflow.lineage``: one DescribeExecution per change and one more past the latest, at most
``MAX_CHANGES + 1``), and the latest one is read instead, as above, its name answered as ``changeId``.
An onboarding that has finished may have been offboarded: one more DescribeExecution, of its
offboarding (``ID-offboard``, ``workflow.idempotency``), says so. A running offboarding answers
``offboarding``; a succeeded one ``offboarded``, with what it removed and retained (its output);
a failed one ``offboard-failed``, with the step, error and cause, read from its newest
``NEWEST_PAGE`` events (one more GetExecutionHistory call).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from repolink.models.events import Removals
from repolink.models.state.common import Outcome
from repolink.models.state.offboarding import Removed, Retained
from repolink.models.state.results import CodeArtifactSharingResult
from repolink.models.status import LinkStatus, Resource, timestamp
from repolink.workflow.lineage import state_of

PARALLEL = "Connect and provision in parallel"
CONNECTION_STEPS = ("Create or reuse the connection", "Check the handshake")
HOST_STEPS = ("Create or reuse the host", "Check the host setup")
DELETE_STEP = "Delete the pending connection"
HOST_DELETE_STEP = "Delete the pending host"
CODEARTIFACT_STEP = "Provision CodeArtifact"
#: the CodeArtifact branch's other ends: nothing to provision, or provisioning failed
CODEARTIFACT_ENDS = ("No CodeArtifact is needed", "Record that provisioning CodeArtifact failed")
PROTON_MAP = "Link the Proton repositories"
PROTON_STEP = "Link one Proton repository"
GIT_SYNC_STEP = "Link one Git sync repository"
OUTCOME_STEP = "Report the outcome"

#: newest-first pages read with data: one page holds a whole poll iteration (9 events: Wait,
#: Task, Choice entered and exited, the Task's scheduled/started/succeeded), so a waiting
#: onboarding's connection is in the first page; the cap leaves room for the other branch's events
NEWEST_PAGE, NEWEST_PAGES = 10, 4
#: a running onboarding's CodeArtifact result: its exit is looked for among the oldest
#: ``LOCATE_PAGE`` events, read without data, and read (with data, the events up to it) only when
#: it is among the oldest ``OLDEST_EVENTS``: the CodeArtifact branch runs while the first checks
#: poll (15 s, 30 s, 60 s...), so a minute of provisioning ends within about 40 events on AWS
LOCATE_PAGE, OLDEST_EVENTS = 100, 60
#: a succeeded onboarding's step: its last few events, without data
STEP_PAGE = 5
#: the report step of the offboarding state machine
OFFBOARD_REPORT_STEP = "Report the offboarding"


class HistoryPages(Protocol):
    """The execution's history, a page per call, read lazily (``adapters.stepfunctions.history_pages``)."""

    def __call__(
        self, *, newest_first: bool, with_data: bool, page_size: int
    ) -> Iterator[list[dict[str, Any]]]: ...


def _made(created: object) -> Outcome:
    return "created" if created else "existing"


def _parsed(text: object) -> dict[str, Any]:
    try:
        parsed = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass
class _Found:
    """What the events read so far say; newer findings win (the newest-first read comes first)."""

    step: str | None = None
    connection: dict[str, Any] | None = None
    connection_deleted: bool = False
    host: dict[str, Any] | None = None
    host_deleted: bool = False
    codeartifact: dict[str, Any] | None = None
    codeartifact_done: bool = False
    proton: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: every Proton iteration is among the events read (the Map's start was reached)
    proton_all: bool = False
    #: Git sync repository links, by ARN (those deleted again left out)
    git_sync: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the detail "Report the outcome" returned
    outcome: dict[str, Any] | None = None
    #: the branches' start was reached: older events say nothing more
    start_reached: bool = False
    ids: set[int] = field(default_factory=set)

    def state(self, state: dict[str, Any]) -> None:
        """A branch's state (or a state exited in it): its ``handshake``, ``codeartifact``,
        ``proton`` and ``cleanup`` results, whichever it holds (under ``result``, where a branch
        keeps them, or at the top, where an older execution of the workflow kept them)."""
        if isinstance(state.get("result"), dict):
            state = state["result"]
        connection = _dict(_dict(state.get("handshake")).get("connection"))
        if connection.get("arn") and self.connection is None:
            self.connection = connection
        host = _dict(_dict(state.get("host")).get("host"))
        if host.get("arn") and self.host is None:
            self.host = host
        if _dict(state.get("hostCleanup")).get("deleted"):
            self.host_deleted = True
        result = _dict(state.get("codeartifact")).get("result")
        if isinstance(result, dict) and self.codeartifact is None:
            self.codeartifact, self.codeartifact_done = result, True
        for item in state.get("gitSync") or []:
            self.git_sync_item(_dict(item))
        proton = state.get("proton")
        if isinstance(proton, list):
            self.proton_all = True
            for item in proton:
                self.proton_item(_dict(item))
        if _dict(state.get("cleanup")).get("deleted"):
            self.connection_deleted = True

    def git_sync_item(self, item: dict[str, Any]) -> None:
        linked = _dict(item.get("result"))
        if (
            item.get("status") == "linked"
            and linked.get("repositoryLinkArn")
            and not linked.get("linkDeleted")
        ):
            self.git_sync.setdefault(str(linked["repositoryLinkArn"]), linked)

    def proton_item(self, item: dict[str, Any]) -> None:
        linked = _dict(item.get("result"))
        if item.get("status") == "linked" and linked.get("arn"):
            self.proton.setdefault(str(linked["arn"]), linked)

    def event(self, event: dict[str, Any], *, newest_first: bool) -> None:
        self.ids.add(int(event.get("id", 0)))
        if event.get("type") == "ExecutionStarted":
            self.start_reached = True
        entered = event.get("stateEnteredEventDetails")
        if entered is not None:
            name = entered.get("name")
            if self.step is None and newest_first:
                self.step = name
            if name == PARALLEL:
                self.start_reached = True
            elif name == PROTON_MAP:
                self.proton_all = True
            elif name == PROTON_STEP and self.connection is None:
                # each Proton link is given the (available) connection
                connection = _dict(_parsed(entered.get("input")).get("connection"))
                self.connection = connection if connection.get("arn") else None
            return
        exited = event.get("stateExitedEventDetails")
        if exited is None:
            return
        name, output = exited.get("name"), _parsed(exited.get("output"))
        if name in (*CONNECTION_STEPS, *HOST_STEPS, CODEARTIFACT_STEP, HOST_DELETE_STEP):
            self.state(output)
        elif name in CODEARTIFACT_ENDS:
            self.codeartifact_done = True
        elif name == DELETE_STEP:
            self.state(output)
        elif name == PROTON_STEP:
            self.proton_item(output)
        elif name == GIT_SYNC_STEP:
            self.git_sync_item(output)
        elif name == PARALLEL:
            for branch in output.get("branches") or []:
                self.state(_dict(branch))
        elif name == OUTCOME_STEP and self.outcome is None:
            detail = _dict(_dict(output.get("outcome")).get("detail"))
            self.outcome = detail or None


def _wants(execution: dict[str, Any]) -> tuple[bool, bool, bool]:
    """Whether the request asked for a connection, Proton links, CodeArtifact."""
    request = _dict(_parsed(execution.get("input")).get("request"))
    return (
        request.get("connection") is not None,
        request.get("proton") is not None,
        request.get("codeartifact") is not None,
    )


def _read_newest(found: _Found, pages: HistoryPages, execution: dict[str, Any]) -> None:
    want_connection, want_proton, _ = _wants(execution)
    read = pages(newest_first=True, with_data=True, page_size=NEWEST_PAGE)
    for _, page in zip(range(NEWEST_PAGES), read, strict=False):
        for event in page:
            found.event(event, newest_first=True)
        if found.outcome is not None or found.start_reached:
            return
        host_setup = found.connection is None and _dict(found.host).get("status") not in (None, "AVAILABLE")
        if execution.get("status") == "RUNNING" and host_setup:
            return  # waiting for the host's setup: no connection yet, nothing linked yet
        if execution.get("status") == "RUNNING" and (found.connection or not want_connection):
            pending = _dict(found.connection).get("status") == "PENDING"
            if not want_proton or pending or found.proton_all:
                return


def _read_oldest(found: _Found, pages: HistoryPages) -> None:
    """A running onboarding's CodeArtifact result: its branch ends near the history's start."""
    located = next(iter(pages(newest_first=False, with_data=False, page_size=LOCATE_PAGE)), [])
    for position, event in enumerate(located, start=1):
        name = (event.get("stateExitedEventDetails") or {}).get("name")
        if name in CODEARTIFACT_ENDS:
            found.codeartifact_done = True
            return
        if name == CODEARTIFACT_STEP:
            if position <= OLDEST_EVENTS:
                read = pages(newest_first=False, with_data=True, page_size=position)
                for older in next(iter(read), []):
                    found.event(older, newest_first=False)
            return


def _from_outcome(found: _Found, detail: dict[str, Any]) -> None:
    """Everything a finished onboarding did, from the detail "Report the outcome" returned."""
    connection = _dict(detail.get("connection"))
    if connection.get("arn"):
        found.connection = connection
    found.connection_deleted = bool(detail.get("connectionDeleted"))
    host = _dict(detail.get("host"))
    if host.get("arn"):
        found.host = host
    found.host_deleted = bool(detail.get("hostDeleted"))
    codeartifact = detail.get("codeartifact")
    found.codeartifact = codeartifact if isinstance(codeartifact, dict) else None
    found.git_sync = {}
    for link in detail.get("gitSyncRepositories") or []:
        found.git_sync_item({"status": "linked", "result": link})
    found.proton = {}
    for linked in detail.get("protonRepositories") or []:
        found.proton_item({"status": "linked", "result": linked})


def _resources(found: _Found) -> list[Resource]:
    resources: dict[str, Resource] = {}
    result = found.codeartifact or {}
    if result.get("domainArn"):
        resources[result["domainArn"]] = Resource(
            type="codeartifact:domain",
            name=result["domain"],
            arn=result["domainArn"],
            outcome=_made(result.get("domainCreated")),
            updated=list(result.get("domainUpdated") or []),
        )
    for repo in result.get("repositories", []):
        resources[repo["arn"]] = Resource(
            type="codeartifact:repository",
            name=repo["name"],
            arn=repo["arn"],
            outcome=repo.get("outcome"),
            updated=list(repo.get("updated") or []),
        )
    for arn, link in found.git_sync.items():
        name = f"{link.get('ownerId', '')}/{link.get('repositoryName', '')}"
        kind = f"{arn.split(':')[2]}:repository-link"
        resources[arn] = Resource(
            type=kind,
            name=name,
            arn=arn,
            outcome=link.get("outcome"),
            updated=list(link.get("updated") or []),
        )
    for arn, linked in found.proton.items():
        resources[arn] = Resource(
            type="proton:repository", name=linked.get("name", ""), arn=arn, outcome=linked.get("outcome")
        )
    host = found.host or {}
    if host.get("arn") and not found.host_deleted:
        kind = f"{host.get('service', 'codeconnections')}:host"
        resources.setdefault(
            host["arn"],
            Resource(
                type=kind, name=host.get("name", ""), arn=host["arn"], outcome=_made(host.get("created"))
            ),
        )
    connection = found.connection or {}
    if connection.get("arn") and not found.connection_deleted:
        kind = f"{connection.get('service', 'codeconnections')}:connection"
        resources.setdefault(
            connection["arn"],
            Resource(
                type=kind,
                name=connection.get("name", ""),
                arn=connection["arn"],
                outcome=_made(connection.get("created")),
            ),
        )
    return list(resources.values())


def link_status(request_id: str, execution: dict[str, Any], pages: HistoryPages) -> LinkStatus:
    """The onboarding's status from ``execution`` (DescribeExecution) and a bounded read of
    ``pages``: see the module docstring for what is read and the bound."""
    status = state_of(execution)
    found = _Found()
    output = _parsed(execution.get("output"))
    if status == "succeeded" and output.get("status") == "succeeded":
        found.outcome = output
        for page in pages(newest_first=True, with_data=False, page_size=STEP_PAGE):
            for event in page:
                found.event(event, newest_first=True)
            break
    else:
        _read_newest(found, pages, execution)
        codeartifact_unread = _wants(execution)[2] and not found.codeartifact_done
        if status == "running" and codeartifact_unread and not found.start_reached:
            _read_oldest(found, pages)
    if found.outcome is not None:
        _from_outcome(found, found.outcome)
    outcome = found.outcome or {}
    connection = found.connection or {}
    host = found.host or {}
    pending = status == "running" and connection.get("status") == "PENDING"
    # a running onboarding with a host but no connection yet is waiting for the host's setup
    host_pending = status == "running" and not connection and host.get("status") not in (None, "AVAILABLE")
    failed = status == "failed"
    return LinkStatus(
        request_id=request_id,
        status=status,
        step=found.step,
        connection_status=connection.get("status"),
        connection_arn=connection.get("arn"),
        host_status=host.get("status"),
        host_arn=host.get("arn"),
        console_url=host.get("consoleUrl")
        if host_pending
        else connection.get("consoleUrl")
        if pending
        else None,
        resources=_resources(found),
        sharing=[
            CodeArtifactSharingResult.from_wire(s) for s in (found.codeartifact or {}).get("sharing", [])
        ],
        error=(outcome.get("error") or execution.get("error")) if failed else None,
        cause=(outcome.get("cause") or execution.get("cause")) if failed else None,
        started_at=timestamp(execution.get("startDate")),
        stopped_at=timestamp(execution.get("stopDate")),
        pruned=Removals.from_wire(outcome["pruned"]) if outcome.get("pruned") else None,
    )


def onboarding_outcome(execution: dict[str, Any], pages: HistoryPages) -> dict[str, Any] | None:
    """The detail "Report the outcome" returned, for a finished onboarding: a succeeded one's
    output, or a failed one's from its newest events (at most ``NEWEST_PAGES`` calls); None when
    there is none (a report step that failed for good)."""
    output = _parsed(execution.get("output"))
    if execution.get("status") == "SUCCEEDED" and output.get("status") == "succeeded":
        return output
    found = _Found()
    _read_newest(found, pages, execution)
    return found.outcome


def offboarded(status: LinkStatus, offboarding: dict[str, Any], pages: HistoryPages) -> LinkStatus:
    """``status`` of a finished onboarding, as its offboarding execution (DescribeExecution) says."""
    state = str(offboarding.get("status"))
    if state == "RUNNING":
        return replace(status, status="offboarding", step=None)
    detail = _parsed(offboarding.get("output"))
    if state != "SUCCEEDED":
        for page in pages(newest_first=True, with_data=True, page_size=NEWEST_PAGE):
            for event in page:
                exited = event.get("stateExitedEventDetails") or {}
                if exited.get("name") == OFFBOARD_REPORT_STEP:
                    detail = _parsed(exited.get("output"))
                    break
            break
    done = state == "SUCCEEDED" and detail.get("status") == "offboarded"
    removed = {r.get("arn") for r in detail.get("removed") or [] if isinstance(r, dict)}
    gone = status.connection_arn in removed
    return replace(
        status,
        # what is left: the resources the offboarding did not remove
        resources=[r for r in status.resources if r.arn not in removed],
        connection_arn=None if gone else status.connection_arn,
        connection_status="DELETED" if gone else status.connection_status,
        status="offboarded" if done else "offboard-failed",
        step=None if done else detail.get("step"),
        error=None if done else detail.get("error") or offboarding.get("error"),
        cause=None if done else detail.get("cause") or offboarding.get("cause"),
        removed=[Removed.from_wire(r) for r in detail.get("removed") or []],
        retained=[Retained.from_wire(r) for r in detail.get("retained") or []],
        stopped_at=timestamp(offboarding.get("stopDate")) or status.stopped_at,
    )
