"""AWS Global Accelerator's accelerators and their flow-log attributes, for the emulator: moto 5.2.5 implements no
Global Accelerator operation.

Only what globalaccelerator_flow_logs_enabled reads, and the calls that set up its states, as botocore's
`globalaccelerator` model documents them (JSON 1.1, target `GlobalAccelerator_V20180706`): Create, List,
DescribeAttributes and UpdateAttributes of standard and custom routing accelerators. Accelerators are global, named
`arn:<partition>:globalaccelerator::<account>:accelerator/<id>`, and the API is served only in us-west-2 (the
Global Accelerator developer guide): a request signed for another region is refused (on AWS its endpoint name does
not answer). A name of 1 to 64 letters, digits, periods or hyphens, not starting or ending with either, and
flow logs turned on without both bucket and prefix, are `InvalidArgumentException`; an unknown ARN, or one of the
other kind of accelerator, `AcceleratorNotFoundException`; a page size outside 1 to 100 `InvalidArgumentException`
and a token it did not give `InvalidNextTokenException`. Not modelled: listeners, endpoint groups, deletion, tags,
and the bucket's existence and policy, which AWS checks when flow logs are turned on (docs/emulator-gaps.md).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import uuid
from typing import Any

from logbaseline.aws import partition

SERVED_REGION = "us-west-2"
TARGET_PREFIX = "GlobalAccelerator_V20180706."
STANDARD, CUSTOM = "standard", "custom routing"
OPERATIONS = {  # operation -> (kind of accelerator, what it does)
    "CreateAccelerator": (STANDARD, "create"),
    "ListAccelerators": (STANDARD, "list"),
    "DescribeAcceleratorAttributes": (STANDARD, "describe"),
    "UpdateAcceleratorAttributes": (STANDARD, "update"),
    "CreateCustomRoutingAccelerator": (CUSTOM, "create"),
    "ListCustomRoutingAccelerators": (CUSTOM, "list"),
    "DescribeCustomRoutingAcceleratorAttributes": (CUSTOM, "describe"),
    "UpdateCustomRoutingAcceleratorAttributes": (CUSTOM, "update"),
}
NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,62}[A-Za-z0-9])?$")
FLOW_LOG_ATTRIBUTES = ("FlowLogsEnabled", "FlowLogsS3Bucket", "FlowLogsS3Prefix")


class AcceleratorError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Accelerators:
    """Every account's accelerators (global: one set per account), standard and custom routing."""

    def __init__(self) -> None:
        self._accelerators: dict[str, dict[str, dict[str, Any]]] = {}  # account -> ARN -> accelerator
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._accelerators.clear()

    def answer(self, account_id: str, region: str, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        if operation not in OPERATIONS:
            raise AcceleratorError("NotImplemented", f"{operation} is not emulated", 501)
        if region != SERVED_REGION:
            raise AcceleratorError(
                "NotImplemented", f"Global Accelerator is served in {SERVED_REGION} only, not in {region}", 501
            )
        kind, action = OPERATIONS[operation]
        with self._lock:
            accelerators = self._accelerators.setdefault(account_id, {})
            if action == "create":
                return self._create(accelerators, account_id, kind, request)
            if action == "list":
                return _page([a["summary"] for a in accelerators.values() if a["kind"] == kind], request)
            found = accelerators.get(str(request.get("AcceleratorArn", "")))
            if found is None or found["kind"] != kind:
                raise AcceleratorError(
                    "AcceleratorNotFoundException", "The accelerator that you specified doesn't exist."
                )
            if action == "update":
                found["attributes"] = _updated(found["attributes"], request)
            return {"AcceleratorAttributes": dict(found["attributes"])}

    @staticmethod
    def _create(accelerators: dict[str, Any], account_id: str, kind: str, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("Name", ""))
        if not NAME.match(name):
            raise AcceleratorError("InvalidArgumentException", f"The accelerator name {name!r} is not valid.")
        if not request.get("IdempotencyToken"):
            raise AcceleratorError("InvalidArgumentException", "IdempotencyToken is required.")
        accelerator_id = str(uuid.uuid4())
        arn = f"arn:{partition(SERVED_REGION)}:globalaccelerator::{account_id}:accelerator/{accelerator_id}"
        now = time.time()
        summary = {
            "AcceleratorArn": arn,
            "Name": name,
            "IpAddressType": request.get("IpAddressType", "IPV4"),
            "Enabled": request.get("Enabled", True),
            "IpSets": [{"IpFamily": "IPv4", "IpAddresses": ["192.0.2.250", "198.51.100.52"]}],
            "DnsName": f"{hashlib.sha256(arn.encode()).hexdigest()[:16]}.awsglobalaccelerator.com",
            "Status": "DEPLOYED",
            "CreatedTime": now,
            "LastModifiedTime": now,
        }
        accelerators[arn] = {"kind": kind, "summary": summary, "attributes": {"FlowLogsEnabled": False}}
        return {"Accelerator": dict(summary)}


def _updated(attributes: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """The attributes after an update: the members given replace the ones held; turning flow logs on needs a
    bucket and a prefix (the API reference)."""
    changed = dict(attributes) | {k: request[k] for k in FLOW_LOG_ATTRIBUTES if k in request}
    if changed.get("FlowLogsEnabled") and not (changed.get("FlowLogsS3Bucket") and "FlowLogsS3Prefix" in changed):
        raise AcceleratorError(
            "InvalidArgumentException", "FlowLogsS3Bucket and FlowLogsS3Prefix are required when flow logs are enabled."
        )
    return changed


def _page(summaries: list[dict[str, Any]], request: dict[str, Any]) -> dict[str, Any]:
    size = request.get("MaxResults", 10)  # the API's default page
    if not isinstance(size, int) or not 1 <= size <= 100:
        raise AcceleratorError("InvalidArgumentException", "MaxResults must be between 1 and 100.")
    token = str(request.get("NextToken") or "0")
    if not token.isdigit() or int(token) > len(summaries):
        raise AcceleratorError("InvalidNextTokenException", "There isn't another item to return.")
    start = int(token)
    page: dict[str, Any] = {"Accelerators": [dict(s) for s in summaries[start : start + size]]}
    if start + size < len(summaries):
        page["NextToken"] = str(start + size)
    return page
