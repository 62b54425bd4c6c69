"""MSK Connect connectors, for the emulator: moto 5.2.5 implements no MSK Connect operation.

Create, Describe, List and Delete as botocore's `kafkaconnect` model documents them (REST-JSON under /v1/connectors):
names of 1 to 128 characters, unique per account and region (`ConflictException`); a connector's log delivery is
set at creation only (UpdateConnector has no logDelivery member), each destination `enabled` with its log group,
stream or bucket; `NotFoundException` (404) for an unknown ARN. No plugins, workers or operations run.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any
from urllib.parse import unquote

PREFIX = "/v1/connectors"
SUMMARY = (
    "connectorArn",
    "connectorName",
    "connectorState",
    "creationTime",
    "currentVersion",
    "kafkaCluster",
    "kafkaConnectVersion",
    "logDelivery",
    "serviceExecutionRoleArn",
)


class ConnectError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def operation(method: str, path: str) -> tuple[str, str]:
    """(operation, connector ARN) of a request, or ("", "") for a path that is not a connector's."""
    if path.rstrip("/") == PREFIX:
        return {"GET": "ListConnectors", "POST": "CreateConnector"}.get(method, ""), ""
    if path.startswith(PREFIX + "/"):
        arn = unquote(path[len(PREFIX) + 1 :])
        return {"GET": "DescribeConnector", "DELETE": "DeleteConnector"}.get(method, ""), arn
    return "", ""


class Connectors:
    """Every account's and region's connectors."""

    def __init__(self) -> None:
        self._connectors: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._connectors.clear()

    def answer(self, account_id: str, region: str, name: str, arn: str, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            connectors = self._connectors.setdefault((account_id, region), {})
            if name == "ListConnectors":
                return {"connectors": [{k: c[k] for k in SUMMARY if k in c} for c in connectors.values()]}
            if name == "CreateConnector":
                return self._create(connectors, account_id, region, request)
            if arn not in connectors:
                raise ConnectError(404, "NotFoundException", f"Connector {arn} not found.")
            if name == "DescribeConnector":
                return dict(connectors[arn])
            gone = connectors.pop(arn)
            return {"connectorArn": arn, "connectorState": "DELETING"} | {"connectorName": gone["connectorName"]}

    @staticmethod
    def _create(connectors: dict[str, Any], account_id: str, region: str, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("connectorName", ""))
        if not 1 <= len(name) <= 128:
            raise ConnectError(400, "BadRequestException", f"Connector name {name!r} is not valid.")
        if any(c["connectorName"] == name for c in connectors.values()):
            raise ConnectError(409, "ConflictException", f"Connector {name} already exists.")
        workers = (request.get("logDelivery") or {}).get("workerLogDelivery") or {}
        for destination in ("cloudWatchLogs", "firehose", "s3"):
            if destination in workers and not isinstance((workers[destination] or {}).get("enabled"), bool):
                raise ConnectError(400, "BadRequestException", f"{destination}.enabled is required.")
        arn = f"arn:aws:kafkaconnect:{region}:{account_id}:connector/{name}/{uuid.uuid4()}-3"
        connectors[arn] = {k: request[k] for k in request if k not in ("tags", "connectorConfiguration")} | {
            "connectorArn": arn,
            "connectorState": "RUNNING",
            "creationTime": time.time(),
            "currentVersion": "K3AEGXETSR30VB",
            "logDelivery": {"workerLogDelivery": workers},
        }
        return {"connectorArn": arn, "connectorName": name, "connectorState": "CREATING"}
