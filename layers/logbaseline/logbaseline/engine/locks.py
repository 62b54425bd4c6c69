"""One fix of a gap at a time: a lock per finding id, taken with a conditional write.

A Config event and a CloudTrail event about the same change, or an event and a sweep, can ask for the same fix
at once; their requests differ (their triggers do), so idempotency does not join them. The lock does: the second
worker finds it held and its message comes back after the queue's visibility timeout, when the first has fixed
and verified. A lock outlives a crashed worker by at most LOCK_SECONDS (DynamoDB's TTL then removes it).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOCK_SECONDS = 300  # longer than a fix's invocation (the function's timeout is 60 s)


class FixInProgress(RuntimeError):
    """Another worker is fixing this gap now; the message is retried later."""


class FixLocks:
    def __init__(self, table: str, dynamodb: Any) -> None:
        self.table, self.dynamodb = table, dynamodb

    @contextmanager
    def hold(self, finding_id: str) -> Iterator[None]:
        key, owner, now = f"lock#{finding_id}", str(uuid.uuid4()), int(time.time())
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={"id": {"S": key}, "owner": {"S": owner}, "expiration": {"N": str(now + LOCK_SECONDS)}},
                ConditionExpression="attribute_not_exists(id) OR expiration < :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            raise FixInProgress(f"another worker is fixing {finding_id}") from None
        try:
            yield
        finally:
            try:
                self.dynamodb.delete_item(
                    TableName=self.table,
                    Key={"id": {"S": key}},
                    ConditionExpression="#owner = :owner",  # never another worker's lock, taken after ours expired
                    ExpressionAttributeNames={"#owner": "owner"},
                    ExpressionAttributeValues={":owner": {"S": owner}},
                )
            except self.dynamodb.exceptions.ConditionalCheckFailedException:
                pass  # ours expired and another worker holds it now
