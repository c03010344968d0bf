"""Generate the published contracts from the code: the API's OpenAPI document and event schemas.

    python -m repolink_local.contracts          # rewrite docs/openapi.json and schemas/*.json
    python -m repolink_local.contracts --check  # exit 1 if a committed file differs from the code

Tests run the check, so a change to the code that changes a contract fails until the committed
files are regenerated (and reviewed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from repolink_local.template import ROOT, TEMPLATE

OPENAPI = ROOT / "docs" / "openapi.json"
SCHEMAS = ROOT / "schemas"


def openapi() -> dict[str, Any]:
    from repolink.handlers.api import app

    schema = json.loads(
        app.get_openapi_json_schema(
            title="repolink",
            version="1.0.0",
            summary="Connect a Git provider and set up repositories with one call",
            description=(
                "Every call is authenticated with AWS Signature Version 4 (IAM); the API's resource "
                "policy admits only the accounts or organization the stack allows."
            ),
        )
    )
    # The handler validates the body itself (without pydantic, for its cold start), so the resolver
    # knows no body model: publish the request contract from the same dataclasses.
    from pydantic import TypeAdapter

    from repolink.models.request import OnboardingRequest

    request = TypeAdapter(OnboardingRequest).json_schema(
        by_alias=True, ref_template="#/components/schemas/{model}"
    )
    schema["components"]["schemas"].update(request.pop("$defs", {}))
    schema["components"]["schemas"]["OnboardingRequest"] = request
    schema["paths"]["/links"]["post"]["requestBody"] = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OnboardingRequest"}}},
        "required": True,
    }
    schema["components"]["securitySchemes"] = {
        "sigv4": {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }
    }
    schema["security"] = [{"sigv4": []}]
    return schema


def event_schemas() -> dict[str, dict[str, Any]]:
    from pydantic import BaseModel, ConfigDict, TypeAdapter

    from repolink.models import events
    from repolink.models.request import OnboardingRequest

    class RepositoryLinkRequestedDetail(BaseModel):
        model_config = ConfigDict(extra="forbid")
        request: OnboardingRequest
        idempotencyKey: str | None = None

    models: dict[str, type[object]] = {
        events.REQUESTED: RepositoryLinkRequestedDetail,
        events.PENDING_HANDSHAKE: events.ConnectionPendingHandshakeDetail,
        events.COMPLETED: events.RepositoryLinkCompletedDetail,
        events.FAILED: events.RepositoryLinkFailedDetail,
        events.REJECTED: events.RepositoryLinkRejectedDetail,
    }
    out = {}
    for detail_type, model in models.items():
        detail = TypeAdapter(model).json_schema(
            by_alias=True, mode="serialization" if detail_type != events.REQUESTED else "validation"
        )
        defs = detail.pop("$defs", {})
        out[detail_type] = {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "title": detail_type,
            "description": f"An EventBridge event with detail-type {detail_type}.",
            "type": "object",
            "required": ["detail-type", "source", "detail"],
            "properties": {
                "detail-type": {"type": "string", "enum": [detail_type]},
                "source": {"type": "string"},
                "account": {"type": "string"},
                "detail": detail,
            },
            "definitions": defs,
        }
    return json.loads(json.dumps(out).replace("#/$defs/", "#/definitions/"))


BEGIN = "  # BEGIN generated event schemas (python -m repolink_local.contracts)\n"
END = "  # END generated event schemas\n"


def registry_block(schemas: dict[str, dict[str, Any]]) -> str:
    """The template's schema registry: every event schema, inline (CloudFormation reads no files)."""
    lines = [
        BEGIN,
        "  EventSchemaRegistry:\n",
        "    Type: AWS::EventSchemas::Registry\n",
        "    Properties:\n",
        "      RegistryName: !Sub ${AWS::StackName}-events\n",
        "      Description: Events repolink accepts and emits, for consumers' code bindings.\n",
    ]
    for detail_type, schema in schemas.items():
        content = json.dumps(schema, sort_keys=True, separators=(",", ":")).replace("'", "''")
        lines += [
            f"  {detail_type}Schema:\n",
            "    Type: AWS::EventSchemas::Schema\n",
            "    Properties:\n",
            "      RegistryName: !GetAtt EventSchemaRegistry.RegistryName\n",
            f"      SchemaName: !Sub ${{AWS::StackName}}@{detail_type}\n",
            "      Type: JSONSchemaDraft4\n",
            f"      Content: '{content}'\n",
        ]
    return "".join([*lines, END])


def with_registry(template: str, block: str) -> str:
    if BEGIN in template:
        head, rest = template.split(BEGIN, 1)
        return head + block + rest.split(END, 1)[1]
    head, tail = template.split("\nOutputs:\n", 1)
    return f"{head}\n{block}\nOutputs:\n{tail}"


def rendered() -> dict[Path, str]:
    files = {OPENAPI: json.dumps(openapi(), indent=2, sort_keys=True) + "\n"}
    schemas = event_schemas()
    for detail_type, schema in schemas.items():
        files[SCHEMAS / f"{detail_type}.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    files[TEMPLATE] = with_registry(TEMPLATE.read_text(), registry_block(schemas))
    return files


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    for path, text in rendered().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    for path in stale:
        print(f"{'stale' if check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
