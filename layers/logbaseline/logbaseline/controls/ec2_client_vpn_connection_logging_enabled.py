"""A Client VPN endpoint logs its client connections (who connected, from where, when, and every failed attempt)
to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

ENDPOINT_ID = r"^cvpn-endpoint-[0-9a-f]+$"
GONE = ("deleting", "deleted")


def endpoint_id(value: str) -> str:
    return value.rsplit("/", 1)[-1]  # from the id or the ARN (…:client-vpn-endpoint/cvpn-endpoint-…)


def endpoint_arn(scope: Scope) -> str:
    found = endpoint_id(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:ec2:{scope.region}:{scope.account_id}:client-vpn-endpoint/{found}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    ec2 = clients("ec2")
    query = {"ClientVpnEndpointIds": [endpoint_id(scope.resource_id)]} if scope.resource_id else {}
    try:
        pages = ec2.get_paginator("describe_client_vpn_endpoints").paginate(**query)
        endpoints = [e for page in pages for e in page["ClientVpnEndpoints"]]
    except ClientError as error:
        if error.response["Error"]["Code"] == "InvalidClientVpnEndpointId.NotFound":
            return []  # deleted since the event
        raise
    resources = []
    for endpoint in endpoints:
        if (endpoint.get("Status") or {}).get("Code") in GONE:
            continue
        options = endpoint.get("ConnectionLogOptions") or {}
        state = {
            "id": endpoint["ClientVpnEndpointId"],
            "enabled": options.get("Enabled") is True,
            "log_group": options.get("CloudwatchLogGroup") or "",
        }
        arn = endpoint_arn(Scope(scope.account_id, scope.region, endpoint["ClientVpnEndpointId"]))
        resources.append(Resource(scope.account_id, scope.region, arn, state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"Client VPN endpoint {state['id']}"
    if state["enabled"]:
        return passed(f"{label} logs client connections to CloudWatch Logs log group {state['log_group']}")
    return failed(f"{label} has connection logging off: who connected, and every failed attempt, goes unlogged")


CONTROL = Control(
    id="ec2_client_vpn_connection_logging_enabled",
    title="Client VPN endpoints log client connections",
    description="A Client VPN endpoint's ConnectionLogOptions are enabled, to a CloudWatch Logs log group.",
    severity=Severity.MEDIUM,
    resource_type="AwsEc2ClientVpnEndpoint",
    related_requirements=(SEC04_BP01, "Security Hub EC2.51"),
    collect=collect,
    evaluate=evaluate,
    resource_id=endpoint_arn,
    remediation_text=(
        "Turn on connection logging for the endpoint (ModifyClientVpnEndpoint ConnectionLogOptions Enabled, with "
        "a CloudWatch Logs log group of your choice, whose retention the retention control judges); the change "
        "does not drop connected clients."
    ),
    config_triggers=(ConfigTrigger("AWS::EC2::ClientVpnEndpoint", "resourceId", id_pattern=ENDPOINT_ID),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "ec2.amazonaws.com",
            ("CreateClientVpnEndpoint", "ModifyClientVpnEndpoint"),
            "responseElements.CreateClientVpnEndpointResponse.clientVpnEndpointId"
            " || requestParameters.ModifyClientVpnEndpointRequest.ClientVpnEndpointId",
            id_pattern=ENDPOINT_ID,
        ),
    ),
    read_actions=("ec2:DescribeClientVpnEndpoints",),
    default_mode=Mode.OFF,
    fix_description="none: the log group is for a person to choose.",
)
