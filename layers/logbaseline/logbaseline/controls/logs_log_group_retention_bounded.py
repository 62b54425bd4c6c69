"""A log group keeps its events for a bounded time: neither forever nor too briefly."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, Control, FixFailed, Parameter
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# The only values CloudWatch Logs accepts for retentionInDays; absent means never expire.
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

FLOOR = Parameter("retention_floor_days", 365, "Shortest retention a log group may have, in days.", RETENTION_DAYS)
CEILING = Parameter("retention_ceiling_days", 2557, "Longest retention a log group may have, in days.", RETENTION_DAYS)


def log_group_name(resource_id: str) -> str:
    """A log group name from its name or ARN (arn:...:log-group:NAME or NAME:*)."""
    if resource_id.startswith("arn:"):
        name = resource_id.split(":log-group:", 1)[1]
        return name.removesuffix(":*")
    return resource_id


def log_group_arn(scope: Scope) -> str:
    if scope.resource_id and scope.resource_id.startswith("arn:"):
        return scope.resource_id.removesuffix(":*")
    name = log_group_name(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:logs:{scope.region}:{scope.account_id}:log-group:{name}"


def read_log_groups(clients: Clients, name: str | None = None) -> list[dict[str, Any]]:
    """Every log group, or the one with this exact name (the API filters by prefix)."""
    query = {"logGroupNamePrefix": name} if name else {}
    groups = []
    for page in clients("logs").get_paginator("describe_log_groups").paginate(**query):
        groups.extend(g for g in page["logGroups"] if name is None or g["logGroupName"] == name)
    return groups


def log_group_resources(
    clients: Clients, scope: Scope, state: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> list[Resource]:
    """The scope's log groups as resources, each with its name and what `state` keeps of it."""
    name = log_group_name(scope.resource_id) if scope.resource_id else None
    return [
        Resource(
            scope.account_id,
            scope.region,
            log_group_arn(Scope(scope.account_id, scope.region, group["logGroupName"])),
            {"name": group["logGroupName"], **state(group)},
        )
        for group in read_log_groups(clients, name)
    ]


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    return log_group_resources(clients, scope, lambda group: {"retention_in_days": group.get("retentionInDays")})


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    retention = resource.state["retention_in_days"]
    floor, ceiling = params[FLOOR.name], params[CEILING.name]
    if retention is None:
        return failed(f"events never expire; the baseline keeps logs {floor} to {ceiling} days", fixable=True)
    if retention < floor:
        return failed(f"retention is {retention} days, below the floor of {floor}", fixable=True)
    if retention > ceiling:
        # Shortening a retention deletes logs: a person decides, never a fix.
        return failed(
            f"retention is {retention} days, above the ceiling of {ceiling}; shortening it is left to a person"
        )
    return passed(f"retention is {retention} days, within {floor} to {ceiling}")


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    retention, target = resource.state["retention_in_days"], params[FLOOR.name]
    if retention is not None and retention >= target:
        raise FixFailed(f"refused: setting {target} days would not lengthen the current {retention} days")
    changes.call("logs", "put_retention_policy", logGroupName=resource.state["name"], retentionInDays=target)


CONTROL = Control(
    id="logs_log_group_retention_bounded",
    title="CloudWatch Logs log groups keep events between a floor and a ceiling",
    description=(
        "A log group's retention is set and lies between the floor and the ceiling. "
        "Never-expire fails: logs kept forever are an anti-pattern of SEC04-BP01."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no log-group type
    related_requirements=(SEC04_BP01, "Security Hub CloudWatch.16"),
    collect=collect,
    evaluate=evaluate,
    resource_id=log_group_arn,
    remediation_text="Set the log group's retention to the floor; a retention above the ceiling is left to a person.",
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "logs.amazonaws.com",
            ("CreateLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy", "DeleteLogGroup"),
            "requestParameters.logGroupName",
        ),
    ),
    parameters=(FLOOR, CEILING),
    read_actions=("logs:DescribeLogGroups",),
    write_actions=("logs:PutRetentionPolicy",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description="Set the retention to the floor when it never expires or is below it; never shorten.",
)
