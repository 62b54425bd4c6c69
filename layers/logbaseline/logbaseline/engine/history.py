"""The audit trail: every fix, dry-run and refusal, in a DynamoDB table that expires items by TTL.

One item per fix attempt: partition key `finding_id` (the finding's frozen Id, so a
resource's history is one query), sort key `at` (ISO time, then the trigger). A record is
never overwritten: each put is conditional (`attribute_not_exists`), and the table's resource
policy denies updates and deletes to everyone (template.yaml).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from logbaseline.aws import Clients
from logbaseline.engine.evaluation import Outcome
from logbaseline.engine.findings import finding_id

APPLIED = ("verified", "applied, not verified")  # outcomes that changed the resource


@dataclass(frozen=True)
class FixLimit:
    """At most `fixes` applied fixes per resource within `window`; then a person must look."""

    fixes: int = 3
    window: timedelta = timedelta(hours=24)


DEFAULT_FIX_LIMIT = FixLimit()


class History:
    def __init__(self, table_name: str, clients: Clients, retention_days: int = 400):
        self._table = clients.resource("dynamodb").Table(table_name)
        self._retention = timedelta(days=retention_days)

    def record(self, outcome: Outcome, actor: str = "") -> None:
        fix = dict(outcome.fix or {})
        now = datetime.now(UTC)
        item = {
            "finding_id": finding_id(outcome.control.id, outcome.account_id, outcome.region, outcome.resource_id),
            "at": f"{now.isoformat(timespec='milliseconds')}#{fix.get('Trigger', '')}",
            "control_id": outcome.control.id,
            "account_id": outcome.account_id,
            "region": outcome.region,
            "resource_id": outcome.resource_id,
            "mode": fix.get("Mode", ""),
            "outcome": fix.get("Outcome", ""),
            "changes": fix.get("Changes", ""),
            "error": fix.get("Error", ""),
            "before": fix.get("Before", ""),
            "after": outcome.verdict.reason,
            "trigger": fix.get("Trigger", ""),
            "actor": actor,
            "expires_at": int((now + self._retention).timestamp()),
        }
        try:
            self._put_new(item)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            # Another record of this finding, millisecond and trigger (two fixes of one resource at once): keep both.
            self._put_new(item | {"at": f"{item['at']}#{uuid.uuid4().hex[:12]}"})

    def _put_new(self, item: dict[str, Any]) -> None:
        self._table.put_item(Item=item, ConditionExpression="attribute_not_exists(finding_id)")

    def applied_since(self, outcome: Outcome, since: datetime) -> list[Mapping[str, Any]]:
        key = finding_id(outcome.control.id, outcome.account_id, outcome.region, outcome.resource_id)
        query = Key("finding_id").eq(key) & Key("at").gte(since.isoformat(timespec="milliseconds"))
        items = self._table.query(KeyConditionExpression=query)["Items"]
        return [item for item in items if item["outcome"] in APPLIED]


def read_history(
    clients: Clients, table_name: str, control_id: str | None = None, resource_id: str | None = None
) -> list[Mapping[str, Any]]:
    """Entries of the audit trail, newest first (a scan: it is read by people, not on the hot path)."""
    condition = None
    for name, value in (("control_id", control_id), ("resource_id", resource_id)):
        if value:
            condition = Attr(name).eq(value) if condition is None else condition & Attr(name).eq(value)
    table = clients.resource("dynamodb").Table(table_name)
    query: dict[str, Any] = {"FilterExpression": condition} if condition is not None else {}
    items: list[Mapping[str, Any]] = []
    while True:
        page = table.scan(**query)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: i["at"], reverse=True)
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
