"""A DMS replication task logs what it reads from the source (SOURCE_CAPTURE, SOURCE_UNLOAD) and writes to the target
(TARGET_APPLY, TARGET_LOAD) at LOGGER_SEVERITY_DEFAULT or more detail, to CloudWatch Logs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

SOURCE = ("SOURCE_CAPTURE", "SOURCE_UNLOAD")  # Security Hub DMS.8
TARGET = ("TARGET_APPLY", "TARGET_LOAD")  # Security Hub DMS.7
# LOGGER_SEVERITY_DEFAULT and the levels that log more; ERROR, WARNING and INFO log less (Security Hub DMS.7, DMS.8).
ENOUGH = ("LOGGER_SEVERITY_DEFAULT", "LOGGER_SEVERITY_DEBUG", "LOGGER_SEVERITY_DETAILED_DEBUG")
DMS_DEFAULT_SEVERITY = "LOGGER_SEVERITY_DEFAULT"  # a component the settings do not list logs at DMS's default


def task_arn(scope: Scope) -> str:
    return scope.resource_id or ""  # every trigger names the task by its ARN


def logging_of(settings: str | None) -> dict[str, Any]:
    """EnableLogging and each watched component's severity, from the task's settings document. No document (moto,
    docs/emulator-gaps.md) reads as DMS's defaults: logging off."""
    logging = (json.loads(settings) if settings else {}).get("Logging") or {}
    listed = {c.get("Id"): c.get("Severity") for c in logging.get("LogComponents") or []}
    return {
        "enabled": logging.get("EnableLogging") is True,
        "severities": {c: listed.get(c) or DMS_DEFAULT_SEVERITY for c in (*SOURCE, *TARGET)},
    }


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    dms = clients("dms")
    query: dict[str, Any] = {"WithoutSettings": False}
    if scope.resource_id:
        query["Filters"] = [{"Name": "replication-task-arn", "Values": [scope.resource_id]}]
    try:
        tasks = [
            t
            for page in dms.get_paginator("describe_replication_tasks").paginate(**query)
            for t in page["ReplicationTasks"]
        ]
    except dms.exceptions.ResourceNotFoundFault:
        return []  # AWS's answer when no task matches (a deleted one, or none in the region)
    resources = []
    for task in tasks:
        state = {"name": task["ReplicationTaskIdentifier"]} | logging_of(task.get("ReplicationTaskSettings"))
        resources.append(Resource(scope.account_id, scope.region, task["ReplicationTaskArn"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"replication task {state['name']}"
    if not state["enabled"]:
        return failed(f"{label} has task logging off (Logging.EnableLogging false): neither database's side is logged")
    low = {c: s for c, s in state["severities"].items() if s not in ENOUGH}
    if low:
        listed = ", ".join(f"{c} at {s}" for c, s in sorted(low.items()))
        sides = [side for side, ids in (("source", SOURCE), ("target", TARGET)) if set(ids) & set(low)]
        return failed(f"{label} logs {listed}, below LOGGER_SEVERITY_DEFAULT (the {' and '.join(sides)} database)")
    return passed(f"{label} logs {', '.join(f'{c} at {s}' for c, s in state['severities'].items())}")


CONTROL = Control(
    id="dms_replication_task_logging_enabled",
    title="DMS replication tasks log the source and target databases",
    description=(
        "A replication task has logging on, and SOURCE_CAPTURE, SOURCE_UNLOAD, TARGET_APPLY and TARGET_LOAD at "
        "LOGGER_SEVERITY_DEFAULT, DEBUG or DETAILED_DEBUG (a component its settings leave out logs at DMS's "
        "default). One finding per task holds both Security Hub controls."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsDmsReplicationTask",
    related_requirements=(SEC04_BP01, "Security Hub DMS.7", "Security Hub DMS.8"),
    collect=collect,
    evaluate=evaluate,
    resource_id=task_arn,
    remediation_text=(
        "Stop the task, then ModifyReplicationTask with ReplicationTaskSettings Logging.EnableLogging true and "
        "the four components at LOGGER_SEVERITY_DEFAULT (console: Task logs); DMS writes to the log group "
        "dms-tasks-<replication instance>, whose retention the retention control judges. Restart the task."
    ),
    config_triggers=(ConfigTrigger("AWS::DMS::ReplicationTask", "ARN"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "dms.amazonaws.com",
            ("CreateReplicationTask", "ModifyReplicationTask"),
            "responseElements.replicationTask.replicationTaskArn || requestParameters.replicationTaskArn",
        ),
    ),
    read_actions=("dms:DescribeReplicationTasks",),
    default_mode=Mode.OFF,
    fix_description="none: changing a task's settings needs the task stopped, a person's choice.",
)
