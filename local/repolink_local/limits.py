"""AWS's payload limits, as the local engine measures and enforces them, and the largest request.

- **Step Functions**: 256 KiB per state input or output. moto's interpreter already refuses a
  larger state output or task result (``States.DataLimitExceeded``, measured on its
  ``json.dumps`` with spaces and ASCII escapes, so more strictly than AWS's UTF-8 bytes);
  :func:`largest_payload` measures every payload of a history as AWS counts it.
  The 25,000-event history quota is :func:`repolink_local.patches.history_quota`.
- **EventBridge**: a PutEvents entry is at most 256 KiB, counted as AWS documents it
  (:func:`entry_size`), enforced on every PutEvents the engine serves (:func:`eventbridge_entries`).
- **Lambda**: 6 MB per synchronous request and response (:data:`LAMBDA_PAYLOAD_MAX`, enforced by
  the engine's dispatch); asynchronous invocation, its retries and its on-failure destination
  are :meth:`repolink_local.engine.LocalEngine.invoke_async`.

:func:`largest_request` builds the request that makes the states as large as a request within
the API's limit can: every section at its most repositories, with the longest names and every
upstream, which the results repeat (names, ARNs, upstreams); tags, which they don't, fill the rest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from repolink.models.api import MAX_BODY_BYTES
from repolink.models.sections import REPOSITORIES_MAX, UPSTREAMS_MAX

#: Step Functions: "Maximum input or output size for a state, task or execution: 256 KiB of data
#: as a UTF-8 encoded string" (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html)
STATE_BYTES_MAX = 256 * 1024
#: EventBridge: "The maximum size for a PutEvents event entry is 256 KB"
#: (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html)
ENTRY_BYTES_MAX = 256 * 1024

#: Lambda: "Invocation payload (request and response): 6 MB each for synchronous" (6,291,456
#: bytes; https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). Asynchronous
#: invocations here come only from EventBridge, whose 256 KiB entry is the tighter bound.
LAMBDA_PAYLOAD_MAX = 6 * 1024 * 1024

_PAYLOAD_KEYS = ("input", "output", "parameters")


def largest_payload(history: list[dict[str, Any]]) -> tuple[int, str]:
    """The largest payload in an execution's history (UTF-8 bytes) and the event it is in."""
    largest, where = 0, ""
    for event in history:
        for key, details in event.items():
            if not key.endswith("EventDetails") or not isinstance(details, dict):
                continue
            for field in _PAYLOAD_KEYS:
                text = details.get(field)
                if isinstance(text, str) and len(text.encode()) > largest:
                    largest = len(text.encode())
                    where = f"{event['type']} #{event['id']} {details.get('name', '')}".strip()
    return largest, where


def entry_size(entry: dict[str, Any]) -> int:
    """A PutEvents entry's size as EventBridge counts it
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): Time is 14
    bytes; Source, DetailType, Detail and each Resources entry their UTF-8 bytes."""
    size = 14 if entry.get("Time") is not None else 0
    for field in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(field) or "").encode())
    return size + sum(len(str(r).encode()) for r in entry.get("Resources") or [])


def _too_large(entries: list[dict[str, Any]]) -> tuple[AWSResponse, dict[str, Any]] | None:
    total = sum(entry_size(e) for e in entries)
    if total <= ENTRY_BYTES_MAX:
        return None
    message = "Total size of the entries in the request is over the limit."
    headers = {"x-amzn-requestid": "local-limits", "x-amzn-errortype": "ValidationException"}
    http = AWSResponse("", 400, headers, MockRawResponse(b""))  # type: ignore[arg-type]
    parsed = {
        "Error": {"Code": "ValidationException", "Message": f"{message} ({total} bytes)"},
        "ResponseMetadata": {"HTTPStatusCode": 400, "HTTPHeaders": headers},
    }
    return http, parsed


@contextmanager
def eventbridge_entries() -> Iterator[None]:
    """Every PutEvents made from now (by a function, or by the interpreter) is refused with
    ``ValidationException`` when its entries are over 256 KiB, before moto sees it."""
    from repolink_local.patches import HOOK_LIMITS, hook

    def check(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        # ``params`` is the serialised request: EventBridge's is JSON, Entries as the API names them
        body = params.get("body") or b"{}"
        return _too_large(list(json.loads(body).get("Entries") or []))

    with hook("before-call.eventbridge.PutEvents", check, HOOK_LIMITS):
        yield


def largest_request(*, account: str = "123456789012", limit: int = MAX_BODY_BYTES) -> dict[str, Any]:
    """A valid request of at most ``limit`` bytes that makes the workflow's states as large as it can."""
    ca_max = botocore.session.get_session().get_service_model("codeartifact")
    name_max = ca_max.shape_for("RepositoryName").metadata["max"]

    def repo_name(i: int) -> str:
        return f"r{i:03d}".ljust(name_max, "x")

    def proton_name(i: int) -> str:
        return f"o{i:03d}".ljust(49, "x") + "/" + f"p{i:03d}".ljust(50, "x")

    def size(request: dict[str, Any]) -> int:
        return len(json.dumps(request, separators=(",", ":")).encode())

    request: dict[str, Any] = {
        "connection": {"service": "codeconnections", "name": "n" * 32, "provider": "GitHub", "tags": {}},
        "proton": {"repositories": [{"name": proton_name(i)} for i in range(REPOSITORIES_MAX)]},
        "codeartifact": {
            "domain": "d" * 50,
            "domainOwner": account,
            "createDomain": True,
            "repositories": [],
        },
        "handshakeTimeoutHours": 1,
        "cleanupOnTimeout": True,
    }
    repositories: list[dict[str, Any]] = request["codeartifact"]["repositories"]
    for i in range(REPOSITORIES_MAX):
        repo: dict[str, Any] = {"name": repo_name(i)}
        if i:
            repo["upstreams"] = [repo_name(j) for j in range(max(0, i - UPSTREAMS_MAX), i)]
        repositories.append(repo)
        if size(request) > limit:
            repositories.pop()
            break
    tags = request["connection"]["tags"]
    for i in range(198):
        tags[f"k{i:03d}".ljust(128, "k")] = "v" * 256
        if size(request) > limit:
            del tags[f"k{i:03d}".ljust(128, "k")]
            break
    room = limit - size(request)
    if room > len('"k":""') + 8:
        key = f"z{len(tags):03d}"
        tags[key] = "v" * min(256, room - len(f',"{key}":""'))
        while size(request) > limit:
            tags[key] = tags[key][:-1]
    return request
