"""Where a control that reads incrementally remembers how far it got (the integrity verifier's last digest).

A checkpoint is the service's own bookkeeping, never the judged account's state: the functions keep it in the
deployment's checkpoint table (template.yaml, `IntegrityCheckpointTable`), the command line and the tests in memory.
The engine sets the store for an evaluation (`keeping_checkpoints`); a control reads and advances it
through `current()`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from botocore.exceptions import ClientError

from logbaseline.aws import Clients


class Checkpoints(Protocol):
    def get(self, key: str) -> Mapping[str, Any] | None: ...

    def advance(self, key: str, position: str, value: Mapping[str, Any]) -> None:
        """Remember `value` at `position` unless a later position (a string that sorts after) is already kept."""


class MemoryCheckpoints:
    """For the command line and the tests: kept as long as the process."""

    def __init__(self) -> None:
        self.kept: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Mapping[str, Any] | None:
        return self.kept.get(key)

    def advance(self, key: str, position: str, value: Mapping[str, Any]) -> None:
        with self._lock:
            if self.kept.get(key, {}).get("position", "") < position:
                self.kept[key] = {"position": position, **value}


class TableCheckpoints:
    """In a DynamoDB table keyed by `checkpoint` (a string): one GetItem and at most one PutItem per key and run.

    The put is conditional, so two evaluations at once (the sweep and a trail event) never move a checkpoint back.
    """

    def __init__(self, table_name: str, home: Clients):
        self._table_name = table_name
        self._home = home

    def _table(self) -> Any:
        return self._home.resource("dynamodb").Table(self._table_name)

    def get(self, key: str) -> Mapping[str, Any] | None:
        return self._table().get_item(Key={"checkpoint": key}, ConsistentRead=True).get("Item")

    def advance(self, key: str, position: str, value: Mapping[str, Any]) -> None:
        try:
            self._table().put_item(
                Item={"checkpoint": key, "position": position, **value},
                ConditionExpression="attribute_not_exists(checkpoint) OR #position < :position",
                ExpressionAttributeNames={"#position": "position"},
                ExpressionAttributeValues={":position": position},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


_PROCESS = MemoryCheckpoints()
_current: ContextVar[Checkpoints | None] = ContextVar("logbaseline_checkpoints", default=None)


def current() -> Checkpoints:
    """The evaluation's store; the process's memory outside one (a command-line scan)."""
    return _current.get() or _PROCESS


@contextmanager
def keeping_checkpoints(store: Checkpoints | None) -> Iterator[None]:
    """Within the block (and the threads it starts with its context), controls keep checkpoints in `store`."""
    token = _current.set(store)
    try:
        yield
    finally:
        _current.reset(token)
