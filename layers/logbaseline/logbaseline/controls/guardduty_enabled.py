"""Each account and region has an enabled GuardDuty detector."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control, FixFailed
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    guardduty = clients("guardduty")
    ids = [i for page in guardduty.get_paginator("list_detectors").paginate() for i in page["DetectorIds"]]
    detectors = [{"id": i, "status": guardduty.get_detector(DetectorId=i).get("Status")} for i in ids]
    return [Resource(scope.account_id, scope.region, account_id(scope), {"detectors": detectors})]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    detectors = resource.state["detectors"]
    enabled = [d for d in detectors if d["status"] == "ENABLED"]
    if enabled:
        return passed(f"GuardDuty detector {enabled[0]['id']} is enabled")
    if not detectors:
        return failed("GuardDuty has no detector in this region", fixable=True)
    return failed(f"GuardDuty detector {detectors[0]['id']} is {detectors[0]['status']}", fixable=True)


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    detectors = resource.state["detectors"]
    if any(d["status"] == "ENABLED" for d in detectors):
        raise FixFailed("refused: a detector is already enabled")
    if not detectors:
        # One detector per account and region; AWS turns on its default protection plans with it (they cost).
        changes.call("guardduty", "create_detector", Enable=True)
        return
    for detector in detectors:  # at most one
        changes.call("guardduty", "update_detector", DetectorId=detector["id"], Enable=True)


CONTROL = Control(
    id="guardduty_enabled",
    title="GuardDuty is enabled",
    description="The account has a GuardDuty detector in the region and it is enabled (not suspended).",
    severity=Severity.HIGH,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01, "Security Hub GuardDuty.1"),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "Enable GuardDuty: create a detector, or re-enable the suspended one (UpdateDetector). GuardDuty is billed."
    ),
    # The detector id says nothing the control needs: it judges the whole account and region.
    config_triggers=(ConfigTrigger("AWS::GuardDuty::Detector", None),),
    cloudtrail_triggers=(
        CloudTrailTrigger("guardduty.amazonaws.com", ("CreateDetector", "DeleteDetector", "UpdateDetector")),
    ),
    read_actions=("guardduty:ListDetectors", "guardduty:GetDetector"),
    write_actions=("guardduty:CreateDetector", "guardduty:UpdateDetector"),
    remediate=remediate,
    default_mode=Mode.OFF,
    fix_description=(
        "CreateDetector(Enable=true) when none exists, else UpdateDetector(Enable=true); off by default (it costs)."
    ),
)
