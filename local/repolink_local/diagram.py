"""Draw the onboarding state machine from its ASL, as the committed picture ``docs/workflow.svg``.

``python -m repolink_local.diagram`` rewrites the picture; ``--check`` exits 1 when the committed file
differs from what the ASL gives now. Standard library only: a small layered (Sugiyama-style) drawing.

1. Each (sub)machine gets a start dot and its edges: Next, Choices[].Next, Default, Catch[].Next.
2. A depth-first search from the start dot finds the back edges (the loops); the rest is acyclic.
3. A state's layer is its longest distance from the start dot over the acyclic edges.
4. An edge that spans layers gets a placeholder in every layer it crosses (a back edge too, upwards,
   on the right of the states it skips), so no line is drawn through a box.
5. Barycentre sweeps order each layer; the order with the fewest crossings is kept.
6. Each node is pulled towards its neighbours in the adjacent layer, and overlaps are then removed
   with the least total movement (pool-adjacent-violators), alternately downwards and upwards.
7. Parallel and Map states are drawn first, recursively, and then placed as one box.

Iteration follows the definition's order or a sorted order and every number is written with one
decimal, so the output is byte-identical from run to run.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachines" / "onboarding.asl.json"
SVG_PATH = ROOT / "docs" / "workflow.svg"
SVG_NAME = "docs/workflow.svg"
STALE_MESSAGE = f"{SVG_NAME} is stale; run python -m repolink_local.diagram"

FONT_SIZE = 12
CHAR_W = 7.0  # a generous average advance for 12px sans-serif
BOLD_CHAR_W = 7.6
LABEL_FONT_SIZE = 10
LABEL_CHAR_W = 6.0
LABEL_H = 14.0
LINE_H = 15.0
MAX_CHARS = 22  # a state's label wraps at word boundaries past this many characters
PAD_X = 12.0
PAD_Y = 9.0
MIN_W = 96.0
CHOICE_TIP = 14.0
PILL_EXTRA = 8.0
START_R = 7.0
DUMMY_W = 8.0
NODE_GAP = 28.0
DUMMY_GAP = 14.0
LAYER_GAP = 56.0
CLUSTER_PAD = 16.0
HEADER_H = 30.0
FRAME_PAD = 12.0
CAPTION_H = 20.0
MARGIN = 20.0
SELF_LOOP = 40.0
MAX_LABEL = 40
SWEEPS = 12
X_PASSES = 10
DUMMY_WEIGHT = 4.0

Point = tuple[float, float]
Bezier = tuple[Point, Point, Point, Point]

_STYLE: dict[str, tuple[str, str]] = {
    "Task": ("#e3edff", "#2f6fde"),
    "Choice": ("#fff3d1", "#c98a04"),
    "Wait": ("#efe8ff", "#7a4fd6"),
    "Pass": ("#f1f3f5", "#6b7280"),
    "Succeed": ("#dcf5e3", "#1f9d55"),
    "Fail": ("#fde2e2", "#d03b3b"),
    "Parallel": ("#f2fbf9", "#0f8a7e"),
    "Map": ("#fbf1fd", "#a23cb8"),
}
_OTHER_STYLE = ("#ffffff", "#374151")
_CORNER: dict[str, float] = {
    "Task": 8.0,
    "Wait": 8.0,
    "Pass": 2.0,
    "Succeed": 14.0,
    "Fail": 14.0,
    "Parallel": 10.0,
    "Map": 10.0,
}
_EDGE_COLOUR = "#4b5563"
_CATCH_COLOUR = "#c2410c"

_COMPARISONS: dict[str, str] = {
    "Equals": "=",
    "LessThan": "<",
    "GreaterThan": ">",
    "LessThanEquals": "<=",
    "GreaterThanEquals": ">=",
    "Matches": "matches",
}
_TYPE_TESTS: dict[str, str] = {
    "IsPresent": "present",
    "IsNull": "null",
    "IsString": "a string",
    "IsNumeric": "a number",
    "IsBoolean": "a boolean",
    "IsTimestamp": "a timestamp",
}


# -- the scene: what is drawn, in absolute coordinates ----------------------------------------------


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def centre(self) -> Point:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def shifted(self, dx: float, dy: float) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.w, self.h)

    def overlaps(self, other: Rect) -> bool:
        """The interiors meet (touching edges do not count)."""
        return (
            self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom
        )

    def contains(self, other: Rect) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def strictly_inside(self, point: Point, margin: float = 0.5) -> bool:
        x, y = point
        return self.x + margin < x < self.right - margin and self.y + margin < y < self.bottom - margin


@dataclass(frozen=True)
class StateBox:
    name: str
    type: str
    rect: Rect
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Cluster:
    """A Parallel or Map state: a box with a header and one frame per branch (or the ItemProcessor)."""

    name: str
    type: str
    rect: Rect
    frames: tuple[tuple[str, Rect], ...]


@dataclass(frozen=True)
class Edge:
    start: Point
    segments: tuple[tuple[Point, ...], ...]  # one point: a line to it; three points: a cubic curve
    dashed: bool
    back: bool

    def shifted(self, dx: float, dy: float) -> Edge:
        return Edge(
            (self.start[0] + dx, self.start[1] + dy),
            tuple(tuple((x + dx, y + dy) for x, y in segment) for segment in self.segments),
            self.dashed,
            self.back,
        )

    def points(self) -> list[Point]:
        """Every point of the path, control points included (they bound the curve)."""
        return [self.start, *(point for segment in self.segments for point in segment)]

    def sample(self, steps: int = 12) -> list[Point]:
        """Points along the drawn path, its two ends excluded."""
        found: list[Point] = []
        current = self.start
        for segment in self.segments:
            if len(segment) == 1:
                (x1, y1) = segment[0]
                found += [
                    (current[0] + (x1 - current[0]) * i / steps, current[1] + (y1 - current[1]) * i / steps)
                    for i in range(1, steps + 1)
                ]
            else:
                curve: Bezier = (current, segment[0], segment[1], segment[2])
                found += [_bezier(curve, i / steps) for i in range(1, steps + 1)]
            current = segment[-1]
        return found[:-1]


@dataclass(frozen=True)
class Label:
    text: str
    rect: Rect
    dashed: bool


@dataclass
class Scene:
    width: float = 0.0
    height: float = 0.0
    states: list[StateBox] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    starts: list[Point] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    def add(self, other: Scene, dx: float, dy: float) -> None:
        """Copy ``other`` into this scene, moved by (dx, dy)."""
        self.states += [StateBox(s.name, s.type, s.rect.shifted(dx, dy), s.lines) for s in other.states]
        self.clusters += [
            Cluster(
                c.name, c.type, c.rect.shifted(dx, dy), tuple((t, r.shifted(dx, dy)) for t, r in c.frames)
            )
            for c in other.clusters
        ]
        self.starts += [(x + dx, y + dy) for x, y in other.starts]
        self.edges += [edge.shifted(dx, dy) for edge in other.edges]
        self.labels += [Label(lb.text, lb.rect.shifted(dx, dy), lb.dashed) for lb in other.labels]

    def boxes(self) -> list[tuple[str, Rect]]:
        """The rectangle of every state: the simple ones and the Parallel/Map clusters."""
        return [(s.name, s.rect) for s in self.states] + [(c.name, c.rect) for c in self.clusters]


# -- the layered layout -----------------------------------------------------------------------------


@dataclass
class _Node:
    key: int
    kind: str  # "start", "dummy", or the state's Type
    name: str = ""
    w: float = DUMMY_W
    h: float = 0.0
    lines: tuple[str, ...] = ()
    inner: Scene | None = None
    pad_right: float = 0.0
    back_dummy: bool = False
    layer: int = 0
    sx: float = 0.0  # the centre of the node's slot (its box plus room for a self-loop)

    @property
    def slot_w(self) -> float:
        return self.w + self.pad_right

    @property
    def cx(self) -> float:
        return self.sx - self.pad_right / 2

    @property
    def dummy(self) -> bool:
        return self.kind == "dummy"


@dataclass
class _Edge:
    src: int
    dst: int
    dashed: bool
    labels: list[str]
    back: bool = False
    chain: list[int] = field(default_factory=list)  # node keys, top layer first

    @property
    def label(self) -> str:
        return _shorten("; ".join(text for text in self.labels if text))


class _Path:
    def __init__(self, start: Point) -> None:
        self.start = start
        self.current = start
        self.segments: list[tuple[Point, ...]] = []
        self.curves: list[Bezier] = []

    def line(self, point: Point) -> None:
        if point != self.current:
            self.segments.append((point,))
            self.current = point

    def curve(self, c1: Point, c2: Point, point: Point) -> None:
        self.curves.append((self.current, c1, c2, point))
        self.segments.append((c1, c2, point))
        self.current = point


def layout(definition: dict[str, Any]) -> Scene:
    """The whole drawing, with its margin, in absolute coordinates (the legend is not included)."""
    inner = _layout_machine(definition)
    scene = Scene(width=inner.width + 2 * MARGIN, height=inner.height + 2 * MARGIN)
    scene.add(inner, MARGIN, MARGIN)
    return scene


def _layout_machine(machine: dict[str, Any]) -> Scene:
    states: dict[str, Any] = machine.get("States", {})
    index = {name: i + 1 for i, name in enumerate(states)}
    nodes = [_Node(0, "start", w=2 * START_R, h=2 * START_R)]
    nodes += [_state_node(index[name], name, state) for name, state in states.items()]
    edges = _edges(machine, states, index)
    real = len(nodes)

    successors: dict[int, list[int]] = {node.key: [] for node in nodes}
    for edge in edges:
        successors[edge.src].append(edge.dst)
    back_pairs, preorder = _depth_first(real, successors)
    for edge in edges:
        edge.back = (edge.src, edge.dst) in back_pairs
    _assign_layers(nodes, edges)

    for edge in edges:
        if edge.src == edge.dst:
            edge.chain = [edge.src]
            nodes[edge.src].pad_right = SELF_LOOP
            continue
        top, bottom = (edge.dst, edge.src) if edge.back else (edge.src, edge.dst)
        edge.chain = [top]
        for layer in range(nodes[top].layer + 1, nodes[bottom].layer):
            dummy = _Node(len(nodes), "dummy", back_dummy=edge.back, layer=layer)
            nodes.append(dummy)
            edge.chain.append(dummy.key)
        edge.chain.append(bottom)

    up: dict[int, list[int]] = {node.key: [] for node in nodes}
    down: dict[int, list[int]] = {node.key: [] for node in nodes}
    for edge in edges:
        for a, b in itertools.pairwise(edge.chain):
            down[a].append(b)
            up[b].append(a)

    first_seen = {key: (preorder[key], 0, key) for key in range(real)}
    for edge in edges:
        for key in edge.chain[1:-1]:
            first_seen[key] = (preorder[edge.chain[0]], 1, key)
    depth = max(node.layer for node in nodes)
    layers: list[list[int]] = [[] for _ in range(depth + 1)]
    for key in sorted(first_seen, key=first_seen.__getitem__):
        layers[nodes[key].layer].append(key)
    layers = _order(nodes, layers, up, down)
    _place(nodes, layers, up, down)
    return _draw(nodes, edges, layers)


def _state_node(key: int, name: str, state: dict[str, Any]) -> _Node:
    kind = str(state.get("Type", "?"))
    inner: Scene | None = None
    if kind == "Parallel":
        branches = state.get("Branches", [])
        inner = _cluster(
            name, kind, [(f"Branch {i}", _layout_machine(b)) for i, b in enumerate(branches, start=1)]
        )
    elif kind == "Map":
        processor_key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        items = state.get("ItemsPath")
        caption = f"{processor_key}: each item" + (f" of {items}" if isinstance(items, str) else "")
        inner = _cluster(name, kind, [(caption, _layout_machine(state.get(processor_key, {})))])
    if inner is not None:
        return _Node(key, kind, name, w=inner.width, h=inner.height, inner=inner)
    lines = _wrap(name)
    w = max(MIN_W, max(len(line) for line in lines) * CHAR_W + 2 * PAD_X)
    if kind == "Choice":
        w += 2 * CHOICE_TIP
    elif kind in ("Succeed", "Fail"):
        w += PILL_EXTRA
    return _Node(key, kind, name, w=w, h=len(lines) * LINE_H + 2 * PAD_Y, lines=lines)


def _cluster(name: str, kind: str, parts: list[tuple[str, Scene]]) -> Scene:
    """Frames side by side under a header, all inside one box whose origin is (0, 0)."""
    widths = [max(sub.width, len(caption) * LABEL_CHAR_W) + 2 * FRAME_PAD for caption, sub in parts]
    frame_h = max((CAPTION_H + sub.height + FRAME_PAD for _, sub in parts), default=0.0)
    content_w = sum(widths) + CLUSTER_PAD * max(len(parts) - 1, 0)
    width = max(content_w, len(f"{kind}: {name}") * BOLD_CHAR_W) + 2 * CLUSTER_PAD
    height = HEADER_H + frame_h + CLUSTER_PAD
    scene = Scene(width=width, height=height)
    frames: list[tuple[str, Rect]] = []
    x = (width - content_w) / 2
    for (caption, sub), frame_w in zip(parts, widths, strict=True):
        frames.append((caption, Rect(x, HEADER_H, frame_w, frame_h)))
        scene.add(sub, x + (frame_w - sub.width) / 2, HEADER_H + CAPTION_H)
        x += frame_w + CLUSTER_PAD
    scene.clusters.insert(0, Cluster(name, kind, Rect(0.0, 0.0, width, height), tuple(frames)))
    return scene


def _edges(machine: dict[str, Any], states: dict[str, Any], index: dict[str, int]) -> list[_Edge]:
    found: list[_Edge] = []
    merged: dict[tuple[int, int, bool], _Edge] = {}

    def add(src: int, target: object, dashed: bool, label: str) -> None:
        if not isinstance(target, str) or target not in index:
            return
        key = (src, index[target], dashed)
        if key in merged:
            if label not in merged[key].labels:
                merged[key].labels.append(label)
            return
        merged[key] = _Edge(src, index[target], dashed, [label])
        found.append(merged[key])

    add(0, machine.get("StartAt"), False, "")
    for name, state in states.items():
        src = index[name]
        for rule in state.get("Choices", []):
            add(src, rule.get("Next"), False, _condition(rule))
        if "Default" in state:
            add(src, state["Default"], False, "default")
        if "Next" in state:
            add(src, state["Next"], False, "")
        for catcher in state.get("Catch", []):
            add(src, catcher.get("Next"), True, ", ".join(str(e) for e in catcher.get("ErrorEquals", [])))
    return found


def _depth_first(count: int, successors: dict[int, list[int]]) -> tuple[set[tuple[int, int]], list[int]]:
    """The back edges (to a node still on the stack) and each node's preorder number."""
    colour = [0] * count  # 0 unseen, 1 on the stack, 2 done
    preorder = [0] * count
    seen = 0
    back: set[tuple[int, int]] = set()
    for root in range(count):
        if colour[root]:
            continue
        colour[root], preorder[root], seen = 1, seen, seen + 1
        stack = [(root, iter(successors[root]))]
        while stack:
            node, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
            elif colour[nxt] == 1:
                back.add((node, nxt))
            elif colour[nxt] == 0:
                colour[nxt], preorder[nxt], seen = 1, seen, seen + 1
                stack.append((nxt, iter(successors[nxt])))
    return back, preorder


def _assign_layers(nodes: list[_Node], edges: list[_Edge]) -> None:
    """Longest path from the start dot over the forward edges (Kahn's order, smallest key first)."""
    forward = [(e.src, e.dst) for e in edges if not e.back and e.src != e.dst]
    indegree = [0] * len(nodes)
    out: dict[int, list[int]] = {node.key: [] for node in nodes}
    for src, dst in forward:
        indegree[dst] += 1
        out[src].append(dst)
    for node in nodes[1:]:
        node.layer = 1
    ready = [node.key for node in nodes if indegree[node.key] == 0]
    heapq.heapify(ready)
    while ready:
        key = heapq.heappop(ready)
        for dst in out[key]:
            nodes[dst].layer = max(nodes[dst].layer, nodes[key].layer + 1)
            indegree[dst] -= 1
            if indegree[dst] == 0:
                heapq.heappush(ready, dst)


def _order(
    nodes: list[_Node], layers: list[list[int]], up: dict[int, list[int]], down: dict[int, list[int]]
) -> list[list[int]]:
    """Barycentre sweeps, down then up; keep the order with the fewest crossings (the first such)."""
    best = [list(keys) for keys in layers]
    best_crossings = _crossings(layers, down)
    for _ in range(SWEEPS):
        for i in range(1, len(layers)):
            layers[i] = _by_barycentre(nodes, layers[i], layers[i - 1], up)
        for i in range(len(layers) - 2, -1, -1):
            layers[i] = _by_barycentre(nodes, layers[i], layers[i + 1], down)
        crossings = _crossings(layers, down)
        if crossings < best_crossings:
            best, best_crossings = [list(keys) for keys in layers], crossings
    return best


def _by_barycentre(
    nodes: list[_Node], keys: list[int], reference: list[int], neighbours: dict[int, list[int]]
) -> list[int]:
    ref_pos = {key: i for i, key in enumerate(reference)}
    own_pos = {key: i for i, key in enumerate(keys)}

    def barycentre(key: int) -> tuple[float, int]:
        near = neighbours[key]
        if not near:
            return (float(own_pos[key]), own_pos[key])
        # A loop's placeholders lean right, where the loop leaves and enters its states.
        bias = 0.5 if nodes[key].back_dummy else 0.0
        return (sum(ref_pos[k] for k in near) / len(near) + bias, own_pos[key])

    return sorted(keys, key=barycentre)


def _crossings(layers: list[list[int]], down: dict[int, list[int]]) -> int:
    total = 0
    for upper, lower in itertools.pairwise(layers):
        pos = {key: i for i, key in enumerate(lower)}
        segments = [(i, pos[b]) for i, a in enumerate(upper) for b in down[a]]
        total += sum(
            1
            for j, (a1, b1) in enumerate(segments)
            for a2, b2 in segments[j + 1 :]
            if (a1 - a2) * (b1 - b2) < 0
        )
    return total


def _place(
    nodes: list[_Node], layers: list[list[int]], up: dict[int, list[int]], down: dict[int, list[int]]
) -> None:
    """x: pull each node towards its neighbours in the adjacent layer, keep order and spacing."""
    for keys in layers:
        x = 0.0
        for i, key in enumerate(keys):
            if i:
                x += _separation(nodes[keys[i - 1]], nodes[key])
            nodes[key].sx = x
    for _ in range(X_PASSES):
        for keys in layers[1:]:
            _pull(nodes, keys, up)
        for keys in reversed(layers[:-1]):
            _pull(nodes, keys, down)
    for keys in layers[1:]:
        _pull(nodes, keys, up)
    left = min(node.sx - node.slot_w / 2 for node in nodes)
    for node in nodes:
        node.sx -= left


def _separation(a: _Node, b: _Node) -> float:
    gap = DUMMY_GAP if a.dummy or b.dummy else NODE_GAP
    return (a.slot_w + b.slot_w) / 2 + gap


def _pull(nodes: list[_Node], keys: list[int], neighbours: dict[int, list[int]]) -> None:
    desired: list[float] = []
    for key in keys:
        node, near = nodes[key], neighbours[key]
        if near:
            desired.append(sum(nodes[k].cx for k in near) / len(near) + node.pad_right / 2)
        else:
            desired.append(node.sx)
    # Positions y_i = x_i - offset_i must not decrease: an isotonic (pool-adjacent-violators) fit.
    offsets = [0.0]
    for a, b in itertools.pairwise(keys):
        offsets.append(offsets[-1] + _separation(nodes[a], nodes[b]))
    pools: list[tuple[float, float, int]] = []  # weighted sum, weight, count
    for key, want, offset in zip(keys, desired, offsets, strict=True):
        weight = DUMMY_WEIGHT if nodes[key].dummy else 1.0
        pools.append(((want - offset) * weight, weight, 1))
        while len(pools) > 1 and pools[-2][0] / pools[-2][1] > pools[-1][0] / pools[-1][1]:
            s2, w2, n2 = pools.pop()
            s1, w1, n1 = pools.pop()
            pools.append((s1 + s2, w1 + w2, n1 + n2))
    i = 0
    for total, weight, count in pools:
        for _ in range(count):
            nodes[keys[i]].sx = total / weight + offsets[i]
            i += 1


def _draw(nodes: list[_Node], edges: list[_Edge], layers: list[list[int]]) -> Scene:
    tops: list[float] = []
    bottoms: list[float] = []
    y = 0.0
    for keys in layers:
        height = max((nodes[k].h for k in keys if not nodes[k].dummy), default=2 * START_R)
        tops.append(y)
        bottoms.append(y + height)
        y += height + LAYER_GAP
    rects: dict[int, Rect] = {}
    scene = Scene()
    for node in nodes:
        if node.dummy:
            continue
        mid = (tops[node.layer] + bottoms[node.layer]) / 2
        rect = rects[node.key] = Rect(node.cx - node.w / 2, mid - node.h / 2, node.w, node.h)
        if node.kind == "start":
            scene.starts.append(rect.centre)
        elif node.inner is not None:
            scene.add(node.inner, rect.x, rect.y)
        else:
            scene.states.append(StateBox(node.name, node.kind, rect, node.lines))

    out_x, in_x = _ports(nodes, edges)
    obstacles = list(rects.values())
    placed: list[Rect] = []
    for i, edge in enumerate(edges):
        if len(edge.chain) == 1:
            path = _self_loop(nodes[edge.src], rects[edge.src])
            r = rects[edge.src]
            candidates = [(r.right + SELF_LOOP + len(edge.label) * LABEL_CHAR_W / 2, r.centre[1])]
        else:
            path = _route(nodes, edge, rects, tops, bottoms, out_x[i], in_x[i])
            candidates = [_bezier(c, t) for c in path.curves for t in (0.5, 0.35, 0.65, 0.2, 0.8)]
        scene.edges.append(Edge(path.start, tuple(path.segments), edge.dashed, edge.back))
        if edge.label:
            label = _place_label(edge.label, candidates, obstacles + placed)
            placed.append(label)
            scene.labels.append(Label(edge.label, label, edge.dashed))
    return _normalised(scene)


def _ports(nodes: list[_Node], edges: list[_Edge]) -> tuple[dict[int, float], dict[int, float]]:
    """Where each edge leaves its first node and enters its last, spread along the box's side."""
    out_x: dict[int, float] = {}
    in_x: dict[int, float] = {}
    routed = [(i, e) for i, e in enumerate(edges) if len(e.chain) > 1]
    for node in nodes:
        if node.dummy:
            continue
        leaving = sorted(
            (nodes[e.chain[1]].cx, i) for i, e in routed if not e.back and e.chain[0] == node.key
        )
        for (_, i), x in zip(leaving, _spread(node, len(leaving)), strict=True):
            out_x[i] = x
        entering = sorted(
            (nodes[e.chain[-2]].cx, i) for i, e in routed if not e.back and e.chain[-1] == node.key
        )
        for (_, i), x in zip(entering, _spread(node, len(entering)), strict=True):
            in_x[i] = x
        # A loop leaves the top of its lower state and enters the bottom of its upper one, off centre
        # on the side its placeholders took, so it does not cross the edges that go down the middle.
        reach = node.w / 2 - (CHOICE_TIP if node.kind == "Choice" else 0.0) - 6.0
        loops_from = [(i, nodes[e.chain[-2]].cx) for i, e in routed if e.back and e.chain[-1] == node.key]
        for j, (i, toward) in enumerate(loops_from):
            out_x[i] = node.cx + _side(node, toward) * min(node.w * 0.3 + 8.0 * j, reach)
        loops_to = [(i, nodes[e.chain[1]].cx) for i, e in routed if e.back and e.chain[0] == node.key]
        for j, (i, toward) in enumerate(loops_to):
            in_x[i] = node.cx + _side(node, toward) * min(node.w * 0.3 + 8.0 * j, reach)
    return out_x, in_x


def _side(node: _Node, toward: float) -> float:
    return -1.0 if toward < node.cx else 1.0


def _spread(node: _Node, count: int) -> list[float]:
    if count <= 1:
        return [node.cx] * count
    span = min(node.w * 0.4, 18.0 * (count - 1))
    return [node.cx - span / 2 + span * i / (count - 1) for i in range(count)]


def _route(
    nodes: list[_Node],
    edge: _Edge,
    rects: dict[int, Rect],
    tops: list[float],
    bottoms: list[float],
    x_out: float,
    x_in: float,
) -> _Path:
    """Vertical inside a layer (through the placeholders), an S-curve across each gap between layers."""
    chain = edge.chain if not edge.back else edge.chain[::-1]
    first = nodes[chain[0]]
    if not edge.back:
        path = _Path((x_out, rects[first.key].bottom))
        path.line((x_out, bottoms[first.layer]))
    else:
        path = _Path((x_out, rects[first.key].y))
        path.line((x_out, tops[first.layer]))
    x = x_out
    for step, key in enumerate(chain[1:], start=1):
        node = nodes[key]
        last = step == len(chain) - 1
        nx = x_in if last else node.cx
        if not edge.back:
            y0, y1, far = bottoms[node.layer - 1], tops[node.layer], bottoms[node.layer]
            end = rects[key].y if last else far
        else:
            y0, y1, far = tops[node.layer + 1], bottoms[node.layer], tops[node.layer]
            end = rects[key].bottom if last else far
        mid = (y0 + y1) / 2
        path.curve((x, mid), (nx, mid), (nx, y1))
        path.line((nx, end))
        x = nx
    return path


def _self_loop(node: _Node, rect: Rect) -> _Path:
    inset = CHOICE_TIP / 2 if node.kind == "Choice" else 0.0
    _, cy = rect.centre
    reach = rect.right + SELF_LOOP - 8.0
    path = _Path((rect.right - inset, cy - rect.h / 4))
    path.curve(
        (reach, cy - rect.h / 4 - 12.0),
        (reach, cy + rect.h / 4 + 12.0),
        (rect.right - inset, cy + rect.h / 4),
    )
    return path


def _place_label(text: str, candidates: list[Point], taken: list[Rect]) -> Rect:
    """The first candidate spot whose box meets no state and no other label (else the first spot)."""
    w = len(text) * LABEL_CHAR_W + 8.0
    boxes = [Rect(x - w / 2, y - LABEL_H / 2, w, LABEL_H) for x, y in candidates]
    for box in boxes:
        if not any(box.overlaps(other) for other in taken):
            return box
    return boxes[0]


def _normalised(scene: Scene) -> Scene:
    rects = [r for _, r in scene.boxes()] + [label.rect for label in scene.labels]
    rects += [Rect(x - START_R, y - START_R, 2 * START_R, 2 * START_R) for x, y in scene.starts]
    xs = [v for r in rects for v in (r.x, r.right)] + [p[0] for e in scene.edges for p in e.points()]
    ys = [v for r in rects for v in (r.y, r.bottom)] + [p[1] for e in scene.edges for p in e.points()]
    moved = Scene(width=max(xs) - min(xs), height=max(ys) - min(ys))
    moved.add(scene, -min(xs), -min(ys))
    return moved


# -- text -------------------------------------------------------------------------------------------


def _wrap(text: str, limit: int = MAX_CHARS) -> tuple[str, ...]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > limit:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:limit])
            word = word[limit:]
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= limit:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return tuple(lines) or ("",)


def _shorten(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _condition(rule: dict[str, Any]) -> str:
    """A short reading of a Choice rule: ``status = AVAILABLE``, ``proton present``, ``a and b``."""
    if isinstance(rule.get("Condition"), str):  # JSONata
        return str(rule["Condition"]).removeprefix("{%").removesuffix("%}").strip()
    for joiner in ("And", "Or"):
        if isinstance(rule.get(joiner), list):
            return f" {joiner.lower()} ".join(_condition(r) for r in rule[joiner])
    if isinstance(rule.get("Not"), dict):
        return f"not ({_condition(rule['Not'])})"
    variable = _short_path(str(rule.get("Variable", "")))
    for key in sorted(rule):
        value = rule[key]
        if key in _TYPE_TESTS:
            return f"{variable} {'' if value else 'not '}{_TYPE_TESTS[key]}"
        if key == "BooleanEquals" and isinstance(value, bool):
            return variable if value else f"not {variable}"
        for kind in ("String", "Numeric", "Boolean", "Timestamp"):
            if not key.startswith(kind):
                continue
            operator, by_path = key.removeprefix(kind), False
            if operator.endswith("Path"):
                operator, by_path = operator.removesuffix("Path"), True
            if operator in _COMPARISONS:
                shown = _short_path(str(value)) if by_path else _value(value)
                return f"{variable} {_COMPARISONS[operator]} {shown}"
    return ""


def _short_path(path: str) -> str:
    return path.rstrip("]").replace("[", ".").split(".")[-1] or path


def _value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _f(value: float) -> str:
    text = f"{value:.1f}"
    text = text.removesuffix(".0")
    return "0" if text == "-0" else text


def _bezier(curve: Bezier, t: float) -> Point:
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = curve
    u = 1.0 - t
    a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
    return (a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3)


# -- SVG --------------------------------------------------------------------------------------------

_LEGEND: tuple[tuple[str, str], ...] = (
    ("Task", "Task"),
    ("Choice", "Choice"),
    ("Wait", "Wait"),
    ("Pass", "Pass"),
    ("Succeed", "Succeed"),
    ("Fail", "Fail"),
    ("Parallel", "Parallel"),
    ("Map", "Map"),
    ("start", "StartAt"),
    ("next", "Next, Choices, Default"),
    ("catch", "Catch (errors named)"),
)


def render(definition: dict[str, Any]) -> str:
    """The SVG of a state machine definition (parsed ASL), the same bytes for the same definition."""
    scene = layout(definition)
    legend, legend_w, legend_h = _legend(scene.width)
    width = max(scene.width, legend_w + MARGIN)
    height = scene.height + legend_h + MARGIN
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- Generated from the ASL by python -m repolink_local.diagram; do not edit by hand. -->",
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" font-family="sans-serif" font-size="{FONT_SIZE}">',
        "<title>Step Functions state machine</title>",
    ]
    if isinstance(definition.get("Comment"), str):
        out.append(f"<desc>{_xml(definition['Comment'])}</desc>")
    out += [
        "<defs>",
        _marker("arrow", _EDGE_COLOUR),
        _marker("arrow-catch", _CATCH_COLOUR),
        "</defs>",
        f'<rect x="0" y="0" width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>',
    ]
    out += [_cluster_svg(cluster) for cluster in scene.clusters]
    out += [_edge_svg(edge) for edge in scene.edges]
    out += [f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(START_R)}" fill="#111827"/>' for x, y in scene.starts]
    out += [_state_svg(state) for state in scene.states]
    out += [_label_svg(label) for label in scene.labels]
    out.append(f'<g class="legend" transform="translate(0,{_f(scene.height)})">')
    out += [_legend_item(kind, text, x, y) for (x, y), (kind, text) in zip(legend, _LEGEND, strict=True)]
    out += ["</g>", "</svg>", ""]
    return "\n".join(out)


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
    )


def _shape(kind: str, rect: Rect, stroke_width: float = 1.5) -> str:
    fill, stroke = _STYLE.get(kind, _OTHER_STYLE)
    paint = f'fill="{fill}" stroke="{stroke}" stroke-width="{_f(stroke_width)}"'
    if kind == "Choice":
        _, cy = rect.centre
        tip = min(CHOICE_TIP, rect.w / 4)
        corners = [
            (rect.x, cy),
            (rect.x + tip, rect.y),
            (rect.right - tip, rect.y),
            (rect.right, cy),
            (rect.right - tip, rect.bottom),
            (rect.x + tip, rect.bottom),
        ]
        return f'<polygon points="{" ".join(f"{_f(x)},{_f(y)}" for x, y in corners)}" {paint}/>'
    corner = min(_CORNER.get(kind, 4.0), rect.h / 2)
    return (
        f'<rect x="{_f(rect.x)}" y="{_f(rect.y)}" width="{_f(rect.w)}" height="{_f(rect.h)}" '
        f'rx="{_f(corner)}" {paint}/>'
    )


def _state_svg(state: StateBox) -> str:
    cx, cy = state.rect.centre
    first = cy - (len(state.lines) - 1) * LINE_H / 2 + 4.0
    text = [
        f'<text x="{_f(cx)}" y="{_f(first + i * LINE_H)}" text-anchor="middle" fill="#111827">'
        f"{_xml(line)}</text>"
        for i, line in enumerate(state.lines)
    ]
    return "\n".join(
        [
            f'<g class="state" data-type="{_xml(state.type)}">',
            f"<title>{_xml(state.name)}</title>",
            _shape(state.type, state.rect),
            *text,
            "</g>",
        ]
    )


def _cluster_svg(cluster: Cluster) -> str:
    r = cluster.rect
    _, stroke = _STYLE.get(cluster.type, _OTHER_STYLE)
    parts = [
        f'<g class="cluster" data-type="{_xml(cluster.type)}">',
        f"<title>{_xml(cluster.name)}</title>",
        _shape(cluster.type, r, stroke_width=2.0),
        f'<text x="{_f(r.x + CLUSTER_PAD)}" y="{_f(r.y + 20)}" font-weight="bold" fill="{stroke}">'
        f"{_xml(cluster.type)}: {_xml(cluster.name)}</text>",
    ]
    for caption, frame in cluster.frames:
        parts += [
            f'<rect x="{_f(frame.x)}" y="{_f(frame.y)}" width="{_f(frame.w)}" height="{_f(frame.h)}" rx="6" '
            f'fill="#ffffff" fill-opacity="0.7" stroke="{stroke}" stroke-width="1" stroke-dasharray="4 3"/>',
            f'<text x="{_f(frame.x + 8)}" y="{_f(frame.y + 14)}" font-size="{LABEL_FONT_SIZE}" '
            f'font-style="italic" fill="{stroke}">{_xml(caption)}</text>',
        ]
    parts.append("</g>")
    return "\n".join(parts)


def _edge_svg(edge: Edge) -> str:
    commands = [f"M{_f(edge.start[0])},{_f(edge.start[1])}"]
    for segment in edge.segments:
        letter = "L" if len(segment) == 1 else "C"
        commands.append(letter + " ".join(f"{_f(x)},{_f(y)}" for x, y in segment))
    colour, marker = (_CATCH_COLOUR, "arrow-catch") if edge.dashed else (_EDGE_COLOUR, "arrow")
    dash = ' stroke-dasharray="5 4"' if edge.dashed else ""
    kind = "catch" if edge.dashed else "next"
    return (
        f'<path class="edge {kind}{" back" if edge.back else ""}" d="{" ".join(commands)}" fill="none" '
        f'stroke="{colour}" stroke-width="1.3"{dash} marker-end="url(#{marker})"/>'
    )


def _label_svg(label: Label) -> str:
    r = label.rect
    cx, cy = r.centre
    colour = _CATCH_COLOUR if label.dashed else "#374151"
    return (
        f'<g class="edge-label"><rect x="{_f(r.x)}" y="{_f(r.y)}" width="{_f(r.w)}" height="{_f(r.h)}" '
        f'rx="3" fill="#ffffff" fill-opacity="0.9"/><text x="{_f(cx)}" y="{_f(cy + 3.5)}" '
        f'text-anchor="middle" font-size="{LABEL_FONT_SIZE}" fill="{colour}">{_xml(label.text)}</text></g>'
    )


def _legend(width: float) -> tuple[list[Point], float, float]:
    """Top-left corners of the legend items (rows wrap at ``width``), the legend's width and height."""
    corners: list[Point] = []
    x, y, right = MARGIN, 0.0, MARGIN
    for _, text in _LEGEND:
        item_w = 28.0 + 6.0 + len(text) * CHAR_W
        if x > MARGIN and x + item_w > max(width - MARGIN, 400.0):
            x, y = MARGIN, y + 26.0
        corners.append((x, y))
        right = max(right, x + item_w)
        x += item_w + 18.0
    return corners, right, y + 18.0


def _legend_item(kind: str, text: str, x: float, y: float) -> str:
    swatch = Rect(x, y, 28.0, 16.0)
    cx, cy = swatch.centre
    if kind == "start":
        mark = f'<circle cx="{_f(cx)}" cy="{_f(cy)}" r="{_f(START_R)}" fill="#111827"/>'
    elif kind in ("next", "catch"):
        mark = _edge_svg(Edge((x, cy), (((x + 26.0, cy),),), kind == "catch", False))
    else:
        mark = _shape(kind, swatch, stroke_width=1.5 if kind not in ("Parallel", "Map") else 2.0)
    return f'{mark}<text x="{_f(x + 34.0)}" y="{_f(cy + 4.0)}" fill="#374151">{_xml(text)}</text>'


# -- command line -----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m repolink_local.diagram",
        description=f"Draw {SVG_NAME} from statemachines/onboarding.asl.json.",
    )
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {SVG_NAME} is stale")
    args = parser.parse_args(argv)
    svg = render(json.loads(ASL_PATH.read_text(encoding="utf-8")))
    if args.check:
        committed = SVG_PATH.read_text(encoding="utf-8") if SVG_PATH.exists() else None
        if committed != svg:
            print(STALE_MESSAGE, file=sys.stderr)
            return 1
        print(f"{SVG_NAME} is up to date")
        return 0
    SVG_PATH.parent.mkdir(parents=True, exist_ok=True)
    SVG_PATH.write_text(svg, encoding="utf-8", newline="\n")
    print(f"wrote {SVG_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
