"""An MSK Connect connector delivers its workers' logs to CloudWatch Logs, Firehose or S3."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

EVENT_SOURCE = "kafkaconnect.amazonaws.com"
# workerLogDelivery member -> (what a finding calls it, the member naming where the logs go)
DESTINATIONS = {
    "cloudWatchLogs": ("log group", "logGroup"),
    "firehose": ("Firehose", "deliveryStream"),
    "s3": ("S3", "bucket"),
}


def connector_arn(scope: Scope) -> str:
    return scope.resource_id or ""  # every trigger names the connector by its ARN


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    # One listing: its summaries hold each connector's log delivery, which is set at creation only.
    pages = clients("kafkaconnect").get_paginator("list_connectors").paginate()
    connectors = [c for page in pages for c in page["connectors"]]
    resources = []
    for connector in connectors:
        if scope.resource_id and connector["connectorArn"] != scope.resource_id:
            continue
        workers = (connector.get("logDelivery") or {}).get("workerLogDelivery") or {}
        destinations = [
            f"{label} {workers[member].get(where) or ''}".rstrip()
            for member, (label, where) in DESTINATIONS.items()
            if (workers.get(member) or {}).get("enabled")
        ]
        state = {"name": connector["connectorName"], "destinations": destinations}
        resources.append(Resource(scope.account_id, scope.region, connector["connectorArn"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"MSK Connect connector {state['name']}"
    if state["destinations"]:
        return passed(f"{label} delivers its workers' logs to {', '.join(state['destinations'])}")
    return failed(f"{label} delivers no worker logs: its tasks' errors and restarts are not logged")


CONTROL = Control(
    id="msk_connect_connector_logging_enabled",
    title="MSK Connect connectors deliver their worker logs",
    description=(
        "An MSK Connect connector delivers its workers' logs to at least one of CloudWatch Logs, Firehose and S3."
    ),
    severity=Severity.LOW,
    resource_type="Other",  # Security Hub documents no MSK Connect type
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=connector_arn,
    remediation_text=(
        "A connector's log delivery is set when it is created (UpdateConnector cannot change it): create the "
        "connector again with logDelivery.workerLogDelivery to a log group, a Firehose stream or a bucket, then "
        "delete the old one."
    ),
    config_triggers=(ConfigTrigger("AWS::KafkaConnect::Connector", "ARN || resourceId"),),
    cloudtrail_triggers=(CloudTrailTrigger(EVENT_SOURCE, ("CreateConnector",), "responseElements.connectorArn"),),
    read_actions=("kafkaconnect:ListConnectors",),
    default_mode=Mode.OFF,
    fix_description="none: the log delivery can only be set by creating the connector again.",
)
