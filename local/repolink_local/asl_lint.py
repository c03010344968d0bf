"""Lint the ASL as CloudFormation will deploy it: substitutions applied, then ``statelint``.

``statelint`` wrongly flags an integer ``BackoffRate``, hence ``--ignore=FLOAT``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from repolink_local.template import ACCOUNT_ID, REGION, TEMPLATE, LocalTemplate


def main() -> int:
    template = LocalTemplate(TEMPLATE, ACCOUNT_ID, REGION)
    statelint = Path(sys.executable).with_name("statelint")
    worst = 0
    for machine in template.state_machines():
        with tempfile.TemporaryDirectory() as tmp:
            resolved = Path(tmp) / machine.definition_path.name
            resolved.write_text(machine.definition())
            done = subprocess.run([str(statelint), "--ignore=FLOAT", str(resolved)], check=False)  # noqa: S603
        if done.returncode == 0:
            print(f"{machine.definition_path.name}: statelint found no problems")
        worst = worst or done.returncode
    return worst


if __name__ == "__main__":
    sys.exit(main())
