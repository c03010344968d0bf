"""Least privilege, measured both ways, on the local engine's IAM enforcement.

- **Nothing missing**: every scenario below passes with the template's roles as they are (a
  denied call fails it, as on AWS).
- **Nothing extra**: every grant (each action of each role's own statements, each managed policy
  attached to a role) is taken away in turn, and the scenario that used it is run again: it must
  then be denied, naming that grant. A grant no scenario uses is not needed, and is reported.

``python -m repolink_local.iam.matrix`` runs the whole matrix (``make bench`` does); ``--sample N``
runs N revocations picked by a seed, as the test command does.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import boto3

from repolink_local.engine import LocalEngine
from repolink_local.iam.deployment import SPOKE_ROLE, Deployment
from repolink_local.iam.enforcer import DeploymentDenied
from repolink_local.patches import LambdaServiceError
from repolink_local.standins import FaultRule, HandshakePolicy, StandIns
from repolink_local.standins.faults import LOST_RESPONSE
from repolink_local.template import ACCOUNT_ID, REGION, ROOT, SAMPLE_PARAMETERS

SAMPLE = ROOT / "events" / "onboarding.json"
OTHER_TEAM = "210987654321"
#: Proton is off by default (past its end of support); it is turned on here so that its grants are
#: measured too, as long as the template keeps them
#: the organization CodeArtifact consumers may be of
CONSUMER_ORGANIZATION = "o-a1b2c3d4e5"
PARAMETERS = {
    "AllowedAccountIds": OTHER_TEAM,
    "AllowedOrganizationId": CONSUMER_ORGANIZATION,
    "ProtonTarget": "enabled",
    **SAMPLE_PARAMETERS,
}
#: the same deployment with spokes: OTHER_TEAM has the spoke (spoke/template.yaml), and the spoke
#: scenarios act there
SPOKE_PARAMETERS = {**PARAMETERS, "SpokeRoleName": "repolink-spoke"}
PROTON = {"repositories": [{"name": "acme/proton-templates", "encryptionKey": None, "tags": {}}]}
JSON = {"Content-Type": "application/json"}
#: a grant: (role logical id, action or managed policy ARN)
Grant = tuple[str, str]


def sample(**changes: Any) -> dict[str, Any]:
    """The sample request with whole sections replaced (``None`` drops one; ``git_sync`` is
    ``gitSync``)."""
    request: dict[str, Any] = json.loads(SAMPLE.read_text())
    for attr, value in changes.items():
        key = "gitSync" if attr == "git_sync" else attr
        if value is None:
            request.pop(key, None)
        else:
            request[key] = value
    return request


def _connection(service: str, name: str, **more: Any) -> dict[str, Any]:
    provider = "GITHUB" if service == "apprunner" else "GitHub"
    return {"service": service, "name": name, "provider": provider, "tags": {"team": "payments"}, **more}


def _post_and_wait(engine: LocalEngine, request: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    headers = JSON | ({"Idempotency-Key": key} if key else {})
    code, _, answer = engine.api("POST", "/links", json.dumps(request), headers=headers)
    if code != 202:
        raise ScenarioFailed(f"POST answered {code}: {answer}")
    result = engine.wait(answer["executionArn"], deadline_seconds=60)
    if result.status != "SUCCEEDED":
        failed = result.events_of("RepositoryLinkFailed")
        raise ScenarioFailed(f"{result.status}: {failed[-1]['cause'] if failed else ''}")
    return dict(answer)


def _operator_connection(service: str, name: str) -> str:
    """A connection that exists before the onboarding: an earlier onboarding of this account
    made it (it carries the ownership tags), so it may be reused."""
    aws = boto3.client(service)
    tags = [
        {"Key": "repolink:request-id", "Value": "rl-earlier"},
        {"Key": "repolink:owner-account", "Value": ACCOUNT_ID},
    ]
    if service == "apprunner":
        return str(
            aws.create_connection(ConnectionName=name, ProviderType="GITHUB", Tags=tags)["Connection"][
                "ConnectionArn"
            ]
        )
    return str(aws.create_connection(ConnectionName=name, ProviderType="GitHub", Tags=tags)["ConnectionArn"])


def _forget_idempotency_records() -> None:
    """As if the idempotency records had expired (the operator empties the table)."""
    dynamodb = boto3.client("dynamodb")
    for table in dynamodb.list_tables()["TableNames"]:
        for item in dynamodb.scan(TableName=table)["Items"]:
            dynamodb.delete_item(TableName=table, Key={"id": item["id"]})


class ScenarioFailed(AssertionError):
    """A scenario did not end as it should (with every grant in place, it must)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    drive: Callable[[LocalEngine], None]
    handshake: HandshakePolicy = field(default_factory=lambda: HandshakePolicy("after", 1))
    #: a function invoked asynchronously (the ingest) may fail an attempt: only where it is the point
    retried_invocations: bool = False
    #: the deployment's parameters (:data:`PARAMETERS` by default; :data:`SPOKE_PARAMETERS` for spokes)
    parameters: dict[str, str] | None = None


def _api_sample(engine: LocalEngine) -> None:
    answer = _post_and_wait(engine, sample())
    code, _, status = engine.api("GET", urljoin("/links", answer["statusUrl"]))  # relative to the POST
    if code != 200 or status["status"] != "succeeded":
        raise ScenarioFailed(f"GET answered {code}: {status}")


def _events(engine: LocalEngine) -> None:
    # another account's caller cannot pass this account's roles to Git sync: no gitSync section
    accepted = engine.put_event({"request": sample(git_sync=None)}, account=OTHER_TEAM)
    if accepted["status"] != "accepted":
        raise ScenarioFailed(f"the event was {accepted}")
    if engine.wait(accepted["executionArn"], deadline_seconds=60).status != "SUCCEEDED":
        raise ScenarioFailed("the event's onboarding failed")
    if engine.put_event({"request": {}}, account=OTHER_TEAM)["status"] != "rejected":
        raise ScenarioFailed("an empty request was not rejected")


def _ingest_fails_three_times(engine: LocalEngine) -> None:
    """Connections answer every read with a 500: the ingest cannot check a reused connection, its
    asynchronous invocation is retried twice, and the record goes to the on-failure destination."""
    engine.standins.faults = [FaultRule("InternalServerException", "codeconnections:ListConnections", 1.0)]
    request = sample(connection=_connection("codeconnections", "existing"), git_sync=None, codeartifact=None)
    answer = engine.put_event({"request": request}, account=OTHER_TEAM)
    engine.standins.faults = []
    records = engine.failed_invocations(next(n for n, f in engine.functions.items() if "Ingest" in n))
    if answer["status"] != "failed" or len(records) != 1:
        raise ScenarioFailed(f"the event was {answer}, with {len(records)} records kept")


def _report_step_fails(engine: LocalEngine) -> None:
    """The Lambda service fails every invoke of the report function: the workflow itself puts
    RepositoryLinkFailed (the state machine's own events:PutEvents)."""

    def faults(name: str) -> LambdaServiceError | None:
        return LambdaServiceError("ServiceException", "injected") if "ReportOutcome" in name else None

    engine.lambda_faults = faults
    code, _, answer = engine.api("POST", "/links", json.dumps(sample(git_sync=None)), headers=JSON)
    result = engine.wait(answer["executionArn"], deadline_seconds=60)
    failed = result.events_of("RepositoryLinkFailed")
    if code != 202 or [f["step"] for f in failed] != ["ReportOutcome"]:
        raise ScenarioFailed(f"no RepositoryLinkFailed from the workflow: {result.events}")


def _same_key_after_the_records_expired(engine: LocalEngine) -> None:
    """A key reused with another body after the idempotency record expired: the execution of that
    name exists with other input, so both entry points refuse (409 / rejected). The domain and
    its repositories are the platform's, made outside repolink, so both teams may use them (a
    domain one team's onboarding made is that team's: workflow/domains.py)."""
    codeartifact = engine.standins.codeartifact  # the operator's, made outside repolink and IAM
    codeartifact.CreateDomain({"domain": "acme"})
    codeartifact.CreateRepository({"domain": "acme", "repository": "pypi-store"})
    codeartifact.AssociateExternalConnection(
        {"domain": "acme", "repository": "pypi-store", "externalConnection": "public:pypi"}
    )
    codeartifact.CreateRepository(
        {
            "domain": "acme",
            "repository": "team-python",
            "upstreams": [{"repositoryName": "pypi-store"}],
            "description": "team packages",
        }
    )
    first = sample(connection=None, git_sync=None)
    _post_and_wait(engine, first, key="reused-key")
    accepted = engine.put_event({"request": first, "idempotencyKey": "reused-key"}, account=OTHER_TEAM)
    # another team's onboarding of the same repositories: found, and not claimed as its own
    result = engine.wait(accepted["executionArn"], deadline_seconds=60)
    done = (result.events_of("RepositoryLinkCompleted") or [{}])[-1]  # the engine's events so far
    if {r["outcome"] for r in done.get("codeartifact", {}).get("repositories", [])} != {"existing"}:
        raise ScenarioFailed(f"the second team's onboarding ended {result.status}: {result.events[-1:]}")
    _forget_idempotency_records()
    other = copy.deepcopy(first)
    other["codeartifact"]["repositories"][0]["name"] = "another-store"
    code, _, _ = engine.api(
        "POST", "/links", json.dumps(other), headers=JSON | {"Idempotency-Key": "reused-key"}
    )
    if code != 409:
        raise ScenarioFailed(f"a reused key with another body answered {code}")
    refused = engine.put_event({"request": other, "idempotencyKey": "reused-key"}, account=OTHER_TEAM)
    # rejected naming the key, as the API refuses it (workflow.verbs: KEY_REUSED)
    fields = [
        [p["field"] for p in e["detail"]["errors"]]
        for e in engine.emitted_events()
        if e["detail-type"] == "RepositoryLinkRejected"
    ]
    if refused["status"] != "rejected" or fields[-1:] != [["detail.idempotencyKey"]]:
        raise ScenarioFailed(f"a reused key with another body was {refused}, naming {fields[-1:]}")


def _reuse(service: str) -> Callable[[LocalEngine], None]:
    def drive(engine: LocalEngine) -> None:
        existing = _operator_connection(service, "existing")
        proton = None if service == "apprunner" else copy.deepcopy(PROTON)
        if proton is not None:  # linked before (a redelivered step, a lost response): found, not again
            engine.standins.connections.set_status(existing, "AVAILABLE")
            name = proton["repositories"][0]["name"]
            boto3.client("proton").create_repository(name=name, provider="GITHUB", connectionArn=existing)
        _post_and_wait(
            engine, sample(connection=_connection(service, "existing"), git_sync=None, proton=proton)
        )
        # the same reuse, asked by an event: the ingest checks the connection is the caller's too
        again = sample(connection=_connection(service, "existing"), git_sync=None, codeartifact=None)
        accepted = engine.put_event({"request": again}, account=ACCOUNT_ID)
        if accepted["status"] != "accepted" or engine.wait(accepted["executionArn"]).status != "SUCCEEDED":
            raise ScenarioFailed(f"reusing {service} connection by event: {accepted}")
        if service != "apprunner":
            arn = _operator_connection(service, "by-arn")
            by_arn = sample(connection={"service": service, "arn": arn}, git_sync=None, codeartifact=None)
            _post_and_wait(engine, by_arn)

    return drive


def _lose_the_first_answer(engine: LocalEngine, operation: str) -> None:
    """The first ``operation``'s answer is lost: it takes effect, and the SDK's retry finds the
    resource gone, which the deleting role's tag condition refuses; the role reads it again (its
    tags, or the listing) to see it deleted (``adapters/aws.delete_idempotently``)."""
    engine.standins.faults = [FaultRule(LOST_RESPONSE, operation, 1.0, times=1)]


def _cleanup(service: str) -> Callable[[LocalEngine], None]:
    def drive(engine: LocalEngine) -> None:
        request = sample(connection=_connection(service, "abandoned"), git_sync=None, codeartifact=None)
        request |= {"handshakeTimeoutHours": 1, "cleanupOnTimeout": True}
        _lose_the_first_answer(engine, f"{service}:DeleteConnection")
        code, _, answer = engine.api("POST", "/links", json.dumps(request), headers=JSON)
        result = engine.wait(answer["executionArn"], deadline_seconds=60)
        (failed,) = result.events_of("RepositoryLinkFailed")
        if code != 202 or failed["error"] != "HandshakeTimedOut" or not failed.get("connectionDeleted"):
            raise ScenarioFailed(f"the abandoned connection did not time out and go: {failed['cause']}")

    return drive


def _keys(engine: LocalEngine) -> None:
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    request = sample(git_sync=None, proton=copy.deepcopy(PROTON))
    request["codeartifact"] |= {"encryptionKey": key, "tags": {"team": "payments"}}
    request["codeartifact"]["repositories"][0]["tags"] = {"team": "payments"}
    request["proton"]["repositories"][0] |= {"encryptionKey": key, "tags": {"team": "payments"}}
    _post_and_wait(engine, request)
    proton = {"repositories": [{"name": "acme/codestar-templates"}]}
    codestar = sample(
        connection=_connection("codestar-connections", "codestar-proton"),
        git_sync=None,
        proton=proton,
        codeartifact=None,
    )
    _post_and_wait(engine, codestar)


def _hosts(engine: LocalEngine, standins: StandIns) -> None:
    for service in ("codeconnections", "codestar-connections"):
        host = f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:host/acme-ghes-0123456789abcdef"
        standins.connections.add_host(host, "GitHubEnterpriseServer")
        connection = _connection(
            service, f"on-host-{service}", provider="GitHubEnterpriseServer", hostArn=host
        )
        _post_and_wait(engine, sample(connection=connection, git_sync=None, codeartifact=None))


VPC = {
    "vpcId": "vpc-0a1b2c3d4e5f67890",
    "subnetIds": ["subnet-0a1b2c3d4e5f67890"],
    "securityGroupIds": ["sg-0a1b2c3d4e5f67890"],
}


def _host_connection(service: str, name: str, vpc: dict[str, Any] | None = None) -> dict[str, Any]:
    """A connection on a host the onboarding creates (connection.host)."""
    host = {"name": name, "providerEndpoint": f"https://{name}.example.com", "vpcConfiguration": vpc}
    return _connection(service, name, provider="GitHubEnterpriseServer", host=host)


def _new_hosts(service: str) -> Callable[[LocalEngine], None]:
    """A host created, announced and set up, then the connection on it: through the API (accept
    reads same-name hosts), again by event from another team (the ingest reads them too)."""

    def drive(engine: LocalEngine) -> None:
        first = sample(
            connection=_host_connection(service, f"ghes-{service}"), git_sync=None, codeartifact=None
        )
        _post_and_wait(engine, first)
        done = engine.emitted_events()[-1]["detail"]
        if not (done.get("host") or {}).get("created"):
            raise ScenarioFailed(f"no host was created: {done}")
        again = sample(
            connection=_host_connection(service, f"vpc-{service}", VPC), git_sync=None, codeartifact=None
        )
        accepted = engine.put_event({"request": again}, account=OTHER_TEAM)
        if accepted["status"] != "accepted" or engine.wait(accepted["executionArn"]).status != "SUCCEEDED":
            raise ScenarioFailed(f"a VPC host by event: {accepted}")

    return drive


def _abandoned_host(service: str) -> Callable[[LocalEngine], None]:
    """Nobody sets the host up: the wait times out, and the host this onboarding made is deleted."""

    def drive(engine: LocalEngine) -> None:
        request = sample(
            connection=_host_connection(service, f"abandoned-{service}"), git_sync=None, codeartifact=None
        )
        request |= {"handshakeTimeoutHours": 1, "cleanupOnTimeout": True}
        _lose_the_first_answer(engine, f"{service}:DeleteHost")
        code, _, answer = engine.api("POST", "/links", json.dumps(request), headers=JSON)
        result = engine.wait(answer["executionArn"], deadline_seconds=60)
        (failed,) = result.events_of("RepositoryLinkFailed")
        if code != 202 or failed["error"] != "HostSetupTimedOut" or not failed.get("hostDeleted"):
            raise ScenarioFailed(f"the abandoned host did not time out and go: {failed['cause']}")

    return drive


def _git_sync_repository(owner: str, name: str, stack: str, branch: str = "main") -> dict[str, Any]:
    role = SAMPLE_PARAMETERS["GitSyncRoleArns"]
    config = {"resourceName": stack, "branch": branch, "configFile": "deploy/stack.yaml", "roleArn": role}
    return {
        "ownerId": owner,
        "repositoryName": name,
        "tags": {"team": "platform"},
        "syncConfigurations": [config],
    }


def _git_sync(service: str) -> Callable[[LocalEngine], None]:
    """Link a repository and sync a stack; again (the link reused, the identical sync configuration
    found); then another repository for that stack from another branch: refused, and the link
    made for it deleted again, since no stack is synced from it."""

    def drive(engine: LocalEngine) -> None:
        connection = _connection(service, f"git-sync-{service}")
        stack = f"acme-network-{service}"
        first = sample(
            connection=connection,
            git_sync={"repositories": [_git_sync_repository("acme", f"infra-{service}", stack)]},
            codeartifact=None,
        )
        _post_and_wait(engine, first)
        _post_and_wait(engine, first, key="again")
        done = engine.emitted_events()[-1]["detail"]["gitSyncRepositories"]
        if [(r["outcome"], r["syncConfigurations"][0]["outcome"]) for r in done] != [
            ("existing", "existing")
        ]:
            raise ScenarioFailed(f"the second onboarding did not reuse the link and configuration: {done}")
        elsewhere = {"repositories": [_git_sync_repository("acme", f"other-{service}", stack, "release")]}
        code, _, answer = engine.api(
            "POST",
            "/links",
            json.dumps(sample(connection=connection, git_sync=elsewhere, codeartifact=None)),
            headers=JSON,
        )
        result = engine.wait(answer["executionArn"], deadline_seconds=60)
        failed = (result.events_of("RepositoryLinkFailed") or [{}])[-1]
        steps = [(f["step"], f["error"]) for f in failed.get("failures", [])]
        repos = failed.get("gitSyncRepositories", [])
        if (
            steps != [(f"GitSync.CreateSyncConfiguration:{stack}", "ResourceConflict")]
            or not repos[0]["linkDeleted"]
        ):
            raise ScenarioFailed(f"a stack synced elsewhere: {code}, {steps}, {repos}")

    return drive


def _git_sync_change(service: str) -> Callable[[LocalEngine], None]:
    """Link a repository and sync a stack, then change both in place (PUT): the stack synced
    from another branch (UpdateSyncConfiguration, passing its role again) and the link retagged
    (TagResource), each result saying so."""

    def drive(engine: LocalEngine) -> None:
        repository = _git_sync_repository("acme", f"changed-{service}", f"acme-changed-{service}")
        request = sample(
            connection=_connection(service, f"changed-{service}"),
            git_sync={"repositories": [repository]},
            codeartifact=None,
        )
        answer = _post_and_wait(engine, request)
        changed = copy.deepcopy(request)
        moved = changed["gitSync"]["repositories"][0]
        moved["tags"] = {"team": "infrastructure"}
        moved["syncConfigurations"][0]["branch"] = "release"
        path = f"/links/{answer['requestId']}"
        code, _, accepted = engine.api("PUT", path, json.dumps(changed), headers=JSON)
        if code != 202:
            raise ScenarioFailed(f"PUT answered {code}: {accepted}")
        result = engine.wait(accepted["executionArn"], deadline_seconds=60)
        failed = result.events_of("RepositoryLinkFailed")
        if result.status != "SUCCEEDED":
            raise ScenarioFailed(f"the change ended {result.status}: {failed[-1] if failed else ''}")
        (link,) = engine.emitted_events()[-1]["detail"]["gitSyncRepositories"]
        updated = (link["updated"], link["syncConfigurations"][0]["updated"])
        (config,) = engine.standins.connections.sync_configurations.values()
        if updated != (["tags"], ["branch"]) or config.branch != "release":
            raise ScenarioFailed(f"the change did not update in place: {updated}, {config.branch}")

    return drive


def _sharing(engine: LocalEngine) -> None:
    """CodeArtifact shared with another team's account and the organization: the domain's and each
    created repository's policy read and written; then a second onboarding reads the domain's again."""
    request = sample(connection=None, git_sync=None)
    request["codeartifact"]["consumers"] = {"accounts": [OTHER_TEAM], "organizationId": CONSUMER_ORGANIZATION}
    _post_and_wait(engine, request)
    _post_and_wait(engine, request | {"handshakeTimeoutHours": 71})
    aws = boto3.client("codeartifact")
    for repository in ("pypi-store", "team-python"):
        document = aws.get_repository_permissions_policy(domain="acme", repository=repository)["policy"][
            "document"
        ]
        if OTHER_TEAM not in document or CONSUMER_ORGANIZATION not in document:
            raise ScenarioFailed(f"{repository}'s policy does not share it: {document}")


def _shared_domain(engine: LocalEngine) -> None:
    """A domain made outside repolink, with the platform's upstream in it: this account's team
    (through the API) and another team (by event) each make their own repository there, upstream
    of the platform's; accept reads the domain's tags, its repository list and the named
    repositories' tags (``workflow/domains.py``)."""
    codeartifact = engine.standins.codeartifact  # the operator's, made outside repolink and IAM
    codeartifact.CreateDomain({"domain": "platform"})
    codeartifact.CreateRepository({"domain": "platform", "repository": "pypi-shared"})

    def request(name: str) -> dict[str, Any]:
        repository = {"name": name, "upstreams": ["pypi-shared"]}
        return {"codeartifact": {"domain": "platform", "repositories": [repository]}}

    _post_and_wait(engine, request("team-lib"))
    accepted = engine.put_event({"request": request("other-lib")}, account=OTHER_TEAM)
    if accepted["status"] != "accepted":
        raise ScenarioFailed(f"the event was {accepted}")
    if engine.wait(accepted["executionArn"], deadline_seconds=60).status != "SUCCEEDED":
        raise ScenarioFailed("the event's onboarding failed")


def _offboard(engine: LocalEngine, answer: dict[str, Any], removed: int) -> None:
    """DELETE the onboarding ``answer`` names, follow its offboarding, then GET and list it."""
    request_id = answer["requestId"]
    code, _, accepted = engine.api("DELETE", f"/links/{request_id}")
    if code != 202:
        raise ScenarioFailed(f"DELETE answered {code}: {accepted}")
    result = engine.wait(accepted["executionArn"], deadline_seconds=60)
    done = (result.events_of("RepositoryLinkOffboarded") or [{}])[-1]
    if result.status != "SUCCEEDED" or len(done.get("removed", [])) != removed or done.get("retained"):
        raise ScenarioFailed(f"the offboarding ended {result.status}: {result.output}")
    code, _, status = engine.api("GET", f"/links/{request_id}")
    if code != 200 or status["status"] != "offboarded":
        raise ScenarioFailed(f"GET after the offboarding answered {code}: {status}")
    code, _, page = engine.api("GET", "/links?state=offboarded", caller_account=OTHER_TEAM)
    if code != 200 or page["links"]:
        raise ScenarioFailed(f"another team's listing answered {code}: {page}")


def _change(engine: LocalEngine) -> None:
    """Onboard CodeArtifact, change it in place (PUT: a repository added, another's upstreams and
    description updated with UpdateRepository, the domain and that repository tagged with
    TagResource), then offboard: the change's repository goes too."""
    request = sample(connection=None, git_sync=None)
    answer = _post_and_wait(engine, request)
    changed = copy.deepcopy(request)
    changed["codeartifact"]["tags"] = {"cost-center": "42"}
    repositories = changed["codeartifact"]["repositories"]
    repositories.append({"name": "team-shared", "upstreams": ["pypi-store"]})
    repositories[1] |= {
        "upstreams": ["team-shared", "pypi-store"],
        "description": "shared ones first",
        "tags": {"tier": "gold"},
    }
    code, _, accepted = engine.api("PUT", f"/links/{answer['requestId']}", json.dumps(changed), headers=JSON)
    if code != 202:
        raise ScenarioFailed(f"PUT answered {code}: {accepted}")
    result = engine.wait(accepted["executionArn"], deadline_seconds=60)
    if result.status != "SUCCEEDED":
        failed = result.events_of("RepositoryLinkFailed")
        raise ScenarioFailed(f"the change ended {result.status}: {failed[-1]['cause'] if failed else ''}")
    upstreams = boto3.client("codeartifact").describe_repository(domain="acme", repository="team-python")
    if [u["repositoryName"] for u in upstreams["repository"]["upstreams"]] != ["team-shared", "pypi-store"]:
        raise ScenarioFailed(f"the change did not update team-python: {upstreams['repository']}")
    codeartifact = boto3.client("codeartifact")
    domain = codeartifact.describe_domain(domain="acme")["domain"]["arn"]
    for arn, key in ((upstreams["repository"]["arn"], "tier"), (domain, "cost-center")):
        listed = {t["key"] for t in codeartifact.list_tags_for_resource(resourceArn=arn)["tags"]}
        if not {key, "repolink:request-id"} <= listed:
            raise ScenarioFailed(f"the change did not tag {arn}: {sorted(listed)}")
    # GET /links a page at a time (the onboarding, then its change): the nextToken is encrypted
    # under the stack's key, then read back
    code, _, first = engine.api("GET", "/links?limit=1")
    if code != 200 or not first.get("nextToken"):
        raise ScenarioFailed(f"the first page answered {code}: {first}")
    code, _, following = engine.api("GET", f"/links?limit=1&nextToken={first['nextToken']}")
    if code != 200:
        raise ScenarioFailed(f"the page after it answered {code}: {following}")
    _offboard(engine, answer, removed=4)


def _prune(service: str) -> Callable[[LocalEngine], None]:
    """Onboard with a second Git sync repository (and, on codeconnections, the sample's
    CodeArtifact with a third repository), each resource tagged trial, then change it back
    without them and their trial tags, with prune: true: the onboarding machine runs the
    offboarding's removal steps on what the new request dropped (a sync configuration, a
    repository link, a repository, and the trial tag keys of what stays)."""

    def drive(engine: LocalEngine) -> None:
        trial = {"trial": "yes"}
        infra = _git_sync_repository("acme", f"infra-{service}", f"acme-network-{service}")
        narrow = sample(
            connection=_connection(service, f"pruned-{service}"), git_sync={"repositories": [infra]}
        )
        if service != "codeconnections":
            narrow.pop("codeartifact")
        wide = copy.deepcopy(narrow)
        wide["gitSync"]["repositories"][0]["tags"] |= trial
        wide["gitSync"]["repositories"].append(
            _git_sync_repository("acme", f"trial-{service}", f"acme-trial-{service}")
        )
        expected = 3  # the trial stack and link, the infra link's trial tag ...
        if "codeartifact" in wide:
            wide["codeartifact"]["tags"] = dict(trial)
            wide["codeartifact"]["repositories"][1]["tags"] = dict(trial)
            wide["codeartifact"]["repositories"].append({"name": "team-trial", "upstreams": ["pypi-store"]})
            expected += 3  # ... and the domain's and team-python's, and team-trial
        answer = _post_and_wait(engine, wide)
        body = json.dumps(narrow | {"prune": True})
        code, _, accepted = engine.api("PUT", f"/links/{answer['requestId']}", body, headers=JSON)
        if code != 202:
            raise ScenarioFailed(f"PUT answered {code}: {accepted}")
        result = engine.wait(accepted["executionArn"], deadline_seconds=60)
        done = [e for e in result.events_of("RepositoryLinkCompleted") if e.get("changeId")]
        removed = (done[-1].get("pruned") or {}).get("removed", []) if done else []
        if result.status != "SUCCEEDED" or len(removed) != expected:
            raise ScenarioFailed(f"the pruning change ended {result.status}: {result.output}")

    return drive


def _offboarding(service: str) -> Callable[[LocalEngine], None]:
    """Onboard, then offboard: the sample on codeconnections (Git sync, the connection,
    CodeArtifact); Git sync and its connection on codestar-connections; an App Runner connection."""

    def drive(engine: LocalEngine) -> None:
        connection = _connection(service, f"offboarded-{service}")
        if service != "apprunner":  # the offboarding's link delete, its answer lost
            _lose_the_first_answer(engine, f"{service}:DeleteRepositoryLink")
        if service == "codeconnections":
            _offboard(engine, _post_and_wait(engine, sample(connection=connection)), removed=6)
        elif service == "apprunner":
            request = sample(connection=connection, git_sync=None, codeartifact=None)
            _offboard(engine, _post_and_wait(engine, request), removed=1)
        else:
            repository = _git_sync_repository("acme", f"infra-{service}", f"acme-network-{service}")
            request = sample(
                connection=connection, git_sync={"repositories": [repository]}, codeartifact=None
            )
            _offboard(engine, _post_and_wait(engine, request), removed=3)

    return drive


def _offboarding_host(service: str) -> Callable[[LocalEngine], None]:
    """A connection on a host the onboarding created: both go, the host after the connection."""

    def drive(engine: LocalEngine) -> None:
        connection = _host_connection(service, f"offboarded-{service}")
        request = sample(connection=connection, git_sync=None, codeartifact=None)
        _offboard(engine, _post_and_wait(engine, request), removed=2)

    return drive


def _offboard_events(engine: LocalEngine) -> None:
    """Another team offboards by event: an onboarding that failed (its result read from its
    history) and one that succeeded (its repositories removed)."""
    missing = sample(connection=None, git_sync=None)
    missing["codeartifact"] |= {"domain": "not-there", "createDomain": False}
    for request, ends in ((missing, "FAILED"), (sample(connection=None, git_sync=None), "SUCCEEDED")):
        accepted = engine.put_event({"request": request}, account=OTHER_TEAM)
        if accepted["status"] != "accepted" or engine.wait(accepted["executionArn"]).status != ends:
            raise ScenarioFailed(f"the onboarding by event did not end {ends}: {accepted}")
        detail = {"requestId": accepted["requestId"]}
        offboarding = engine.put_event(
            detail, account=OTHER_TEAM, detail_type="RepositoryLinkOffboardRequested"
        )
        if offboarding["status"] != "accepted":
            raise ScenarioFailed(f"the offboard event was {offboarding}")
        if engine.wait(offboarding["executionArn"], deadline_seconds=60).status != "SUCCEEDED":
            raise ScenarioFailed("the offboarding by event did not succeed")


def _as_team(
    engine: LocalEngine, method: str, path: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The team account's call to the API (202 asserted), followed to its end (SUCCEEDED asserted)."""
    text = json.dumps(body) if body is not None else None
    code, _, answer = engine.api(method, path, text, headers=JSON, caller_account=OTHER_TEAM)
    if code != 202:
        raise ScenarioFailed(f"{method} {path} answered {code}: {answer}")
    result = engine.wait(answer["executionArn"], deadline_seconds=60)
    if result.status != "SUCCEEDED":
        failed = result.events_of("RepositoryLinkFailed") + result.events_of("RepositoryLinkOffboardFailed")
        raise ScenarioFailed(f"{method} {path} ended {result.status}: {failed[-1:]}")
    return dict(answer)


def _team_repository(name: str, stack: str, branch: str = "main") -> dict[str, Any]:
    """A Git sync repository of the team account, synced as a role the spoke may pass (its path)."""
    role = f"arn:aws:iam::{OTHER_TEAM}:role/repolink-git-sync/{stack}"
    config = {"resourceName": stack, "branch": branch, "configFile": "deploy/stack.yaml", "roleArn": role}
    return {
        "ownerId": "acme",
        "repositoryName": name,
        "tags": {"team": "platform"},
        "syncConfigurations": [config],
    }


def _spoke_git_sync(service: str) -> Callable[[LocalEngine], None]:
    """The team onboards Git sync in its own account, changes it in place (a stack's branch, a
    link's tags) dropping a repository with prune, then offboards: all through the spoke."""

    def drive(engine: LocalEngine) -> None:
        infra, trial = (
            _team_repository(f"infra-{service}", "team-network"),
            _team_repository("trial", "team-trial"),
        )
        request = {
            "connection": _connection(service, f"team-{service}"),
            "gitSync": {"repositories": [infra, trial]},
        }
        answer = _as_team(engine, "POST", "/links", request)
        changed = copy.deepcopy(request)
        changed["gitSync"]["repositories"] = [changed["gitSync"]["repositories"][0]]
        changed["gitSync"]["repositories"][0]["tags"] = {}
        changed["gitSync"]["repositories"][0]["syncConfigurations"][0]["branch"] = "release"
        _as_team(engine, "PUT", f"/links/{answer['requestId']}", changed | {"prune": True})
        _as_team(engine, "DELETE", f"/links/{answer['requestId']}")
        left = engine.standins.account(OTHER_TEAM).connections
        if left.list() or left.repository_links or left.sync_configurations:
            raise ScenarioFailed("the team account kept what the offboarding removes")

    return drive


def _spoke_hosts(service: str) -> Callable[[LocalEngine], None]:
    """A host in the team's VPC and its connection made in the team account (by event: the ingest
    reads its hosts through the spoke), then offboarded: the host after its connection."""

    def drive(engine: LocalEngine) -> None:
        request = {"connection": _host_connection(service, f"team-ghes-{service}", VPC)}
        accepted = engine.put_event({"request": request}, account=OTHER_TEAM)
        if accepted["status"] != "accepted" or engine.wait(accepted["executionArn"]).status != "SUCCEEDED":
            raise ScenarioFailed(f"a host by event: {accepted}")
        _as_team(engine, "DELETE", f"/links/{accepted['requestId']}")
        if engine.standins.account(OTHER_TEAM).connections.hosts:
            raise ScenarioFailed("the team's host is left after the offboarding")

    return drive


def _spoke_apprunner(engine: LocalEngine) -> None:
    """An App Runner connection of the team account, then offboarded."""
    answer = _as_team(engine, "POST", "/links", {"connection": _connection("apprunner", "team-apprunner")})
    _as_team(engine, "DELETE", f"/links/{answer['requestId']}")


def _spoke_abandoned(engine: LocalEngine) -> None:
    """Nobody sets up the team's host: after the timeout, the host it made in the team account goes."""
    abandoned = {"connection": _host_connection("codeconnections", "team-abandoned")}
    abandoned |= {"handshakeTimeoutHours": 1, "cleanupOnTimeout": True}
    code, _, answer = engine.api(
        "POST", "/links", json.dumps(abandoned), headers=JSON, caller_account=OTHER_TEAM
    )
    result = engine.wait(answer["executionArn"], deadline_seconds=60)
    failed = (result.events_of("RepositoryLinkFailed") or [{}])[-1]
    if code != 202 or not failed.get("hostDeleted"):
        raise ScenarioFailed(f"the team's abandoned host did not go: {failed.get('cause')}")


def _spoke_codeartifact(engine: LocalEngine) -> None:
    """The team's own domain, made in its account with its key and shared with the organization;
    changed in place (tags, a repository's upstreams) dropping a repository with prune; offboarded."""
    key = f"arn:aws:kms:{REGION}:{OTHER_TEAM}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    request = sample(connection=None, git_sync=None)
    request["codeartifact"].pop("domainOwner", None)
    request["codeartifact"] |= {
        "encryptionKey": key,
        "tags": {"trial": "yes"},
        "consumers": {"organizationId": CONSUMER_ORGANIZATION},
    }
    request["codeartifact"]["repositories"].append({"name": "team-trial", "upstreams": ["pypi-store"]})
    answer = _as_team(engine, "POST", "/links", request)
    changed = copy.deepcopy(request)
    changed["codeartifact"]["tags"] = {}
    changed["codeartifact"]["repositories"] = changed["codeartifact"]["repositories"][:2]
    changed["codeartifact"]["repositories"][1] |= {"description": "changed"}
    _as_team(engine, "PUT", f"/links/{answer['requestId']}", changed | {"prune": True})
    _as_team(engine, "DELETE", f"/links/{answer['requestId']}")
    if engine.standins.account(OTHER_TEAM).codeartifact.domains or engine.standins.codeartifact.domains:
        raise ScenarioFailed("a domain is left after the offboarding")


SPOKE_SCENARIOS: tuple[Scenario, ...] = (
    *(
        Scenario(
            f"spoke: {s}: Git sync in the team account, changed, pruned, offboarded",
            _spoke_git_sync(s),
            parameters=SPOKE_PARAMETERS,
        )
        for s in ("codeconnections", "codestar-connections")
    ),
    *(
        Scenario(f"spoke: {s}: a host by event, offboarded", _spoke_hosts(s), parameters=SPOKE_PARAMETERS)
        for s in ("codeconnections", "codestar-connections")
    ),
    Scenario("spoke: an App Runner connection, offboarded", _spoke_apprunner, parameters=SPOKE_PARAMETERS),
    Scenario(
        "spoke: a host nobody sets up: timeout, cleanup",
        _spoke_abandoned,
        HandshakePolicy("never", 1),
        parameters=SPOKE_PARAMETERS,
    ),
    Scenario(
        "spoke: the team's own CodeArtifact domain, shared, changed, pruned, offboarded",
        _spoke_codeartifact,
        parameters=SPOKE_PARAMETERS,
    ),
)


def _recheck(engine: LocalEngine) -> None:
    """A person finishes the handshake after 30 minutes and asks for a recheck through the API:
    the wait is woken; another team's recheck by event is rejected."""
    from repolink.models.validation import validate_request
    from repolink_local.deployment import request_id_of

    request = sample()
    request_id = request_id_of(validate_request(request).wire())
    answers = engine.recheck_at(engine.clock.now() + 1800, request_id)
    _post_and_wait(engine, request)
    if [(code, body.get("woken")) for code, body in answers] != [(202, True)]:
        raise ScenarioFailed(f"the recheck was answered {answers}")
    detail_type = "RepositoryLinkRecheckRequested"
    refused = engine.put_event({"requestId": request_id}, account=OTHER_TEAM, detail_type=detail_type)
    if refused.get("status") != "rejected":
        raise ScenarioFailed(f"another team's recheck event was {refused}")


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("the sample through the API, then GET", _api_sample),
    Scenario("events from another team: accepted and rejected", _events),
    Scenario("a reused key after the records expired", _same_key_after_the_records_expired),
    Scenario("an event the ingest fails on three times", _ingest_fails_three_times, retried_invocations=True),
    Scenario("the report step fails for good", _report_step_fails),
    Scenario(
        "a recheck wakes the handshake's wait; another team's is rejected",
        _recheck,
        HandshakePolicy("at", seconds=1800),
    ),
    *(
        Scenario(f"{s}: reuse by name and by ARN", _reuse(s))
        for s in ("codeconnections", "codestar-connections")
    ),
    Scenario("apprunner: reuse by name", _reuse("apprunner")),
    *(
        Scenario(f"{s}: timeout, cleanup", _cleanup(s), HandshakePolicy("never", 1))
        for s in ("codeconnections", "codestar-connections", "apprunner")
    ),
    Scenario("KMS keys and tags for the domain and repositories; Proton on codestar-connections", _keys),
    Scenario("connections on hosts", lambda engine: _hosts(engine, engine.standins)),
    *(
        Scenario(f"{s}: hosts created and set up, through the API and by event", _new_hosts(s))
        for s in ("codeconnections", "codestar-connections")
    ),
    *(
        Scenario(
            f"{s}: a host nobody sets up: timeout, cleanup", _abandoned_host(s), HandshakePolicy("never", 1)
        )
        for s in ("codeconnections", "codestar-connections")
    ),
    *(
        Scenario(f"{s}: Git sync linked, reused, and refused for a stack synced elsewhere", _git_sync(s))
        for s in ("codeconnections", "codestar-connections")
    ),
    Scenario("CodeArtifact shared with consumers, then onboarded again", _sharing),
    Scenario("CodeArtifact in a shared platform domain, through the API and by event", _shared_domain),
    *(
        Scenario(f"{s}: onboarded, then offboarded, listed and read", _offboarding(s))
        for s in ("codeconnections", "codestar-connections", "apprunner")
    ),
    *(
        Scenario(f"{s}: a host and its connection offboarded", _offboarding_host(s))
        for s in ("codeconnections", "codestar-connections")
    ),
    Scenario("offboard events from another team: a failed and a succeeded onboarding", _offboard_events),
    Scenario("CodeArtifact changed in place (PUT), listed a page at a time, then offboarded", _change),
    *(
        Scenario(f"{s}: a change with prune: true removes what it drops", _prune(s))
        for s in ("codeconnections", "codestar-connections")
    ),
    *(
        Scenario(
            f"{s}: Git sync changed in place (PUT): the stack's branch, the link's tags", _git_sync_change(s)
        )
        for s in ("codeconnections", "codestar-connections")
    ),
    *SPOKE_SCENARIOS,
)


@dataclass
class Outcome:
    scenario: str
    passed: bool
    detail: str = ""
    exercised: set[Grant] = field(default_factory=set)
    denied: set[Grant] = field(default_factory=set)


def run(scenario: Scenario, revoked: frozenset[Grant] = frozenset(), template: Path | None = None) -> Outcome:
    """One scenario in a fresh engine; what it used of each role, and what was denied."""
    standins = StandIns(handshake=scenario.handshake)
    options: dict[str, Any] = {"template": template} if template else {}
    try:
        parameters = scenario.parameters or PARAMETERS
        engine = LocalEngine(
            standins, log_level="CRITICAL", parameters=parameters, revoked=revoked, **options
        )
        with engine:
            try:
                scenario.drive(engine)
            except Exception as failed:  # a denied call may fail a handler outright (a 502 on AWS)
                return _outcome(scenario, engine, False, f"{type(failed).__name__}: {failed}")
            if engine.failed_attempts and not scenario.retried_invocations:
                # a retried attempt "passes" only because Lambda retried it: on AWS it is an error
                # (LambdaErrorsAlarm), and the retry can take another path than the first attempt
                function, error = engine.failed_attempts[0]
                return _outcome(scenario, engine, False, f"{function} failed an attempt: {error}")
            return _outcome(scenario, engine, True)
    except DeploymentDenied as denied:
        grants = {(d.role or "", d.authorization.action) for d in denied.denials}
        return Outcome(scenario.name, False, str(denied), denied=grants)


def _outcome(scenario: Scenario, engine: LocalEngine, passed: bool, detail: str = "") -> Outcome:
    iam = engine.iam
    denied = {(d.role or "", d.authorization.action) for d in iam.denials}
    exercised = {(role, action) for role, action in iam.exercised}
    return Outcome(scenario.name, passed, detail, exercised, denied)


def grants(deployment: Deployment) -> list[Grant]:
    """Every grant of every role, each once: each action of its own statements, each managed
    policy, the actions of the policies attached from outside it, and the spoke role's."""
    found: list[Grant] = []
    for logical_id, resource in deployment.template.resources_of_type("AWS::IAM::Role").items():
        props = resource["Properties"]
        for policy in props.get("Policies", []):
            found += [(logical_id, a) for a in _actions(policy["PolicyDocument"])]
        found += [
            (logical_id, arn) for arn in deployment.template.resolve(props.get("ManagedPolicyArns", []))
        ]
    # the policies attached to the roles from outside them (SpokeAccessPolicy), and the spoke role's
    for role in deployment.roles.values():
        for name, document in role.policies.items():
            if any(
                r.get("Type") == "AWS::IAM::Policy" and r["Properties"].get("PolicyName") == name
                for r in deployment.template.resources.values()
            ):
                found += [(role.logical_id, a) for a in _actions(document)]
    if deployment.spoke_role_name:
        for document in deployment.spoke(OTHER_TEAM).role.policies.values():
            found += [(SPOKE_ROLE, a) for a in _actions(document)]
    return list(dict.fromkeys(found))  # statements may name one action twice


def _actions(document: dict[str, Any]) -> list[str]:
    body = document["Statement"]
    return [
        a for statement in (body if isinstance(body, list) else [body]) for a in _list(statement["Action"])
    ]


def _uses(grant: Grant, exercised: set[Grant], deployment: Deployment) -> bool:
    role, item = grant
    if not item.startswith("arn:"):
        return (role, item.lower()) in {(r, a.lower()) for r, a in exercised}
    from repolink_local.iam.deployment import managed_policy

    body = managed_policy(item)["Statement"]
    listed = {a.lower() for s in (body if isinstance(body, list) else [body]) for a in _list(s["Action"])}
    return any(r == role and a.lower() in listed for r, a in exercised)


def _list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


@dataclass
class Verdict:
    grant: Grant
    scenario: str | None
    needed: bool
    detail: str


def check(grant: Grant, scenario: Scenario, template: Path | None = None) -> Verdict:
    """Take ``grant`` away and run ``scenario`` again: it must fail, denied on that grant."""
    outcome = run(scenario, frozenset({grant}), template)
    role, item = grant
    if item.startswith("arn:"):
        denied = any(r == role for r, _ in outcome.denied)
    else:
        denied = (role, item.lower()) in {(r, a.lower()) for r, a in outcome.denied}
    needed = denied and not outcome.passed
    detail = (
        "denied, and the scenario failed"
        if needed
        else f"passed={outcome.passed}, denied={sorted(outcome.denied)}"
    )
    return Verdict(grant, scenario.name, needed, detail)


def baseline(template: Path | None = None) -> tuple[list[Outcome], dict[Grant, Scenario]]:
    """Every scenario with every grant in place, and the first scenario that used each grant."""
    deployment = Deployment(ACCOUNT_ID, REGION, SPOKE_PARAMETERS, **({"path": template} if template else {}))
    outcomes, used_by = [], {}
    for scenario in SCENARIOS:
        outcome = run(scenario, template=template)
        outcomes.append(outcome)
        for grant in grants(deployment):
            if grant not in used_by and _uses(grant, outcome.exercised, deployment):
                used_by[grant] = scenario
    return outcomes, used_by


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, default=0, help="check N grants picked by --seed (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    started = time.monotonic()
    outcomes, used_by = baseline()
    missing = [o for o in outcomes if not o.passed]
    deployment = Deployment(ACCOUNT_ID, REGION, SPOKE_PARAMETERS)
    everything = grants(deployment)
    unused = [g for g in everything if g not in used_by]
    chosen = sorted(used_by)
    if args.sample:
        chosen = sorted(random.Random(args.seed).sample(chosen, min(args.sample, len(chosen))))
    verdicts = [check(grant, used_by[grant]) for grant in chosen]
    print(f"least privilege: {len(SCENARIOS)} scenarios, {len(everything)} grants, {len(chosen)} taken away")
    for outcome in outcomes:
        print(
            f"  scenario {'PASS' if outcome.passed else 'FAIL'}  {outcome.scenario}  {outcome.detail[:200]}"
        )
    for verdict in verdicts:
        shown_as = "needed" if verdict.needed else "NOT SHOWN"
        print(f"  {shown_as}  {verdict.grant[0]}  {verdict.grant[1]}  ({verdict.scenario})")
    for grant in unused:
        print(f"  UNUSED  {grant[0]}  {grant[1]}  (no scenario needs it)")
    shown = sum(v.needed for v in verdicts)
    print(
        f"missing: {len(missing)} scenarios denied; extra: {len(unused)} grants unused,"
        f" {len(verdicts) - shown} of {len(verdicts)} not shown needed; {time.monotonic() - started:.0f}s"
    )
    return 0 if not missing and not unused and shown == len(verdicts) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
