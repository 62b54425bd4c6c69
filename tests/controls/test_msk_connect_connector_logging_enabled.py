"""msk_connect_connector_logging_enabled: the pure verdict and round trips on the emulator's connectors (moto has no
MSK Connect: emulation/kafkaconnect.py, held to botocore's model)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from logbaseline.controls.msk_connect_connector_logging_enabled import CONTROL, connector_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_ARN = "arn:aws:kafkaconnect:us-east-1:123456789012:connector/orders-sink/6d8f0b2c-4e5a-4c7b-9d9f-1b3d5f7a9c0e-3"
GROUP = {"cloudWatchLogs": {"enabled": True, "logGroup": "/msk-connect/orders-sink"}}


@pytest.mark.parametrize(
    ("destinations", "status", "phrase"),
    [
        ([], Status.FAILED, "MSK Connect connector orders-sink delivers no worker logs"),
        (["log group /msk-connect/orders-sink"], Status.PASSED, "to log group /msk-connect/orders-sink"),
        (["Firehose connect-logs", "S3 connect-logs"], Status.PASSED, "to Firehose connect-logs, S3 connect-logs"),
    ],
)
def test_evaluate(destinations, status, phrase):
    state = {"name": "orders-sink", "destinations": destinations}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, SAMPLE_ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert connector_arn(Scope("123456789012", REGION, SAMPLE_ARN)) == SAMPLE_ARN


def create(aws, name="orders-sink", **logging) -> str:
    return aws("kafkaconnect").create_connector(
        connectorName=name,
        capacity={"provisionedCapacity": {"mcuCount": 1, "workerCount": 1}},
        connectorConfiguration={"connector.class": "io.confluent.connect.s3.S3SinkConnector", "tasks.max": "1"},
        kafkaCluster={"apacheKafkaCluster": {"bootstrapServers": "b-1.orders:9098", "vpc": {"subnets": ["subnet-0a"]}}},
        kafkaClusterClientAuthentication={"authenticationType": "IAM"},
        kafkaClusterEncryptionInTransit={"encryptionType": "TLS"},
        kafkaConnectVersion="2.7.1",
        plugins=[
            {
                "customPlugin": {
                    "customPluginArn": "arn:aws:kafkaconnect:us-east-1:123456789012:custom-plugin/s3/1",
                    "revision": 1,
                }
            }
        ],
        serviceExecutionRoleArn="arn:aws:iam::123456789012:role/msk-connect",
        **logging,
    )["connectorArn"]


def test_the_emulators_connectors_refuse_what_aws_refuses(aws):
    create(aws)
    with pytest.raises(ClientError) as refused:
        create(aws)
    assert refused.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as refused:
        aws("kafkaconnect").describe_connector(connectorArn=SAMPLE_ARN)
    assert refused.value.response["Error"]["Code"] == "NotFoundException"


# --- round trips on the emulator ----------------------------------------------------------


def event_for(relative: str, arn: str) -> dict:
    """The sample, naming the emulator's connector (its ARN's id is picked at random)."""
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_ARN, arn))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_log_delivery_fails_and_a_logged_one_passes(aws, account_id):
    """CreateConnector without logDelivery -> FAILED, no fix; a connector created with a log group -> PASSED (Config
    item); a deleted one is archived."""
    arn = create(aws)
    service = make_service(account_id)
    report = service.evaluate_event(event_for("cloudtrail/kafkaconnect-CreateConnector.json", arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"

    logged = create(aws, "billing-sink", logDelivery={"workerLogDelivery": GROUP})
    report = service.evaluate_event(event_for("config/AWS-KafkaConnect-Connector.json", logged))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(logged, Status.PASSED)]
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-sink": Status.FAILED, "billing-sink": Status.PASSED}

    aws("kafkaconnect").delete_connector(connectorArn=arn)
    report = service.evaluate_event(event_for("cloudtrail/kafkaconnect-CreateConnector.json", arn))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
