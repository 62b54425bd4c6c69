"""ec2_vpn_connection_logging_enabled: the pure verdict, AWS's answer through botocore's model, and moto round trips.

moto keeps no tunnel options (no LogOptions, no ModifyVpnTunnelOptions; docs/emulator-gaps.md): a logging
connection is read through a Stubber, which holds each answer to botocore's DescribeVpnConnections shape."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from logbaseline.controls.ec2_vpn_connection_logging_enabled import CONTROL, vpn_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ACCOUNT = "123456789012"
VPN = "vpn-0f1e2d3c4b5a69780"  # the samples' connection
ARN = f"arn:aws:ec2:us-east-1:{ACCOUNT}:vpn-connection/{VPN}"
GROUP = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/vpn/orders-dc"


def tunnel(ip: str, logging: bool, group: str = GROUP) -> dict:
    return {"outside_ip": ip, "logging": logging, "log_group": group if logging else ""}


@pytest.mark.parametrize(
    ("tunnels", "status", "phrase"),
    [
        ([tunnel("203.0.113.20", True), tunnel("203.0.113.21", True)], Status.PASSED, f"logs its 2 tunnels to {GROUP}"),
        ([tunnel("203.0.113.20", True), tunnel("203.0.113.21", False)], Status.FAILED, "at 203.0.113.21 send no logs"),
        ([tunnel("203.0.113.20", False), tunnel("203.0.113.21", False)], Status.FAILED, "203.0.113.20, 203.0.113.21"),
        ([], Status.FAILED, "reports no tunnel options"),
    ],
)
def test_evaluate(tunnels, status, phrase):
    verdict = CONTROL.evaluate(Resource(ACCOUNT, REGION, ARN, {"id": VPN, "tunnels": tunnels}), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub EC2.171" in CONTROL.related_requirements
    assert vpn_arn(Scope(ACCOUNT, REGION, VPN)) == ARN == vpn_arn(Scope(ACCOUNT, REGION, ARN))


# --- AWS's answer, held to botocore's model -----------------------------------------------


def aws_connection(first: bool, second: bool) -> dict:
    def option(ip: str, on: bool) -> dict:
        cloudwatch = {"LogEnabled": False}
        if on:
            cloudwatch = {"LogEnabled": True, "LogGroupArn": GROUP, "LogOutputFormat": "json"}
        return {"OutsideIpAddress": ip, "LogOptions": {"CloudWatchLogOptions": cloudwatch}}

    return {
        "VpnConnectionId": VPN,
        "State": "available",
        "Type": "ipsec.1",
        "CustomerGatewayId": "cgw-0a1b2c3d4e5f60718",
        "VpnGatewayId": "vgw-0a1b2c3d4e5f60718",
        "Options": {"TunnelOptions": [option("203.0.113.20", first), option("203.0.113.21", second)]},
        "Tags": [{"Key": "team", "Value": "network"}],
    }


@pytest.mark.parametrize(("first", "second", "status"), [(True, True, "PASSED"), (True, False, "FAILED")])
def test_collect_reads_each_tunnels_log_options_as_aws_answers(first, second, status):
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_vpn_connections", {"VpnConnections": [aws_connection(first, second)]}, {"VpnConnectionIds": [VPN]}
        )
        [resource] = CONTROL.collect(lambda service: ec2, Scope(ACCOUNT, REGION, ARN))
        stub.assert_no_pending_responses()
    assert resource.resource_id == ARN and resource.tags == {"team": "network"}
    assert CONTROL.evaluate(resource, {}).status.value == status


def test_a_connection_gone_since_the_event_is_not_read():
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(ec2) as stub:
        stub.add_client_error("describe_vpn_connections", "InvalidVpnConnectionID.NotFound", http_status_code=400)
        deleting = aws_connection(True, True) | {"State": "deleted"}
        stub.add_response("describe_vpn_connections", {"VpnConnections": [deleting]}, {})
        assert CONTROL.collect(lambda service: ec2, Scope(ACCOUNT, REGION, VPN)) == []
        assert CONTROL.collect(lambda service: ec2, Scope(ACCOUNT, REGION)) == []


# --- round trips on the moto server -------------------------------------------------------


def create(aws) -> str:
    ec2 = aws("ec2")
    gateway = ec2.create_customer_gateway(BgpAsn=65000, PublicIp="198.51.100.7", Type="ipsec.1")["CustomerGateway"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]
    connection = ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=gateway["CustomerGatewayId"], VpnGatewayId=vgw["VpnGatewayId"]
    )
    return connection["VpnConnection"]["VpnConnectionId"]


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def as_sample(event: dict, vpn: str) -> dict:
    """The sample event, naming the emulator's connection instead of the sample's."""
    detail = event["detail"]
    if "vpnConnection" in (detail.get("responseElements") or {}):
        detail["responseElements"]["vpnConnection"]["vpnConnectionId"] = vpn
    return event


def test_round_trip_created_without_tunnel_logging_then_deleted(aws, account_id):
    """CreateVpnConnection -> FAILED, no fix; the connection deleted -> the finding is archived."""
    vpn = create(aws)
    arn = f"arn:aws:ec2:{REGION}:{account_id}:vpn-connection/{vpn}"
    service = make_service(account_id)
    report = service.evaluate_event(as_sample(load_event("cloudtrail/ec2-CreateVpnConnection.json"), vpn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsEc2VpnConnection"

    aws("ec2").delete_vpn_connection(VpnConnectionId=vpn)
    report = service.evaluate_event(as_sample(load_event("cloudtrail/ec2-CreateVpnConnection.json"), vpn))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"


def test_collect_every_connection_of_the_region(aws, account_id):
    made = {create(aws), create(aws)}
    found = CONTROL.collect(aws, Scope(account_id, REGION))
    assert {r.state["id"] for r in found} == made
    assert {CONTROL.evaluate(r, {}).status for r in found} == {Status.FAILED}
