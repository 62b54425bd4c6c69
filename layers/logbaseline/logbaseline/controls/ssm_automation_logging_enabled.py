"""Systems Manager Automation sends its aws:executeScript output to CloudWatch Logs (an account setting per region)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

DESTINATION = "/ssm/automation/customer-script-log-destination"
GROUP_NAME = "/ssm/automation/customer-script-log-group-name"
CLOUDWATCH = "CloudWatch"  # the one value that sends the output; ResetServiceSetting turns it off


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    ssm = clients("ssm")
    settings = {
        setting: ssm.get_service_setting(SettingId=setting)["ServiceSetting"].get("SettingValue", "")
        for setting in (DESTINATION, GROUP_NAME)
    }
    state = {"destination": settings[DESTINATION], "log_group": settings[GROUP_NAME]}
    return [Resource(scope.account_id, scope.region, account_id(scope), state)]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    if state["destination"].casefold() == CLOUDWATCH.casefold():
        return passed(f"Automation sends aws:executeScript output to the log group {state['log_group'] or '(default)'}")
    return failed(
        f"Automation's script output goes to no log ({DESTINATION} is {state['destination'] or 'unset'}): "
        "what runbooks' scripts did in this region is not logged"
    )


CONTROL = Control(
    id="ssm_automation_logging_enabled",
    title="Systems Manager Automation logs script output to CloudWatch Logs",
    description=(
        f"The account's {DESTINATION} service setting is {CLOUDWATCH} in the region, so the output of every "
        "runbook's aws:executeScript steps reaches a CloudWatch Logs log group (judged once per account and region)."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01, "Security Hub SSM.6"),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "In Systems Manager Automation's preferences, send output to CloudWatch Logs (UpdateServiceSetting "
        f"{DESTINATION} = {CLOUDWATCH}, and {GROUP_NAME} = a log group of your choice). The roles that run "
        "automations need logs:CreateLogStream and logs:PutLogEvents on that group."
    ),
    cloudtrail_triggers=(CloudTrailTrigger("ssm.amazonaws.com", ("UpdateServiceSetting", "ResetServiceSetting")),),
    read_actions=("ssm:GetServiceSetting",),
    default_mode=Mode.OFF,
    fix_description="none: the log group, and the automation roles' permission to write to it, are for a person.",
)
