"""A trail signs its log files, so tampering with delivered logs can be detected."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls._trails import ORGANIZATION_TRAIL_REFUSAL, TRAIL_EVENT_SOURCE, own_trails, trail_arn
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control, FixFailed
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    return [
        Resource(
            scope.account_id,
            scope.region,
            trail["TrailARN"],
            {
                "name": trail["Name"],
                "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
                "organization": bool(trail.get("IsOrganizationTrail")),
            },
        )
        for trail in own_trails(clients, scope)  # judged once, in the account and home region that own it
    ]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    if resource.state["log_file_validation"]:
        return passed("log file validation is enabled")
    return failed(
        "log file validation is disabled: tampering with delivered log files would go unnoticed",
        fixable=not resource.state.get("organization"),
    )


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    if resource.state.get("organization"):
        raise FixFailed(ORGANIZATION_TRAIL_REFUSAL)
    if resource.state["log_file_validation"]:
        raise FixFailed("log file validation is already enabled")
    changes.call("cloudtrail", "update_trail", Name=resource.resource_id, EnableLogFileValidation=True)


CONTROL = Control(
    id="cloudtrail_log_file_validation_enabled",
    title="CloudTrail trails have log file validation enabled",
    description="A trail writes signed digest files, so changes to delivered log files can be detected.",
    severity=Severity.LOW,
    resource_type="AwsCloudTrailTrail",
    related_requirements=(SEC04_BP01, "Security Hub CloudTrail.4", *cis(v3="3.2", v14="3.2")),
    collect=collect,
    evaluate=evaluate,
    resource_id=trail_arn,
    remediation_text="Turn on log file validation for the trail.",
    config_triggers=(ConfigTrigger("AWS::CloudTrail::Trail", "ARN || resourceName"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(TRAIL_EVENT_SOURCE, ("CreateTrail", "UpdateTrail", "DeleteTrail"), "requestParameters.name"),
    ),
    read_actions=("cloudtrail:DescribeTrails",),
    write_actions=("cloudtrail:UpdateTrail",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description="UpdateTrail with EnableLogFileValidation.",
)
