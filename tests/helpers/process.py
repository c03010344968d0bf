"""Running one of our commands as a person runs it: a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def fresh_process(arguments: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python ARGUMENTS`` in ``cwd``, with no Powertools variables in its environment (the test
    session's conftest sets them; Lambda sets the template's before importing a handler, and the
    local world sets them when ``repolink_local`` is imported): what repolink's import needs of
    them must come from the command itself."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
