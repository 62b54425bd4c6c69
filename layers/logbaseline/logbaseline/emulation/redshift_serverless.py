"""Redshift Serverless namespaces, for the emulator: moto 5.2.5 implements no Redshift Serverless operation.

Create, Get, List, Update and Delete as botocore's `redshift-serverless` model documents them (JSON 1.1, target
`RedshiftServerless`): names `^[a-z0-9-]+$` of 3 to 64 characters, unique per account and region; `logExports` of
at most 16 entries, each `useractivitylog`, `userlog` or `connectionlog`; Update replaces only the members it is
given. Errors carry AWS's codes (`ValidationException`, `ConflictException`, `ResourceNotFoundException`). No
workgroups, snapshots or queries.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

OPERATIONS = ("CreateNamespace", "GetNamespace", "ListNamespaces", "UpdateNamespace", "DeleteNamespace")
NAME = re.compile(r"^[a-z0-9-]{3,64}$")
LOG_EXPORTS = ("useractivitylog", "userlog", "connectionlog")
UPDATABLE = ("adminUsername", "defaultIamRoleArn", "iamRoles", "kmsKeyId", "logExports")


class ServerlessError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class Namespaces:
    """Every account's and region's namespaces."""

    def __init__(self) -> None:
        self._namespaces: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._namespaces.clear()

    def answer(self, account_id: str, region: str, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            namespaces = self._namespaces.setdefault((account_id, region), {})
            if operation == "ListNamespaces":
                return {"namespaces": [dict(n) for n in namespaces.values()]}
            name = str(request.get("namespaceName", ""))
            if not NAME.match(name):
                raise ServerlessError("ValidationException", f"Namespace name {name!r} is not valid.")
            if operation == "CreateNamespace":
                if name in namespaces:
                    raise ServerlessError("ConflictException", f"Namespace {name} already exists.")
                namespace_id = str(uuid.uuid4())
                namespaces[name] = {
                    "namespaceArn": f"arn:aws:redshift-serverless:{region}:{account_id}:namespace/{namespace_id}",
                    "namespaceId": namespace_id,
                    "namespaceName": name,
                    "status": "AVAILABLE",
                    "dbName": request.get("dbName", "dev"),
                    "creationDate": time.time(),
                    "iamRoles": request.get("iamRoles", []),
                    "logExports": _log_exports(request.get("logExports", [])),
                } | {k: request[k] for k in ("adminUsername", "defaultIamRoleArn", "kmsKeyId") if k in request}
                return {"namespace": dict(namespaces[name])}
            if name not in namespaces:
                raise ServerlessError("ResourceNotFoundException", f"Namespace {name} not found.")
            if operation == "GetNamespace":
                return {"namespace": dict(namespaces[name])}
            if operation == "DeleteNamespace":
                return {"namespace": namespaces.pop(name) | {"status": "DELETING"}}
            changes = {k: request[k] for k in UPDATABLE if k in request}
            if "logExports" in changes:
                changes["logExports"] = _log_exports(changes["logExports"])
            namespaces[name] = namespaces[name] | changes
            return {"namespace": dict(namespaces[name])}


def _log_exports(exports: Any) -> list[str]:
    if not isinstance(exports, list) or len(exports) > 16 or any(e not in LOG_EXPORTS for e in exports):
        raise ServerlessError("ValidationException", f"logExports {exports!r} must list {', '.join(LOG_EXPORTS)}.")
    return list(exports)
