"""An Aurora MySQL DB cluster has Advanced Auditing on: its cluster parameter group sets server_audit_logging to 1
and names the events to audit (server_audit_events), and every instance has the group applied. Exporting the audit
log to CloudWatch Logs (rds_log_exports_enabled) exports nothing while auditing is off."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.controls.rds_log_exports_enabled import RDS_EVENT_SOURCE, db_arn
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

AURORA_MYSQL = ("aurora-mysql", "aurora")  # "aurora" is Aurora MySQL 5.6's engine name
AUDIT_PARAMETERS = ("server_audit_logging", "server_audit_events")
IN_SYNC = "in-sync"


def audit_settings(rds: Any, group: str) -> dict[str, str]:
    """The group's audit parameters; a parameter left at an engine default that has no value reads as ''."""
    # DescribeDBClusterParameters' Filters "isn't currently supported" (RDS API reference): read every page.
    pages = rds.get_paginator("describe_db_cluster_parameters").paginate(DBClusterParameterGroupName=group)
    try:
        found = {p["ParameterName"]: p.get("ParameterValue", "") for page in pages for p in page["Parameters"]}
    except rds.exceptions.DBParameterGroupNotFoundFault:
        found = {}  # AWS deletes no group in use (the emulator has no default groups): read as a default, no auditing
    return {name: found.get(name, "") for name in AUDIT_PARAMETERS}


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    rds = clients("rds")
    given = scope.resource_id or ""
    if given.startswith("arn:") and given.count(":") >= 6 and given.split(":")[5] != "cluster":
        return []  # a DB instance: its cluster is judged
    query = {"Filters": [{"Name": "db-cluster-id", "Values": [given]}]} if given else {}
    pages = rds.get_paginator("describe_db_clusters").paginate(**query)
    groups: dict[str, dict[str, str]] = {}  # clusters often share a group: read it once
    resources = []
    for cluster in (c for page in pages for c in page["DBClusters"] if c["Engine"] in AURORA_MYSQL):
        group = cluster.get("DBClusterParameterGroup", "")
        if group and group not in groups:
            groups[group] = audit_settings(rds, group)
        members = cluster.get("DBClusterMembers") or []
        state = {
            "name": cluster["DBClusterIdentifier"],
            "group": group,
            "settings": groups.get(group, dict.fromkeys(AUDIT_PARAMETERS, "")),
            "out_of_sync": sorted(
                f"{m['DBInstanceIdentifier']} ({m.get('DBClusterParameterGroupStatus') or 'unknown'})"
                for m in members
                if m.get("DBClusterParameterGroupStatus") != IN_SYNC
            ),
        }
        tags = {t["Key"]: t["Value"] for t in cluster.get("TagList") or []}
        resources.append(Resource(scope.account_id, scope.region, cluster["DBClusterArn"], state, tags=tags))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"Aurora MySQL cluster {state['name']} (parameter group {state['group']})"
    logging, events = state["settings"]["server_audit_logging"].strip(), state["settings"]["server_audit_events"]
    gaps = []
    if logging != "1":
        gaps.append(f"server_audit_logging is {logging or 'unset'}, not 1: nothing is audited")
    if not events.strip():
        gaps.append("server_audit_events is empty: no event is audited")
    if state["out_of_sync"]:
        gaps.append(f"the parameter group is not in sync on {', '.join(state['out_of_sync'])}")
    if gaps:
        return failed(f"{label}: {'; '.join(gaps)}")
    return passed(f"{label} audits {events.strip()} on every instance")


CONTROL = Control(
    id="rds_aurora_mysql_audit_logging_enabled",
    title="Aurora MySQL DB clusters have Advanced Auditing on",
    description=(
        "An Aurora MySQL DB cluster's parameter group sets server_audit_logging to 1 and a non-empty "
        "server_audit_events, and is in sync on every instance of the cluster. Without it the audit log is empty, "
        "even when rds_log_exports_enabled sees it exported to CloudWatch Logs."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsRdsDbCluster",
    related_requirements=(SEC04_BP01, "Security Hub RDS.45"),
    collect=collect,
    evaluate=evaluate,
    resource_id=db_arn,
    remediation_text=(
        "In the cluster's custom DB cluster parameter group (a default group cannot be changed: create one and "
        "attach it with ModifyDBCluster), set server_audit_logging to 1 and server_audit_events to the events to "
        "audit (for example CONNECT,QUERY_DCL,QUERY_DDL), with ModifyDBClusterParameterGroup; then export the audit "
        "log (rds_log_exports_enabled)."
    ),
    config_triggers=(ConfigTrigger("AWS::RDS::DBCluster", "ARN"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(RDS_EVENT_SOURCE, ("CreateDBCluster", "ModifyDBCluster"), "responseElements.dBClusterArn"),
        # These name the parameter group, not a cluster: every cluster of the region is re-judged.
        CloudTrailTrigger(RDS_EVENT_SOURCE, ("ModifyDBClusterParameterGroup", "ResetDBClusterParameterGroup"), None),
    ),
    read_actions=("rds:DescribeDBClusters", "rds:DescribeDBClusterParameters"),
    default_mode=Mode.OFF,
    fix_description=(
        "none: ModifyDBClusterParameterGroup changes every setting of a group that other clusters may share, and "
        "IAM has no key that limits it to the audit parameters."
    ),
)
