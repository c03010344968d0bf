"""Every benchmark, one after the other: ``make bench``. Each prints its own tables."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "cost_of_waiting.py",
    "cold_start.py",
    "burst.py",
    "scale.py",
    "faults.py",
    "workflow.py",
    "least_privilege.py",
]


def main() -> int:
    worst = 0
    started = time.perf_counter()
    for script in SCRIPTS:
        print(f"\n# {script}\n", flush=True)
        took = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / script)], cwd=HERE)
        print(f"\n({script}: exit {code}, {time.perf_counter() - took:.0f} s)", flush=True)
        worst = max(worst, code)
    print(f"\nmake bench: {time.perf_counter() - started:.0f} s in all")
    return worst


if __name__ == "__main__":
    sys.exit(main())
