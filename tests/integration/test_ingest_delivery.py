"""An EventBridge request is never lost: the ingest answers it (started or rejected), or, when it
cannot, Lambda's asynchronous retries end in the on-failure destination (alarmed)."""

from __future__ import annotations

from typing import Any

import pytest

from repolink_local.engine import EntryTooLarge, LocalEngine
from repolink_local.standins import HandshakePolicy, StandIns
from repolink_local.template import SAMPLE_PARAMETERS

pytestmark = pytest.mark.integration

OTHER_TEAM = "210987654321"
INGEST = "repolink-IngestEventFunction"


def engine_with(revoked: frozenset[tuple[str, str]] = frozenset()) -> LocalEngine:
    return LocalEngine(
        StandIns(handshake=HandshakePolicy("after", 1)),
        parameters={"AllowedAccountIds": OTHER_TEAM, **SAMPLE_PARAMETERS},
        revoked=revoked,
        log_level="CRITICAL",
    )


def ingest_of(engine: LocalEngine) -> str:
    return next(
        name for name, spec in engine.functions.items() if spec.handler.endswith("ingest_event.handler")
    )


def test_a_failure_retrying_cannot_fix_is_answered_with_a_rejection_naming_the_reason(
    sample_event: Any,
) -> None:
    # the ingest may not start executions (a broken deployment): the sender hears why, at once
    with engine_with(frozenset({("IngestEventFunctionRole", "states:StartExecution")})) as engine:
        # the sample as another account sends it: no gitSync (it names a role of this account)
        request = {k: v for k, v in sample_event("onboarding.json").items() if k != "gitSync"}
        answer = engine.put_event({"request": request}, account=OTHER_TEAM)
        assert answer["status"] == "rejected"
        (rejected,) = [
            e["detail"] for e in engine.emitted_events() if e["detail-type"] == "RepositoryLinkRejected"
        ]
        assert "could not be started" in rejected["reason"] and "AccessDenied" in rejected["reason"]
        assert engine.executions() == []
        assert engine.failed_invocations(ingest_of(engine)) == []


def test_an_event_the_ingest_cannot_answer_ends_in_the_failure_queue_after_two_retries(
    sample_event: Any,
) -> None:
    # neither start nor reject works (PutEvents of the rejection is denied too)
    revoked = frozenset(
        {
            ("IngestEventFunctionRole", "states:StartExecution"),
            ("IngestEventFunctionRole", "events:PutEvents"),
        }
    )
    with engine_with(revoked) as engine:
        before = engine.clock.now()
        answer = engine.put_event(
            {"request": sample_event("onboarding.json")}, account=OTHER_TEAM, event_id="e-1"
        )
        # Lambda tried three times, a minute then two minutes apart, then kept the record
        assert answer["status"] == "failed" and answer["attempts"] == 3
        assert engine.clock.now() - before >= 180
        (record,) = engine.failed_invocations(ingest_of(engine))
        assert record["requestContext"]["condition"] == "RetriesExhausted"
        assert record["requestContext"]["approximateInvokeCount"] == 3
        assert record["requestPayload"]["id"] == "e-1"
        assert record["requestPayload"]["detail"]["request"] == sample_event("onboarding.json")
        assert "AccessDenied" in record["responsePayload"]["errorMessage"]
        assert engine.executions() == []


def test_the_failure_queue_is_alarmed_and_the_ingest_may_send_to_it_only() -> None:
    with engine_with() as engine:
        resources = engine.template.resources
        alarm = resources["IngestFailureQueueAlarm"]["Properties"]
        assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["IngestFailureQueue", "QueueName"]}
        config = resources["IngestEventFunction"]["Properties"]["EventInvokeConfig"]
        assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["IngestFailureQueue", "Arn"]
        }


def test_an_entry_over_eventbridges_limit_never_reaches_the_ingest() -> None:
    with engine_with() as engine:
        with pytest.raises(EntryTooLarge):
            engine.put_event({"request": {"pad": "x" * 262_144}}, account=OTHER_TEAM)
        assert engine.failed_invocations(ingest_of(engine)) == []
