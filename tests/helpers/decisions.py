"""The deployment and Step Functions as the verbs' decisions see them (``workflow.change``,
``workflow.offboard``, ``workflow.listing``), for unit tests that give Step Functions' answers."""

from collections.abc import Iterator
from typing import Any

from repolink.workflow.lifecycle import Claims

#: the onboarding's claims (workflow.lifecycle) as a first claim finds them: none, and every claim granted
UNCLAIMED: dict[str, Any] = {"read_claims": lambda request_id: Claims(), "claim": lambda *claim: None}

OWN, TEAM = "123456789012", "210987654321"
ONBOARDING = "arn:aws:states:us-east-1:123456789012:stateMachine:OnboardingStateMachine"
OFFBOARDING = "arn:aws:states:us-east-1:123456789012:stateMachine:OffboardingStateMachine"
ID = "rl-" + "a" * 40


def no_pages(**_: Any) -> Iterator[list[dict[str, Any]]]:
    """An execution history with no pages."""
    return iter([])
