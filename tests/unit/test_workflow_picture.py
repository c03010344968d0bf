"""The workflow picture is Mermaid text drawn from the ASL, kept fresh in docs/ (its own file, and
inline in docs/architecture.md)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers.asl import states
from repolink_local import diagram

pytestmark = pytest.mark.unit

ASL: dict[str, Any] = json.loads(diagram.ASL_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def picture() -> str:
    return diagram.render(ASL)


def test_the_committed_picture_and_the_architecture_pages_copy_are_fresh(picture: str) -> None:
    assert diagram.MERMAID_PATH.read_text(encoding="utf-8") == picture, diagram.STALE_MESSAGE
    doc = diagram.DOC_PATH.read_text(encoding="utf-8")
    assert f"{diagram.BEGIN}\n```mermaid\n{picture}```\n{diagram.END}" in doc, diagram.STALE_MESSAGE


def test_every_state_is_drawn_once_labelled_with_its_name(picture: str) -> None:
    names = [name for name, _ in states(ASL)]
    assert len(names) > 20  # nested states are found, not just the top level
    labels = re.findall(r'^\s*s\d+[\[\(\{/]+"([^"]+)"', picture, flags=re.MULTILINE)
    groups = re.findall(r'^\s*subgraph s\d+ \["([^"]+?)(?: \(each item\))?"\]', picture, flags=re.MULTILINE)
    drawn = [label for label in labels if label != "start"] + [
        g for g in groups if not g.startswith("branch ")
    ]
    assert sorted(drawn) == sorted(names)


def test_parallel_branches_and_the_map_are_groups(picture: str) -> None:
    parallel = [n for n, s in states(ASL) if s["Type"] == "Parallel"]
    assert all(f'["{name}"]' in picture for name in parallel)
    assert picture.count('["branch ') == sum(
        len(s["Branches"]) for _, s in states(ASL) if s["Type"] == "Parallel"
    )
    assert '["Link the Proton repositories (each item)"]' in picture
    # every group is closed
    assert picture.count("subgraph ") == len(re.findall(r"^\s*end$", picture, flags=re.MULTILINE))


def test_every_catch_is_a_dotted_edge_naming_what_it_catches(picture: str) -> None:
    catches = [c for _, s in states(ASL) for c in s.get("Catch", [])]
    dotted = re.findall(r'-\.->\|"catch ([^"]+)"\|', picture)
    assert sorted(dotted) == sorted(", ".join(c["ErrorEquals"]) for c in catches)


def test_a_changed_asl_changes_the_picture_and_the_same_asl_draws_the_same(picture: str) -> None:
    assert diagram.render(copy.deepcopy(ASL)) == picture
    renamed = json.loads(json.dumps(ASL).replace("Check the handshake", "Poll the handshake"))
    assert "Poll the handshake" in diagram.render(renamed) and diagram.render(renamed) != picture
    rerouted = copy.deepcopy(ASL)
    rerouted["States"]["Report the outcome"]["Next"] = "Onboarding failed"
    assert diagram.render(rerouted) != picture


def test_labels_cannot_break_the_mermaid_text() -> None:
    tricky = {
        "StartAt": 'Say "hi" <b>',
        "States": {'Say "hi" <b>': {"Type": "Pass", "End": True}},
    }
    drawn = diagram.render(tricky)
    assert '"hi"' not in drawn and "<b>" not in drawn
    assert "#quot;hi#quot; #lt;b#gt;" in drawn


def test_the_command_writes_both_copies_and_checks_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "architecture.md"
    readme.write_text(f"# x\n\n{diagram.BEGIN}\n{diagram.END}\n\nmore\n", encoding="utf-8")
    monkeypatch.setattr(diagram, "ROOT", tmp_path)
    monkeypatch.setattr(diagram, "DOC_PATH", readme)
    monkeypatch.setattr(diagram, "MERMAID_PATH", tmp_path / "workflow.mmd")
    monkeypatch.setattr(diagram, "OFFBOARDING_MERMAID_PATH", tmp_path / "offboarding.mmd")
    assert diagram.main(["--check"]) == 1
    assert diagram.main([]) == 0
    assert diagram.main(["--check"]) == 0
    assert readme.read_text(encoding="utf-8").endswith(f"{diagram.END}\n\nmore\n")
    assert "Remove the connection" in (tmp_path / "offboarding.mmd").read_text(encoding="utf-8")
