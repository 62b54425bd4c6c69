"""mq_broker_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls.mq_broker_logging_enabled import CONTROL, broker_id, broker_resource_id
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_ID = "b-3f2a7c1e-9d4b-4e6a-8c5f-1a2b3c4d5e6f"  # the samples' broker
SAMPLE_ARN = f"arn:aws:mq:us-east-1:123456789012:broker:orders-mq:{SAMPLE_ID}"


@pytest.mark.parametrize(
    ("engine", "audit", "general", "pending", "status", "phrase"),
    [
        ("ACTIVEMQ", False, False, [], Status.FAILED, "ActiveMQ broker orders-mq does not stream its audit log"),
        ("ACTIVEMQ", False, True, [], Status.FAILED, "management actions are not logged"),
        ("ACTIVEMQ", False, False, ["audit"], Status.FAILED, "(on at the broker's next reboot)"),
        ("ACTIVEMQ", True, False, [], Status.PASSED, "streams its audit log to CloudWatch Logs"),
        ("ACTIVEMQ", True, True, [], Status.PASSED, "its audit log and its general log"),
        ("RABBITMQ", False, False, [], Status.FAILED, "RabbitMQ broker orders-mq does not stream its general log"),
        ("RABBITMQ", False, True, [], Status.PASSED, "streams its general log"),
    ],
)
def test_evaluate(engine, audit, general, pending, status, phrase):
    state = {"name": "orders-mq", "engine": engine, "audit": audit, "general": general, "pending": pending}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, SAMPLE_ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub MQ.2" in CONTROL.related_requirements
    assert broker_id(SAMPLE_ARN) == SAMPLE_ID == broker_id(SAMPLE_ID)
    assert broker_resource_id(Scope("123456789012", REGION, SAMPLE_ARN)) == SAMPLE_ARN


# --- round trips on the moto server -------------------------------------------------------


def create(aws, name="orders-mq", engine="ACTIVEMQ") -> dict:
    return aws("mq").create_broker(
        BrokerName=name,
        EngineType=engine,
        EngineVersion="5.18" if engine == "ACTIVEMQ" else "3.13",
        HostInstanceType="mq.t3.micro",
        DeploymentMode="SINGLE_INSTANCE",
        PubliclyAccessible=False,
        AutoMinorVersionUpgrade=True,
        Users=[{"Username": "admin", "Password": "LogbaselineTest1"}],
    )


def event_for(relative: str, broker: dict) -> dict:
    """The sample, naming the emulator's broker (moto picks broker ids at random, and its ARN has no name)."""
    text = json.dumps(load_event(relative)).replace(SAMPLE_ARN, broker["BrokerArn"])
    return json.loads(text.replace(SAMPLE_ID, broker["BrokerId"]))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_audit_log_then_streamed(aws, account_id):
    """CreateBroker -> FAILED, no fix; audit log on -> PASSED (UpdateBroker); off again -> FAILED (Config item)."""
    broker = create(aws)
    arn = broker["BrokerArn"]
    service = make_service(account_id)
    report = service.evaluate_event(event_for("cloudtrail/mq-CreateBroker.json", broker))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsAmazonMqBroker"

    aws("mq").update_broker(BrokerId=broker["BrokerId"], Logs={"Audit": True, "General": True})
    report = service.evaluate_event(event_for("cloudtrail/mq-UpdateBroker.json", broker))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]

    aws("mq").update_broker(BrokerId=broker["BrokerId"], Logs={"Audit": False, "General": True})
    report = service.evaluate_event(event_for("config/AWS-AmazonMQ-Broker.json", broker))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]


def test_every_broker_each_by_its_engine_and_a_deleted_one_is_archived(aws, account_id):
    orders = create(aws)
    rabbit = create(aws, "events-rabbit", "RABBITMQ")
    aws("mq").update_broker(BrokerId=rabbit["BrokerId"], Logs={"General": True})
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-mq": Status.FAILED, "events-rabbit": Status.PASSED}

    service = make_service(account_id)
    service.evaluate_event(event_for("config/AWS-AmazonMQ-Broker.json", orders))
    aws("mq").delete_broker(BrokerId=orders["BrokerId"])
    report = service.evaluate_event(event_for("config/AWS-AmazonMQ-Broker.json", orders))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, orders["BrokerArn"])]
    assert findings_by_resource(aws)[(CONTROL.id, orders["BrokerArn"])]["RecordState"] == "ARCHIVED"
