"""Generate the published contracts from the code: the API's OpenAPI document and event schemas.

    python -m repolink_local.contracts          # rewrite docs/openapi.json and schemas/*.json
    python -m repolink_local.contracts --check  # exit 1 if a committed file differs from the code

Tests run the check, so a change to the code that changes a contract fails until the committed
files are regenerated (and reviewed).

One JSON Schema draft throughout: draft-04, the one EventBridge's schema registry (``Type:
JSONSchemaDraft4``) and API Gateway's models know. Every schema, the OpenAPI document's too, is
written in the keywords that mean the same under draft-04 and 2020-12 (OpenAPI 3.1's default), so
either reading gives one verdict: :func:`dialect_problems` names any keyword outside them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from repolink_local.template import ROOT, TEMPLATE

OPENAPI = ROOT / "docs" / "openapi.json"
SCHEMAS = ROOT / "schemas"
DRAFT4 = "http://json-schema.org/draft-04/schema#"

#: keywords whose meaning differs between draft-04 and 2020-12, or that one of them lacks
_NOT_COMMON = frozenset(
    {
        "$defs",
        "const",
        "contains",
        "dependencies",
        "dependentRequired",
        "dependentSchemas",
        "else",
        "examples",
        "if",
        "maxContains",
        "minContains",
        "prefixItems",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
    }
)
#: what a ``$ref`` may sit beside: draft-04 ignores a ``$ref``'s siblings, 2020-12 applies them
_ANNOTATIONS = frozenset({"$ref", "description", "title", "default"})
#: keywords whose value is a schema, a list of schemas, or a map of names to schemas
_SUBSCHEMA = frozenset({"not", "additionalProperties", "items"})
_SUBSCHEMAS = frozenset({"allOf", "anyOf", "oneOf"})
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions", "$defs"})


def _subschemas(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for key, value in schema.items():
        if key in _SUBSCHEMA and isinstance(value, dict):
            found.append((key, value))
        elif key in _SUBSCHEMA | _SUBSCHEMAS and isinstance(value, list):
            found += [(f"{key}/{i}", item) for i, item in enumerate(value)]
        elif key in _SCHEMA_MAPS and isinstance(value, dict):
            found += [(f"{key}/{name}", item) for name, item in value.items()]
    return found


def dialect_problems(schema: Any, where: str = "#") -> list[str]:
    """Where ``schema`` uses a keyword that draft-04 and 2020-12 read differently (``const``,
    ``if``, a ``$ref`` with validating siblings, a numeric ``exclusiveMinimum``...); [] if none."""
    if not isinstance(schema, dict):
        return []
    problems = [f"{where}: {key}" for key in sorted(_NOT_COMMON & set(schema))]
    if "$ref" in schema and set(schema) - _ANNOTATIONS:
        problems.append(f"{where}: $ref beside {sorted(set(schema) - _ANNOTATIONS)}")
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        if key in schema:
            problems.append(f"{where}: {key}")
    if isinstance(schema.get("type"), list):
        problems.append(f"{where}: type list")  # the same in both, but pydantic never writes one
    for key, sub in _subschemas(schema):
        problems += dialect_problems(sub, f"{where}/{key}")
    return problems


def common_dialect(node: Any) -> Any:
    """pydantic's 2020-12 output in the common keywords: ``const: x`` as ``enum: [x]``."""
    if isinstance(node, list):
        return [common_dialect(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: common_dialect(value) for key, value in node.items() if key != "const"}
    if "const" in node:
        out["enum"] = [node["const"]]
    return out


def with_shared(node: Any, prefix: str, definitions: dict[str, Any]) -> Any:
    """``node`` with each reference to a shared schema (:func:`repolink.models.rules.shared`) as a
    ``$ref`` to ``prefix`` + its name, and the schemas referred to added to ``definitions``: one
    copy in the document, however many fields apply it."""
    from repolink.models.rules import SHARED, SHARED_KEY

    if isinstance(node, list):
        return [with_shared(item, prefix, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    if SHARED_KEY in node:
        name = node[SHARED_KEY]
        definitions.setdefault(name, SHARED[name]())
        return {"$ref": prefix + name}
    return {key: with_shared(value, prefix, definitions) for key, value in node.items()}


def ecma_validator(schema: dict[str, Any], draft: Any = None) -> Any:
    """A jsonschema validator (``Draft4Validator`` unless ``draft`` says) whose ``pattern``,
    ``patternProperties`` and ``additionalProperties`` match as ECMA-262 does (the engine
    check-jsonschema uses, ``regress``), as JSON Schema says patterns are read.

    jsonschema itself uses Python's ``re``, where ``$`` also matches before a final newline:
    ``^[a-z]+$`` finds ``"acme\\n"``, which ECMA-262 (and the API, with ``fullmatch``) refuses.
    """
    import regress
    from jsonschema import Draft4Validator, ValidationError, validators

    compiled: dict[str, Any] = {}

    def found(pattern: str, text: str) -> bool:
        if pattern not in compiled:
            compiled[pattern] = regress.Regex(pattern, flags="u")
        return compiled[pattern].find(text) is not None

    def pattern(validator: Any, wanted: str, instance: Any, _: Any) -> Any:
        if validator.is_type(instance, "string") and not found(wanted, instance):
            yield ValidationError(f"{instance!r} does not match {wanted!r}")

    def pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, _: Any) -> Any:
        if validator.is_type(instance, "object"):
            for wanted, subschema in patterns.items():
                for key, value in instance.items():
                    if found(wanted, key):
                        yield from validator.descend(value, subschema, path=key, schema_path=wanted)

    def additional_properties(validator: Any, extra: Any, instance: Any, schema: dict[str, Any]) -> Any:
        if not validator.is_type(instance, "object"):
            return
        known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
        extras = [k for k in instance if k not in known and not any(found(p, k) for p in patterns)]
        if validator.is_type(extra, "object"):
            for key in extras:
                yield from validator.descend(instance[key], extra, path=key)
        elif extra is False and extras:
            yield ValidationError(f"additional properties are not allowed ({', '.join(map(repr, extras))})")

    base = draft or Draft4Validator
    keywords = {
        "pattern": pattern,
        "patternProperties": pattern_properties,
        "additionalProperties": additional_properties,
    }
    return validators.extend(base, keywords)(schema)


def _unreferenced(components: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """The components nothing in ``document`` refers to, directly or through other components."""
    reached: set[str] = set()
    texts = [json.dumps(document)]
    while texts:
        text = texts.pop()
        for name in set(components) - reached:
            if f'"#/components/schemas/{name}"' in text:
                reached.add(name)
                texts.append(json.dumps(components[name]))
    return sorted(set(components) - reached)


#: The rules the API applies that JSON Schema cannot say: (what the API's message says, why the
#: schema cannot). Each is in the ``description`` of the object concerned; a body the schema
#: accepts may break them.
BEYOND_THE_SCHEMA: dict[str, str] = {
    "upstream cycle": "a cycle is a property of the graph of repositories, not of one value",
    "is already listed at repositories[": "items compare by one field (name), not as wholes",
    "a repository cannot be its own upstream": "compares two fields' values (name, upstreams[i])",
    "must not contain surrogate, private-use or unassigned characters": "Unicode categories Cs, Co"
    " and Cn: no \\p{C} in portable ECMA-262 (nor in Python's re), a lone surrogate is no character"
    " to a u-flag pattern, and the unassigned change with each Unicode version; the shared"
    " PrintableText schema names the control (Cc) and format (Cf) characters",
    "spaces (of any script)": "tags beyond ASCII: \\p{L}, \\p{Z}, \\p{N} are not portable either",
    "a stack has one sync configuration": "items of different arrays compare by one field (resourceName)",
    "stacks per request": "a count over the items of several arrays",
    "only a change (PUT /links/{id}, RepositoryLinkChangeRequested) prunes": "POST and PUT take one"
    " request contract; whether prune may be true depends on the verb, not on the body",
}

#: What GET /links's query parameters say in words only (in their descriptions): a nextToken is
#: opaque, and only one a page of the same listing gave is one (what the API's message says -> why)
QUERY_RULES: dict[str, str] = {
    "is not a token this listing gave": "a token is valid when a page of this listing gave it",
}

#: The rules that depend on the deployment a request reaches, which one document for every
#: deployment cannot carry: (what the API's message says, the rule as the request's
#: ``description`` states it).
DEPLOYMENT_RULES: dict[str, str] = {
    "must be in this partition, account and Region": "connection.arn and connection.hostArn are in the"
    " deployment's partition, account and Region (with a spoke role, in the onboarding's account)",
    "the key must be in this partition and Region": "KMS keys are in the deployment's partition and Region",
    "the key's account": "a KMS key is in the caller's account, the deployment's, or one the"
    " deployment delegates to the caller (AccountDelegations) among those it allows",
    "is not this account": "codeartifact.domainOwner is the caller's account, the deployment's, or"
    " one delegated to the caller",
    "createDomain creates the domain in this account": "with createDomain, domainOwner (if given) is"
    " the deployment's account",
    "handshake checks with this deployment's": "handshakeTimeoutHours fits one execution's history"
    " at the deployment's PollBaseSeconds and PollCapSeconds",
    "Proton target turned off": "a proton section only where the deployment has ProtonTarget=enabled",
    "lists no role CloudFormation Git sync may use": "a gitSync section only where the deployment"
    " lists roles in GitSyncRoleArns",
    "roles this deployment lets Git sync use": "each gitSync roleArn is one of the deployment's"
    " GitSyncRoleArns",
    "the role must be in": "each gitSync roleArn is a role of the caller's account, in the"
    " deployment's partition",
    "Git sync runs in this deployment's account": "each gitSync roleArn is a role of the deployment's"
    " account (IAM passes only that account's roles)",
    "this deployment acts only in its own account": "account names another account only where the"
    " deployment has a spoke role (SpokeRoleName)",
    "may make repolink act in": "account is the caller's own, one AccountDelegations gives it, or,"
    " from the deployment's account, any it admits",
    "Git sync runs in the onboarding's account": "with a spoke role, each gitSync roleArn is a role of"
    " the onboarding's account",
    "SpokeRoleUnavailable": "with a spoke role, the onboarding's account has the spoke"
    " (spoke/template.yaml) and its trust admits this deployment",
    "allows consumers from (its template parameter AllowedAccountIds": "each codeartifact.consumers"
    " account is one of the deployment's AllowedAccountIds",
    "allows consumers from (its template parameter AllowedOrganizationId": "codeartifact.consumers"
    ".organizationId is the deployment's AllowedOrganizationId",
    "sharing writes the domain's policy": "codeartifact.consumers only on a domain of the deployment's"
    " account",
    "may not use that host": "a host named by connection.hostArn is not one repolink created for"
    " another account",
    "is not one this account may use: its own onboardings did not create it, and the deployment does"
    " not share it (SharedDomains)": "an existing codeartifact.domain of the deployment's account is"
    " one the caller's own onboardings created, one made outside repolink, or one the deployment"
    " shares (SharedDomains)",
    "is not one this account may reuse: its own onboardings did not create it": "a repository of"
    " that domain the request names is not one another account's onboarding created",
    "is not one this account may name as an upstream": "nor is an upstream the request names from outside it",
    "this account may not use": "a reused connection is one the caller's own onboardings created,"
    " or one the deployment shares (SharedConnectionArns)",
    "this account's onboardings did not create": "a host (connection.host) whose name exists is"
    " reused only when the caller's own onboardings created it",
    "use its settings or choose another name": "a reused host (connection.host) has the request's"
    " providerEndpoint, provider and vpcConfiguration",
}


def request_schema() -> dict[str, Any]:
    """The published request contract on its own (from schemas/RepositoryLinkRequested.json),
    as a draft-04 schema to validate a request body with."""
    event = json.loads((SCHEMAS / "RepositoryLinkRequested.json").read_text())
    return {
        "$schema": event["$schema"],
        "allOf": [event["properties"]["detail"]["properties"]["request"]],
        "definitions": event["definitions"],
    }


def documented_refusal(message: str) -> str | None:
    """The documented rule a refusal's message names, if it is one the schema cannot carry."""
    return next(
        (said for said in (*BEYOND_THE_SCHEMA, *DEPLOYMENT_RULES, *QUERY_RULES) if said in message), None
    )


def _state_deployment_rules(definitions: dict[str, Any]) -> None:
    request = definitions["OnboardingRequest"]
    rules = "; ".join(DEPLOYMENT_RULES.values())
    request["description"] = f"{request['description']} Rules of the deployment it reaches: {rules}."


def openapi() -> dict[str, Any]:
    from repolink.handlers.api import app

    schema = json.loads(
        app.get_openapi_json_schema(
            title="repolink",
            version="1.0.0",
            summary="Connect a Git provider and set up repositories with one call",
            description=(
                "Every call is authenticated with AWS Signature Version 4 (IAM); the API's resource "
                "policy admits only the accounts or organization the stack allows. The schemas are "
                "JSON Schema draft-04 (jsonSchemaDialect), in the keywords draft-04 and 2020-12 read "
                "alike; patterns are ECMA-262 regular expressions, anchored with ^ and $. An integer is "
                "a JSON number without a fraction or exponent part: 72.0 is not one (draft-04), and the "
                "API refuses it with 422. openapi-spec-validator 0.9 accepts this dialect; schemathesis "
                "4.32 reads the document but generates integers as 2020-12 allows them (72.0 too)."
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
    _state_deployment_rules(schema["components"]["schemas"])
    schema["paths"]["/links"]["post"]["requestBody"] = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OnboardingRequest"}}},
        "required": True,
    }
    # a change (PUT /links/{id}) takes the new desired request: the same contract
    schema["paths"]["/links/{request_id}"]["put"]["requestBody"] = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OnboardingRequest"}}},
        "required": True,
    }
    from repolink.models.api import OffboardOptions

    options = TypeAdapter(OffboardOptions).json_schema(
        by_alias=True, ref_template="#/components/schemas/{model}"
    )
    schema["components"]["schemas"]["OffboardOptions"] = options
    schema["paths"]["/links/{request_id}"]["delete"]["requestBody"] = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OffboardOptions"}}},
        "required": False,
    }
    shared: dict[str, Any] = {}
    components = with_shared(schema["components"]["schemas"], "#/components/schemas/", shared)
    schema["components"]["schemas"] = {**components, **shared}
    _declare_parameters(schema)
    _declare_gateway_answers(schema)
    schema["servers"] = SERVERS
    schema["jsonSchemaDialect"] = DRAFT4
    components = schema["components"]["schemas"]
    for name in _unreferenced(components, {k: v for k, v in schema.items() if k != "components"}):
        del components[name]  # Powertools' validation errors: the handler validates without them
    schema["components"]["schemas"] = common_dialect(components)
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


SERVERS = [
    {
        "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/v1",
        "description": "The deployed API (stage v1)",
        "variables": {
            "restApiId": {"default": "abcdef1234", "description": "The stack's output ApiId"},
            "region": {"default": "us-east-1"},
        },
    },
    {"url": "http://127.0.0.1:3000/v1", "description": "repolink local serve"},
]

_GATEWAY_MESSAGE = {
    "type": "object",
    "required": ["message"],
    "properties": {"message": {"type": "string"}},
}
_GATEWAY_ANSWERS: dict[str, dict[str, Any]] = {
    "GatewayMessage": {
        **_GATEWAY_MESSAGE,
        "description": "API Gateway's own answer (a missing or bad signature, an unknown route, throttling)",
    },
    "GatewayDenial": {
        "type": "object",
        "required": ["Message"],
        "properties": {"Message": {"type": "string"}},
        "description": "API Gateway's answer when the resource policy denies the caller",
    },
}


def _declare_parameters(schema: dict[str, Any]) -> None:
    """The Idempotency-Key header and the request id's pattern (the handler reads both itself)."""
    from repolink.handlers.api import REQUEST_ID
    from repolink.models.api import IDEMPOTENCY_KEY_PATTERN
    from repolink.workflow.accept import KEY_FIELD

    schema["paths"]["/links"]["post"].setdefault("parameters", []).append(
        {
            "in": "header",
            "name": KEY_FIELD,
            "required": False,
            "description": (
                "Repeat a request safely: the same key with the same body answers the first onboarding; "
                "with another body, 409. Without it, the body itself is the key."
            ),
            "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
        }
    )
    from repolink.workflow.listing import LIMIT_DEFAULT, LIMIT_MAX, STATES, TOKEN_MAX

    schema["paths"]["/links"]["get"]["parameters"] = [
        {
            "in": "query",
            "name": "state",
            "required": False,
            "description": "Only the onboardings in this state",
            "schema": {"type": "string", "enum": list(STATES)},
        },
        {
            "in": "query",
            "name": "limit",
            "required": False,
            "description": f"How many executions a page reads (default {LIMIT_DEFAULT})",
            "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX, "default": LIMIT_DEFAULT},
        },
        {
            "in": "query",
            "name": "nextToken",
            "required": False,
            "description": (
                "The nextToken of the previous page, sent by the same caller with the same state."
                " Opaque and tamper-proof: Step Functions' own token encrypted with AWS KMS under the"
                " stack's key, bound to the caller's account and the state, so nothing in it is"
                " readable. Only a token a page of this listing gave this caller for this state is"
                " one; any other (altered, another caller's or state's, expired after 24 hours) is"
                " refused with 422"
            ),
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": TOKEN_MAX,
                "pattern": "^[A-Za-z0-9_-]+$",
            },
        },
    ]
    for method in ("get", "put", "delete"):
        for parameter in schema["paths"]["/links/{request_id}"][method]["parameters"]:
            if parameter["name"] == "request_id":
                parameter["schema"] = {"type": "string", "pattern": REQUEST_ID}
                parameter["description"] = "The requestId a POST answered (an id of another form answers 404)"


def _declare_gateway_answers(schema: dict[str, Any]) -> None:
    """What API Gateway answers before the function runs, on every operation: 403 and 429."""
    schema["components"]["schemas"].update(_GATEWAY_ANSWERS)
    ref = "#/components/schemas/"
    for operations in schema["paths"].values():
        for operation in operations.values():
            # the function's own 403, if the operation has one, is one more spelling
            own = operation["responses"].get("403")
            spellings = [{"$ref": ref + "GatewayMessage"}, {"$ref": ref + "GatewayDenial"}]
            said = ""
            if own is not None:
                spellings.append(own["content"]["application/json"]["schema"])
                said = f"; from repolink: {own['description']}"
            operation["responses"]["403"] = {
                "description": (
                    "From API Gateway: a missing or incomplete SigV4 signature or an unknown route"
                    f" ({{message}}), or a caller the resource policy denies ({{Message}}){said}"
                ),
                "content": {"application/json": {"schema": {"anyOf": spellings}}},
            }
            operation["responses"]["429"] = {
                "description": 'From API Gateway: throttled ({"message": "Too Many Requests"})',
                "content": {"application/json": {"schema": {"$ref": ref + "GatewayMessage"}}},
            }


def event_schemas() -> dict[str, dict[str, Any]]:
    from typing import Annotated

    from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

    from repolink.models import events
    from repolink.models.api import IDEMPOTENCY_KEY_PATTERN
    from repolink.models.request import OnboardingRequest

    class RepositoryLinkRequestedDetail(BaseModel):
        model_config = ConfigDict(extra="forbid")
        request: OnboardingRequest
        idempotencyKey: Annotated[str, Field(pattern=IDEMPOTENCY_KEY_PATTERN)] | None = None

    class RepositoryLinkChangeRequestedDetail(BaseModel):
        """Change an onboarding of the sending account (the envelope's ``account``) to ``request``,
        as ``PUT /links/{id}`` does."""

        model_config = ConfigDict(extra="forbid")
        requestId: Annotated[str, Field(pattern=f"^(?:{events.REQUEST_ID_PATTERN})$")]
        request: OnboardingRequest

    models: dict[str, type[object]] = {
        events.REQUESTED: RepositoryLinkRequestedDetail,
        events.CHANGE_REQUESTED: RepositoryLinkChangeRequestedDetail,
        events.PENDING_HANDSHAKE: events.ConnectionPendingHandshakeDetail,
        events.PENDING_HOST_SETUP: events.HostPendingSetupDetail,
        events.COMPLETED: events.RepositoryLinkCompletedDetail,
        events.FAILED: events.RepositoryLinkFailedDetail,
        events.REJECTED: events.RepositoryLinkRejectedDetail,
        events.OFFBOARD_REQUESTED: events.RepositoryLinkOffboardRequestedDetail,
        events.RECHECK_REQUESTED: events.RepositoryLinkRecheckRequestedDetail,
        events.OFFBOARDED: events.RepositoryLinkOffboardedDetail,
        events.OFFBOARD_FAILED: events.RepositoryLinkOffboardFailedDetail,
    }
    out = {}
    for detail_type, model in models.items():
        detail = TypeAdapter(model).json_schema(
            by_alias=True,
            mode="validation"
            if detail_type
            in (
                events.REQUESTED,
                events.CHANGE_REQUESTED,
                events.OFFBOARD_REQUESTED,
                events.RECHECK_REQUESTED,
            )
            else "serialization",
        )
        defs = detail.pop("$defs", {})
        shared: dict[str, Any] = {}
        detail = with_shared(detail, "#/definitions/", shared)
        defs = {**with_shared(defs, "#/definitions/", shared), **shared}
        if "OnboardingRequest" in defs:
            _state_deployment_rules(defs)
        out[detail_type] = {
            "$schema": DRAFT4,
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
    return common_dialect(json.loads(json.dumps(out).replace("#/$defs/", "#/definitions/")))


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
