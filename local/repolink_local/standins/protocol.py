"""The server side of botocore's wire protocols, driven by botocore's own service models.

For each service this decodes a request into the operation's input parameters (keyed by
member name), validates them as the service would (required members, enums, lengths,
patterns, list and number limits: what botocore's client does not check), and encodes the
output or an error so that botocore's parser reads it back exactly as from AWS.
Protocols: ``json`` (apprunner, codestar-connections, proton), ``smithy-rpc-v2-cbor``
(codeconnections) and ``rest-json`` (codeartifact).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
import cbor2
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.model import OperationModel, ServiceModel, Shape
from moto.core.botocore_stubber import MockRawResponse

#: HTTP status for the error codes the stand-ins raise or inject
STATUS = {
    "ValidationException": 400,
    "InvalidRequestException": 400,
    "InvalidInputException": 400,
    "ConflictException": 409,
    "ResourceNotFoundException": 404,
    "ResourceUnavailableException": 400,
    "LimitExceededException": 400,
    "ServiceQuotaExceededException": 402,
    "ThrottlingException": 429,
    "TooManyRequestsException": 429,
    "AccessDeniedException": 403,
    "InternalServerException": 500,
    "InternalServiceErrorException": 500,
    "ServiceUnavailableException": 503,
}


class ServiceError(Exception):
    """An AWS error response: code, message, HTTP status and any extra modeled fields/headers."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status or STATUS.get(code, 400)
        self.headers = headers or {}
        #: the error shape's other members (CodeArtifact's ServiceQuotaExceededException: resourceType)
        self.fields = fields or {}


@cache
def service_model(name: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(name)


@cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # Java-only constructs such as \P{C}: checked by the service module instead
        return None


def broken(where: str, rule: str, value: object = None) -> str:
    shown = "" if value is None else f" '{value}'"
    return f"Value{shown} at '{where}' failed to satisfy constraint: Member must {rule}"


def validate(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """Every constraint violation, in AWS's words, with the member path."""
    if shape is None:
        return []
    where = path or "input"
    problems: list[str] = []
    meta = shape.metadata
    if shape.type_name == "structure":
        if not isinstance(value, dict):
            return [broken(where, "be a structure")]
        prefix = f"{path}." if path else ""
        for member in shape.required_members:
            if value.get(member) is None:
                problems.append(
                    f"Value null at '{prefix}{member}' failed to satisfy constraint: Member must not be null"
                )
        for name, member_shape in shape.members.items():
            if value.get(name) is not None:
                problems += validate(member_shape, value[name], f"{prefix}{name}")
    elif shape.type_name == "string":
        text = str(value)
        if shape.enum and text not in shape.enum:
            problems.append(broken(where, f"satisfy enum value set: {shape.enum}", text))
        if "min" in meta and len(text) < meta["min"]:
            problems.append(broken(where, f"have length greater than or equal to {meta['min']}"))
        if "max" in meta and len(text) > meta["max"]:
            problems.append(broken(where, f"have length less than or equal to {meta['max']}"))
        compiled = _pattern(meta["pattern"]) if "pattern" in meta else None
        if compiled is not None:
            anchored = meta["pattern"].startswith("^")
            if not (compiled.search(text) if anchored else compiled.fullmatch(text)):
                problems.append(broken(where, f"satisfy regular expression pattern: {meta['pattern']}", text))
    elif shape.type_name in ("list", "map"):
        size = len(value)
        if "min" in meta and size < meta["min"]:
            problems.append(broken(where, f"have length greater than or equal to {meta['min']}"))
        if "max" in meta and size > meta["max"]:
            problems.append(broken(where, f"have length less than or equal to {meta['max']}"))
        if shape.type_name == "list":
            for i, item in enumerate(value):
                problems += validate(shape.member, item, f"{where}.{i + 1}.member")
        else:
            for key, item in value.items():
                problems += validate(shape.key, key, f"{where}.key")
                problems += validate(shape.value, item, f"{where}.{key}")
    elif shape.type_name in ("integer", "long"):
        if "min" in meta and value < meta["min"]:
            problems.append(broken(where, f"have value greater than or equal to {meta['min']}", value))
        if "max" in meta and value > meta["max"]:
            problems.append(broken(where, f"have value less than or equal to {meta['max']}", value))
    return problems


def _scalar(shape: Shape, text: str) -> Any:
    if shape.type_name in ("integer", "long"):
        return int(text)
    if shape.type_name == "boolean":
        return text.lower() == "true"
    return text


def _epoch(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


class Codec:
    """Decode requests and encode responses for one service."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.model = service_model(service)
        self.protocol = self.model.resolved_protocol  # what botocore clients actually speak

    def operation(self, name: str) -> OperationModel:
        return self.model.operation_model(name)

    def decode(self, operation: OperationModel, request: AWSPreparedRequest) -> dict[str, Any]:
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        if self.protocol == "smithy-rpc-v2-cbor":
            decoded = cbor2.loads(body) if body else {}
            return dict(decoded or {})
        if self.protocol == "json":
            return dict(json.loads(body)) if body else {}
        return self._decode_rest_json(operation, request, body)

    def _decode_rest_json(
        self, operation: OperationModel, request: AWSPreparedRequest, body: bytes
    ) -> dict[str, Any]:
        url = urlsplit(request.url)
        query = {k: v for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        labels = self._labels(operation.http["requestUri"].split("?")[0], unquote(url.path))
        shape = operation.input_shape
        params: dict[str, Any] = {}
        body_members = {}
        for name, member in shape.members.items() if shape else []:
            location = member.serialization.get("location")
            wire = member.serialization.get("name", name)
            if location == "querystring" and wire in query:
                values = query[wire]
                params[name] = (
                    [_scalar(member.member, v) for v in values]
                    if member.type_name == "list"
                    else _scalar(member, values[0])
                )
            elif location == "uri" and wire in labels:
                params[name] = _scalar(member, labels[wire])
            elif location == "header" and wire in request.headers:
                params[name] = _scalar(member, request.headers[wire])
            elif location is None:
                body_members[name] = member
        if body and body_members:
            payload = json.loads(body)
            params.update({k: v for k, v in payload.items() if k in body_members})
        return params

    @staticmethod
    def _labels(template: str, path: str) -> dict[str, str]:
        regex = re.sub(
            r"\\\{([^}+]+)(\\\+)?\\\}",
            lambda m: f"(?P<{m.group(1)}>{'.+' if m.group(2) else '[^/]+'})",
            re.escape(template),
        )
        match = re.fullmatch(regex, path)
        return match.groupdict() if match else {}

    def _response(
        self, request: AWSPreparedRequest, status: int, headers: dict[str, str], body: bytes
    ) -> AWSResponse:
        headers = {"x-amzn-requestid": "standin-request", **headers}
        return AWSResponse(request.url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]

    def encode(
        self, request: AWSPreparedRequest, operation: OperationModel, output: dict[str, Any]
    ) -> AWSResponse:
        if self.protocol == "smithy-rpc-v2-cbor":
            body = cbor2.dumps(output, datetime_as_timestamp=True, timezone=dt.UTC)
            return self._response(
                request, 200, {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}, body
            )
        return self._response(
            request, 200, {"content-type": "application/json"}, json.dumps(output, default=_epoch).encode()
        )

    def error(self, request: AWSPreparedRequest, error: ServiceError) -> AWSResponse:
        headers = dict(error.headers)
        if self.protocol == "smithy-rpc-v2-cbor":
            body = cbor2.dumps({"__type": error.code, "message": error.message, **error.fields})
            headers |= {"smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor"}
        elif self.protocol == "json":
            body = json.dumps({"__type": error.code, "message": error.message, **error.fields}).encode()
            headers |= {"content-type": "application/x-amz-json-1.0"}
        else:
            body = json.dumps({"message": error.message, **error.fields}).encode()
            headers |= {"x-amzn-ErrorType": error.code, "content-type": "application/json"}
        return self._response(request, error.status, headers, body)
