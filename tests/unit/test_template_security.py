"""Entry points in template.yaml: authenticated API, a bus that admits only allowed accounts."""

from __future__ import annotations

from typing import Any

import pytest

from repolink_local.template import ACCOUNT_ID, REGION, TEMPLATE, LocalTemplate

pytestmark = pytest.mark.unit

T = LocalTemplate(TEMPLATE, ACCOUNT_ID, REGION)


def test_the_api_requires_iam_auth_and_has_a_resource_policy() -> None:
    (api,) = T.resources_of_type("AWS::Serverless::Api").values()
    auth = api["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "AWS_IAM"
    assert auth["InvokeRole"] == "NONE"  # not CALLER_CREDENTIALS: callers need no lambda:InvokeFunction
    deny = next(s for s in auth["ResourcePolicy"]["CustomStatements"] if s["Effect"] == "Deny")
    assert {"aws:PrincipalAccount", "aws:PrincipalOrgID"} == set(deny["Condition"]["StringNotEquals"])
    for function in T.resources_of_type("AWS::Serverless::Function").values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                assert event["Properties"].get("Auth", {}).get("Authorizer", "AWS_IAM") == "AWS_IAM"
                assert "RestApiId" in event["Properties"], "every route is on the authenticated API"


def test_the_bus_admits_only_allowed_accounts_or_the_organization() -> None:
    policies = T.resources_of_type("AWS::Events::EventBusPolicy")
    own = policies.pop("EventBusPolicyForThisAccount")
    assert "Condition" not in own, "the bus always has a policy, even with no other account listed"
    assert own["Properties"]["Statement"]["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    assert {p["Condition"] for p in policies.values()} == {"HasAllowedAccounts", "HasAllowedOrganization"}
    for policy in policies.values():
        statement: dict[str, Any] = policy["Properties"]["Statement"]
        assert statement["Action"] == "events:PutEvents"
        detail_type = statement["Condition"]["ForAnyValue:StringEquals"]["events:detail-type"]
        assert detail_type == [
            "RepositoryLinkRequested",
            "RepositoryLinkChangeRequested",
            "RepositoryLinkOffboardRequested",
            "RepositoryLinkRecheckRequested",
        ]
        if statement["Principal"] == "*":
            assert "aws:PrincipalOrgID" in statement["Condition"]["StringEquals"]
        else:
            assert statement["Principal"] == {"AWS": {"Fn::Split": [",", {"Ref": "AllowedAccountIds"}]}}


def test_the_rule_retries_and_dead_letters() -> None:
    ingest = T.resources["IngestEventFunction"]["Properties"]["Events"]["LinkRequested"]["Properties"]
    assert ingest["Pattern"] == {
        "detail-type": [
            "RepositoryLinkRequested",
            "RepositoryLinkChangeRequested",
            "RepositoryLinkOffboardRequested",
        ]
    }
    assert ingest["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert ingest["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["RequestDeadLetterQueue", "Arn"]}}


def test_the_idempotency_table_expires_records_and_is_encrypted() -> None:
    table = T.resources["IdempotencyTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True


def test_the_lifecycle_table_expires_items_is_encrypted_and_recoverable() -> None:
    table = T.resources["LifecycleTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
