"""The e2e tier: a throwaway repolink stack in a real account, deployed and deleted here.

Skipped without credentials. ``make e2e`` builds the application and runs this tier; docs/deploying.md
says how to point it at a sandbox account. Everything it creates carries the run's suffix, and
every fixture deletes what it made even when a test fails: the stack (``sam delete``) and the
CodeArtifact domain of the run, whatever the workflow left.

The spoke test needs a second sandbox account, the team's (a named profile in
``REPOLINK_E2E_TEAM_PROFILE``): repolink acts through a spoke only in another account than its
own. It deploys a second application stack with ``SpokeRoleName`` and the spoke stack
(``spoke/template.yaml``) in the team account, trusting the application's function roles (its
output ``SpokeTrustedRoleArns``), and deletes both, and the team's domain of the run, even when the
test fails. Without that profile it is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
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
SPOKE_TEMPLATE = ROOT / "spoke" / "template.yaml"


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


def _ready() -> None:
    if _credentials() is None:
        pytest.skip("the e2e tier needs AWS credentials (a sandbox account): see docs/deploying.md")
    if not BUILT.exists():
        pytest.skip("the application is not built: run `make e2e` (it runs `make build` first)")


@contextmanager
def _deployed(name: str, suffix: str, parameters: str) -> Iterator[Stack]:
    """The built application as stack ``name``, deleted afterwards whatever happened."""
    import boto3

    sts = boto3.client("sts")
    account = sts.get_caller_identity()["Account"]
    region = sts.meta.region_name or "us-east-1"
    sam = shutil.which("sam", path=str(Path(sys.executable).parent)) or "sam"
    try:
        _run(
            sam, "deploy", "--template-file", str(BUILT), "--stack-name", name, "--region", region,
            "--resolve-s3", "--capabilities", "CAPABILITY_IAM", "--no-confirm-changeset",
            "--no-fail-on-empty-changeset", "--tags", f"app=repolink env=e2e run={suffix}",
            "--parameter-overrides", parameters,
        )  # fmt: skip
        yield Stack(name=name, region=region, account=account, suffix=suffix)
    finally:
        if not os.environ.get("REPOLINK_E2E_KEEP_STACK"):
            _run(sam, "delete", "--stack-name", name, "--region", region, "--no-prompts")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    _ready()
    suffix = uuid.uuid4().hex[:8]
    name = os.environ.get("REPOLINK_E2E_STACK") or f"repolink-e2e-{suffix}"
    with _deployed(name, suffix, PARAMETERS) as deployed:
        yield deployed


@dataclass(frozen=True)
class Spoke:
    """An application stack with a spoke role, and the team account where its spoke is deployed."""

    stack: Stack
    team_account: str
    #: a boto3 session on the team account's credentials
    team: Any
    #: the run's CodeArtifact domain, made in the team account
    domain: str


@pytest.fixture(scope="session")
def spoke() -> Iterator[Spoke]:
    _ready()
    profile = os.environ.get("REPOLINK_E2E_TEAM_PROFILE")
    if not profile:
        pytest.skip(
            "the spoke test needs a second sandbox account, the team's: a profile in"
            " REPOLINK_E2E_TEAM_PROFILE (see docs/deploying.md)"
        )
    import boto3

    suffix = uuid.uuid4().hex[:8]
    region = boto3.client("sts").meta.region_name or "us-east-1"
    team = boto3.session.Session(profile_name=profile, region_name=region)
    team_account = team.client("sts").get_caller_identity()["Account"]
    role = f"repolink-spoke-e2e-{suffix}"
    parameters = f"{PARAMETERS} SpokeRoleName={role} AllowedAccountIds={team_account}"
    with _deployed(f"repolink-e2e-spoke-{suffix}", suffix, parameters) as deployed:
        outputs = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=deployed.name)
        trusted = next(
            o["OutputValue"]
            for o in outputs["Stacks"][0]["Outputs"]
            if o["OutputKey"] == "SpokeTrustedRoleArns"
        )
        cloudformation = team.client("cloudformation")
        spoke_stack = f"repolink-spoke-e2e-{suffix}"
        domain = f"repolink-e2e-{suffix}"
        try:
            cloudformation.create_stack(
                StackName=spoke_stack,
                TemplateBody=SPOKE_TEMPLATE.read_text(),
                Parameters=[
                    {"ParameterKey": "RoleName", "ParameterValue": role},
                    {"ParameterKey": "PlatformRoleArns", "ParameterValue": trusted},
                ],
                Capabilities=["CAPABILITY_NAMED_IAM"],
                Tags=[{"Key": "app", "Value": "repolink"}, {"Key": "run", "Value": suffix}],
            )
            cloudformation.get_waiter("stack_create_complete").wait(StackName=spoke_stack)
            yield Spoke(stack=deployed, team_account=team_account, team=team, domain=domain)
        finally:
            try:
                delete_domain(team.client("codeartifact"), domain, team_account)
            finally:
                cloudformation.delete_stack(StackName=spoke_stack)
                cloudformation.get_waiter("stack_delete_complete").wait(StackName=spoke_stack)


@pytest.fixture
def domain(stack: Stack) -> Iterator[str]:
    """The run's CodeArtifact domain name; whatever of it remains afterwards is deleted (the
    repositories first), so a failed test leaves nothing behind."""
    import boto3

    name = f"repolink-e2e-{stack.suffix}"
    yield name
    delete_domain(boto3.client("codeartifact", region_name=stack.region), name, stack.account)


def delete_domain(codeartifact: Any, name: str, owner: str) -> None:
    """Whatever remains of domain ``name`` of account ``owner``, deleted (the repositories first)."""
    try:
        repositories = codeartifact.list_repositories_in_domain(domain=name, domainOwner=owner)
    except codeartifact.exceptions.ResourceNotFoundException:
        return
    # downstreams before their upstreams: delete until none is left (a repository used as an
    # upstream refuses deletion until its downstream is gone)
    left = [r["name"] for r in repositories["repositories"]]
    for _ in range(len(left) + 1):
        for repository in list(left):
            try:
                codeartifact.delete_repository(domain=name, domainOwner=owner, repository=repository)
                left.remove(repository)
            except codeartifact.exceptions.ConflictException:
                continue
            except codeartifact.exceptions.ResourceNotFoundException:
                left.remove(repository)
    codeartifact.delete_domain(domain=name, domainOwner=owner)
