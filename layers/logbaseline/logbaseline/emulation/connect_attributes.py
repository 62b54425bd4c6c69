"""Amazon Connect instance attributes, for the emulator: moto 5.2.5 keeps instances but none of their attributes.

DescribeInstanceAttribute (GET) and UpdateInstanceAttribute (POST) on `/instance/{InstanceId}/attribute/{Type}`, as
the Amazon Connect API reference documents them (botocore's `connect` model): the instance is named by its id or ARN
and must be one of moto's instances of the caller's account and region (else `ResourceNotFoundException`, 404); the
type is one of `InstanceAttributeType` (else `InvalidParameterException`, 400); a value never set is `false`, as
`CONTACTFLOW_LOGS` is on a new instance (the other types' defaults are not modelled: no control reads them).
Answers are the REST-JSON bodies boto3 parses.
"""

from __future__ import annotations

import re
import threading
from typing import Any

PATH = re.compile(r"^/instance/(?P<instance>[^/]+)/attribute/(?P<type>[^/]+)$")
TYPES = (
    "INBOUND_CALLS",
    "OUTBOUND_CALLS",
    "CONTACTFLOW_LOGS",
    "CONTACT_LENS",
    "AUTO_RESOLVE_BEST_VOICES",
    "USE_CUSTOM_TTS_VOICES",
    "EARLY_MEDIA",
    "MULTI_PARTY_CONFERENCE",
    "AUTO_MUTE_AGENT_ON_HOLD",
    "HIGH_VOLUME_OUTBOUND",
    "ENHANCED_CONTACT_MONITORING",
    "ENHANCED_CHAT_MONITORING",
    "MULTI_PARTY_CHAT_CONFERENCE",
    "MESSAGE_STREAMING",
)


class InstanceAttributeError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class InstanceAttributes:
    """The attributes set on each account's and region's instances."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, str, str, str], str] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._values.clear()

    def answer(self, account_id: str, region: str, method: str, path: str, request: dict[str, Any]) -> dict[str, Any]:
        match = PATH.match(path)
        if not match:
            raise InstanceAttributeError(404, "ResourceNotFoundException", f"No route for {path}")
        instance = match["instance"].rsplit("/", 1)[-1]  # an id, or an ARN ending in instance/<id>
        kind = match["type"]
        if kind not in TYPES:
            raise InstanceAttributeError(400, "InvalidParameterException", f"Invalid AttributeType {kind}")
        if not _instance_exists(account_id, region, instance):
            raise InstanceAttributeError(404, "ResourceNotFoundException", f"Instance not found: {instance}")
        key = (account_id, region, instance, kind)
        with self._lock:
            if method == "POST":
                value = str(request.get("Value", ""))
                if value not in ("true", "false"):
                    raise InstanceAttributeError(
                        400, "InvalidParameterException", f"Invalid value {value!r} for {kind}"
                    )
                self._values[key] = value
                return {}
            return {"Attribute": {"AttributeType": kind, "Value": self._values.get(key, "false")}}


def _instance_exists(account_id: str, region: str, instance_id: str) -> bool:
    from moto.connect.models import connect_backends  # moto's own instances

    return instance_id in connect_backends[account_id][region].instances
