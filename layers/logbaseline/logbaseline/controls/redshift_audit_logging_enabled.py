"""An Amazon Redshift cluster has audit logging on (connection, user and user activity logs, to S3 or CloudWatch
Logs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

EVENT_SOURCE = "redshift.amazonaws.com"


def cluster_name(resource_id: str) -> str:
    return resource_id.rsplit(":", 1)[-1]  # orders-dw or arn:aws:redshift:region:account:cluster:orders-dw


def cluster_arn(scope: Scope) -> str:
    name = cluster_name(scope.resource_id or "")
    return f"arn:{partition(scope.region)}:redshift:{scope.region}:{scope.account_id}:cluster:{name}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    redshift = clients("redshift")
    query = {"ClusterIdentifier": cluster_name(scope.resource_id)} if scope.resource_id else {}
    try:
        pages = redshift.get_paginator("describe_clusters").paginate(**query)
        clusters = [c for page in pages for c in page["Clusters"]]
    except redshift.exceptions.ClusterNotFoundFault:
        return []  # deleted since the event
    resources = []
    for cluster in clusters:
        name = cluster["ClusterIdentifier"]
        try:
            status = redshift.describe_logging_status(ClusterIdentifier=name)
        except redshift.exceptions.ClusterNotFoundFault:
            continue
        destination = status.get("LogDestinationType") or "s3"
        where = status.get("BucketName", "") if destination == "s3" else "CloudWatch Logs"
        state = {
            "name": name,
            "enabled": bool(status.get("LoggingEnabled")),
            "destination": where or destination,
            "exports": sorted(status.get("LogExports") or []),
        }
        arn = cluster_arn(Scope(scope.account_id, scope.region, name))
        tags = {t["Key"]: t["Value"] for t in cluster.get("Tags") or []}
        resources.append(Resource(scope.account_id, scope.region, arn, state, tags=tags))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    if state["enabled"]:
        exports = f" ({', '.join(state['exports'])})" if state["exports"] else ""
        return passed(f"cluster {state['name']} writes audit logs to {state['destination']}{exports}")
    return failed(f"cluster {state['name']} has audit logging off: connections and user activity are not logged")


CONTROL = Control(
    id="redshift_audit_logging_enabled",
    title="Redshift clusters have audit logging on",
    description="A provisioned Redshift cluster writes its audit logs to an S3 bucket or to CloudWatch Logs.",
    severity=Severity.MEDIUM,
    resource_type="AwsRedshiftCluster",
    related_requirements=(SEC04_BP01, "Security Hub Redshift.4"),
    collect=collect,
    evaluate=evaluate,
    resource_id=cluster_arn,
    remediation_text=(
        "Turn on audit logging (EnableLogging) to CloudWatch Logs or to a bucket that lets Redshift write; for "
        "user activity logs, also set the cluster parameter enable_user_activity_logging."
    ),
    config_triggers=(ConfigTrigger("AWS::Redshift::Cluster", "resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(EVENT_SOURCE, ("CreateCluster", "EnableLogging"), "requestParameters.clusterIdentifier"),
        # Turns audit logging off: the tamper rule's.
        CloudTrailTrigger(EVENT_SOURCE, ("DisableLogging",), "requestParameters.clusterIdentifier"),
    ),
    read_actions=("redshift:DescribeClusters", "redshift:DescribeLoggingStatus"),
    default_mode=Mode.OFF,
    fix_description="none: the destination (a bucket with Redshift's policy, or CloudWatch Logs) is for a person.",
)
