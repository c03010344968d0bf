"""workflow/hosts.py against an in-memory Hosts: reuse, the wait's rules, cleanup's rules."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from repolink.adapters.connections import Host
from repolink.errors import HostConflict, HostNotFound, HostNotOwned, HostSetupFailed, HostSetupTimedOut
from repolink.models.sections import ConnectionSpec, HostSpec
from repolink.models.state.common import HostSetup, HostState, PollState
from repolink.workflow import hosts
from repolink.workflow.backoff import MAX_CHECKS
from repolink.workflow.tenancy import OWNER_TAG, REQUEST_TAG

pytestmark = pytest.mark.unit

ARN = "arn:aws:codeconnections:us-east-1:111111111111:host/acme-ghes-{}"
TEAM, OTHER_TEAM = "111111111111", "222222222222"
SPEC = ConnectionSpec(
    name="acme-ghes",
    provider="GitHubEnterpriseServer",
    host=HostSpec(name="acme-ghes", provider_endpoint="https://ghe.example.com"),
)


@dataclass
class FakeHosts:
    service: Any = "codeconnections"
    items: dict[str, Host] = field(default_factory=dict)
    tag_sets: dict[str, dict[str, str]] = field(default_factory=dict)
    on_host: dict[str, list[str]] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    created: int = 0

    def add(self, status: str = "AVAILABLE", endpoint: str = "https://ghe.example.com", **tags: str) -> Host:
        self.created += 1
        host = Host(ARN.format(self.created), "acme-ghes", "GitHubEnterpriseServer", endpoint, status)
        self.items[host.arn], self.tag_sets[host.arn] = host, dict(tags)
        return host

    def find_by_name(self, name: str) -> list[Host]:
        return [h for h in self.items.values() if h.name == name]

    def create(self, name: str, provider: str, endpoint: str, vpc: Any, tags: dict[str, str]) -> Host:
        return self.add("VPC_CONFIG_INITIALIZING" if vpc else "PENDING", endpoint, **tags)

    def get(self, arn: str) -> Host:
        if arn not in self.items:
            raise HostNotFound(arn)
        return self.items[arn]

    def tags(self, arn: str) -> dict[str, str]:
        return self.tag_sets[arn]

    def delete(self, arn: str) -> None:
        self.deleted.append(arn)
        self.items.pop(arn)

    def connections_on(self, arn: str) -> list[str]:
        return self.on_host.get(arn, [])

    def console_url(self, arn: str, region: str) -> str:
        return f"https://console/{arn}"


def ours(request_id: str = "rl-this") -> dict[str, str]:
    return {REQUEST_TAG: request_id, OWNER_TAG: TEAM}


def setup(fake: FakeHosts, request_id: str = "rl-this") -> HostSetup:
    return hosts.create_or_reuse(
        fake,
        SPEC,
        request_id=request_id,
        region="us-east-1",
        first_wait=15,
        caller=TEAM,
    )


def state(host: Host, *, created: bool = True) -> HostState:
    return HostState(
        arn=host.arn,
        name=host.name,
        service="codeconnections",
        provider=host.provider,
        provider_endpoint=host.endpoint,
        status=host.status,
        created=created,
        console_url="https://console",
    )


def test_a_new_host_carries_the_ownership_tags_and_counts_as_created() -> None:
    fake = FakeHosts()
    made = setup(fake)
    assert made.host.created is True
    assert made.host.status == "PENDING"
    assert fake.tag_sets[made.host.arn] == ours()
    assert made.poll == PollState(attempt=0, wait_seconds=15, waited_seconds=0)


def test_our_earlier_host_of_that_name_and_endpoint_is_reused_not_created() -> None:
    fake = FakeHosts()
    earlier = fake.add(**ours("rl-earlier"))
    made = setup(fake)
    assert made.host.arn == earlier.arn
    assert made.host.created is False
    assert fake.created == 1


def test_the_host_this_request_made_before_a_lost_answer_is_adopted_as_created() -> None:
    fake = FakeHosts()
    lost = fake.add("PENDING", **ours())
    made = setup(fake)
    assert (made.host.arn, made.host.created) == (lost.arn, True)
    assert fake.created == 1


def test_our_host_at_another_endpoint_is_a_conflict_naming_the_endpoint() -> None:
    fake = FakeHosts()
    fake.add(endpoint="https://git.example.com", **ours("rl-earlier"))
    with pytest.raises(HostConflict, match=r"connection\.host\.providerEndpoint.*git\.example\.com"):
        setup(fake)
    assert hosts.refusal(fake, SPEC, caller=TEAM).field == "connection.host.providerEndpoint"


@pytest.mark.parametrize("tags", [{OWNER_TAG: OTHER_TEAM, REQUEST_TAG: "rl-theirs"}, {}])
def test_another_teams_host_or_one_made_by_hand_is_never_used(tags: dict[str, str]) -> None:
    fake = FakeHosts()
    fake.add(**tags)
    with pytest.raises(HostNotOwned) as caught:
        setup(fake)
    assert OTHER_TEAM not in str(caught.value)
    refused = hosts.refusal(fake, SPEC, caller=TEAM)
    assert refused is not None
    assert refused.field == "connection.host.name"
    assert OTHER_TEAM not in refused.message


def test_a_vpc_host_is_waited_through_vpc_config_initializing() -> None:
    fake = FakeHosts()
    host = fake.add("VPC_CONFIG_INITIALIZING", **ours())
    checked = hosts.check_setup(
        fake,
        state(host),
        PollState(attempt=0, wait_seconds=15, waited_seconds=0),
        timeout_hours=1,
        base=15,
        cap=300,
        request_id="rl-this",
    )
    assert checked.host.status == "VPC_CONFIG_INITIALIZING"
    assert checked.poll.attempt == 1
    assert checked.poll.wait_seconds > 0


@pytest.mark.parametrize(
    "status", ["VPC_CONFIG_FAILED_INITIALIZATION", "VPC_CONFIG_DELETING", "SOMETHING_NEW"]
)
def test_a_host_that_cannot_come_back_fails_at_once(status: str) -> None:
    fake = FakeHosts()
    host = fake.add(status, **ours())
    with pytest.raises(HostSetupFailed, match=status):
        hosts.check_setup(
            fake,
            state(host),
            PollState(attempt=0, wait_seconds=15, waited_seconds=0),
            timeout_hours=1,
            base=15,
            cap=300,
            request_id="rl-this",
        )


def test_a_host_deleted_meanwhile_fails_the_setup() -> None:
    fake = FakeHosts()
    host = fake.add("PENDING", **ours())
    fake.items.clear()
    with pytest.raises(HostSetupFailed, match="deleted"):
        hosts.check_setup(
            fake,
            state(host),
            PollState(attempt=0, wait_seconds=15, waited_seconds=0),
            timeout_hours=1,
            base=15,
            cap=300,
            request_id="rl-this",
        )


def test_the_wait_stops_at_the_deadline_and_at_the_history_budget() -> None:
    fake = FakeHosts()
    host = fake.add("PENDING", **ours())
    with pytest.raises(HostSetupTimedOut, match="after 1h"):
        hosts.check_setup(
            fake,
            state(host),
            PollState(attempt=3, wait_seconds=600, waited_seconds=3000),
            timeout_hours=1,
            base=15,
            cap=300,
            request_id="rl-this",
        )
    with pytest.raises(HostSetupTimedOut, match="history"):
        hosts.check_setup(
            fake,
            state(host),
            PollState(attempt=MAX_CHECKS - 1, wait_seconds=1, waited_seconds=0),
            timeout_hours=168,
            base=15,
            cap=300,
            request_id="rl-this",
        )


def test_the_handshake_poll_continues_the_hosts_and_never_passes_the_deadline() -> None:
    host = state(FakeHosts().add())
    done = HostSetup(host=host, poll=PollState(attempt=7, wait_seconds=0, waited_seconds=1200))
    poll = hosts.handshake_poll(done, timeout_hours=1, base=15, cap=300, request_id="rl-this")
    assert (poll.attempt, poll.waited_seconds) == (7, 1200)
    assert 0 < poll.wait_seconds <= 300
    at_deadline = replace(done, poll=PollState(attempt=20, wait_seconds=0, waited_seconds=3600))
    late = hosts.handshake_poll(at_deadline, timeout_hours=1, base=15, cap=300, request_id="rl-this")
    assert late.wait_seconds == 0  # one check, then the handshake's own timeout and cleanup


@pytest.mark.parametrize(
    ("created", "status", "connections", "deleted"),
    [
        (True, "PENDING", [], True),
        (True, "VPC_CONFIG_FAILED_INITIALIZATION", [], True),
        (False, "PENDING", [], False),  # reused: never ours to delete
        (True, "AVAILABLE", [], False),  # set up just as the timeout fired
        (True, "VPC_CONFIG_INITIALIZING", [], False),  # DeleteHost refuses it
        (True, "PENDING", ["arn:aws:codeconnections:us-east-1:111111111111:connection/x"], False),
    ],
)
def test_cleanup_deletes_only_our_unset_unused_host(
    created: bool, status: str, connections: list[str], deleted: bool
) -> None:
    fake = FakeHosts()
    host = fake.add(status, **ours())
    fake.on_host[host.arn] = connections
    assert hosts.clean_up(fake, state(host, created=created)) is deleted
    assert (fake.deleted == [host.arn]) is deleted


def test_cleanup_of_a_host_already_gone_is_a_no_op() -> None:
    fake = FakeHosts()
    host = fake.add("PENDING", **ours())
    fake.items.clear()
    assert hosts.clean_up(fake, state(host)) is False
