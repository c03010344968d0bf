"""A Step Functions task handler imports what its task reads, not the request contract.

The request contract (the request model, its validation, accept and its bounds, the API's models
and the verbs) is read at the entry points only; a task gets its section already checked, in its
payload (``models/state/``). Loading the contract would cost every task's cold start for nothing
(issue 23: +0.3x of a bare boto3 import).
"""

import pkgutil
import subprocess
import sys

import pytest

import repolink.handlers

pytestmark = pytest.mark.unit

ENTRY_POINTS = {"api", "ingest_event"}
TASK_HANDLERS = sorted(
    f"repolink.handlers.{found.name}"
    for found in pkgutil.iter_modules(repolink.handlers.__path__)
    if found.name not in ENTRY_POINTS | {"common"}
)
#: what the entry points read and a task never does
REQUEST_CONTRACT = {
    "repolink.models.request",
    "repolink.models.validation",
    "repolink.models.api",
    "repolink.workflow.accept",
    "repolink.workflow.bounds",
    "repolink.workflow.verbs",
}


def loaded_by(module: str) -> set[str]:
    """The repolink modules a fresh interpreter has loaded after importing ``module``."""
    script = f"import sys, {module}\nprint(*(name for name in sys.modules if name.startswith('repolink')))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_every_task_handler_is_listed() -> None:
    assert len(TASK_HANDLERS) >= 12 and "repolink.handlers.create_connection" in TASK_HANDLERS


@pytest.mark.parametrize("handler", TASK_HANDLERS)
def test_a_task_handler_does_not_load_the_request_contract(handler: str) -> None:
    assert loaded_by(handler) & REQUEST_CONTRACT == set()


def test_the_api_loads_the_request_contract() -> None:
    """The check above can see the contract when it is loaded."""
    assert loaded_by("repolink.handlers.api") >= REQUEST_CONTRACT


def test_the_ingest_does_not_load_the_status_models() -> None:
    """Only ``GET`` answers a status; the EventBridge ingest never reads one (``workflow.verbs``)."""
    assert "repolink.models.status" not in loaded_by("repolink.handlers.ingest_event")
    assert "repolink.models.status" in loaded_by("repolink.handlers.api")


def collector_after_import(before: str) -> list[str]:
    """``gc.isenabled()`` and ``gc.get_freeze_count() > 0`` after ``import repolink``, in a fresh
    interpreter that ran ``before`` first."""
    script = f"import gc\n{before}\nimport repolink\nprint(gc.isenabled(), gc.get_freeze_count() > 0)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_importing_repolink_freezes_the_libraries_and_leaves_the_collector_on() -> None:
    assert collector_after_import("") == ["True", "True"]


def test_importing_repolink_leaves_a_paused_collector_paused() -> None:
    assert collector_after_import("gc.disable()") == ["False", "True"]


#: what only the checks that read AWS use (a reused connection or host, a CodeArtifact domain),
#: run by an onboarding or a change: loaded when one runs, not at a cold start's import
AWS_READING_CHECKS = {
    "repolink.adapters.connections",
    "repolink.adapters.codeartifact",
    "repolink.workflow.connection",
    "repolink.workflow.hosts",
    "repolink.workflow.domains",
}


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_an_entry_point_loads_the_checks_that_read_aws_only_when_they_run(entry_point: str) -> None:
    assert loaded_by(f"repolink.handlers.{entry_point}") & AWS_READING_CHECKS == set()


def test_the_checks_load_what_they_read_with() -> None:
    """The check above can see them: running the connection check loads them."""
    script = (
        "import sys\nfrom repolink.workflow import accept\n"
        "accept.check_connection(accept.Verdict(), lambda service: None, shared=frozenset())\n"
        "print(*(name for name in sys.modules if name.startswith('repolink')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert set(done.stdout.split()) >= AWS_READING_CHECKS - {
        "repolink.workflow.domains",
        "repolink.adapters.codeartifact",
    }
