"""Prowler's AWS mutelist, turned into exemption register entries for the checks that map to logbaseline's controls.

Prowler mutes by account (`*` or an id), check (names with `*`), regions and resources, where a resource is a regex
or a keyword found anywhere in the resource. Imported faithfully: `*` (and `.*`), and keywords without regex
characters (as `arn:*:*:*:*:*keyword*`, the same "contains"). Left out, each with its reason: checks with no
logbaseline control, regexes, and mutes with Tags or Exceptions (dropping them would exempt more than Prowler does).
A mutelist has no approver and no expiry: the person importing gives both.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Prowler check -> logbaseline control, where both judge the same thing (each id checked in Prowler's repository).
PROWLER_CHECKS = {
    "cloudtrail_multi_region_enabled": "cloudtrail_multi_region_logging",
    "cloudtrail_log_file_validation_enabled": "cloudtrail_log_file_validation_enabled",
    "cloudtrail_kms_encryption_enabled": "cloudtrail_kms_encryption_enabled",
    "cloudtrail_cloudwatch_logging_enabled": "cloudtrail_cloudwatch_logs_enabled",
    "cloudtrail_logs_s3_bucket_access_logging_enabled": "cloudtrail_bucket_access_logging_enabled",
    "cloudtrail_logs_s3_bucket_is_not_publicly_accessible": "cloudtrail_bucket_not_public",
    "cloudwatch_log_group_kms_encryption_enabled": "logs_log_group_kms_encryption_enabled",
    "cloudwatch_log_group_retention_policy_specific_days_enabled": "logs_log_group_retention_bounded",
    "config_recorder_all_regions_enabled": "config_recorder_active",
    "guardduty_is_enabled": "guardduty_enabled",
    "vpc_flow_logs_enabled": "vpc_flow_logs_enabled",
}
REGEX_CHARACTERS = re.compile(r"[\\^$.|?+()\[\]{}*]")


@dataclass
class Imported:
    entries: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line each: what was left out, and why


def import_mutelist(document: Any, approver: str, expires: date) -> Imported:
    result = Imported()
    mutes = document.get("Mutelist", document.get("Mute List")) if isinstance(document, Mapping) else None
    accounts = mutes.get("Accounts") if isinstance(mutes, Mapping) else None
    if not isinstance(accounts, Mapping):
        result.skipped.append("not a Prowler mutelist: expected Mutelist: Accounts: ...")
        return result
    for account, body in accounts.items():
        for check, mute in ((body or {}).get("Checks") or {}).items():
            where = f"account {account}, check {check}"
            controls = sorted({c for p, c in PROWLER_CHECKS.items() if fnmatch.fnmatchcase(p, check)})
            if not controls:
                result.skipped.append(f"{where}: no logbaseline control judges what this check does")
                continue
            if mute.get("Tags") or mute.get("Exceptions"):
                result.skipped.append(f"{where}: Tags and Exceptions have no equivalent; entering it without them "
                                      "would exempt more than Prowler mutes")  # fmt: skip
                continue
            resources = [_pattern(r) for r in mute.get("Resources") or ["*"]]
            if None in resources:
                result.skipped.append(f"{where}: a resource is a regex ({mute.get('Resources')}); write ARN patterns")
                continue
            reason = str(mute.get("Description") or f"imported from Prowler's mutelist ({check})")
            result.entries.append(
                {
                    "id": f"prowler-{len(result.entries) + 1}",
                    "accounts": [str(account)],
                    "regions": [str(r) for r in mute.get("Regions") or ["*"]],
                    "controls": controls,
                    "resources": resources,
                    "reason": reason,
                    "approver": approver,
                    "expires": expires.isoformat(),
                }
            )
    return result


def _pattern(resource: Any) -> str | None:
    text = str(resource)
    if text in ("*", ".*"):
        return "*"
    if not text or "*" in text or REGEX_CHARACTERS.search(text):
        return None
    return f"arn:*:*:*:*:*{text}*"
