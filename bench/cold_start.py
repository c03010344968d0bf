"""Cold start: what importing each Lambda handler module costs, against a bare ``import boto3``.

The handler modules come from template.yaml (each function's ``Handler``, or Globals.Function's).
For each module, and for ``import boto3`` measured in the same run, N fresh interpreters
(interleaved round-robin, so drift hits every module alike) give:

- **import ms**: the cumulative microseconds of the module's top-level line in ``-X importtime``;
- **wall ms**: a fresh ``python -c "import MODULE"`` (no ``-X importtime``) around
  ``time.perf_counter``, minus an empty interpreter (``-c pass``) of the same round. It includes
  the interpreter's teardown of what was imported, which a Lambda cold start does not pay.

- **instructions** (deterministic, when ``valgrind`` is installed): the instructions one
  interpreter executes for ``import MODULE`` (valgrind's cachegrind, ``--cache-sim=no``), minus an
  interpreter that imports nothing, with ``PYTHONHASHSEED=0``. One run each: a repeat differs by
  a few hundred instructions in about 1.4 billion (the report prints the baseline's repeat). It
  counts what the CPU executes in user space, the cyclic collector's passes included, and not the
  kernel's part (file reads, mmap) or memory stalls, which the timings include.

Medians of N for the timings: this machine's other load (shared CPUs) only ever adds time, and
the median of interleaved runs is steadier than the mean or the minimum against its bursts.
The budget (issue 23) is per handler against its **floor**, the libraries it uses before any
repolink code, in the same run: the observability floor, or the event_handler floor for a
handler that loads ``aws_lambda_powertools.event_handler``. Each floor has two rows: issue 23's,
the libraries imported plainly, and a fair one, imported as ``functions/repolink/__init__.py`` imports them
(the cyclic collector paused, then ``gc.freeze()``). "+floor" is the handler's ratio to bare boto3
minus its fair floor's, so it is the cost of repolink's own modules, not a saving on the libraries'
import that a plain floor does not get; "+issue floor" is the same against issue 23's floor. The
verdict is on instructions above the fair floor (<= +0.1x), with the handlers that
the median import ms puts on the other side named below the table. Without valgrind the verdict
is on import ms.
Processes get a Lambda-like environment (POWERTOOLS_* with tracing disabled, AWS_DEFAULT_REGION,
the runtime's own LAMBDA_TASK_ROOT etc., PYTHONPATH = the CodeUri), plus the template's variables
if a module does not import without them, and packages installed here but not in Lambda (awscrt,
pyOpenSSL: see NOT_IN_LAMBDA) are hidden from them. The second
table says what each module loads: pydantic, aws_xray_sdk, which Powertools modules, and the
five heaviest packages it imports directly (cumulative ms of its first-level imports of each
package: imports made by the project's own modules, not by a library on their behalf). The third
splits import ms by package (self times, which add up).

Exit status 0 whatever the ratios (a measurement, not a test); 1 if a module cannot be imported.

    python bench/cold_start.py [--runs 9] [--no-instructions] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from common import machine, median, table

from repolink_local.template import ACCOUNT_ID, REGION, LocalTemplate

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
#: At most this much above its floor, in multiples of bare boto3 (issue 23's budget).
BUDGET = 0.1
MIN_RUNS = 7
BASELINE = "boto3"

#: What a Lambda environment sets for every function, whatever the template says.
LAMBDA_ENV = {
    "POWERTOOLS_SERVICE_NAME": "repolink",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_NAMESPACE": "repolink",
    "POWERTOOLS_TRACE_DISABLED": "true",
    # Set by the Lambda runtime itself. LAMBDA_TASK_ROOT (the CodeUri here, /var/task there) matters:
    # without it aws_xray_sdk's recorder builds a centralised sampler with two botocore X-Ray
    # clients at import (~90 ms) that it never builds in Lambda. It also touches
    # /tmp/.aws-xray/initialized, as in Lambda.
    "AWS_REGION": "us-east-1",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
    "AWS_LAMBDA_FUNCTION_NAME": "repolink-cold-start",
}
#: Passed through from this process; everything else (PYTHONPATH, AWS_*, ...) is dropped.
KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
#: Bytecode for every module measured, written once (by the untimed first import) outside the
#: repository, so all modules are measured from .pyc alike and the working tree stays untouched.
PYCACHE = Path(tempfile.gettempdir()) / "repolink-cold-start-pycache"

#: Installed here (aws-sam-cli and moto pull them in) but shipped neither by the Lambda Python
#: runtime nor by the Powertools layer; botocore and urllib3 import them when present (~60 ms,
#: mostly awscrt). Hidden from every measured process (a ``sitecustomize`` refuses them), so boto3
#: and the handlers load what they would load in Lambda. ``--keep-venv-extras`` measures without.
NOT_IN_LAMBDA = ("awscrt", "_awscrt", "OpenSSL", "cryptography")
#: On every measured process's path: the sitecustomize that hides NOT_IN_LAMBDA, and the floors.
SUPPORT = Path(tempfile.gettempdir()) / "repolink-cold-start-support"
_HIDER = f"""import sys

class _NotInLambda:
    \"\"\"Refuse the packages the Lambda runtime does not ship, as if they were not installed.\"\"\"

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.partition(".")[0] in {NOT_IN_LAMBDA!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _NotInLambda)
"""

_OBSERVABILITY = (
    "import boto3\n"
    "from aws_lambda_powertools import Logger, Metrics, Tracer\n"
    "Logger(); Metrics(); Tracer(patch_modules=('botocore',))\n"
)
_EVENT_HANDLER = (
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\nAPIGatewayRestResolver()\n"
)


def collector_paused(source: str) -> str:
    """``source`` run the way ``functions/repolink/__init__.py`` loads the libraries: with the cyclic
    collector paused, then everything frozen (``gc.freeze()``) and the collector back on."""
    body = "".join(f"    {line}\n" for line in source.splitlines())
    return (
        "import gc\n_collecting = gc.isenabled()\ngc.disable()\ntry:\n"
        f"{body}finally:\n    gc.freeze()\n    if _collecting:\n        gc.enable()\n"
    )


#: Reference rows: what the libraries alone cost, before any repolink code (module name -> source).
#: Every handler pays the observability floor; the API handler also pays the event_handler one.
#: Issue 23's floors import the libraries plainly. The fair floors (the verdict's) import them as
#: ``functions/repolink/__init__.py`` does, so a handler's "+floor" is the cost of repolink's own modules,
#: not a saving on the libraries' import that the plain floor rows do not get; the API imports
#: event_handler after that, with the collector on, and so does its fair floor.
FLOORS = {
    "(floor: boto3 + Powertools observability)": ("repolink_floor_observability", _OBSERVABILITY),
    "(floor: + Powertools event_handler)": (
        "repolink_floor_event_handler",
        "import repolink_floor_observability\n" + _EVENT_HANDLER,
    ),
}
FAIR_FLOORS = {
    "(fair floor: observability as repolink loads it)": (
        "repolink_fair_floor_observability",
        collector_paused(_OBSERVABILITY),
    ),
    "(fair floor: + Powertools event_handler)": (
        "repolink_fair_floor_event_handler",
        "import repolink_fair_floor_observability\n" + _EVENT_HANDLER,
    ),
}
ALL_FLOORS = FLOORS | FAIR_FLOORS

#: Powertools modules every use of it loads; left out of the "powertools modules" column.
POWERTOOLS_PLUMBING = {
    "shared",
    "package_logger",
    "exceptions",
    "warnings",
    "middleware_factory",
    "typing",
    "jmespath_utils",
}
#: Packages whose self time the last table adds up together ("own package" is the module's package).
GROUPS = {
    "boto3 & deps": ("boto3", "botocore", "s3transfer", "urllib3", "dateutil", "jmespath", "six", "certifi"),
    "awscrt+pyOpenSSL": ("awscrt", "_awscrt", "OpenSSL", "cryptography", "_cffi_backend"),
    "aws_xray_sdk+wrapt": ("aws_xray_sdk", "wrapt"),
    "pydantic": ("pydantic", "pydantic_core", "annotated_types", "typing_inspection"),
    "powertools": ("aws_lambda_powertools",),
}
GROUP_COLUMNS = ["own package", *GROUPS, "stdlib", "other"]

IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)\s*$")


# --- template ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    logical_id: str
    module: str
    code_uri: Path
    #: The template's environment (Globals, then the function's), resolved for a local account.
    template_env: Mapping[str, str]


def functions_in(template_path: Path) -> list[Function]:
    """Each function's handler module, from the one template reader the local engine uses."""
    template = LocalTemplate(template_path, ACCOUNT_ID, REGION)
    code_uri = template.raw.get("Globals", {}).get("Function", {}).get("CodeUri", ".")
    return [
        Function(
            logical_id=spec.logical_id,
            module=spec.handler.rsplit(".", 1)[0],
            code_uri=template_path.parent / str(code_uri),
            template_env=spec.environment,
        )
        for spec in template.functions()
    ]


# --- -X importtime ----------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    self_us: int
    cumulative_us: int
    level: int
    children: list[Node] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.name.split(".", 1)[0]

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def parse_importtime(stderr: str) -> list[Node]:
    """The top-level imports (and their trees) from ``-X importtime`` output, in import order.

    Lines come children first (post-order), indented two spaces a level; a line's children are
    the lines one level deeper just above it.
    """
    stack: list[Node] = []
    for line in stderr.splitlines():
        match = IMPORTTIME.match(line)
        if match is None:
            continue  # the header, or anything else on stderr
        self_us, cumulative_us, indent, name = match.groups()
        node = Node(name, int(self_us), int(cumulative_us), (len(indent) - 1) // 2)
        while stack and stack[-1].level > node.level:
            node.children.insert(0, stack.pop())
        stack.append(node)
    return stack


def module_tree(stderr: str, module: str) -> Node:
    for node in reversed(parse_importtime(stderr)):
        if node.name == module:
            return node
    raise ValueError(f"no top-level import of {module} in the -X importtime output")


def first_level_packages(tree: Node) -> dict[str, float]:
    """Cumulative ms per package of the imports the module's own package makes of it directly.

    An import made by the module's own package (or by the module itself) of another package is a
    first-level entry; what that package pulls in is inside its cumulative time and not counted
    again, so the figures do not overlap.
    """
    own = tree.package
    totals: dict[str, float] = defaultdict(float)

    def visit(node: Node) -> None:
        for child in node.children:
            if child.package == own:
                visit(child)
            else:
                totals[child.package] += child.cumulative_us / 1000

    visit(tree)
    return dict(totals)


def loaded_via(tree: Node, package: str) -> str | None:
    """Which import first brought ``package`` in: ``own.module > the import it made``.

    The right-hand side is what the project's module imported (the package itself, or a library
    that pulled it in); None if the package was not loaded.
    """
    own = tree.package

    def search(node: Node, importer: str, entry: str | None) -> str | None:
        for child in node.children:
            child_entry = None if child.package == own else (entry or child.name)
            if child.package == package:
                return f"{importer} > {child_entry}"
            found = search(child, child.name if child.package == own else importer, child_entry)
            if found is not None:
                return found
        return None

    return search(tree, tree.name, None)


def powertools_modules(tree: Node) -> list[str]:
    """Powertools features loaded: ``aws_lambda_powertools.X`` (``utilities.Y`` for utilities)."""
    names = set()
    for node in tree.walk():
        parts = node.name.split(".")
        if parts[0] != "aws_lambda_powertools" or len(parts) < 2 or parts[1] in POWERTOOLS_PLUMBING:
            continue
        if parts[1] == "utilities":
            if len(parts) > 2 and parts[2] not in POWERTOOLS_PLUMBING:
                names.add(f"utilities.{parts[2]}")
        else:
            names.add(parts[1])
    return sorted(names)


def self_ms_by_group(tree: Node) -> dict[str, float]:
    """Exclusive (self) ms of every module under the tree, summed by GROUPS; adds up to the total."""
    group_of = {package: group for group, packages in GROUPS.items() for package in packages}
    totals: dict[str, float] = defaultdict(float)
    for node in tree.walk():
        if node.package == tree.package:
            group = "own package"
        elif node.package in group_of:
            group = group_of[node.package]
        else:
            group = "stdlib" if node.package in sys.stdlib_module_names else "other"
        totals[group] += node.self_us / 1000
    return dict(totals)


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    module: str | None  # None: the empty interpreter
    env: dict[str, str]
    env_note: str = "Lambda env"
    error: str | None = None
    import_ms: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    packages: list[dict[str, float]] = field(default_factory=list)
    self_ms: list[dict[str, float]] = field(default_factory=list)
    tree: Node | None = None
    instructions: int | None = None  # the whole interpreter's; the empty one is subtracted later

    @property
    def code(self) -> str:
        return "pass" if self.module is None else f"import {self.module}"


def base_env(pythonpath: Sequence[Path], hide_venv_extras: bool = True) -> dict[str, str]:
    env = {name: os.environ[name] for name in KEEP_ENV if name in os.environ}
    SUPPORT.mkdir(parents=True, exist_ok=True)
    for module, source in ALL_FLOORS.values():
        (SUPPORT / f"{module}.py").write_text(source)
    hider = SUPPORT / "sitecustomize.py"
    if hide_venv_extras:
        hider.write_text(_HIDER)
    else:
        hider.unlink(missing_ok=True)
    pythonpath = [*pythonpath, SUPPORT]
    return (
        env
        | LAMBDA_ENV
        | {
            "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
            "LAMBDA_TASK_ROOT": str(pythonpath[0]),
            "PYTHONPYCACHEPREFIX": str(PYCACHE),
        }
    )


def run(code: str, env: Mapping[str, str], importtime: bool) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run(
        [sys.executable, *flags, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def wall(code: str, env: Mapping[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    took = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{code!r} exited {done.returncode} during the measured runs")
    return took


def preflight(target: Target, fallback_env: Mapping[str, str]) -> None:
    """Import once untimed (also warms the page cache and writes .pyc); with the template's
    environment as well if the Lambda environment alone is not enough."""
    if run(target.code, target.env, importtime=False).returncode == 0:
        return
    env = dict(fallback_env) | target.env
    done = run(target.code, env, importtime=False)
    if done.returncode == 0:
        target.env, target.env_note = env, "Lambda env + template env"
    else:
        last = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
        target.error = last[-1]


def measure(targets: Sequence[Target], runs: int) -> None:
    """``runs`` rounds; each round visits every target once, starting one further along."""
    for round_ in range(runs):
        start = round_ % len(targets)
        for target in [*targets[start:], *targets[:start]]:
            if target.module is not None:
                # -X importtime writes each line as the import finishes: skip the teardown.
                done = run(f"{target.code}; import os; os._exit(0)", target.env, importtime=True)
                if done.returncode != 0:
                    raise RuntimeError(f"{target.code!r} exited {done.returncode}: {done.stderr[-500:]}")
                tree = module_tree(done.stderr, target.module)
                target.import_ms.append(tree.cumulative_us / 1000)
                target.packages.append(first_level_packages(tree))
                target.self_ms.append(self_ms_by_group(tree))
                target.tree = target.tree or tree
            target.wall_ms.append(wall(target.code, target.env))


#: cachegrind's total of instructions executed, on stderr: ``==PID== I   refs:      1,419,373,668``
VALGRIND = shutil.which("valgrind")
IREFS = re.compile(r"^==\d+== I\s+refs:\s+([\d,]+)\s*$", re.MULTILINE)


def instructions(code: str, env: Mapping[str, str]) -> int:
    """Instructions a fresh interpreter executes for ``code`` (user space, deterministic)."""
    if VALGRIND is None:
        raise RuntimeError("valgrind is not installed: run with --no-instructions")
    done = subprocess.run(
        [
            VALGRIND,
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            f"{code}; import os; os._exit(0)",
        ],
        env=dict(env) | {"PYTHONHASHSEED": "0"},  # the same set and dict orders in every run
        capture_output=True,
        text=True,
        check=False,
    )
    match = IREFS.search(done.stderr)
    if done.returncode != 0 or match is None:
        raise RuntimeError(f"valgrind {code!r} exited {done.returncode}: {done.stderr[-500:]}")
    return int(match.group(1).replace(",", ""))


def count_instructions(targets: Sequence[Target]) -> int:
    """One deterministic count per target; returns the first target's repeat, to show the spread."""
    for target in targets:
        target.instructions = instructions(target.code, target.env)
    return instructions(targets[0].code, targets[0].env)


# --- report -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    function: str
    module: str
    import_ms: float
    import_ratio: float
    wall_ms: float
    wall_ratio: float
    verdict: str
    pydantic: str | None  # "own module > the import that brought it in"; None if not loaded
    xray: str | None
    powertools: list[str]
    top_packages: list[tuple[str, float]]
    self_ms: dict[str, float]
    env: str
    import_runs_ms: list[float]
    wall_runs_ms: list[float]
    #: instructions of the import (the empty interpreter's subtracted); None without valgrind
    instructions: int | None
    instr_ratio: float | None
    #: the fair floor row this handler is held to, and how far above it each measure puts it
    floor: str | None
    import_above: float | None
    wall_above: float | None
    instr_above: float | None
    #: issue 23's floor row (the libraries imported plainly), and how far above it in instructions
    plain_floor: str | None
    plain_instr_above: float | None


def floor_of(target: Target, floors: Mapping[str, tuple[str, str]]) -> str | None:
    """The row of ``floors`` a handler is held to: the libraries it uses (None for the reference
    rows)."""
    if target.label in ALL_FLOORS or target.module == BASELINE or target.tree is None:
        return None
    observability, event_handler = floors
    return event_handler if "event_handler" in powertools_modules(target.tree) else observability


def figures(targets: Sequence[Target], empty: Target, baseline: Target) -> list[Figures]:
    def net_wall(target: Target) -> float:  # paired with the empty interpreter of the same round
        return median([w - e for w, e in zip(target.wall_ms, empty.wall_ms, strict=True)])

    def net_instructions(target: Target) -> int | None:
        if target.instructions is None or empty.instructions is None:
            return None
        return target.instructions - empty.instructions

    base_import, base_wall = median(baseline.import_ms), net_wall(baseline)
    base_instr = net_instructions(baseline)
    by_label = {target.label: target for target in targets}
    ratios: dict[str, tuple[float, float, float | None]] = {}  # label -> import, wall, instr ratios
    for target in targets:
        if target.error is None and target.module is not None and target.tree is not None:
            instr = net_instructions(target)
            ratios[target.label] = (
                median(target.import_ms) / base_import,
                net_wall(target) / base_wall,
                None if instr is None or not base_instr else instr / base_instr,
            )

    def above(label: str, floor: str | None, kind: int) -> float | None:
        mine, theirs = ratios[label][kind], ratios[floor][kind] if floor in ratios else None
        return None if mine is None or theirs is None else mine - theirs

    rows = []
    for target in targets:
        if target.label not in ratios or target.module is None or target.tree is None:
            continue
        packages = {name for run_ in target.packages for name in run_}
        per_package = {name: median([r.get(name, 0.0) for r in target.packages]) for name in packages}
        top = sorted(per_package.items(), key=lambda item: -item[1])[:5]
        import_ms, wall_ms = median(target.import_ms), net_wall(target)
        ratio, wall_ratio, instr_ratio = ratios[target.label]
        floor = floor_of(by_label[target.label], FAIR_FLOORS)
        plain_floor = floor_of(by_label[target.label], FLOORS)
        import_above, instr_above = above(target.label, floor, 0), above(target.label, floor, 2)
        judged = instr_above if instr_above is not None else import_above
        rows.append(
            Figures(
                function=target.label,
                module=target.module,
                import_ms=import_ms,
                import_ratio=ratio,
                wall_ms=wall_ms,
                wall_ratio=wall_ratio,
                verdict=(
                    "baseline"
                    if target is baseline
                    else "floor"
                    if target.label in ALL_FLOORS
                    else ("PASS" if judged is not None and judged <= BUDGET else "OVER")
                ),
                pydantic=loaded_via(target.tree, "pydantic"),
                xray=loaded_via(target.tree, "aws_xray_sdk"),
                powertools=powertools_modules(target.tree),
                top_packages=[(name, round(ms, 1)) for name, ms in top],
                self_ms={g: round(median([r.get(g, 0.0) for r in target.self_ms]), 1) for g in GROUP_COLUMNS},
                env=target.env_note,
                import_runs_ms=[round(ms, 1) for ms in target.import_ms],
                wall_runs_ms=[round(w, 1) for w in target.wall_ms],
                instructions=net_instructions(target),
                instr_ratio=instr_ratio,
                floor=floor,
                import_above=import_above,
                wall_above=above(target.label, floor, 1),
                instr_above=instr_above,
                plain_floor=plain_floor,
                plain_instr_above=above(target.label, plain_floor, 2),
            )
        )
    return rows


def _above(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3f}"


def report(
    rows: Sequence[Figures],
    empty: Target,
    errors: Sequence[Target],
    runs: int,
    hidden: bool,
    repeat_spread: int | None,
) -> str:
    handlers = [r for r in rows if r.verdict in ("PASS", "OVER")]
    over = [r.function for r in handlers if r.verdict == "OVER"]
    empty_instructions = empty.instructions
    disagree = [
        r.function
        for r in handlers
        if empty_instructions is not None
        and r.import_above is not None
        and (r.import_above > BUDGET) != (r.verdict == "OVER")
    ]
    lines = [
        "## Cold start: handler module import against its floor and a bare `import boto3`",
        "",
        f"{machine()} ({platform.python_implementation()}, {platform.system()}, "
        f"{os.process_cpu_count()} usable); {runs} fresh interpreters per module and kind, "
        "interleaved round-robin; medians.",
        f"Empty interpreter (`-c pass`): {median(empty.wall_ms):.1f} ms wall, subtracted from wall ms "
        "(which includes the interpreter's teardown)"
        + (
            f"; {empty_instructions / 1e6:.1f}M instructions, subtracted from instructions "
            f"(cachegrind, one run each: the baseline's repeat differed by {repeat_spread:,})."
            if empty_instructions is not None and repeat_spread is not None
            else "; instructions not counted (valgrind not installed, or --no-instructions)."
        ),
        f"Budget: at most +{BUDGET:g}x bare boto3 above the handler's fair floor (+floor), judged on "
        + ("import ms. " if empty_instructions is None else "instructions. ")
        + (
            f"Hidden, as the Lambda runtime does not ship them: {', '.join(NOT_IN_LAMBDA)}."
            if hidden
            else "Not hidden: awscrt and pyOpenSSL load with boto3, as they would not in Lambda."
        ),
        "",
        table(
            [
                "function",
                "import ms",
                "x boto3",
                "+floor",
                "wall ms",
                "x boto3 (wall)",
                "+floor (wall)",
                "M instr",
                "x boto3 (instr)",
                "+floor (instr)",
                "+issue floor (instr)",
                "verdict",
            ],
            [
                [
                    r.function,
                    r.import_ms,
                    r.import_ratio,
                    _above(r.import_above),
                    r.wall_ms,
                    r.wall_ratio,
                    _above(r.wall_above),
                    "-" if r.instructions is None else round(r.instructions / 1e6, 1),
                    "-" if r.instr_ratio is None else f"{r.instr_ratio:.3f}",
                    _above(r.instr_above),
                    _above(r.plain_instr_above),
                    r.verdict,
                ]
                for r in rows
            ],
        ),
        "",
        f"{len(over)} of {len(handlers)} handlers over +{BUDGET:g}x above their fair floor"
        + (f": {', '.join(over)}." if over else "."),
    ]
    if disagree:
        lines.append(f"The median import ms puts these on the other side: {', '.join(disagree)}.")
    lines.append(
        "Floor rows: the libraries alone, before any repolink code: boto3 with Powertools' Logger, "
        "Metrics and Tracer (every handler has them), then with the event_handler package (a handler "
        "that loads it is held to that floor: the API). The fair floors import them as "
        "functions/repolink/__init__.py does (collector paused, then gc.freeze()), so +floor is what "
        "repolink's own modules cost; +issue floor is against issue 23's floors, which import them "
        "plainly. "
        "Modules: " + ", ".join(f"{r.function} {r.module}" for r in handlers) + "."
    )
    for target in errors:
        lines.append(f"NOT MEASURED {target.label} ({target.module}): {target.error}")
    lines += [
        "",
        "### What each module loads",
        "",
        "pydantic / aws_xray_sdk: the project module that first imports it (- if not loaded). "
        "Heaviest packages: cumulative ms of the package's first-level imports (made by the "
        "module's own package), median over the runs.",
        "",
        table(
            ["function", "pydantic", "aws_xray_sdk", "powertools modules", "heaviest packages (ms)"],
            [
                [
                    r.function,
                    r.pydantic or "-",
                    r.xray or "-",
                    ", ".join(r.powertools) or "-",
                    ", ".join(f"{name} {ms:.0f}" for name, ms in r.top_packages),
                ]
                for r in rows
            ],
        ),
    ]
    lines += [
        "",
        "### Where the time goes",
        "",
        "Self ms (each module's own time, not its imports'), summed by package (own package: repolink, "
        "or boto3 for the baseline), median over the runs; "
        "a row adds up to about its import ms. A module's self time includes what its body runs "
        "(aws_xray_sdk.core's: creating its recorder). The awscrt+pyOpenSSL column is 0 when they "
        "are hidden, as in Lambda (the default).",
        "",
        table(
            ["function", *GROUP_COLUMNS], [[r.function, *(r.self_ms[g] for g in GROUP_COLUMNS)] for r in rows]
        ),
    ]
    if any(r.env != "Lambda env" for r in rows):
        lines += [
            "",
            "Needed the template's environment: "
            + ", ".join(r.function for r in rows if r.env != "Lambda env"),
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help=f"fresh interpreters per module (>= {MIN_RUNS})")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="the SAM template to read")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument(
        "--keep-venv-extras",
        action="store_true",
        help=f"do not hide {', '.join(NOT_IN_LAMBDA)} (installed here, not in Lambda)",
    )
    parser.add_argument(
        "--no-instructions",
        dest="instructions",
        action="store_false",
        default=VALGRIND is not None,
        help="do not count instructions (valgrind's cachegrind; on by default where installed)",
    )
    args = parser.parse_args()
    if args.runs < MIN_RUNS:
        parser.error(f"--runs must be at least {MIN_RUNS} for a median worth printing")

    started = time.perf_counter()
    functions = functions_in(args.template)
    if not functions:
        print(f"no handler functions found in {args.template}", file=sys.stderr)
        return 1
    code_uris = list(dict.fromkeys(f.code_uri for f in functions))
    env = base_env(code_uris, hide_venv_extras=not args.keep_venv_extras)
    empty = Target("(empty interpreter)", None, env)
    baseline = Target("(bare boto3)", BASELINE, env)
    floors = [Target(label, module, dict(env)) for label, (module, _) in ALL_FLOORS.items()]
    handlers = [Target(f.logical_id, f.module, dict(env)) for f in functions]
    template_env = {f.logical_id: f.template_env for f in functions}

    for target in [empty, baseline, *floors, *handlers]:
        preflight(target, template_env.get(target.label, {}))
    if empty.error or baseline.error:
        print(f"cannot measure: {empty.error or baseline.error}", file=sys.stderr)
        return 1
    measurable = [t for t in handlers if t.error is None]
    measure([empty, baseline, *floors, *measurable], args.runs)
    spread = None
    if args.instructions:
        repeat = count_instructions([baseline, empty, *floors, *measurable])
        spread = abs(repeat - (baseline.instructions or 0))

    rows = figures([baseline, *floors, *measurable], empty, baseline)
    errors = [t for t in handlers if t.error is not None]
    print(report(rows, empty, errors, args.runs, hidden=not args.keep_venv_extras, repeat_spread=spread))
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.json:
        document = {
            "machine": {
                "python": platform.python_version(),
                "implementation": platform.python_implementation(),
                "platform": platform.platform(),
                "cpu_count": os.cpu_count(),
                "usable_cpus": os.process_cpu_count(),
            },
            "runs": args.runs,
            "budget_above_floor": BUDGET,
            "empty_interpreter_instructions": empty.instructions,
            "instruction_repeat_spread": spread,
            "hidden": [] if args.keep_venv_extras else list(NOT_IN_LAMBDA),
            "empty_interpreter_wall_ms": median(empty.wall_ms),
            "rows": [asdict(r) for r in rows],
            "not_measured": {t.label: {"module": t.module, "error": t.error} for t in errors},
        }
        print(json.dumps(document, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
