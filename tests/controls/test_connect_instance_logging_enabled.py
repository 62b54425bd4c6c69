"""connect_instance_logging_enabled: the pure verdict, the emulated instance attributes, and round trips.

moto keeps Connect instances but no attribute; the emulator answers DescribeInstanceAttribute and
UpdateInstanceAttribute as AWS does (emulation/connect_attributes.py, docs/emulator-gaps.md)."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from logbaseline.controls.connect_instance_logging_enabled import CONTROL, FLOW_LOGS, instance_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ACCOUNT = "123456789012"
INSTANCE = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"  # the samples' instance
ARN = f"arn:aws:connect:us-east-1:{ACCOUNT}:instance/{INSTANCE}"


@pytest.mark.parametrize(
    ("flow_logs", "status", "phrase"),
    [
        (True, Status.PASSED, "sends flow logs to CloudWatch Logs (/aws/connect/orders-contact)"),
        (False, Status.FAILED, "orders-contact has flow logs off"),
    ],
)
def test_evaluate(flow_logs, status, phrase):
    state = {"name": "orders-contact", "flow_logs": flow_logs}
    verdict = CONTROL.evaluate(Resource(ACCOUNT, REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub Connect.2" in CONTROL.related_requirements
    assert instance_arn(Scope(ACCOUNT, REGION, INSTANCE)) == ARN == instance_arn(Scope(ACCOUNT, REGION, ARN))


def test_collect_skips_an_instance_still_being_created_as_aws_lists_it():
    connect = boto3.client("connect", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    active = {"Id": INSTANCE, "Arn": ARN, "InstanceAlias": "orders-contact", "InstanceStatus": "ACTIVE"}
    pending = {"Id": "b2", "Arn": ARN[: -len(INSTANCE)] + "b2", "InstanceStatus": "CREATION_IN_PROGRESS"}
    with Stubber(connect) as stub:
        stub.add_response("list_instances", {"InstanceSummaryList": [active, pending]})
        answer = {"Attribute": {"AttributeType": FLOW_LOGS, "Value": "true"}}
        stub.add_response("describe_instance_attribute", answer, {"InstanceId": INSTANCE, "AttributeType": FLOW_LOGS})
        [resource] = CONTROL.collect(lambda service: connect, Scope(ACCOUNT, REGION))
        stub.assert_no_pending_responses()
    assert (resource.resource_id, resource.state) == (ARN, {"name": "orders-contact", "flow_logs": True})


def test_a_region_without_connect_has_nothing_to_judge():
    def no_client(service):
        raise AssertionError("no call where Connect is not offered")

    assert CONTROL.collect(no_client, Scope(ACCOUNT, "eu-west-1")) == []


# --- the emulator's attributes, and round trips -------------------------------------------


def create(aws, alias: str = "orders-contact") -> dict:
    return aws("connect").create_instance(
        IdentityManagementType="CONNECT_MANAGED",
        InstanceAlias=alias,
        InboundCallsEnabled=True,
        OutboundCallsEnabled=False,
    )


def test_the_emulator_refuses_what_aws_refuses(aws):
    connect = aws("connect")
    with pytest.raises(ClientError) as missing:
        connect.describe_instance_attribute(InstanceId="no-such-instance", AttributeType=FLOW_LOGS)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    instance = create(aws)["Id"]
    with pytest.raises(ClientError) as invalid:
        connect.update_instance_attribute(InstanceId=instance, AttributeType=FLOW_LOGS, Value="yes")
    assert invalid.value.response["Error"]["Code"] == "InvalidParameterException"
    assert connect.describe_instance_attribute(InstanceId=instance, AttributeType=FLOW_LOGS)["Attribute"] == {
        "AttributeType": FLOW_LOGS,
        "Value": "false",
    }


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def naming(event: dict, instance: dict) -> dict:
    """The sample event, naming the emulator's instance instead of the sample's."""
    detail = event["detail"]
    if detail.get("responseElements"):
        detail["responseElements"] = {"Id": instance["Id"], "Arn": instance["Arn"]}
    if (detail.get("requestParameters") or {}).get("InstanceId"):
        detail["requestParameters"]["InstanceId"] = instance["Id"]
    return event


def test_round_trip_created_then_flow_logs_on_then_deleted(aws, account_id):
    """CreateInstance -> FAILED, no fix; flow logs turned on -> PASSED; deleted -> archived."""
    instance = create(aws)
    service = make_service(account_id)
    report = service.evaluate_event(naming(load_event("cloudtrail/connect-CreateInstance.json"), instance))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(instance["Arn"], Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, instance["Arn"])]["Compliance"]["Status"] == "FAILED"

    aws("connect").update_instance_attribute(InstanceId=instance["Id"], AttributeType=FLOW_LOGS, Value="true")
    report = service.evaluate_event(naming(load_event("cloudtrail/connect-UpdateInstanceAttribute.json"), instance))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(instance["Arn"], Status.PASSED)]

    aws("connect").delete_instance(InstanceId=instance["Id"])
    report = service.evaluate_event(naming(load_event("cloudtrail/connect-UpdateInstanceAttribute.json"), instance))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, instance["Arn"])]
    assert findings_by_resource(aws)[(CONTROL.id, instance["Arn"])]["RecordState"] == "ARCHIVED"


def test_collect_every_instance_of_the_region(aws, account_id):
    create(aws)
    logged = create(aws, "billing-contact")["Id"]
    aws("connect").update_instance_attribute(InstanceId=logged, AttributeType=FLOW_LOGS, Value="true")
    found = {r.state["name"]: r.state["flow_logs"] for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-contact": False, "billing-contact": True}
