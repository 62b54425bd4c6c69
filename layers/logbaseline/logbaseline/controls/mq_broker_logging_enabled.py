"""An Amazon MQ broker streams its logs to CloudWatch Logs: an ActiveMQ broker its audit log (management actions
through JMX and the web console), a RabbitMQ broker, which has no audit log, its general log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

EVENT_SOURCE = "mq.amazonaws.com"


def broker_id(resource_id: str) -> str:
    return resource_id.rsplit(":", 1)[-1]  # b-1234... or arn:aws:mq:region:account:broker:<name>:b-1234...


def broker_resource_id(scope: Scope) -> str:
    # The ARN holds the broker's name, which an event naming the broker by id does not give.
    return scope.resource_id or ""


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    mq = clients("mq")
    if scope.resource_id:
        ids = [broker_id(scope.resource_id)]
    else:
        pages = mq.get_paginator("list_brokers").paginate()
        ids = [b["BrokerId"] for page in pages for b in page["BrokerSummaries"]]
    resources = []
    for identifier in ids:
        try:
            broker = mq.describe_broker(BrokerId=identifier)
        except mq.exceptions.NotFoundException:
            continue  # deleted since the event or the listing
        logs, pending = broker.get("Logs") or {}, broker.get("PendingLogs") or {}
        state = {
            "name": broker["BrokerName"],
            "engine": broker.get("EngineType", "").upper(),
            "audit": bool(logs.get("Audit")),
            "general": bool(logs.get("General")),
            "pending": sorted(kind.lower() for kind, on in pending.items() if on),
        }
        resources.append(
            Resource(scope.account_id, scope.region, broker["BrokerArn"], state, tags=broker.get("Tags") or {})
        )
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    kind, label = ("general", "RabbitMQ") if state["engine"] == "RABBITMQ" else ("audit", "ActiveMQ")
    name = f"{label} broker {state['name']}"
    if state[kind]:
        general = " and its general log" if kind == "audit" and state["general"] else ""
        return passed(f"{name} streams its {kind} log{general} to CloudWatch Logs")
    pending = " (on at the broker's next reboot)" if kind in state["pending"] else ""
    what = "management actions are" if kind == "audit" else "its activity is"
    return failed(f"{name} does not stream its {kind} log to CloudWatch Logs{pending}: {what} not logged")


CONTROL = Control(
    id="mq_broker_logging_enabled",
    title="Amazon MQ brokers stream their logs to CloudWatch Logs",
    description=(
        "An ActiveMQ broker streams its audit log to CloudWatch Logs (Security Hub MQ.2); a RabbitMQ broker, which "
        "has no audit log, its general log. A log turned on but pending a reboot still fails."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsAmazonMqBroker",
    related_requirements=(SEC04_BP01, "Security Hub MQ.2"),
    collect=collect,
    evaluate=evaluate,
    resource_id=broker_resource_id,
    remediation_text=(
        "Give Amazon MQ a CloudWatch Logs resource policy for /aws/amazonmq/*, turn the log on (UpdateBroker Logs: "
        "Audit for ActiveMQ, General for RabbitMQ), then reboot the broker in a maintenance window: the change "
        "applies only after a reboot, an outage for a single-instance broker."
    ),
    config_triggers=(ConfigTrigger("AWS::AmazonMQ::Broker", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            EVENT_SOURCE,
            ("CreateBroker", "UpdateBroker", "RebootBroker"),
            "responseElements.brokerArn || requestParameters.brokerId",
        ),
    ),
    read_actions=("mq:ListBrokers", "mq:DescribeBroker"),
    default_mode=Mode.OFF,
    fix_description="none: the new log applies only after a broker reboot, an outage that is for a person to plan.",
)
