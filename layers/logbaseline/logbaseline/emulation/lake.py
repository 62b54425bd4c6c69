"""CloudTrail Lake event data stores, for the emulator: moto 5.2.5 implements none of their operations.

Create, Get, List and Update as the CloudTrail API reference documents them (botocore's `cloudtrail` model):
names `^[a-zA-Z0-9._\\-]+$` of 3 to 128 characters, unique per account and region; a retention of 7 to 3653 days,
at most 2557 with FIXED_RETENTION_PRICING; defaults of EXTENDABLE_RETENTION_PRICING, 366 days (2557 with fixed
pricing) and termination protection on; Update needs at least one setting besides the store and refuses a store
pending deletion. Errors carry AWS's codes. Answers are the JSON 1.1 bodies boto3 parses.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

NAME = re.compile(r"^[a-zA-Z0-9._\-]{3,128}$")
PRICING = ("EXTENDABLE_RETENTION_PRICING", "FIXED_RETENTION_PRICING")
MAX_RETENTION = {"EXTENDABLE_RETENTION_PRICING": 3653, "FIXED_RETENTION_PRICING": 2557}
DEFAULT_RETENTION = {"EXTENDABLE_RETENTION_PRICING": 366, "FIXED_RETENTION_PRICING": 2557}
SUMMARY = (
    "EventDataStoreArn",
    "Name",
    "TerminationProtectionEnabled",
    "Status",
    "AdvancedEventSelectors",
    "MultiRegionEnabled",
    "OrganizationEnabled",
    "RetentionPeriod",
    "CreatedTimestamp",
    "UpdatedTimestamp",
)
UPDATABLE = (
    "Name",
    "AdvancedEventSelectors",
    "MultiRegionEnabled",
    "OrganizationEnabled",
    "RetentionPeriod",
    "TerminationProtectionEnabled",
    "KmsKeyId",
    "BillingMode",
)


class LakeError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _invalid(message: str) -> LakeError:
    return LakeError("InvalidParameterException", message)


class EventDataStores:
    """Every account's and region's event data stores."""

    def __init__(self) -> None:
        self._stores: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._stores.clear()

    def answer(self, account_id: str, region: str, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            stores = self._stores.setdefault((account_id, region), {})
            if operation == "CreateEventDataStore":
                return self._create(stores, account_id, region, request)
            if operation == "ListEventDataStores":
                return {"EventDataStores": [{k: s[k] for k in SUMMARY if k in s} for s in stores.values()]}
            store = self._find(stores, str(request.get("EventDataStore", "")))
            if operation == "GetEventDataStore":
                return dict(store)
            return self._update(stores, store, request)

    def _create(self, stores: dict[str, Any], account_id: str, region: str, request: dict[str, Any]) -> dict[str, Any]:
        name = str(request.get("Name", ""))
        if not NAME.match(name):
            raise _invalid(f"Event data store name {name!r} is not valid.")
        if any(s["Name"] == name for s in stores.values()):
            raise LakeError("EventDataStoreAlreadyExistsException", f"Event data store {name} already exists.")
        pricing = request.get("BillingMode", PRICING[0])
        now = time.time()
        store = {
            "EventDataStoreArn": f"arn:aws:cloudtrail:{region}:{account_id}:eventdatastore/{uuid.uuid4()}",
            "Name": name,
            "Status": "ENABLED" if request.get("StartIngestion", True) else "CREATED",
            "AdvancedEventSelectors": request.get("AdvancedEventSelectors", []),
            "MultiRegionEnabled": request.get("MultiRegionEnabled", True),
            "OrganizationEnabled": request.get("OrganizationEnabled", False),
            "RetentionPeriod": request.get("RetentionPeriod", DEFAULT_RETENTION.get(pricing, 366)),
            "TerminationProtectionEnabled": request.get("TerminationProtectionEnabled", True),
            "BillingMode": pricing,
            "CreatedTimestamp": now,
            "UpdatedTimestamp": now,
        }
        if request.get("KmsKeyId"):
            store["KmsKeyId"] = request["KmsKeyId"]  # as given: the key is not checked
        self._check(store)
        stores[store["EventDataStoreArn"]] = store
        return dict(store)

    def _update(self, stores: dict[str, Any], store: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        changes = {k: request[k] for k in UPDATABLE if k in request}
        if not changes:
            raise _invalid("At least one parameter besides EventDataStore must be specified.")
        if store["Status"] == "PENDING_DELETION":
            raise LakeError("InactiveEventDataStoreException", f"Event data store {store['Name']} is inactive.")
        updated = store | changes | {"UpdatedTimestamp": time.time()}
        self._check(updated)
        stores[store["EventDataStoreArn"]] = updated
        return dict(updated)

    @staticmethod
    def _check(store: dict[str, Any]) -> None:
        if store["BillingMode"] not in PRICING:
            raise _invalid(f"Billing mode {store['BillingMode']} is not valid.")
        retention, ceiling = store["RetentionPeriod"], MAX_RETENTION[store["BillingMode"]]
        if not isinstance(retention, int) or not 7 <= retention <= ceiling:
            pricing = store["BillingMode"]
            raise _invalid(f"Retention period {retention} is not between 7 and {ceiling} days for {pricing}.")

    @staticmethod
    def _find(stores: dict[str, Any], wanted: str) -> dict[str, Any]:
        if not re.fullmatch(r"[a-zA-Z0-9._/\-:]{3,256}", wanted):
            raise LakeError("EventDataStoreARNInvalidException", f"The ARN {wanted} is not valid.")
        for arn, store in stores.items():
            if wanted in (arn, arn.rsplit("/", 1)[-1]):
                return store
        raise LakeError("EventDataStoreNotFoundException", f"Event data store {wanted} not found.")

    def mark_pending_deletion(self, account_id: str, region: str, arn: str) -> None:
        """What DeleteEventDataStore leaves for seven days (the demo and the tests set it directly)."""
        with self._lock:
            self._stores[(account_id, region)][arn]["Status"] = "PENDING_DELETION"
