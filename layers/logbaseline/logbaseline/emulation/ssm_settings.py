"""Systems Manager's account service settings, for the emulator: moto 5.2.5 implements none of their operations.

GetServiceSetting, UpdateServiceSetting and ResetServiceSetting as the Systems Manager API reference documents them
(botocore's `ssm` model) for the two Automation logging settings: a setting is named by its id
(`/ssm/automation/...`) or its ARN (`arn:<partition>:ssm:<region>:<account>:servicesetting/ssm/automation/...`); an
unknown id is `ServiceSettingNotFound`; `customer-script-log-destination` takes only `CloudWatch` (turning it off is
ResetServiceSetting); a setting never changed has `Status: Default`. Answers are the JSON 1.1 bodies boto3 parses.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from logbaseline.aws import partition

DESTINATION = "/ssm/automation/customer-script-log-destination"
GROUP_NAME = "/ssm/automation/customer-script-log-group-name"
DEFAULTS = {DESTINATION: "NONE", GROUP_NAME: "/aws/ssm/automation/executeScript"}
ALLOWED = {DESTINATION: ("CloudWatch",)}
OPERATIONS = ("GetServiceSetting", "UpdateServiceSetting", "ResetServiceSetting")


class SettingError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class ServiceSettings:
    """Every account's and region's changed settings (the rest keep AWS's defaults)."""

    def __init__(self) -> None:
        self._changed: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._changed.clear()

    def answer(self, account_id: str, region: str, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        setting_id = _setting_id(str(request.get("SettingId", "")))
        if setting_id not in DEFAULTS:
            raise SettingError("ServiceSettingNotFound", f"The service setting {request.get('SettingId')} is not found")
        key = (account_id, region, setting_id)
        with self._lock:
            if operation == "UpdateServiceSetting":
                value = str(request.get("SettingValue", ""))
                if not value or (setting_id in ALLOWED and value not in ALLOWED[setting_id]):
                    raise SettingError("ValidationException", f"Invalid setting value {value!r} for {setting_id}")
                self._changed[key] = {"SettingValue": value, "LastModifiedDate": time.time()}
                return {}
            if operation == "ResetServiceSetting":
                self._changed.pop(key, None)
            changed = self._changed.get(key)
        setting = {
            "SettingId": setting_id,
            "SettingValue": changed["SettingValue"] if changed else DEFAULTS[setting_id],
            "LastModifiedDate": changed["LastModifiedDate"] if changed else 0,
            "LastModifiedUser": "System",
            "ARN": f"arn:{partition(region)}:ssm:{region}:{account_id}:servicesetting{setting_id}",
            "Status": "Customized" if changed else "Default",
        }
        return {"ServiceSetting": setting}


def _setting_id(named: str) -> str:
    return "/" + named.split(":servicesetting/", 1)[1] if ":servicesetting/" in named else named
