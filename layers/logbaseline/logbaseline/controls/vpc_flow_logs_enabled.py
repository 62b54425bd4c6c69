"""Every VPC has an active flow log of its own that captures the configured traffic (see the description)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls._destinations import LOG_GROUP_KMS_KEY, ensure_log_group, in_account, is_s3_arn
from logbaseline.controls._vpcs import NOT_SUBNETS, VPC_FLOW_LOGS_ONLY, VPC_ID, read_vpcs, vpc_arn
from logbaseline.controls.base import (
    SEC04_BP01,
    Changes,
    CloudTrailTrigger,
    ConfigTrigger,
    Control,
    FixFailed,
    Parameter,
)
from logbaseline.controls.logs_log_group_retention_bounded import FLOOR, log_group_name
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

TRAFFIC_TYPE = Parameter(
    "flow_log_traffic_type", "ALL", "Traffic the flow log must capture.", ("ALL", "ACCEPT", "REJECT")
)
DESTINATION = Parameter(
    "flow_log_destination",
    "",
    "Where the fix sends new flow logs: an S3 bucket ARN (arn:aws:s3:::bucket[/prefix]) or a CloudWatch Logs "
    "log group name, which the fix creates with the retention floor. Empty: no fix.",
)
DELIVERY_ROLE = Parameter(
    "flow_log_delivery_role_arn", "", "Role that delivers flow logs to CloudWatch Logs (the template creates it)."
)


# How collect() names the DescribeFlowLogs fields it keeps.
FLOW_LOG_FIELDS = {
    "id": "FlowLogId",
    "traffic_type": "TrafficType",
    "status": "FlowLogStatus",
    "delivery_status": "DeliverLogsStatus",
    "delivery_error": "DeliverLogsErrorMessage",
    "destination": "LogDestination",  # an S3 bucket ARN (or a log group ARN)
    "log_group": "LogGroupName",
}


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    ec2 = clients("ec2")
    vpcs = read_vpcs(clients, scope)
    if not vpcs:
        return []
    log_filter = {"Filters": [{"Name": "resource-id", "Values": list(vpcs)}]} if scope.resource_id else {}
    flow_logs: dict[str, list[dict[str, Any]]] = {v: [] for v in vpcs}
    for page in ec2.get_paginator("describe_flow_logs").paginate(**log_filter):
        for log in page["FlowLogs"]:
            if log.get("ResourceId") in flow_logs:
                flow_logs[log["ResourceId"]].append({key: log.get(field) for key, field in FLOW_LOG_FIELDS.items()})
    arn = vpc_arn(Scope(scope.account_id, scope.region, "{}"))
    return [
        Resource(scope.account_id, scope.region, arn.format(v), {"vpc_id": v, "flow_logs": logs}, tags=vpcs[v])
        for v, logs in flow_logs.items()
    ]


def _captures(log_traffic: str | None, wanted: str) -> bool:
    return log_traffic == "ALL" or log_traffic == wanted


def _unusable(params: Mapping[str, Any], resource: Resource) -> str:
    """Why the configured destination cannot take a fix here; empty when it can."""
    destination = params[DESTINATION.name]
    if not destination:
        return DESTINATION.unset()
    if is_s3_arn(destination):
        return ""
    if destination.startswith("arn:"):
        parts = destination.split(":")
        if ":log-group:" not in destination or parts[3:5] != [resource.region, resource.account_id]:
            return f"{destination} is neither an S3 bucket ARN nor a log group of this account and region"
    if not params[DELIVERY_ROLE.name]:
        return f"a CloudWatch Logs destination needs a delivery role: {DELIVERY_ROLE.unset()}"
    return ""


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    wanted = params[TRAFFIC_TYPE.name]
    logs = resource.state["flow_logs"]
    blocked = _unusable(params, resource)
    fixable = not blocked
    if not logs:
        return failed(f"the VPC has no flow log of its own ({NOT_SUBNETS})", fixable=fixable, blocked=blocked)
    capturing = [log for log in logs if _captures(log["traffic_type"], wanted)]
    if not capturing:
        return failed(f"no flow log captures {wanted} traffic", fixable=fixable, blocked=blocked)
    healthy = [log for log in capturing if log["status"] == "ACTIVE" and log["delivery_status"] != "FAILED"]
    if healthy:
        return passed(f"flow log {healthy[0]['id']} is active and captures {wanted} traffic")
    errors = "; ".join(f"{log['id']}: {log['delivery_error'] or log['status']}" for log in capturing)
    return failed(f"no flow log is delivering ({errors})", fixable=fixable, blocked=blocked)


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    destination, traffic = params[DESTINATION.name], params[TRAFFIC_TYPE.name]
    if problem := _unusable(params, resource):
        raise FixFailed(problem)
    to_s3 = is_s3_arn(destination)
    group = "" if to_s3 else log_group_name(destination)
    for log in resource.state["flow_logs"]:
        same = log["destination"] == destination if to_s3 else log["log_group"] == group
        if same and _captures(log["traffic_type"], traffic):
            raise FixFailed(
                f"flow log {log['id']} to {destination} exists but is not delivering: {log['delivery_error']}"
            )
    target: dict[str, Any]
    if to_s3:
        target = {"LogDestinationType": "s3", "LogDestination": destination}
    else:
        role = in_account(params[DELIVERY_ROLE.name], resource.account_id)
        ensure_log_group(changes, group, params[FLOOR.name], params[LOG_GROUP_KMS_KEY.name])
        target = {"LogDestinationType": "cloud-watch-logs", "LogGroupName": group, "DeliverLogsPermissionArn": role}
    response = changes.call(
        "ec2",
        "create_flow_logs",
        ResourceType="VPC",
        ResourceIds=[resource.state["vpc_id"]],
        TrafficType=traffic,
        **target,
    )
    if response.get("Unsuccessful"):
        raise FixFailed("; ".join(item["Error"]["Message"] for item in response["Unsuccessful"]))


CONTROL = Control(
    id="vpc_flow_logs_enabled",
    title="VPCs have an active flow log",
    description="Every VPC has a flow log that is active, delivers without error and captures the configured "
    f"traffic. {VPC_FLOW_LOGS_ONLY}",
    severity=Severity.MEDIUM,
    resource_type="AwsEc2Vpc",
    related_requirements=(SEC04_BP01, "Security Hub EC2.6", *cis(v3="3.7", v14="3.9")),
    collect=collect,
    evaluate=evaluate,
    resource_id=vpc_arn,
    remediation_text="Create a flow log to the configured destination and check that it delivers.",
    config_triggers=(
        ConfigTrigger("AWS::EC2::VPC"),
        # A flow log's configuration names its VPC (or subnet, interface, transit gateway: ignored); a deleted
        # one names nothing.
        ConfigTrigger("AWS::EC2::FlowLog", "configuration.resourceId", VPC_ID),
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger("ec2.amazonaws.com", ("CreateVpc",), "responseElements.vpc.vpcId"),
        CloudTrailTrigger(
            "ec2.amazonaws.com", ("CreateFlowLogs",), "requestParameters.CreateFlowLogsRequest.ResourceId", VPC_ID
        ),
        # DeleteFlowLogs names flow logs, not VPCs: re-evaluate every VPC of the region.
        CloudTrailTrigger("ec2.amazonaws.com", ("DeleteFlowLogs",)),
    ),
    parameters=(TRAFFIC_TYPE, DESTINATION, DELIVERY_ROLE, FLOOR, LOG_GROUP_KMS_KEY),
    read_actions=("ec2:DescribeVpcs", "ec2:DescribeFlowLogs", "logs:DescribeLogGroups"),
    write_actions=("ec2:CreateFlowLogs", "logs:CreateLogGroup", "logs:PutRetentionPolicy"),
    remediate=remediate,
    default_mode=Mode.DRY_RUN,
    fix_description="Create a flow log to the configured destination (a new log group gets the retention floor).",
)
