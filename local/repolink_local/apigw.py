"""API Gateway REST (v1) proxy events, as API Gateway builds them for an IAM-authenticated call."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from repolink_local.template import REGION, LocalTemplate


def routes_of(template: LocalTemplate) -> tuple[tuple[str, str], ...]:
    """(HTTP method, resource) of every method the REST API has, from SAM's translation of the
    template (e.g. ``("DELETE", "/links/{request_id}")``): the one list of routes."""
    (api,) = template.resources_of_type("AWS::ApiGateway::RestApi").values()
    return tuple(
        (method.upper(), path)
        for path, methods in api["Properties"]["Body"]["paths"].items()
        for method in methods
        if not method.startswith("x-")
    )


def route_functions(template: LocalTemplate) -> dict[tuple[str, str], str]:
    """The logical id of the function each route's integration invokes, by (HTTP method, resource):
    ``x-amazon-apigateway-integration``'s ``uri`` names it (``${ApiFunction.Arn}``)."""
    (api,) = template.resources_of_type("AWS::ApiGateway::RestApi").values()
    found = {}
    for path, methods in api["Properties"]["Body"]["paths"].items():
        for method, operation in methods.items():
            if method.startswith("x-"):
                continue
            uri = json.dumps(operation["x-amazon-apigateway-integration"]["uri"])
            function = re.search(r"functions/\$\{([A-Za-z0-9]+)\.Arn\}", uri)
            if function:
                found[(method.upper(), path)] = function.group(1)
    return found


def match(routes: tuple[tuple[str, str], ...], method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The resource serving ``method path`` and its path parameters, or None."""
    for route_method, resource in routes:
        names = re.findall(r"\{([^/]+?)\}", resource)
        regex = re.sub(r"\\\{[^/]+?\\\}", "([^/]+)", re.escape(resource))
        found = re.fullmatch(regex, path)
        if route_method == method and found:
            return resource, dict(zip(names, found.groups(), strict=True))
    return None


#: request headers: a map (one value each), or the (name, value) pairs as sent, repeats included
HeaderPairs = Mapping[str, str] | Sequence[tuple[str, str]]


def proxy_event(
    method: str,
    path: str,
    body: str | None,
    headers: HeaderPairs,
    caller_account: str,
    routes: tuple[tuple[str, str], ...] = (),
    *,
    query: str | None = None,
) -> dict[str, Any]:
    """The event API Gateway gives the function for ``method path``, its resource and path
    parameters from ``routes``.

    ``query`` None: ``path`` is a reference, a query string included (``/links?state=running``).
    Otherwise ``path`` is the decoded path, taken whole (a ``?`` in it came from ``%3F`` and is
    part of the path, as API Gateway decodes a path once), and ``query`` the raw query string.

    A header sent more than once reaches the function as API Gateway passes it: every value in
    ``multiValueHeaders``, the last in ``headers`` (the Lambda proxy integration's input format,
    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
    """
    if query is None:
        parts = urlsplit(path)
        path, query = parts.path, parts.query
    matched = match(routes, method, path)
    resource, path_parameters = matched if matched else (path, None)
    pairs = parse_qsl(query, keep_blank_values=True)
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    sent = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    if not any(name.lower() == "host" for name, _ in sent):
        sent.insert(0, ("Host", f"abc123.execute-api.{REGION}.amazonaws.com"))
    multi_headers: dict[str, list[str]] = {}
    for name, value in sent:
        multi_headers.setdefault(name, []).append(value)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        # API Gateway's single-value map keeps the last value of a repeated parameter
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": path_parameters or None,
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
