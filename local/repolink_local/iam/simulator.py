"""The evaluator: ``@cloud-copilot/iam-simulate`` in a long-lived node process.

It evaluates identity and resource policies as AWS does (every condition operator, explicit
deny, cross-account requests needing both sides) and validates each request against the
Service Authorization Reference: an unknown action, or a resource ARN of a type the action is
not authorized against, is an error, never a quiet "allowed". Decisions are pure functions of
their input, so they are cached.
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from dataclasses import dataclass
from typing import Any

from repolink_local.iam.data import IAM_PROJECT, AuthorizationDataMissing

SCRIPT = IAM_PROJECT / "simulate.mjs"


class SimulationError(RuntimeError):
    """The evaluator refused the simulation itself (an unknown action, a malformed policy, an ARN
    of the wrong resource type): a defect of the mapping or the template, never a decision."""


@dataclass(frozen=True)
class Decision:
    #: ``Allowed``, ``ImplicitlyDenied`` or ``ExplicitlyDenied``
    result: str
    #: the identity-based side's verdict, and the resource-based side's (None where not evaluated)
    identity: str | None
    resource: str | None

    @property
    def allowed(self) -> bool:
        return self.result == "Allowed"


class Simulator:
    """One node process per Python process, shared by every engine (thread-safe)."""

    _shared: Simulator | None = None
    _shared_lock = threading.Lock()

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise AuthorizationDataMissing("node is not installed: run `make setup`")
        if not (IAM_PROJECT / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
            raise AuthorizationDataMissing(f"run `make setup` (npm ci in {IAM_PROJECT})")
        self._process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [node, str(SCRIPT)],
            cwd=IAM_PROJECT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._lock = threading.Lock()
        self._next = 0
        self._cache: dict[str, Decision] = {}
        atexit.register(self.close)

    @classmethod
    def shared(cls) -> Simulator:
        with cls._shared_lock:
            if cls._shared is None or cls._shared._process.poll() is not None:
                cls._shared = cls()
            return cls._shared

    def close(self) -> None:
        if self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            self._process.wait(timeout=10)

    def evaluate(self, simulation: dict[str, Any]) -> Decision:
        key = json.dumps(simulation, sort_keys=True)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
            assert self._process.stdin is not None and self._process.stdout is not None
            self._next += 1
            self._process.stdin.write(json.dumps({"id": self._next, "simulation": simulation}) + "\n")
            self._process.stdin.flush()
            line = self._process.stdout.readline()
            if not line:
                raise SimulationError("the IAM evaluator exited")
            answer = json.loads(line)
            if answer.get("id") != self._next:
                raise SimulationError(f"the IAM evaluator answered out of order: {line[:200]}")
            if "error" in answer:
                request = simulation["request"]
                raise SimulationError(
                    f"{request['action']} on {request['resource']['resource']}: {answer['error']}"
                )
            decision = Decision(answer["result"], answer.get("identity"), answer.get("resource"))
            self._cache[key] = decision
            return decision
