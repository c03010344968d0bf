"""Walking a state machine's states (``statemachines/*.asl.json``)."""

from collections.abc import Iterator
from typing import Any


def states(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state with its name, those of Parallel branches and Map item processors included."""
    for name, state in machine["States"].items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from states(branch)
        if "ItemProcessor" in state:
            yield from states(state["ItemProcessor"])
