"""ec2_client_vpn_connection_logging_enabled: the pure verdict, the reads on botocore's Stubber (moto has no Client
VPN; docs/emulator-gaps.md), and a round trip of the service on moto with the EC2 client stubbed."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from logbaseline.aws import Clients
from logbaseline.controls.ec2_client_vpn_connection_logging_enabled import CONTROL, endpoint_arn
from logbaseline.engine import AccountClients, Service
from logbaseline.engine.settings import Settings
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event

ID = "cvpn-endpoint-0a1b2c3d4e5f67890"  # the samples' endpoint
ARN = f"arn:aws:ec2:us-east-1:123456789012:client-vpn-endpoint/{ID}"


@pytest.mark.parametrize(
    ("enabled", "status", "phrase"),
    [
        (True, Status.PASSED, "logs client connections to CloudWatch Logs log group /vpn/connections"),
        (False, Status.FAILED, "has connection logging off"),
    ],
)
def test_evaluate(enabled, status, phrase):
    state = {"id": ID, "enabled": enabled, "log_group": "/vpn/connections" if enabled else ""}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_no_fix_and_the_finding_names_the_endpoint_by_arn():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub EC2.51" in CONTROL.related_requirements
    assert endpoint_arn(Scope("123456789012", REGION, ID)) == ARN == endpoint_arn(Scope("123456789012", REGION, ARN))


# --- the reads, held to the service model ------------------------------------------------------------


def endpoint(endpoint_id: str, code: str = "available", **logging) -> dict:
    options = {"Enabled": False} | logging
    return {"ClientVpnEndpointId": endpoint_id, "Status": {"Code": code}, "ConnectionLogOptions": options}


class StubbedClients:
    def __init__(self) -> None:
        self.ec2 = Clients(REGION, config=NO_RETRY)("ec2")
        self.stubber = Stubber(self.ec2)

    def __call__(self, service: str, region: str | None = None):
        assert service == "ec2"
        return self.ec2


def test_collect_skips_deleted_endpoints_and_reads_the_log_group():
    clients = StubbedClients()
    answer = [
        endpoint(ID),
        endpoint("cvpn-endpoint-0123456789abcdef0", Enabled=True, CloudwatchLogGroup="/vpn/connections"),
        endpoint("cvpn-endpoint-0fedcba9876543210", "deleted"),
    ]
    clients.stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": answer}, {})
    with clients.stubber:
        found = {r.state["id"]: r.state for r in CONTROL.collect(clients, Scope("123456789012", REGION))}
    clients.stubber.assert_no_pending_responses()
    assert found == {
        ID: {"id": ID, "enabled": False, "log_group": ""},
        "cvpn-endpoint-0123456789abcdef0": {
            "id": "cvpn-endpoint-0123456789abcdef0",
            "enabled": True,
            "log_group": "/vpn/connections",
        },
    }


def test_a_named_endpoint_that_is_gone_is_no_resource():
    clients = StubbedClients()
    clients.stubber.add_client_error(
        "describe_client_vpn_endpoints",
        "InvalidClientVpnEndpointId.NotFound",
        expected_params={"ClientVpnEndpointIds": [ID]},
    )
    with clients.stubber:
        assert CONTROL.collect(clients, Scope("123456789012", REGION, ID)) == []


def test_the_emulator_answers_as_aws_for_an_account_without_endpoints(aws, account_id):
    assert CONTROL.collect(aws, Scope(account_id, REGION)) == []
    assert CONTROL.collect(aws, Scope(account_id, REGION, ID)) == []


# --- round trip: the service on moto, the EC2 client stubbed ------------------------------------------


def test_round_trip_an_endpoint_without_then_with_connection_logging(aws, account_id):
    accounts = AccountClients(account_id)
    ec2 = accounts(account_id, REGION)("ec2")
    stubber = Stubber(ec2)
    service = Service(Settings.from_env({}), accounts, aws)
    named = {"ClientVpnEndpointIds": [ID]}
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [endpoint(ID)]}, named)
    logged = endpoint(ID, Enabled=True, CloudwatchLogGroup="/vpn/connections")
    stubber.add_response("describe_client_vpn_endpoints", {"ClientVpnEndpoints": [logged]}, named)
    with stubber:
        report = service.evaluate_event(load_event("cloudtrail/ec2-CreateClientVpnEndpoint.json"))
        mine = [(o.resource_id, o.verdict.status) for o in report.outcomes if o.control.id == CONTROL.id]
        assert mine == [(ARN, Status.FAILED)] and report.fixes_requested == []
        finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
        assert finding["Resources"][0]["Type"] == "AwsEc2ClientVpnEndpoint"

        report = service.evaluate_event(load_event("config/AWS-EC2-ClientVpnEndpoint.json"))
        mine = [(o.resource_id, o.verdict.status) for o in report.outcomes if o.control.id == CONTROL.id]
        assert mine == [(ARN, Status.PASSED)]
    stubber.assert_no_pending_responses()
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["Compliance"]["Status"] == "PASSED"
