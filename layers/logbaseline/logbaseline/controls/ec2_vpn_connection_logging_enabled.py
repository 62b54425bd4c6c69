"""A Site-to-Site VPN connection sends both tunnels' logs (IKE, IPsec, dead-peer detection) to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

VPN_ID = r"vpn-[0-9a-f]+"
GONE = ("deleting", "deleted")


def vpn_id(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]  # vpn-... or arn:aws:ec2:region:account:vpn-connection/vpn-...


def vpn_arn(scope: Scope) -> str:
    region, account = scope.region, scope.account_id
    return f"arn:{partition(region)}:ec2:{region}:{account}:vpn-connection/{vpn_id(scope.resource_id or '')}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    ec2 = clients("ec2")
    try:  # DescribeVpnConnections has no paginator: it answers every connection of the region at once
        named = {"VpnConnectionIds": [vpn_id(scope.resource_id)]} if scope.resource_id else {}
        answer = ec2.describe_vpn_connections(**named)
    except ClientError as error:
        if error.response["Error"]["Code"] == "InvalidVpnConnectionID.NotFound":
            return []  # deleted since the event
        raise
    resources = []
    for connection in answer["VpnConnections"]:
        if connection.get("State") in GONE:
            continue
        tunnels = [
            {
                "outside_ip": tunnel.get("OutsideIpAddress", "?"),
                "logging": bool(cloudwatch.get("LogEnabled")),
                "log_group": cloudwatch.get("LogGroupArn", ""),
            }
            for tunnel in (connection.get("Options") or {}).get("TunnelOptions") or []
            for cloudwatch in [((tunnel.get("LogOptions") or {}).get("CloudWatchLogOptions") or {})]
        ]
        tags = {t["Key"]: t["Value"] for t in connection.get("Tags", [])}
        scoped = Scope(scope.account_id, scope.region, connection["VpnConnectionId"])
        state = {"id": connection["VpnConnectionId"], "tunnels": tunnels}
        resources.append(Resource(scope.account_id, scope.region, vpn_arn(scoped), state, tags=tags))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"VPN connection {state['id']}"
    tunnels = state["tunnels"]
    if not tunnels:
        return failed(f"{label} reports no tunnel options: no tunnel is seen to log to CloudWatch Logs")
    silent = [t["outside_ip"] for t in tunnels if not t["logging"]]
    if silent:
        return failed(f"{label}: the tunnel(s) at {', '.join(silent)} send no logs to CloudWatch Logs")
    groups = sorted({t["log_group"] for t in tunnels if t["log_group"]})
    return passed(f"{label} logs its {len(tunnels)} tunnels to {', '.join(groups) or 'CloudWatch Logs'}")


CONTROL = Control(
    id="ec2_vpn_connection_logging_enabled",
    title="Site-to-Site VPN connections log both tunnels",
    description=(
        "Every tunnel of a Site-to-Site VPN connection has CloudWatch Logs logging on "
        "(TunnelOptions[].LogOptions.CloudWatchLogOptions.LogEnabled), as Security Hub EC2.171 requires of both."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsEc2VpnConnection",
    related_requirements=(SEC04_BP01, "Security Hub EC2.171"),
    collect=collect,
    evaluate=evaluate,
    resource_id=vpn_arn,
    remediation_text=(
        "Turn on tunnel logging for each tunnel (ModifyVpnTunnelOptions with TunnelOptions.LogOptions."
        "CloudWatchLogOptions LogEnabled and a log group of your choice). The tunnel is interrupted while it "
        "changes: plan it."
    ),
    config_triggers=(ConfigTrigger("AWS::EC2::VPNConnection", "resourceId", VPN_ID),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "ec2.amazonaws.com",
            ("CreateVpnConnection", "ModifyVpnTunnelOptions"),
            "responseElements.vpnConnection.vpnConnectionId"
            " || requestParameters.ModifyVpnTunnelOptionsRequest.VpnConnectionId",
            VPN_ID,
        ),
    ),
    read_actions=("ec2:DescribeVpnConnections",),
    default_mode=Mode.OFF,
    fix_description="none: changing a tunnel's options interrupts it, and the log group is for a person to choose.",
)
