import pytest

from repolink.workflow.backoff import next_wait, poll_delay

pytestmark = pytest.mark.unit


def test_delay_doubles_from_base_until_the_cap() -> None:
    # Given no jitter, When the attempts grow, Then the delay doubles and stops at the cap
    delays = [poll_delay(a, base=15, cap=300, jitter=0) for a in range(8)]
    assert delays == [15, 30, 60, 120, 240, 300, 300, 300]


def test_jitter_stays_within_ten_percent_below_and_is_reproducible() -> None:
    for attempt in range(10):
        raw = min(300, 15 * 2**attempt)
        delay = poll_delay(attempt, base=15, cap=300, request_id="rl-abc")
        assert raw * 0.9 - 1 <= delay <= raw
        assert delay == poll_delay(attempt, base=15, cap=300, request_id="rl-abc")


def test_jitter_differs_between_onboardings() -> None:
    delays = {poll_delay(6, base=15, cap=300, request_id=f"rl-{i}") for i in range(20)}
    assert len(delays) > 5


def test_negative_attempt_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        poll_delay(-1, base=15, cap=300)


def test_next_wait_never_passes_the_deadline() -> None:
    assert next_wait(10, waited=3500, timeout=3600, base=15, cap=300) == 100
    assert next_wait(10, waited=3600, timeout=3600, base=15, cap=300) == 0


def test_one_hour_of_waiting_costs_few_checks() -> None:
    # Given the default schedule, When a handshake takes an hour, Then we check at most 20 times
    waited, checks = 0, 0
    while waited < 3600:
        waited += next_wait(checks, waited, 3600, base=15, cap=300, request_id="rl-x")
        checks += 1
    assert checks <= 20  # 3 transitions per check: well under 60 transitions per hour
