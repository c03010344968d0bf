"""bench/cold_start.py judges a handler against a fair floor: the libraries loaded as repolink loads them.

``functions/repolink/__init__.py`` imports boto3 and Powertools' observability with the cyclic collector
paused, then freezes them (``gc.freeze()``). A floor row that imports the same libraries plainly
pays the collector's passes that repolink's import skips, so "+floor" would credit repolink's own
modules with a saving on the libraries' import. Each check runs in a fresh interpreter: the
collector's state and the frozen objects are per process.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
#: how the bench runs (``python bench/cold_start.py`` puts bench/ first), with the Lambda's CodeUri
ENV = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "bench"), str(ROOT / "functions")])}


def fresh(script: str) -> str:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=ENV)
    return done.stdout


def bench(expression: str) -> object:
    """``expression`` evaluated with ``bench/cold_start.py`` imported as ``cs``, as JSON."""
    return json.loads(fresh(f"import json, cold_start as cs\nprint(json.dumps({expression}))"))


def collector_after(source: str) -> tuple[bool, int]:
    """``gc.isenabled()`` and ``gc.get_freeze_count()`` after running ``source`` in a fresh interpreter."""
    enabled, frozen = fresh(f"{source}\nimport gc\nprint(gc.isenabled(), gc.get_freeze_count())").split()
    return enabled == "True", int(frozen)


def test_the_fair_observability_floor_freezes_what_repolink_freezes() -> None:
    sources = bench("{label: source for label, (_, source) in cs.FAIR_FLOORS.items()}")
    assert isinstance(sources, dict)
    observability = next(source for label, source in sources.items() if "observability" in label)
    enabled, floor_frozen = collector_after(observability)
    repolink_enabled, repolink_frozen = collector_after("import repolink")
    assert enabled and repolink_enabled
    # the same libraries frozen: repolink adds only its own two small modules' objects
    assert repolink_frozen > 0 and abs(repolink_frozen - floor_frozen) < repolink_frozen / 100


def test_a_plain_floor_freezes_nothing() -> None:
    """The check above can tell a fair floor from issue 23's plain one."""
    sources = bench("{label: source for label, (_, source) in cs.FLOORS.items()}")
    assert isinstance(sources, dict)
    observability = next(source for label, source in sources.items() if "observability" in label)
    assert collector_after(observability) == (True, 0)


def test_a_handler_is_judged_against_the_fair_floor_of_the_libraries_it_loads() -> None:
    held_to = bench(
        "{name: [cs.floor_of(cs.Target('h', 'h', {}, tree=cs.Node('h', 0, 0, 0, [cs.Node(name, 0, 0, 1)])),"
        " f)"
        " for f in (cs.FAIR_FLOORS, cs.FLOORS)]"
        " for name in ('aws_lambda_powertools.logging', 'aws_lambda_powertools.event_handler')}"
    )
    assert held_to == {
        "aws_lambda_powertools.logging": [
            "(fair floor: observability as repolink loads it)",
            "(floor: boto3 + Powertools observability)",
        ],
        "aws_lambda_powertools.event_handler": [
            "(fair floor: + Powertools event_handler)",
            "(floor: + Powertools event_handler)",
        ],
    }
