"""A Transfer Family server (SFTP, FTPS, FTP or AS2) logs its users' sessions and file operations: to CloudWatch Logs
with a logging role, or to the log groups of its structured log destinations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

EVENT_SOURCE = "transfer.amazonaws.com"
# AWS answers a server that does not exist with ResourceNotFoundException; moto with ServerNotFound
# (docs/emulator-gaps.md).
GONE = ("ResourceNotFoundException", "ServerNotFound")


def server_id(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]  # s-0123... or arn:aws:transfer:region:account:server/s-0123...


def server_arn(scope: Scope) -> str:
    identifier = server_id(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:transfer:{scope.region}:{scope.account_id}:server/{identifier}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    transfer = clients("transfer")
    if scope.resource_id:
        ids = [server_id(scope.resource_id)]
    else:
        pages = transfer.get_paginator("list_servers").paginate()
        ids = [s["ServerId"] for page in pages for s in page["Servers"]]
    resources = []
    for identifier in ids:
        try:
            server = transfer.describe_server(ServerId=identifier)["Server"]
        except ClientError as error:
            if error.response["Error"]["Code"] in GONE:
                continue  # deleted since the event or the listing
            raise
        state = {
            "protocols": server.get("Protocols") or ["SFTP"],  # SFTP when none is given
            "logging_role": server.get("LoggingRole", ""),
            "log_groups": list(server.get("StructuredLogDestinations") or []),
        }
        tags = {t["Key"]: t["Value"] for t in server.get("Tags") or []}
        arn = server_arn(Scope(scope.account_id, scope.region, server["ServerId"]))
        resources.append(Resource(scope.account_id, scope.region, arn, state, tags=tags))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"{'/'.join(state['protocols'])} server {server_id(resource.resource_id)}"
    if state["log_groups"]:
        return passed(f"{label} writes structured logs to {', '.join(state['log_groups'])}")
    if state["logging_role"]:
        return passed(f"{label} logs to CloudWatch Logs with role {state['logging_role']}")
    return failed(
        f"{label} has no logging role and no log destination: its sessions and file operations are not logged"
    )


CONTROL = Control(
    id="transfer_server_logging_enabled",
    title="Transfer Family servers log their sessions",
    description=(
        "A Transfer Family server has structured log destinations (log groups) or a logging role with which it "
        "writes to CloudWatch Logs (no Security Hub control or AWS Config managed rule checks this)."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no Transfer Family type
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=server_arn,
    remediation_text=(
        "Give the server a structured log destination (UpdateServer StructuredLogDestinations, a log group "
        "/aws/transfer/<server id>) or a LoggingRole that Transfer Family assumes to write to CloudWatch Logs."
    ),
    config_triggers=(ConfigTrigger("AWS::Transfer::Server", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            EVENT_SOURCE, ("CreateServer", "UpdateServer"), "responseElements.serverId || requestParameters.serverId"
        ),
    ),
    read_actions=("transfer:ListServers", "transfer:DescribeServer"),
    default_mode=Mode.OFF,
    fix_description="none: the log group, or the role Transfer Family writes with, is for a person to choose.",
)
