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
- **At deployment** (:func:`deployment_problems`, refused by the engine before it builds
  anything, as CloudFormation would fail the stack): a parameter value over 4,096 bytes, and what
  the template builds from its parameters (``!Split`` account lists, ``!Sub`` names) grown past
  its service's size: a function's environment variables, a role's inline policies, the bus's
  policy, the API's resource policy, the spoke's trust policy. Each problem names the limit and
  its documentation.

:func:`largest_request` builds the request that makes the states as large as a request within
the API's limit can: every section at its most repositories, with the longest names and every
upstream, which the results repeat (names, ARNs, upstreams); tags, which they don't, fill the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.awsrequest import AWSResponse
from moto.core.botocore_stubber import MockRawResponse

from repolink.models.api import MAX_BODY_BYTES
from repolink.models.sections import REPOSITORIES_MAX, UPSTREAMS_MAX
from repolink_local.template import LocalTemplate

if TYPE_CHECKING:
    from repolink_local.iam.deployment import Deployment

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


@dataclass(frozen=True)
class SizeLimit:
    """A size AWS refuses past, at deployment: what it bounds, the most, the unit, where it is said."""

    what: str
    most: int
    unit: str
    documentation: str

    def problem(self, name: str, size: int) -> str | None:
        if size <= self.most:
            return None
        return f"{name}: {self.what} is {size:,} {self.unit}; AWS allows {self.most:,} ({self.documentation})"


#: CloudFormation: "Parameter value: Maximum size of a parameter value: 4,096 bytes"
PARAMETER_VALUE = SizeLimit(
    "the parameter value",
    4096,
    "bytes",
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html",
)
#: Lambda: "Function environment variables: 4 KB, for all environment variables associated with
#: the function, in aggregate", measured on their JSON (Lambda's error quotes the "String measured")
ENVIRONMENT = SizeLimit(
    "the environment variables' JSON",
    4 * 1024,
    "bytes",
    "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
)
#: IAM: "Role policy size cannot exceed 10,240 characters" (the aggregate of a role's inline
#: policies; "IAM does not count white space"); a trust policy, 2,048 by default (adjustable)
ROLE_POLICIES = SizeLimit(
    "the aggregate of the role's inline policies",
    10_240,
    "characters",
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length",
)
TRUST_POLICY = SizeLimit(
    "the role trust policy",
    2048,
    "characters",
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length",
)
#: EventBridge: "Event bus policy size: 10,240. Maximum policy size, in characters" (adjustable)
BUS_POLICY = SizeLimit(
    "the event bus policy",
    10_240,
    "characters",
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
)
#: API Gateway: "Length, in characters, of API Gateway resource policy: 8192" (adjustable)
API_POLICY = SizeLimit(
    "the REST API's resource policy",
    8192,
    "characters",
    "https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html",
)


class DeploymentOverLimit(ValueError):
    """CloudFormation would fail the stack: a parameter, or what it builds, is over AWS's size."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parameter_problems(parameters: dict[str, str]) -> list[str]:
    """Each parameter value CloudFormation refuses, too long (UTF-8 bytes)."""
    found = (PARAMETER_VALUE.problem(name, len(value.encode())) for name, value in sorted(parameters.items()))
    return [problem for problem in found if problem is not None]


def _characters(document: Any) -> int:
    """A policy's size as IAM, EventBridge and API Gateway count it: its JSON, without white space."""
    return len(re.sub(r"\s", "", json.dumps(document, separators=(",", ":"))))


def deployment_problems(deployment: Deployment, api_id: str) -> list[str]:
    """What CloudFormation would fail to create for ``deployment``, past AWS's sizes: every
    parameter, every function's environment, every role's inline policies, the bus's and the
    API's resource policies, and, with a spoke role, the spoke's trust policy (its
    ``PlatformRoleArns`` are this deployment's roles)."""
    template = deployment.template
    found = parameter_problems(template.parameters)
    for function in LocalTemplate(
        template.path, template.account_id, template.region, template.parameters
    ).functions():
        size = len(json.dumps(function.environment, separators=(",", ":")).encode())
        found.append(ENVIRONMENT.problem(function.logical_id, size))
    for name, role in sorted(deployment.roles.items()):
        # the role's inline policies (a managed policy is attached by its ARN, and counted apart)
        inline = [document for key, document in role.policies.items() if not key.startswith("arn:")]
        found.append(ROLE_POLICIES.problem(name, sum(_characters(d) for d in inline)))
    for bus in template.resources_of_type("AWS::Events::EventBus"):
        name = template.physical_name(bus)
        found.append(BUS_POLICY.problem(name, _characters(deployment.bus_policy(name))))
    found.append(API_POLICY.problem("the API", _characters(deployment.api_policy(api_id))))
    if deployment.spoke_role_name:
        spoke = deployment.spoke(template.account_id)
        size = _characters(spoke.trust) + generated_names_growth(spoke.trust)
        found.append(TRUST_POLICY.problem(f"the spoke role {deployment.spoke_role_name}", size))
    return [problem for problem in found if problem is not None]


#: the longest role name IAM takes, and so the longest CloudFormation generates for a role it is
#: given no name for ("{stack name}-{logical id}-{random suffix}", cut to fit): the platform's
#: function roles, which the spoke's trust policy names by ARN
#: (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, RoleName: "Maximum
#: length of 64"; https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html)
GENERATED_ROLE_NAME_MAX = 64


def generated_names_growth(trust: Any) -> int:
    """How much longer ``trust`` is on AWS than here: the local world names the platform's roles
    by their logical ids (``ApiFunctionRole``), CloudFormation by a generated name of up to
    :data:`GENERATED_ROLE_NAME_MAX` characters, each time the trust names one."""
    text = json.dumps(trust)
    names = re.findall(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/([A-Za-z0-9+=,.@_-]+)", text)
    return sum(GENERATED_ROLE_NAME_MAX - len(name) for name in names)


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
