"""docs/workflow.svg is drawn from the ASL, kept fresh, and readable (no box drawn over another)."""

from __future__ import annotations

import copy
import itertools
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repolink_local import diagram

pytestmark = pytest.mark.unit

SVG_NS = "{http://www.w3.org/2000/svg}"
ASL: dict[str, Any] = json.loads(diagram.ASL_PATH.read_text(encoding="utf-8"))


def state_names(machine: dict[str, Any]) -> Iterator[str]:
    """Every state, including those inside Parallel branches and Map item processors."""
    for name, state in machine["States"].items():
        yield name
        for branch in state.get("Branches", []):
            yield from state_names(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from state_names(state[key])


def renamed(definition: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The definition with one state renamed everywhere (its key and every Next/Default/StartAt)."""
    text = json.dumps(definition).replace(json.dumps(old), json.dumps(new))
    result: dict[str, Any] = json.loads(text)
    return result


@pytest.fixture(scope="module")
def svg() -> str:
    return diagram.render(ASL)


def test_the_committed_picture_is_fresh(svg: str) -> None:
    committed = diagram.SVG_PATH.read_text(encoding="utf-8") if diagram.SVG_PATH.exists() else "<missing>"
    assert committed == svg, (
        f"{diagram.STALE_MESSAGE}: statemachines/onboarding.asl.json (or the drawing code) changed "
        "since the picture was drawn; regenerate it and commit it with the change"
    )


def test_every_state_is_drawn_and_named(svg: str) -> None:
    names = list(state_names(ASL))
    assert len(names) == len(set(names)) > 20  # nested states are found, not just the top level
    titles = {element.text for element in ET.fromstring(svg).iter(f"{SVG_NS}title")}
    assert [name for name in names if name not in titles] == []
    assert [name for name in names if diagram._xml(name) not in svg] == []


def test_the_picture_is_well_formed_svg(svg: str) -> None:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    assert float(root.attrib["width"]) > 0 and float(root.attrib["height"]) > 0
    assert root.attrib["font-family"] == "sans-serif"
    assert len(list(root.iter(f"{SVG_NS}path"))) >= len(list(state_names(ASL)))


def test_a_changed_definition_gives_a_different_picture(svg: str) -> None:
    nested = renamed(ASL, "Check the handshake", "Poll the handshake")
    assert "Poll the handshake" in diagram.render(nested)
    assert diagram.render(nested) != svg

    rerouted = copy.deepcopy(ASL)
    rerouted["States"]["Did the onboarding succeed?"]["Default"] = "Onboarding complete"
    assert diagram.render(rerouted) != svg


def test_rendering_is_deterministic(svg: str) -> None:
    assert diagram.render(copy.deepcopy(ASL)) == svg


def test_no_two_boxes_overlap() -> None:
    boxes = diagram.layout(ASL).boxes()
    clashes = [
        (a, b)
        for (a, ra), (b, rb) in itertools.combinations(boxes, 2)
        if ra.overlaps(rb) and not (ra.contains(rb) or rb.contains(ra))
    ]
    assert clashes == []


def test_edges_and_labels_stay_clear_of_the_states() -> None:
    scene = diagram.layout(ASL)
    states = [state.rect for state in scene.states]
    through = [
        point
        for edge in scene.edges
        for point in edge.sample()
        if any(r.strictly_inside(point) for r in states)
    ]
    assert through == []
    labels = [label.rect for label in scene.labels]
    assert [(a, b) for a, b in itertools.combinations(labels, 2) if a.overlaps(b)] == []
    assert [(label, r) for label in labels for r in states if label.overlaps(r)] == []


def test_every_edge_kind_is_drawn(svg: str) -> None:
    assert 'stroke-dasharray="5 4"' in svg  # Catch
    assert ">HandshakeTimedOut<" in svg and ">States.ALL<" in svg  # Catch labels
    assert ">status = AVAILABLE<" in svg and ">default<" in svg  # Choices and Default
    assert 'class="edge next back"' in svg  # the Wait -> Check -> Choice -> Wait loop
    assert svg.count("<circle") >= 4  # a start marker for the machine, both branches and the Map


def test_check_mode_reports_a_stale_picture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    picture = tmp_path / "docs" / "workflow.svg"
    monkeypatch.setattr(diagram, "SVG_PATH", picture)
    assert diagram.main(["--check"]) == 1
    assert diagram.main([]) == 0
    assert diagram.main(["--check"]) == 0
    picture.write_text(picture.read_text(encoding="utf-8").replace("Onboarding failed", "Onboarding broke"))
    assert diagram.main(["--check"]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [diagram.STALE_MESSAGE] * 2


ODD_MACHINE: dict[str, Any] = {
    "StartAt": "Poll",
    "States": {
        "Poll": {
            "Type": "Task",
            "Resource": "arn",
            "Next": "Route",
            "Catch": [{"ErrorEquals": ["X"], "Next": "Poll"}],
        },
        "Route": {
            "Type": "Choice",
            "Choices": [
                {"Not": {"Variable": "$.a", "IsNull": False}, "Next": "Each"},
                {
                    "Or": [
                        {"Variable": "$.n", "NumericLessThanPath": "$.limit"},
                        {"Variable": "$.ok", "BooleanEquals": False},
                    ],
                    "Next": "Done",
                },
                {"Condition": "{% $states.input.size > 3 & 'big' <> '<small>' %}", "Next": "Done"},
            ],
            "Default": "Gone",
        },
        "Each": {
            "Type": "Map",
            "Iterator": {"StartAt": "One", "States": {"One": {"Type": "Pass", "End": True}}},
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Orphan & <friends>": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Gone": {"Type": "Pass", "Next": "Nowhere"},
    },
}


def test_odd_machines_render_cleanly() -> None:
    svg = diagram.render(ODD_MACHINE)
    ET.fromstring(svg)
    assert "Orphan &amp; &lt;friends&gt;" in svg
    assert ">not (a not null)<" in svg
    assert ">n &lt; limit or not ok; $states.input.si...<" in svg  # two rules to Done: one label, shortened
    assert "Iterator: each item" in svg
    scene = diagram.layout(ODD_MACHINE)
    assert [e.back for e in scene.edges].count(True) == 1  # the self-loop on Poll
    boxes = scene.boxes()
    assert not [
        (a, b)
        for (a, ra), (b, rb) in itertools.combinations(boxes, 2)
        if ra.overlaps(rb) and not (ra.contains(rb) or rb.contains(ra))
    ]
    assert diagram.render(copy.deepcopy(ODD_MACHINE)) == svg
