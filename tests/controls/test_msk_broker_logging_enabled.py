"""msk_broker_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls.msk_broker_logging_enabled import CONTROL, cluster_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_ARN = "arn:aws:kafka:us-east-1:123456789012:cluster/orders-kafka/5a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d-2"
BROKERS = {"InstanceType": "kafka.m5.large", "ClientSubnets": ["subnet-0a1b2c3d", "subnet-1b2c3d4e"]}


@pytest.mark.parametrize(
    ("destinations", "status", "phrase"),
    [
        ([], Status.FAILED, "MSK cluster orders-kafka delivers no broker logs"),
        (["log group /msk/orders"], Status.PASSED, "delivers its broker logs to log group /msk/orders"),
        (["Firehose kafka-logs", "S3 msk-logs"], Status.PASSED, "to Firehose kafka-logs, S3 msk-logs"),
    ],
)
def test_evaluate(destinations, status, phrase):
    state = {"name": "orders-kafka", "destinations": destinations}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, SAMPLE_ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert cluster_arn(Scope("123456789012", REGION, SAMPLE_ARN)) == SAMPLE_ARN


# --- round trips on the moto server -------------------------------------------------------


def create(aws, name="orders-kafka", **logging) -> str:
    kafka = aws("kafka")
    return kafka.create_cluster(
        ClusterName=name, KafkaVersion="3.6.0", NumberOfBrokerNodes=2, BrokerNodeGroupInfo=BROKERS, **logging
    )["ClusterArn"]


def event_for(relative: str, arn: str) -> dict:
    """The sample, naming the emulator's cluster (moto picks the ARN's id at random, and leaves out the name)."""
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_ARN, arn))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_broker_logs_fails_and_a_logged_one_passes(aws, account_id):
    """CreateCluster without logging -> FAILED, no fix; a cluster created with S3 broker logs -> PASSED (Config
    item). moto has no UpdateMonitoring (docs/emulator-gaps.md): the change is made at creation."""
    arn = create(aws)
    service = make_service(account_id)
    report = service.evaluate_event(event_for("cloudtrail/kafka-CreateCluster.json", arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsMskCluster"

    logged = create(aws, "billing-kafka", LoggingInfo={"BrokerLogs": {"S3": {"Enabled": True, "Bucket": "msk-logs"}}})
    report = service.evaluate_event(event_for("config/AWS-MSK-Cluster.json", logged))
    assert [(o.resource_id, o.verdict.status, o.verdict.reason) for o in mine(report)] == [
        (logged, Status.PASSED, "MSK cluster billing-kafka delivers its broker logs to S3 msk-logs")
    ]


def test_every_provisioned_cluster_and_a_deleted_one_is_archived(aws, account_id):
    arn = create(aws)
    create(aws, "audit-kafka", LoggingInfo={"BrokerLogs": {"CloudWatchLogs": {"Enabled": True, "LogGroup": "/msk"}}})
    aws("kafka").create_cluster_v2(ClusterName="events-serverless", Serverless={"VpcConfigs": [{"SubnetIds": ["s"]}]})
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-kafka": Status.FAILED, "audit-kafka": Status.PASSED}  # serverless: no broker logs

    service = make_service(account_id)
    aws("kafka").delete_cluster(ClusterArn=arn)
    report = service.evaluate_event(event_for("cloudtrail/kafka-UpdateMonitoring.json", arn))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
