"""A Transfer Family connector (AS2 or SFTP, to a partner's server) has a logging role, with which it writes its
file transfers' events to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

EVENT_SOURCE = "transfer.amazonaws.com"


def connector_id(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]  # c-0123... or arn:aws:transfer:region:account:connector/c-0123...


def connector_arn(scope: Scope) -> str:
    identifier = connector_id(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:transfer:{scope.region}:{scope.account_id}:connector/{identifier}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    transfer = clients("transfer")
    if scope.resource_id:
        ids = [connector_id(scope.resource_id)]
    else:
        pages = transfer.get_paginator("list_connectors").paginate()
        ids = [c["ConnectorId"] for page in pages for c in page["Connectors"]]
    resources = []
    for identifier in ids:
        try:
            connector = transfer.describe_connector(ConnectorId=identifier)["Connector"]
        except transfer.exceptions.ResourceNotFoundException:
            continue  # deleted since the event or the listing
        state = {"url": connector.get("Url", ""), "logging_role": connector.get("LoggingRole", "")}
        tags = {t["Key"]: t["Value"] for t in connector.get("Tags") or []}
        arn = connector_arn(Scope(scope.account_id, scope.region, connector["ConnectorId"]))
        resources.append(Resource(scope.account_id, scope.region, arn, state, tags=tags))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"connector {connector_id(resource.resource_id)} to {state['url']}"
    if state["logging_role"]:
        return passed(f"{label} logs its transfers to CloudWatch Logs with role {state['logging_role']}")
    return failed(f"{label} has no logging role: its file transfers to and from the partner are not logged")


CONTROL = Control(
    id="transfer_connector_logging_enabled",
    title="Transfer Family connectors log their transfers",
    description="A Transfer Family connector has a logging role, with which it writes its events to CloudWatch Logs.",
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no Transfer Family type
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=connector_arn,
    remediation_text=(
        "Set the connector's LoggingRole (UpdateConnector) to a role that Transfer Family assumes with "
        "logs:CreateLogStream, DescribeLogStreams and PutLogEvents on /aws/transfer/*; the logs go to "
        "/aws/transfer/<connector id>."
    ),
    config_triggers=(ConfigTrigger("AWS::Transfer::Connector", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            EVENT_SOURCE,
            ("CreateConnector", "UpdateConnector"),
            "responseElements.connectorId || requestParameters.connectorId",
        ),
    ),
    read_actions=("transfer:ListConnectors", "transfer:DescribeConnector"),
    default_mode=Mode.OFF,
    fix_description="none: the logging role, which Transfer Family is allowed to pass, is for a person to create.",
)
