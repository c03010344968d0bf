"""What every bench script shares: the sample request, list prices, and small table printing."""

from __future__ import annotations

import json
import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# first, before any script imports repolink: it sets the template's Powertools variables
# (POWERTOOLS_METRICS_NAMESPACE among them), which repolink reads when it is imported. A script
# that imported repolink first failed at its first handler ("Must contain a metric namespace").
import repolink_local  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "events" / "onboarding.json"


def sample_request() -> dict[str, Any]:
    request: dict[str, Any] = json.loads(SAMPLE.read_text())
    return request


#: AWS list prices, us-east-1, as published on the pricing pages in November 2026.
PRICES = {
    # https://aws.amazon.com/step-functions/pricing/ : Standard workflows, per state transition
    "sfn_transition": 0.025 / 1000,
    # https://aws.amazon.com/lambda/pricing/ : per request, and per GB-second on Arm (Graviton)
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_second_arm": 0.0000133334,
}

#: Our functions' memory (template.yaml Globals.Function.MemorySize) in GB.
MEMORY_GB = 256 / 1024

#: Billed duration assumed for one short task invocation (a few AWS calls, warm): stated, not
#: measured, because in-process timings on this machine say nothing about Lambda's.
TASK_BILLED_SECONDS = 0.2


def usd(transitions: float, invocations: float, billed_seconds: float) -> float:
    return (
        transitions * PRICES["sfn_transition"]
        + invocations * PRICES["lambda_request"]
        + billed_seconds * MEMORY_GB * PRICES["lambda_gb_second_arm"]
    )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def machine() -> str:
    return f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table, right-aligned numbers, in Markdown pipe syntax (pastes into docs)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(values, widths, strict=True)]
        return "| " + " | ".join(parts) + " |"

    out = [line(list(headers)), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) < 1:
            return f"{value:.4g}"  # four significant digits: cents and fractions of cents
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").replace("x", "").isdigit()
