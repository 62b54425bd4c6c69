"""A provisioned Amazon MSK cluster delivers its broker logs to CloudWatch Logs, Firehose or S3 (serverless
clusters have no broker logs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

EVENT_SOURCE = "kafka.amazonaws.com"
# BrokerLogs member -> (what a finding calls it, the member naming where the logs go)
DESTINATIONS = {
    "CloudWatchLogs": ("log group", "LogGroup"),
    "Firehose": ("Firehose", "DeliveryStream"),
    "S3": ("S3", "Bucket"),
}


def cluster_arn(scope: Scope) -> str:
    return scope.resource_id or ""  # every trigger names the cluster by its ARN


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    # One listing: it holds each cluster's logging, and an event's cluster that is gone is simply not in it.
    pages = clients("kafka").get_paginator("list_clusters_v2").paginate()
    clusters = [c for page in pages for c in page["ClusterInfoList"] if c.get("ClusterType") == "PROVISIONED"]
    resources = []
    for cluster in clusters:
        if scope.resource_id and cluster["ClusterArn"] != scope.resource_id:
            continue
        broker_logs = ((cluster.get("Provisioned") or {}).get("LoggingInfo") or {}).get("BrokerLogs") or {}
        destinations = [
            f"{label} {broker_logs[member].get(where) or ''}".rstrip()
            for member, (label, where) in DESTINATIONS.items()
            if (broker_logs.get(member) or {}).get("Enabled")
        ]
        state = {"name": cluster["ClusterName"], "destinations": destinations}
        tags = cluster.get("Tags") or {}
        resources.append(Resource(scope.account_id, scope.region, cluster["ClusterArn"], state, tags=tags))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    if state["destinations"]:
        return passed(f"MSK cluster {state['name']} delivers its broker logs to {', '.join(state['destinations'])}")
    return failed(f"MSK cluster {state['name']} delivers no broker logs: its brokers' activity and errors are lost")


CONTROL = Control(
    id="msk_broker_logging_enabled",
    title="MSK clusters deliver their broker logs",
    description=(
        "A provisioned MSK cluster delivers its broker logs to at least one of CloudWatch Logs, Firehose and S3 "
        "(no Security Hub control or AWS Config managed rule checks this)."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsMskCluster",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=cluster_arn,
    remediation_text=(
        "Turn on broker log delivery (UpdateMonitoring LoggingInfo.BrokerLogs) to a log group, a Firehose stream or "
        "a bucket that lets the log delivery service write; MSK applies it as a rolling update of the brokers."
    ),
    config_triggers=(ConfigTrigger("AWS::MSK::Cluster", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            EVENT_SOURCE,
            ("CreateCluster", "CreateClusterV2", "UpdateMonitoring"),
            "responseElements.clusterArn || requestParameters.clusterArn",
        ),
    ),
    read_actions=("kafka:ListClustersV2",),
    default_mode=Mode.OFF,
    fix_description="none: the destination and its delivery policy are for a person, and the update rolls the brokers.",
)
