"""A DataSync task publishes its transfer logs to CloudWatch Logs (what moved, what failed, what was verified)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

LOGGING = ("BASIC", "TRANSFER")  # OFF publishes nothing
ENHANCED_LOG_GROUP = "/aws/datasync"  # where an Enhanced mode task logs without a group set (CreateTask's model)


def task_arn(scope: Scope) -> str:
    named = scope.resource_id or ""
    if named.startswith("arn:"):
        return named
    return f"arn:{partition(scope.region)}:datasync:{scope.region}:{scope.account_id}:task/{named}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    datasync = clients("datasync")
    if scope.resource_id:
        arns = [task_arn(scope)]
    else:
        pages = datasync.get_paginator("list_tasks").paginate()
        arns = [t["TaskArn"] for page in pages for t in page["Tasks"]]
    resources = []
    for arn in arns:
        try:
            task = datasync.describe_task(TaskArn=arn)
        except datasync.exceptions.InvalidRequestException:
            continue  # deleted since the event or the listing (DataSync answers an unknown task so)
        state = {
            "name": task.get("Name") or arn.rsplit("/", 1)[-1],
            "level": (task.get("Options") or {}).get("LogLevel") or "OFF",
            "log_group": task.get("CloudWatchLogGroupArn") or "",
            "mode": task.get("TaskMode") or "BASIC",
        }
        resources.append(Resource(scope.account_id, scope.region, task["TaskArn"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"DataSync task {state['name']}"
    group = state["log_group"] or (ENHANCED_LOG_GROUP if state["mode"] == "ENHANCED" else "")
    if state["level"] in LOGGING and group:
        return passed(f"{label} logs at {state['level']} to {group}")
    if state["level"] in LOGGING:
        return failed(f"{label} logs at {state['level']} but has no log group: its transfers are not logged")
    return failed(f"{label} has LogLevel {state['level']}: what it transfers, skips and fails is not logged")


CONTROL = Control(
    id="datasync_task_logging_enabled",
    title="DataSync tasks log their transfers to CloudWatch Logs",
    description=(
        "A task's LogLevel is BASIC or TRANSFER (OFF fails), with a CloudWatch Logs log group; an Enhanced mode "
        f"task needs none, since DataSync sends its logs to {ENHANCED_LOG_GROUP}. AWS Config's rule also fails a "
        "level other than the one it is given (BASIC by default); logbaseline passes either level."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no DataSync task type
    related_requirements=(SEC04_BP01, "Security Hub DataSync.1"),
    collect=collect,
    evaluate=evaluate,
    resource_id=task_arn,
    remediation_text=(
        "Set the task's logging (UpdateTask Options.LogLevel BASIC or TRANSFER, and CloudWatchLogGroupArn for a "
        "Basic mode task); the log group's resource policy must let datasync.amazonaws.com write to it."
    ),
    config_triggers=(ConfigTrigger("AWS::DataSync::Task", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "datasync.amazonaws.com",
            ("CreateTask", "UpdateTask"),
            "responseElements.taskArn || requestParameters.taskArn",
        ),
    ),
    read_actions=("datasync:ListTasks", "datasync:DescribeTask"),
    default_mode=Mode.OFF,
    fix_description="none: the log group and its resource policy for DataSync are for a person to choose.",
)
