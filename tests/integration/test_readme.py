"""The README's commands work exactly as pasted, on the template's defaults."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from repolink_client import cli

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    """Every ``.venv/bin/repolink`` line of the README's bash blocks, its comment left off."""
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.DOTALL)
    return [
        line.split("  #", 1)[0].strip()
        for block in blocks
        for line in block.splitlines()
        if line.startswith(".venv/bin/repolink ")
    ]


def test_the_readme_shows_three_commands_to_try() -> None:
    assert len(_commands()) == 3
    assert len(README.splitlines()) <= 150


@pytest.mark.parametrize("command", _commands())
def test_each_readme_command_succeeds_as_pasted(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    argv = shlex.split(command)[1:]
    assert cli.main(argv) == 0, capsys.readouterr().err[-2000:]


def test_make_demo_runs_the_sample_with_no_extra_flags() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (recipe,) = re.findall(r"^demo: .*\n\t(.+)$", makefile, flags=re.MULTILINE)
    assert recipe.strip() == "$(BIN)/repolink local run events/onboarding.json"
    assert ".venv/bin/repolink local run events/onboarding.json" in README
