"""The bench scripts that ``make bench`` runs start and finish, at their smallest sizes.

Each runs as ``bench/run.py`` runs it: a fresh process in ``bench/``, whose environment has no
Powertools variables (the test session's conftest sets them; the local world sets the template's
when ``repolink_local`` is imported, which ``bench/common.py`` does first). ``burst.py`` and
``scale.py`` imported repolink first and failed at their first handler, unseen until a full
``make bench``. The other scripts have no small size (``make bench`` measures them in full).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.process import fresh_process

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    "arguments",
    [["burst.py", "--requests", "6"], ["scale.py", "--teams", "2"]],
    ids=lambda arguments: arguments[0],
)
def test_a_bench_script_runs_in_a_fresh_process_at_its_smallest_size(arguments: list[str]) -> None:
    done = fresh_process(arguments, BENCH)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Duplicated resources: 0" in done.stdout or "Peak memory" in done.stdout, done.stdout[-2000:]
