"""An Amazon Connect instance sends its flow logs (each contact's path through the flows) to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.session import get_session

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

FLOW_LOGS = "CONTACTFLOW_LOGS"
NOT_YET = ("CREATION_IN_PROGRESS", "CREATION_FAILED")  # no flows run on such an instance


def instance_arn(scope: Scope) -> str:
    named = scope.resource_id or ""
    if named.startswith("arn:"):
        return named
    return f"arn:{partition(scope.region)}:connect:{scope.region}:{scope.account_id}:instance/{named}"


@cache
def offered() -> frozenset[str]:
    """The regions where Amazon Connect is offered (botocore's endpoint data): elsewhere there is nothing to judge."""
    return frozenset(get_session().get_available_regions("connect"))


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    if scope.region not in offered():
        return []
    connect = clients("connect")
    wanted = instance_arn(scope).rsplit("/", 1)[-1] if scope.resource_id else None  # the one the event names
    pages = connect.get_paginator("list_instances").paginate()
    found = [i for page in pages for i in page["InstanceSummaryList"] if wanted in (None, i["Id"])]
    resources = []
    for instance in found:
        if instance.get("InstanceStatus") in NOT_YET:
            continue
        try:
            attribute = connect.describe_instance_attribute(InstanceId=instance["Id"], AttributeType=FLOW_LOGS)
        except connect.exceptions.ResourceNotFoundException:
            continue  # deleted since the listing
        state = {
            "name": instance.get("InstanceAlias") or instance["Id"],
            "flow_logs": attribute["Attribute"].get("Value") == "true",
        }
        resources.append(Resource(scope.account_id, scope.region, instance["Arn"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    name = resource.state["name"]
    if resource.state["flow_logs"]:
        return passed(f"Connect instance {name} sends flow logs to CloudWatch Logs (/aws/connect/{name})")
    return failed(f"Connect instance {name} has flow logs off: what its flows did with each contact is not logged")


CONTROL = Control(
    id="connect_instance_logging_enabled",
    title="Amazon Connect instances send flow logs to CloudWatch Logs",
    description=(
        f"An active instance's {FLOW_LOGS} attribute is true, so the flows that enable logging write to its "
        "CloudWatch Logs log group (/aws/connect/<alias>)."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no Connect instance type
    related_requirements=(SEC04_BP01, "Security Hub Connect.2"),
    collect=collect,
    evaluate=evaluate,
    resource_id=instance_arn,
    remediation_text=(
        "Turn on flow logs for the instance (UpdateInstanceAttribute CONTACTFLOW_LOGS true, or Data storage > "
        "Flow logs in the console), and keep the Set logging behavior block on in the flows you need to audit."
    ),
    config_triggers=(ConfigTrigger("AWS::Connect::Instance", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "connect.amazonaws.com",
            ("CreateInstance", "UpdateInstanceAttribute"),
            "responseElements.Arn || requestParameters.InstanceId",
        ),
    ),
    # ListInstances also needs ds:DescribeDirectories (its dependent action in the Service Authorization Reference).
    read_actions=("connect:ListInstances", "ds:DescribeDirectories", "connect:DescribeInstanceAttribute"),
    default_mode=Mode.OFF,
    fix_description="none: flow logs are billed, and which flows write them is the contact centre's own design.",
)
