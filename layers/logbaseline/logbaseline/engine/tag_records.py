"""When a `logbaseline:exempt` tag was set, and by whom: the service's own record (the stack's ExemptionTagTable).

A tag says until when it asks to be honoured, not since when; the register caps a tag at `max_days` from the day
it was set. That day is, in this order: the latest tagging call CloudTrail reported that set this very value (its
`eventTime`, with who made it), else the day logbaseline first read this value on the resource (written then, once).

Items, partition key `resource` (`<account>#<ARN>`), sort key `record`:
- `seen#<digest of the value>`: when logbaseline first read the value (a conditional put: written once);
- `call#<eventTime>#<eventID>`: a tagging or untagging call that named the key: action, actor (userIdentity ARN),
  source IP, event time, and the value it set (a removal has none).
Every item expires (TTL) after the retention of the audit trail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from logbaseline.aws import Clients

TABLE_VARIABLE = "LOGBASELINE_EXEMPTION_TAG_TABLE"


@dataclass(frozen=True)
class TagOrigin:
    since: date  # the day the tag's value was set (or first seen)
    how: str  # for the finding's note: where that day comes from


def first_seen_today(today: date) -> TagOrigin:
    """What is known without a record (the command line's scan): the tag counts from today."""
    return TagOrigin(today, "first seen today; no record of when it was set")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _key(account_id: str, resource_id: str) -> str:
    return f"{account_id}#{resource_id}"


class TagRecords:
    def __init__(self, table_name: str, clients: Clients, retention_days: int = 400):
        self._table = clients.resource("dynamodb").Table(table_name)
        # at least a year: a record that expired before the tag it dates would start the tag's clock again
        self._retention = timedelta(days=max(retention_days, 366))

    def origin(self, account_id: str, resource_id: str, value: str, today: date, record: bool = True) -> TagOrigin:
        """Since when this value of the tag has been on the resource (one query; one write the first time, unless
        `record` is False: a listing reads, and never starts a tag's clock)."""
        items = self._records(account_id, resource_id)
        calls = [i for i in items if i["record"].startswith("call#") and i.get("value") == value]
        if calls:
            latest = max(calls, key=lambda i: i["record"])
            when = str(latest["event_time"])
            return TagOrigin(date.fromisoformat(when[:10]), f"set by {latest.get('actor') or 'unknown'} at {when}")
        seen = next((i for i in items if i["record"] == f"seen#{_digest(value)}"), None)
        if seen:
            return TagOrigin(
                date.fromisoformat(str(seen["first_seen"])), f"first seen by logbaseline on {seen['first_seen']}"
            )
        if not record:
            return first_seen_today(today)
        self._put_once(
            {"resource": _key(account_id, resource_id), "record": f"seen#{_digest(value)}", "value": value,
             "first_seen": today.isoformat(), "resource_id": resource_id, "account_id": account_id}
        )  # fmt: skip
        return TagOrigin(today, f"first seen by logbaseline on {today}")

    def record_call(self, call: Mapping[str, str]) -> None:
        """A tagging call that named the tag key (engine/tagging.py reads it from the CloudTrail event)."""
        item = dict(call) | {
            "resource": _key(call["account_id"], call["resource_id"]),
            "record": f"call#{call['event_time']}#{call['event_id']}",
        }
        self._put_once(item)  # the same event delivered again is the same record

    def _records(self, account_id: str, resource_id: str) -> list[Mapping[str, Any]]:
        query: dict[str, Any] = {"KeyConditionExpression": Key("resource").eq(_key(account_id, resource_id))}
        items: list[Mapping[str, Any]] = []
        while True:
            page = self._table.query(**query)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                return items
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _put_once(self, item: dict[str, Any]) -> None:
        expires = int((datetime.now(UTC) + self._retention).timestamp())
        try:
            self._table.put_item(
                Item=item | {"expires_at": expires}, ConditionExpression="attribute_not_exists(#r)",
                ExpressionAttributeNames={"#r": "record"},
            )  # fmt: skip
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
