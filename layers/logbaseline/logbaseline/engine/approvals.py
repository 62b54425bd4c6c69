"""Approvals: a person's request for a fix, written down by the evaluator when the Security Hub custom action
arrives, and looked up by the remediator. A message on the fix queue saying `approved` is not enough: the
remediator fixes a dry-run control, or a finding a person suppressed, only if the evaluator recorded the
approval, and takes who approved it from that record, not from the message.

What AWS tells about the approval: the custom action event names the action (its ARN), the account and the
time; it does not name the person who chose the action (Security Hub puts no identity in the event).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients
from logbaseline.engine.findings import finding_id
from logbaseline.engine.remediation import FixRequest

APPROVAL_LIFETIME = timedelta(days=2)  # a queued request older than this (the queue keeps 14 days) needs a new approval


@dataclass(frozen=True)
class Approval:
    approved_by: str
    approved_at: str


def approval_key(request: FixRequest) -> str:
    """One approval per finding and custom action event (the request's trigger is the event's id)."""
    return (
        f"{finding_id(request.control_id, request.account_id, request.region, request.resource_id)}#{request.trigger}"
    )


def approver(event: Mapping[str, Any]) -> str:
    action = next(iter(event.get("resources") or []), "the Security Hub custom action")
    return f"Security Hub custom action {action} in account {event.get('account', '?')}"


class Approvals:
    def __init__(self, table_name: str, clients: Clients):
        self._table = clients.resource("dynamodb").Table(table_name)

    def record(self, request: FixRequest, event: Mapping[str, Any]) -> None:
        """Write the approval once; the same event delivered again finds it written and changes nothing."""
        now = datetime.now(UTC)
        try:
            self._table.put_item(
                Item={
                    "approval_id": approval_key(request),
                    "control_id": request.control_id,
                    "resource_id": request.resource_id,
                    "approved_by": approver(event),
                    "approved_at": str(event.get("time", "")),
                    "recorded_at": now.isoformat(timespec="seconds"),
                    "expires_at": int((now + APPROVAL_LIFETIME).timestamp()),
                },
                ConditionExpression="attribute_not_exists(approval_id)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    def find(self, request: FixRequest) -> Approval | None:
        item = self._table.get_item(Key={"approval_id": approval_key(request)}, ConsistentRead=True).get("Item")
        if not item or item.get("resource_id") != request.resource_id or item.get("control_id") != request.control_id:
            return None
        if int(item.get("expires_at", 0)) < datetime.now(UTC).timestamp():
            return None  # expired (DynamoDB deletes expired items within days, not at once)
        return Approval(str(item["approved_by"]), str(item["approved_at"]))
