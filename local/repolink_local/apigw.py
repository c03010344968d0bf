"""API Gateway REST (v1) proxy events, as API Gateway builds them for an IAM-authenticated call."""

from __future__ import annotations

import uuid
from typing import Any

from repolink_local.template import REGION


def proxy_event(
    method: str, path: str, body: str | None, headers: dict[str, str], caller_account: str
) -> dict[str, Any]:
    resource = "/links/{request_id}" if path.startswith("/links/") else path
    path_parameters = {"request_id": path.rsplit("/", 1)[-1]} if resource == "/links/{request_id}" else None
    all_headers = {"Host": f"abc123.execute-api.{REGION}.amazonaws.com", **headers}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/v1{path}",
            "stage": "v1",
            "requestId": str(uuid.uuid4()),
            "accountId": caller_account,
            "apiId": "abc123",
            "identity": {
                "accountId": caller_account,
                "caller": f"AROAEXAMPLE:{caller_account}",
                "userArn": f"arn:aws:sts::{caller_account}:assumed-role/platform/session",
                "sourceIp": "203.0.113.10",
                "user": "AROAEXAMPLE:session",
            },
            "requestTimeEpoch": 1763769600000,
        },
        "body": body,
        "isBase64Encoded": False,
    }
