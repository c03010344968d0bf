"""The e2e tier: a throwaway repolink stack in a real account, deployed and deleted here.

Skipped without credentials. ``make e2e`` builds the application and runs this tier; docs/deploying.md
says how to point it at a sandbox account. Everything it creates carries the run's suffix, and
every fixture deletes what it made even when a test fails: the stack (``sam delete``) and the
CodeArtifact domain of the run, whatever the workflow left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILT = ROOT / ".aws-sam" / "build" / "template.yaml"
#: the environment as the developer gave it, read before the root conftest's autouse fixture
#: replaces the credentials with dummy ones for every other tier
REAL_ENV = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
#: a short-lived stack: a day of logs, an hour of idempotency, fast polling
PARAMETERS = "LogRetentionDays=1 IdempotencyTtlHours=1 PollBaseSeconds=5 PollCapSeconds=30"
#: the longest a CodeArtifact-only onboarding, change or offboarding may take here (seconds)
WAIT = 600


def _credentials() -> Any:
    import botocore.session

    session = botocore.session.Session()
    # a machine without credentials must not wait on the instance metadata service
    session.set_config_variable("metadata_service_timeout", 1)
    session.set_config_variable("metadata_service_num_attempts", 1)
    return session.get_credentials()


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This tier talks to the account the developer's credentials name (overrides the root
    conftest's dummy credentials)."""
    for key, value in REAL_ENV.items():
        monkeypatch.setenv(key, value)
    yield


@dataclass(frozen=True)
class Stack:
    name: str
    region: str
    account: str
    suffix: str
    #: the longest an onboarding may take here (seconds)
    wait: int = WAIT

    def repolink(self, *args: str, stdin: str | None = None) -> tuple[int, Any, str]:
        """``repolink VERB ... --stack-name`` as a person runs it: (exit code, stdout JSON, stderr)."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "repolink_client.cli",
                *args,
                "--stack-name",
                self.name,
                "--region",
                self.region,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=WAIT + 60,
            env={**os.environ, **REAL_ENV},
            check=False,
        )
        try:
            body = json.loads(done.stdout) if done.stdout.strip() else None
        except ValueError:
            body = done.stdout
        return done.returncode, body, done.stderr


def _run(*command: str) -> None:
    subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, **REAL_ENV}, timeout=1800)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    if _credentials() is None:
        pytest.skip("the e2e tier needs AWS credentials (a sandbox account): see docs/deploying.md")
    if not BUILT.exists():
        pytest.skip("the application is not built: run `make e2e` (it runs `make build` first)")
    import boto3

    sts = boto3.client("sts")
    account = sts.get_caller_identity()["Account"]
    region = sts.meta.region_name or "us-east-1"
    suffix = uuid.uuid4().hex[:8]
    name = os.environ.get("REPOLINK_E2E_STACK") or f"repolink-e2e-{suffix}"
    sam = shutil.which("sam", path=str(Path(sys.executable).parent)) or "sam"
    try:
        _run(
            sam, "deploy", "--template-file", str(BUILT), "--stack-name", name, "--region", region,
            "--resolve-s3", "--capabilities", "CAPABILITY_IAM", "--no-confirm-changeset",
            "--no-fail-on-empty-changeset", "--tags", f"app=repolink env=e2e run={suffix}",
            "--parameter-overrides", PARAMETERS,
        )  # fmt: skip
        yield Stack(name=name, region=region, account=account, suffix=suffix)
    finally:
        if not os.environ.get("REPOLINK_E2E_KEEP_STACK"):
            _run(sam, "delete", "--stack-name", name, "--region", region, "--no-prompts")


@pytest.fixture
def domain(stack: Stack) -> Iterator[str]:
    """The run's CodeArtifact domain name; whatever of it remains afterwards is deleted (the
    repositories first), so a failed test leaves nothing behind."""
    import boto3

    name = f"repolink-e2e-{stack.suffix}"
    yield name
    codeartifact = boto3.client("codeartifact", region_name=stack.region)
    try:
        repositories = codeartifact.list_repositories_in_domain(domain=name, domainOwner=stack.account)
    except codeartifact.exceptions.ResourceNotFoundException:
        return
    # downstreams before their upstreams: delete until none is left (a repository used as an
    # upstream refuses deletion until its downstream is gone)
    left = [r["name"] for r in repositories["repositories"]]
    for _ in range(len(left) + 1):
        for repository in list(left):
            try:
                codeartifact.delete_repository(domain=name, domainOwner=stack.account, repository=repository)
                left.remove(repository)
            except codeartifact.exceptions.ConflictException:
                continue
            except codeartifact.exceptions.ResourceNotFoundException:
                left.remove(repository)
    codeartifact.delete_domain(domain=name, domainOwner=stack.account)
