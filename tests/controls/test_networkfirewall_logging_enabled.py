"""networkfirewall_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls.networkfirewall_logging_enabled import CONTROL, firewall_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ARN = "arn:aws:network-firewall:us-east-1:123456789012:firewall/edge-firewall"  # the samples' firewall
POLICY = "arn:aws:network-firewall:us-east-1:123456789012:firewall-policy/edge-policy"


def destination(log_type: str) -> dict:
    return {"LogType": log_type, "LogDestinationType": "S3", "LogDestination": {"bucketName": "firewall-logs"}}


@pytest.mark.parametrize(
    ("destinations", "status", "phrase"),
    [
        ({}, Status.FAILED, "firewall edge-firewall does not log FLOW or ALERT traffic"),
        ({"FLOW": "S3"}, Status.FAILED, "does not log ALERT traffic"),
        ({"ALERT": "CloudWatchLogs", "TLS": "S3"}, Status.FAILED, "does not log FLOW traffic"),
        ({"FLOW": "S3", "ALERT": "CloudWatchLogs"}, Status.PASSED, "logs FLOW to S3, ALERT to CloudWatchLogs"),
    ],
)
def test_evaluate(destinations, status, phrase):
    state = {"name": "edge-firewall", "destinations": destinations}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub NetworkFirewall.2" in CONTROL.related_requirements
    assert firewall_arn(Scope("123456789012", REGION, "edge-firewall")) == ARN
    assert firewall_arn(Scope("123456789012", REGION, ARN)) == ARN


# --- round trips on the moto server -------------------------------------------------------


def create_firewall(aws, name="edge-firewall") -> str:
    vpc = aws("ec2").create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = aws("ec2").create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    created = aws("network-firewall").create_firewall(
        FirewallName=name, FirewallPolicyArn=POLICY, VpcId=vpc, SubnetMappings=[{"SubnetId": subnet}]
    )
    return created["Firewall"]["FirewallArn"]


def log(aws, *log_types: str) -> None:
    configuration = {"LogDestinationConfigs": [destination(t) for t in log_types]}
    aws("network-firewall").update_logging_configuration(FirewallArn=ARN, LoggingConfiguration=configuration)


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_then_flow_only_then_both(aws, account_id):
    """CreateFirewall -> FAILED, no fix; FLOW only -> FAILED; FLOW and ALERT -> PASSED."""
    assert create_firewall(aws) == ARN
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/network-firewall-CreateFirewall.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert (
        finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsNetworkFirewallFirewall"
    )

    log(aws, "FLOW")
    report = service.evaluate_event(load_event("cloudtrail/network-firewall-UpdateLoggingConfiguration.json"))
    assert [o.verdict.status for o in mine(report)] == [Status.FAILED]
    log(aws, "FLOW", "ALERT")
    report = service.evaluate_event(load_event("config/AWS-NetworkFirewall-Firewall.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.PASSED)]


def test_found_by_name_and_a_firewall_gone_is_archived(aws, account_id):
    """moto has no DeleteFirewall (docs/emulator-gaps.md): an event naming a firewall that is not there stands in."""
    create_firewall(aws)
    assert [r.resource_id for r in CONTROL.collect(aws, Scope(account_id, REGION, "edge-firewall"))] == [ARN]
    gone = ARN.replace("edge-firewall", "retired-firewall")
    event = json.loads(
        json.dumps(load_event("cloudtrail/network-firewall-UpdateLoggingConfiguration.json")).replace(ARN, gone)
    )
    report = make_service(account_id).evaluate_event(event)
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, gone)]
    assert findings_by_resource(aws)[(CONTROL.id, gone)]["RecordState"] == "ARCHIVED"
