"""A log group encrypts its events with a KMS key of the account's choosing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control
from logbaseline.controls.logs_log_group_retention_bounded import log_group_arn, log_group_resources
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, passed

# AssociateKmsKey and DisassociateKmsKey name either a log group (logGroupName, or a log-group ARN in
# resourceIdentifier) or the account's query results (arn:...:query-result:*); the latter re-evaluates the region.
LOG_GROUP_PATH = (
    "requestParameters.logGroupName || "
    "(contains(requestParameters.resourceIdentifier || '', ':log-group:') && requestParameters.resourceIdentifier"
    " || `null`)"
)


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    return log_group_resources(clients, scope, lambda group: {"kms_key_id": group.get("kmsKeyId")})


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    key = resource.state["kms_key_id"]
    if key:
        return passed(f"events are encrypted with KMS key {key}")
    return failed("events are encrypted only with the service's default key, not a KMS key of the account")


CONTROL = Control(
    id="logs_log_group_kms_encryption_enabled",
    title="CloudWatch Logs log groups are encrypted with a KMS key",
    description=(
        "A log group has a KMS key associated, so reading its events also needs kms:Decrypt on that key. "
        "Only events ingested after the association are encrypted with the key."
    ),
    severity=Severity.LOW,
    resource_type="Other",  # Security Hub documents no log-group type
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=log_group_arn,
    remediation_text=(
        "Associate a customer managed KMS key with the log group (AssociateKmsKey) after allowing "
        "logs.<region>.amazonaws.com to use the key in its key policy."
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger("logs.amazonaws.com", ("CreateLogGroup", "DeleteLogGroup"), "requestParameters.logGroupName"),
        CloudTrailTrigger("logs.amazonaws.com", ("AssociateKmsKey", "DisassociateKmsKey"), LOG_GROUP_PATH),
    ),
    read_actions=("logs:DescribeLogGroups",),
)
