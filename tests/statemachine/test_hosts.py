"""Hosts (connection.host) through the real ASL, with IAM enforced: set up, reused, refused, timed out."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from repolink_local.standins import FaultRule, HandshakePolicy, StandIns

pytestmark = pytest.mark.statemachine

ACCOUNT = "123456789012"
HOST_ARN = f"arn:aws:codeconnections:us-east-1:{ACCOUNT}:host/acme-ghes-0123456789abcdef"
#: the tags an earlier onboarding of this account put on what it created
EARLIER_ONBOARDING = {"repolink:request-id": "rl-earlier", "repolink:owner-account": ACCOUNT}
WAIT_HOST = "Wait before checking the host"
VPC = {
    "vpcId": "vpc-0a1b2c3d4e5f67890",
    "subnetIds": ["subnet-0a1b2c3d4e5f67890"],
    "securityGroupIds": ["sg-0a1b2c3d4e5f67890"],
}


@pytest.fixture
def host_request(sample_event: Any) -> dict[str, Any]:
    return copy.deepcopy(sample_event("onboarding-host.json"))


def only(result: Any, detail_type: str) -> dict[str, Any]:
    details = result.events_of(detail_type)
    assert len(details) == 1, [e["detail-type"] for e in result.events]
    return dict(details[0])


def earlier_host(endpoint: str = "https://ghe.example.com", status: str = "AVAILABLE", **tags: str):
    def prepare(standins: StandIns) -> None:
        standins.connections.add_host(
            HOST_ARN,
            "GitHubEnterpriseServer",
            status,
            name="acme-ghes",
            endpoint=endpoint,
            tags={**EARLIER_ONBOARDING, **tags},
        )

    return prepare


def test_a_new_host_is_announced_waited_for_and_the_connection_made_on_it(
    run_onboarding: Any, host_request: dict
) -> None:
    # Given a request that describes a host, which a person sets up at the 2nd check
    result, standins = run_onboarding(host_request, handshake=HandshakePolicy("after", 2))
    # Then it succeeds: host created, announced, waited for, then the connection on it
    assert result.status == "SUCCEEDED", result.error
    states = result.states_entered
    assert states.index("Create or reuse the host") < states.index("Announce the pending host setup")
    assert states.index(WAIT_HOST) < states.index("Check the host setup")
    assert states.index("Check the host setup") < states.index("Create or reuse the connection")
    assert states.index("Create or reuse the connection") < states.index("Link one Git sync repository")
    # and AWS holds one host, AVAILABLE, carrying the ownership tags and the team's
    (host,) = standins.connections.hosts.values()
    assert (host.name, host.endpoint, host.provider, host.status) == (
        "acme-ghes",
        "https://ghe.example.com",
        "GitHubEnterpriseServer",
        "AVAILABLE",
    )
    assert host.tags["repolink:owner-account"] == ACCOUNT
    assert host.tags["repolink:request-id"].startswith("rl-")
    assert host.tags["team"] == "payments"
    # and the connection is made on it
    (connection,) = standins.connections.list()
    assert connection.host_arn == host.arn
    # HostPendingSetup carries the host's console page
    pending = only(result, "HostPendingSetup")
    assert pending["host"]["arn"] == host.arn
    assert pending["host"]["created"] is True
    host_id = host.arn.rsplit("/", 1)[-1]
    assert pending["consoleUrl"] == (
        f"https://us-east-1.console.aws.amazon.com/codesuite/settings/{ACCOUNT}/us-east-1/hosts/{host_id}"
        "?region=us-east-1"
    )
    # and the result names the host as created, with its ARN
    done = only(result, "RepositoryLinkCompleted")
    assert done["host"]["arn"] == host.arn
    assert done["host"]["created"] is True
    assert host.arn in done["arns"]


def test_the_host_wait_and_the_handshake_wait_are_one_schedule(
    run_onboarding: Any, host_request: dict
) -> None:
    # Given a host set up at the 3rd check and a handshake done at the 3rd check
    result, _ = run_onboarding(host_request, handshake=HandshakePolicy("after", 3))
    assert result.status == "SUCCEEDED", result.error
    # Then the handshake's polls continue the host's: attempts count on, the waited time adds up
    checks = [
        e for e in result.history if e.get("stateExitedEventDetails", {}).get("name") == "Check the handshake"
    ]
    assert checks
    import json

    first = json.loads(checks[0]["stateExitedEventDetails"]["output"])["result"]["handshake"]["poll"]
    assert first["attempt"] > 3  # three host checks came first
    assert first["waitedSeconds"] >= sum(result.waits[:3])


def test_an_existing_host_of_that_name_and_endpoint_is_reused(
    run_onboarding: Any, host_request: dict
) -> None:
    # Given this account's earlier onboarding left an AVAILABLE host of that name and endpoint
    result, standins = run_onboarding(host_request, prepare=earlier_host())
    # Then no host is created, nothing about the host is announced, and the connection uses it
    assert result.status == "SUCCEEDED", result.error
    assert list(standins.connections.hosts) == [HOST_ARN.rsplit("/", 1)[-1]]
    assert not result.events_of("HostPendingSetup")
    assert WAIT_HOST not in result.states_entered
    (connection,) = standins.connections.list()
    assert connection.host_arn == HOST_ARN
    assert "codeconnections:CreateHost" not in result.api_calls
    done = only(result, "RepositoryLinkCompleted")
    assert done["host"] == {
        "arn": HOST_ARN,
        "name": "acme-ghes",
        "service": "codeconnections",
        "provider": "GitHubEnterpriseServer",
        "providerEndpoint": "https://ghe.example.com",
        "status": "AVAILABLE",
        "created": False,
    }


def test_a_host_of_that_name_with_another_endpoint_fails_naming_the_endpoint(
    run_onboarding: Any, host_request: dict
) -> None:
    result, standins = run_onboarding(host_request, prepare=earlier_host(endpoint="https://git.example.com"))
    assert result.status == "FAILED"
    failed = only(result, "RepositoryLinkFailed")
    assert failed["step"] == "CreateHost"
    assert failed["error"] == "HostConflict"
    assert "connection.host.providerEndpoint" in failed["cause"]
    assert "https://git.example.com" in failed["cause"]
    assert len(standins.connections.hosts) == 1
    assert standins.connections.list() == []


def test_another_teams_host_of_that_name_is_never_used(run_onboarding: Any, host_request: dict) -> None:
    result, standins = run_onboarding(
        host_request, prepare=earlier_host(**{"repolink:owner-account": "210987654321"})
    )
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("CreateHost", "HostNotOwned")
    assert "210987654321" not in failed["cause"]
    assert standins.connections.list() == []


@pytest.mark.parametrize("cleanup", [True, False])
def test_a_host_nobody_sets_up_times_out_and_is_deleted_only_when_asked(
    run_onboarding: Any, host_request: dict, cleanup: bool
) -> None:
    host_request |= {"handshakeTimeoutHours": 1, "cleanupOnTimeout": cleanup}
    result, standins = run_onboarding(host_request, handshake=HandshakePolicy("never"))
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("HostSetup", "HostSetupTimedOut")
    assert "after 1h" in failed["cause"]
    assert "Create or reuse the connection" not in result.states_entered
    assert failed["hostDeleted"] is cleanup
    assert (standins.connections.hosts == {}) is cleanup
    assert ("Delete the pending host" in result.states_entered) is cleanup
    assert sum(result.waits) == 3600


def test_a_reused_host_is_never_deleted(run_onboarding: Any, host_request: dict) -> None:
    host_request |= {"handshakeTimeoutHours": 1, "cleanupOnTimeout": True}
    result, standins = run_onboarding(
        host_request, handshake=HandshakePolicy("never"), prepare=earlier_host(status="PENDING")
    )
    failed = only(result, "RepositoryLinkFailed")
    assert failed["error"] == "HostSetupTimedOut"
    assert failed["hostDeleted"] is False
    assert "Delete the pending host" not in result.states_entered
    assert list(standins.connections.hosts) == [HOST_ARN.rsplit("/", 1)[-1]]


def test_a_lost_create_host_answer_leaves_exactly_one_host_counted_as_created(
    run_onboarding: Any, host_request: dict
) -> None:
    # Given CreateHost takes effect and its answer is lost (a read timeout)
    lost = FaultRule("LostResponse", "codeconnections:CreateHost", 1.0, times=1)
    result, standins = run_onboarding(host_request, faults=[lost])
    assert standins.faults_injected == {"codeconnections:CreateHost:LostResponse": 1}
    # Then CreateHost was sent once (no SDK retry: host names are not unique), the step was
    # retried by the state machine, found the host by its ownership tags and adopted it
    assert result.api_calls["codeconnections:CreateHost"] == 1
    assert result.status == "SUCCEEDED", result.error
    (host,) = standins.connections.hosts.values()
    assert host.tags["repolink:request-id"] == result.execution_arn.rsplit(":", 1)[-1]
    done = only(result, "RepositoryLinkCompleted")
    assert done["host"]["arn"] == host.arn
    assert done["host"]["created"] is True


def test_a_vpc_host_passes_vpc_config_initializing_then_is_set_up(
    run_onboarding: Any, host_request: dict
) -> None:
    host_request["connection"]["host"]["vpcConfiguration"] = VPC
    result, standins = run_onboarding(host_request, handshake=HandshakePolicy("after", 2))
    assert result.status == "SUCCEEDED", result.error
    (host,) = standins.connections.hosts.values()
    assert host.vpc == {
        "VpcId": VPC["vpcId"],
        "SubnetIds": VPC["subnetIds"],
        "SecurityGroupIds": VPC["securityGroupIds"],
    }
    pending = only(result, "HostPendingSetup")
    assert pending["host"]["status"] == "VPC_CONFIG_INITIALIZING"
    import json

    seen = [
        json.loads(e["stateExitedEventDetails"]["output"])["result"]["host"]["host"]["status"]
        for e in result.history
        if e.get("stateExitedEventDetails", {}).get("name") == "Check the host setup"
    ]
    assert seen[0] == "PENDING"
    assert seen[-1] == "AVAILABLE"


def test_a_vpc_host_whose_network_fails_is_deleted_and_the_failure_names_the_step(
    run_onboarding: Any, host_request: dict
) -> None:
    host_request["connection"]["host"]["vpcConfiguration"] = VPC
    result, standins = run_onboarding(host_request, handshake=HandshakePolicy("error"))
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("HostSetup", "HostSetupFailed")
    assert "VPC_CONFIG_FAILED_INITIALIZATION" in failed["cause"]
    assert failed["hostDeleted"] is True
    assert standins.connections.hosts == {}


def test_a_host_that_was_set_up_is_kept_when_the_handshake_after_it_fails(
    run_onboarding: Any, host_request: dict
) -> None:
    # Given a host a person sets up, and a handshake the provider refuses (cleanup asked)
    result, standins = run_onboarding(host_request, handshake=HandshakePolicy("error"))
    failed = only(result, "RepositoryLinkFailed")
    assert (failed["step"], failed["error"]) == ("Handshake", "HandshakeFailed")
    # Then the connection made on it goes, the host stays (a retry reuses it), and says so
    assert failed["connectionDeleted"] is True
    assert standins.connections.list() == []
    (host,) = standins.connections.hosts.values()
    assert host.status == "AVAILABLE"
    assert failed["hostDeleted"] is False
    assert failed["host"]["arn"] == host.arn
    assert host.arn in failed["arns"]
    assert "Delete the pending host" not in result.states_entered


TEAM, OTHER_TEAM = "210987654321", "111111111111"


def on_host_by_arn(name: str = "team-ghes") -> dict[str, Any]:
    return {"connection": {"name": name, "provider": "GitHubEnterpriseServer", "hostArn": HOST_ARN}}


@pytest.mark.parametrize(
    ("owner", "accepted"),
    [(OTHER_TEAM, False), (ACCOUNT, False), (TEAM, True), (None, True)],
    ids=["another team's", "the deployment's onboardings'", "the team's own", "made by hand"],
)
def test_a_host_named_by_arn_is_refused_at_accept_when_repolink_made_it_for_another_account(
    owner: str | None, accepted: bool
) -> None:
    import json

    from repolink_local.engine import LocalEngine
    from repolink_local.template import SAMPLE_PARAMETERS

    tags = {} if owner is None else {"repolink:request-id": "rl-earlier", "repolink:owner-account": owner}
    parameters = {**SAMPLE_PARAMETERS, "AllowedAccountIds": f"{TEAM},{OTHER_TEAM}"}
    # the handshake completes, so no execution outlives the engine (its thread would answer the
    # next test's calls)
    standins = StandIns(handshake=HandshakePolicy("after", 1))
    with LocalEngine(standins, parameters=parameters) as engine:
        standins.connections.add_host(
            HOST_ARN,
            "GitHubEnterpriseServer",
            "AVAILABLE",
            name="acme-ghes",
            endpoint="https://ghe.example.com",
            tags=tags,
        )
        code, _, answer = engine.api(
            "POST",
            "/links",
            json.dumps(on_host_by_arn()),
            headers={"Content-Type": "application/json"},
            caller_account=TEAM,
        )
        started = engine.executions()
        if accepted:
            assert code == 202, answer
            assert engine.wait(answer["executionArn"], deadline_seconds=60).status == "SUCCEEDED"
            return
    assert code == 422, answer
    assert [e["field"] for e in answer["errors"]] == ["connection.hostArn"]
    assert owner not in json.dumps(answer)
    assert started == []


def test_a_host_named_by_arn_that_became_another_teams_fails_the_step_and_makes_no_connection(
    run_onboarding: Any,
) -> None:
    # Given a host another team's onboarding made (the task checks again what accept checked)
    result, standins = run_onboarding(
        on_host_by_arn(), prepare=earlier_host(**{"repolink:owner-account": OTHER_TEAM})
    )
    failed = only(result, "RepositoryLinkFailed")
    assert failed["error"] == "HostNotOwned", failed
    assert OTHER_TEAM not in failed["cause"]
    assert standins.connections.list() == []
