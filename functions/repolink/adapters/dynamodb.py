"""DynamoDB: one item read consistently, and updated only when a condition holds.

(The idempotency records are Powertools' own: ``workflow.start``.)
"""

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from repolink.adapters.aws import call, client
from repolink.errors import AwsRequestRejected

#: every AWS operation this module calls, by IAM service prefix (the security gate reads this)
OPERATIONS: dict[str, frozenset[str]] = {"dynamodb": frozenset({"GetItem", "UpdateItem"})}

_TO, _FROM = TypeSerializer(), TypeDeserializer()


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _FROM.deserialize(value) for name, value in item.items()}


def get_item(table: str, key: dict[str, str]) -> dict[str, Any]:
    """The item (plain values; numbers as ``Decimal``), read strongly consistent; {} when none."""
    found = call(
        client("dynamodb"),
        "GetItem",
        TableName=table,
        Key={k: _TO.serialize(v) for k, v in key.items()},
        ConsistentRead=True,
    )
    return _plain(found.get("Item") or {})


def update_if(
    table: str,
    key: dict[str, str],
    *,
    update: str,
    condition: str,
    names: dict[str, str],
    values: dict[str, Any],
) -> dict[str, Any] | None:
    """Apply ``update`` when ``condition`` holds, atomically (None: written); otherwise the item
    as it stood when the condition failed ({} when there was none), and nothing is written."""
    try:
        call(
            client("dynamodb"),
            "UpdateItem",
            **_update(table, key, update, names, values),
            ConditionExpression=condition,
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except AwsRequestRejected as exc:
        if exc.code != "ConditionalCheckFailedException" or not isinstance(exc.__cause__, ClientError):
            raise
        item = exc.__cause__.response.get("Item")  # ALL_OLD: the item the condition was tested on
        return _plain(item if isinstance(item, dict) else {})
    return None


def update(
    table: str, key: dict[str, str], *, update: str, names: dict[str, str], values: dict[str, Any]
) -> None:
    """Apply ``update`` to the item (made when there is none)."""
    call(client("dynamodb"), "UpdateItem", **_update(table, key, update, names, values))


def _update(
    table: str, key: dict[str, str], update: str, names: dict[str, str], values: dict[str, Any]
) -> dict[str, Any]:
    """An UpdateItem's parameters, the values serialised."""
    return {
        "TableName": table,
        "Key": {k: _TO.serialize(v) for k, v in key.items()},
        "UpdateExpression": update,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": {k: _TO.serialize(v) for k, v in values.items()},
    }
