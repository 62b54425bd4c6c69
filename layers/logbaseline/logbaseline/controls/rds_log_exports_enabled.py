"""An RDS DB instance or an Aurora, Neptune or DocumentDB cluster exports its engine's logs (audit, error and the
engine's others) to CloudWatch Logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# The log types each engine must export, as Security Hub RDS.9 lists them for instances, and RDS.34, RDS.37,
# Neptune.2 and DocumentDB.4 for clusters. Engines not listed (Db2, RDS Custom) are not judged.
REQUIRED: dict[str, tuple[str, ...]] = {
    "mysql": ("audit", "error", "general", "slowquery"),
    "mariadb": ("audit", "error", "general", "slowquery"),
    "postgres": ("postgresql", "upgrade"),
    "oracle": ("alert", "audit", "listener", "trace"),
    "sqlserver": ("agent", "error"),
    "aurora-mysql": ("audit", "error", "general", "slowquery"),
    "aurora-postgresql": ("postgresql",),
    "neptune": ("audit",),
    "docdb": ("audit",),
}
RDS_EVENT_SOURCE = "rds.amazonaws.com"


def required(engine: str) -> tuple[str, ...]:
    """oracle-ee, sqlserver-se and the like share their family's types; () for an engine not judged."""
    return REQUIRED.get(engine) or REQUIRED.get(engine.split("-", 1)[0], ())


def db_arn(scope: Scope) -> str:
    return scope.resource_id or ""  # every trigger names the instance or cluster by its ARN


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    rds = clients("rds")
    given = scope.resource_id or ""
    kind = given.split(":")[5] if given.startswith("arn:") and given.count(":") >= 6 else ""
    found: list[tuple[str, dict[str, Any]]] = []
    if kind in ("", "db"):  # the filters take an identifier or an ARN, and find nothing rather than fail
        query = {"Filters": [{"Name": "db-instance-id", "Values": [given]}]} if given else {}
        pages = rds.get_paginator("describe_db_instances").paginate(**query)
        # An Aurora, Neptune or DocumentDB instance exports nothing itself: its cluster does.
        found += [("instance", i) for page in pages for i in page["DBInstances"] if not i.get("DBClusterIdentifier")]
    if kind in ("", "cluster"):
        query = {"Filters": [{"Name": "db-cluster-id", "Values": [given]}]} if given else {}
        pages = rds.get_paginator("describe_db_clusters").paginate(**query)
        found += [("cluster", c) for page in pages for c in page["DBClusters"]]
    resources = []
    for what, db in found:
        if not required(db["Engine"]):
            continue
        arn = db["DBInstanceArn"] if what == "instance" else db["DBClusterArn"]
        state = {
            "kind": what,
            "name": db["DBInstanceIdentifier"] if what == "instance" else db["DBClusterIdentifier"],
            "engine": db["Engine"],
            "exports": sorted(db.get("EnabledCloudwatchLogsExports") or []),
        }
        tags = {t["Key"]: t["Value"] for t in db.get("TagList") or []}
        resource_type = "AwsRdsDbInstance" if what == "instance" else "AwsRdsDbCluster"
        resources.append(Resource(scope.account_id, scope.region, arn, state, resource_type, tags))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"{state['engine']} DB {state['kind']} {state['name']}"
    missing = [t for t in required(state["engine"]) if t not in state["exports"]]
    if not missing:
        return passed(f"{label} exports {', '.join(state['exports'])} to CloudWatch Logs")
    return failed(f"{label} does not export {', '.join(missing)} to CloudWatch Logs")


CONTROL = Control(
    id="rds_log_exports_enabled",
    title="RDS DB instances and Aurora, Neptune and DocumentDB clusters export their logs to CloudWatch Logs",
    description=(
        "A DB instance (not in a cluster) or a DB cluster exports its engine's log types to CloudWatch Logs: "
        "audit, error, general and slow query logs for MySQL, MariaDB and Aurora MySQL; postgresql (and upgrade, "
        "for instances) for PostgreSQL; alert, audit, listener and trace for Oracle; agent and error for SQL "
        "Server; audit for Neptune and DocumentDB. RDS writes to /aws/rds/<instance|cluster>/<name>/<type>, with "
        "no retention."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsRdsDbInstance",
    related_requirements=(
        SEC04_BP01,
        "Security Hub RDS.9",
        "Security Hub RDS.34",
        "Security Hub RDS.36",
        "Security Hub RDS.37",
        "Security Hub RDS.40",
        "Security Hub RDS.42",
        "Security Hub Neptune.2",
        "Security Hub DocumentDB.4",
    ),
    collect=collect,
    evaluate=evaluate,
    resource_id=db_arn,
    remediation_text=(
        "Turn on the missing log exports (ModifyDBInstance or ModifyDBCluster, CloudwatchLogsExportConfiguration "
        "EnableLogTypes); audit, general and slow query logs also need the engine's option or parameter group "
        "settings. logs_log_group_retention_bounded then sets the new log groups' retention."
    ),
    config_triggers=(
        ConfigTrigger("AWS::RDS::DBInstance", "ARN"),
        ConfigTrigger("AWS::RDS::DBCluster", "ARN"),
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            RDS_EVENT_SOURCE,
            ("CreateDBInstance", "ModifyDBInstance", "CreateDBCluster", "ModifyDBCluster"),
            # RDS answers with the instance or the cluster, ARN included.
            "responseElements.dBInstanceArn || responseElements.dBClusterArn",
        ),
    ),
    read_actions=("rds:DescribeDBInstances", "rds:DescribeDBClusters"),
    default_mode=Mode.OFF,
    fix_description=(
        "none: ModifyDBInstance and ModifyDBCluster would let the service change any database setting (public "
        "access, the master password), and IAM has no key that limits them to log exports."
    ),
)
