"""EventBridge: put our result events on the application's own bus."""

import json
from collections.abc import Mapping
from typing import Any

from repolink.adapters.aws import TRANSIENT_CODES, call, client
from repolink.errors import AwsRequestRejected, TransientAwsError

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {"events": frozenset({"PutEvents"})}


def put_event(bus_name: str, source: str, detail_type: str, detail: Mapping[str, Any]) -> str:
    """Put one event and return its id; a failed entry is retried by the state machine."""
    response = call(
        client("events"),
        "PutEvents",
        Entries=[
            {
                "EventBusName": bus_name,
                "Source": source,
                "DetailType": detail_type,
                "Detail": json.dumps(detail, separators=(",", ":"), sort_keys=True),
            }
        ],
    )
    entry = response["Entries"][0]
    if response.get("FailedEntryCount", 0) or "EventId" not in entry:
        code = str(entry.get("ErrorCode", "InternalFailure"))
        error = TransientAwsError if code in TRANSIENT_CODES else AwsRequestRejected
        raise error("events", "PutEvents", code, str(entry.get("ErrorMessage", "")))
    return str(entry["EventId"])
