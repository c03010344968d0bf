"""Decide Completed or Failed from what both branches of the state machine report.

Branches report, they don't throw: each ends with its whole state, holding what it did
(``handshake``, ``gitSync``, ``proton``, ``codeartifact.result``) and, when a step failed, the step name
(``failedStep``) and the Step Functions error (``failure``: ``{"Error", "Cause"}``).
"""

import json
from dataclasses import field
from typing import Any, ClassVar, Literal

from repolink.models.events import (
    COMPLETED,
    FAILED,
    ConnectionSummary,
    HostSummary,
    RepositoryLinkCompletedDetail,
    RepositoryLinkFailedDetail,
)
from repolink.models.record import record
from repolink.models.state.common import Failure, Handshake, HostSetup
from repolink.models.state.results import CodeArtifactResult, GitSyncLinkResult, ProtonLinkResult
from repolink.models.wire import WIRE_NAME, Wire
from repolink.workflow.notifications import host_summary


class _Output(Wire):
    """What a branch leaves in its state: read for the parts we need, the rest ignored."""

    wire_extra: ClassVar[Literal["forbid", "ignore"]] = "ignore"


@record(kw_only=True)
class StepError(_Output):
    """A Step Functions Catch result."""

    error: str = field(metadata={WIRE_NAME: "Error"})
    cause: str = field(default="", metadata={WIRE_NAME: "Cause"})


@record(kw_only=True)
class ProtonItem(_Output):
    """One item of the Proton Map: linked, or failed with the error."""

    status: Literal["linked", "failed"]
    name: str
    result: ProtonLinkResult | None = None
    error: str | None = None
    cause: str | None = None


@record(kw_only=True)
class GitSyncItem(_Output):
    """One item of the Git sync Map: linked (with any stacks that failed), or failed with the error."""

    status: Literal["linked", "failed"]
    name: str
    result: GitSyncLinkResult | None = None
    error: str | None = None
    cause: str | None = None


@record(kw_only=True)
class CodeArtifactOutput(_Output):
    result: CodeArtifactResult


@record(kw_only=True)
class BranchOutput(_Output):
    handshake: Handshake | None = None
    git_sync: list[GitSyncItem] | None = None
    proton: list[ProtonItem] | None = None
    codeartifact: CodeArtifactOutput | None = None
    failed_step: str | None = None
    failure: StepError | None = None
    cleanup: dict[str, Any] | None = None
    cleanup_failure: StepError | None = None
    host: HostSetup | None = None
    host_cleanup: dict[str, Any] | None = None
    host_cleanup_failure: StepError | None = None


def readable_cause(cause: str) -> str:
    """A Lambda error's Cause is JSON with a stack trace: keep the message only."""
    try:
        parsed = json.loads(cause)
    except (TypeError, ValueError):
        return cause
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return cause


def decide(
    request_id: str, branches: list[dict[str, Any]]
) -> tuple[str, RepositoryLinkCompletedDetail | RepositoryLinkFailedDetail]:
    """The detail type and detail of the one result event for this onboarding."""
    outputs = [BranchOutput.from_wire(b) for b in branches]
    failures: list[Failure] = []
    connection: ConnectionSummary | None = None
    linked: list[ProtonLinkResult] = []
    synced: list[GitSyncLinkResult] = []
    codeartifact: CodeArtifactResult | None = None
    deleted = host_deleted = False
    host: HostSummary | None = None
    for out in outputs:
        if out.host is not None:
            host = host_summary(out.host.host)
        if out.host_cleanup is not None:
            host_deleted = bool(out.host_cleanup.get("deleted"))
        if out.handshake is not None:
            c = out.handshake.connection
            connection = ConnectionSummary(
                arn=c.arn,
                name=c.name,
                service=c.service,
                provider=c.provider,
                status=c.status,
                created=c.created,
            )
        if out.failed_step and out.failure:
            failures.append(
                Failure(
                    step=out.failed_step, error=out.failure.error, cause=readable_cause(out.failure.cause)
                )
            )
        if out.host_cleanup_failure is not None:  # after the failure that led to the cleanup
            failures.append(
                Failure(
                    step="DeleteHost",
                    error=out.host_cleanup_failure.error,
                    cause=readable_cause(out.host_cleanup_failure.cause),
                )
            )
        if out.cleanup is not None:
            deleted = bool(out.cleanup.get("deleted"))
        if out.cleanup_failure is not None:
            failures.append(
                Failure(
                    step="DeleteConnection",
                    error=out.cleanup_failure.error,
                    cause=readable_cause(out.cleanup_failure.cause),
                )
            )
        for git in out.git_sync or []:
            if git.status == "linked" and git.result is not None:
                synced.append(git.result)
                failures += git.result.failures
            else:
                failures.append(
                    Failure(
                        step=f"GitSync.LinkRepository:{git.name}",
                        error=git.error or "Unknown",
                        cause=readable_cause(git.cause or ""),
                    )
                )
        for item in out.proton or []:
            if item.status == "linked" and item.result is not None:
                linked.append(item.result)
            else:
                failures.append(
                    Failure(
                        step=f"Proton.LinkRepository:{item.name}",
                        error=item.error or "Unknown",
                        cause=readable_cause(item.cause or ""),
                    )
                )
        if out.codeartifact is not None:
            codeartifact = out.codeartifact.result
            if codeartifact.failure is not None:
                failures.append(codeartifact.failure)
    arns = [host.arn] if host and not host_deleted else []
    arns += [connection.arn] if connection and not deleted else []
    arns += [r.repository_link_arn for r in synced if not r.link_deleted]
    arns += [r.arn for r in linked]
    if codeartifact is not None:
        arns += [codeartifact.domain_arn] if codeartifact.domain_arn else []
        arns += [r.arn for r in codeartifact.repositories]
    common: dict[str, Any] = {
        "request_id": request_id,
        "connection": connection,
        "host": host,
        "git_sync_repositories": synced,
        "proton_repositories": linked,
        "codeartifact": codeartifact,
        "arns": arns,
    }
    if not failures:
        return COMPLETED, RepositoryLinkCompletedDetail(**common)
    first = failures[0]
    return FAILED, RepositoryLinkFailedDetail(
        **common,
        step=first.step,
        error=first.error,
        cause=first.cause,
        failures=failures,
        connection_deleted=deleted,
        host_deleted=host_deleted,
    )
