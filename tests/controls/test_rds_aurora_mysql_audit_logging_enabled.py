"""rds_aurora_mysql_audit_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.controls.rds_aurora_mysql_audit_logging_enabled import CONTROL
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

CLUSTER = "arn:aws:rds:us-east-1:123456789012:cluster:orders-aurora"  # the samples' cluster
GROUP = "orders-aurora-params"  # the samples' parameter group
LOGIN = {"MasterUsername": "admin", "MasterUserPassword": "logbaseline-test-only"}
AUDITING = [
    {"ParameterName": "server_audit_logging", "ParameterValue": "1", "ApplyMethod": "immediate"},
    {"ParameterName": "server_audit_events", "ParameterValue": "CONNECT,QUERY_DDL", "ApplyMethod": "immediate"},
]


def state(logging="1", events="CONNECT,QUERY_DDL", out_of_sync=()):
    settings = {"server_audit_logging": logging, "server_audit_events": events}
    return {"name": "orders-aurora", "group": GROUP, "settings": settings, "out_of_sync": list(out_of_sync)}


@pytest.mark.parametrize(
    ("given", "status", "phrases"),
    [
        (state(), Status.PASSED, ["audits CONNECT,QUERY_DDL on every instance", GROUP]),
        (state(logging="0"), Status.FAILED, ["server_audit_logging is 0, not 1"]),
        (state(logging=""), Status.FAILED, ["server_audit_logging is unset, not 1"]),
        (state(logging="ON"), Status.FAILED, ["server_audit_logging is ON, not 1"]),  # the control asks for 1
        (state(events=""), Status.FAILED, ["server_audit_events is empty"]),
        (state(events="  "), Status.FAILED, ["server_audit_events is empty"]),
        (
            state(out_of_sync=["orders-aurora-1 (pending-reboot)"]),
            Status.FAILED,
            ["not in sync on orders-aurora-1 (pending-reboot)"],
        ),
        (
            state(logging="0", events="", out_of_sync=["orders-aurora-2 (applying)"]),
            Status.FAILED,
            ["server_audit_logging is 0", "server_audit_events is empty", "orders-aurora-2 (applying)"],
        ),
    ],
)
def test_evaluate(given, status, phrases):
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, CLUSTER, given), {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert all(p in verdict.reason for p in phrases), verdict.reason


def test_no_fix_and_the_anchor():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub RDS.45" in CONTROL.related_requirements
    assert "rds:DescribeDBClusterParameters" in CONTROL.read_actions


# --- round trips on the moto server -------------------------------------------------------


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def aurora_cluster(aws, name="orders-aurora", group=GROUP, engine="aurora-mysql"):
    rds = aws("rds")
    if group:
        rds.create_db_cluster(DBClusterIdentifier=name, Engine=engine, DBClusterParameterGroupName=group, **LOGIN)
    else:
        rds.create_db_cluster(DBClusterIdentifier=name, Engine=engine, **LOGIN)
    rds.create_db_instance(
        DBInstanceIdentifier=f"{name}-1", Engine=engine, DBInstanceClass="db.r6g.large", DBClusterIdentifier=name
    )


def test_round_trip_auditing_turned_on_in_the_parameter_group(aws, account_id):
    """Exported or not, a group without auditing FAILS; its change (which names the group) re-judges the cluster."""
    rds = aws("rds")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=GROUP, DBParameterGroupFamily="aurora-mysql8.0", Description="orders"
    )
    aurora_cluster(aws)
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/rds-ModifyDBCluster.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(CLUSTER, Status.FAILED)]
    assert "server_audit_logging is unset" in mine(report)[0].verdict.reason
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, CLUSTER)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsRdsDbCluster"

    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=GROUP, Parameters=AUDITING)
    report = service.evaluate_event(load_event("cloudtrail/rds-ModifyDBClusterParameterGroup.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(CLUSTER, Status.PASSED)]
    assert findings_by_resource(aws)[(CONTROL.id, CLUSTER)]["Compliance"]["Status"] == "PASSED"


def test_collect_judges_aurora_mysql_clusters_only(aws, account_id):
    rds = aws("rds")
    rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName=GROUP, DBParameterGroupFamily="aurora-mysql8.0", Description="orders"
    )
    rds.modify_db_cluster_parameter_group(DBClusterParameterGroupName=GROUP, Parameters=AUDITING)
    aurora_cluster(aws)
    aurora_cluster(aws, "billing-aurora")
    aurora_cluster(aws, "default-aurora", group=None)  # the default group: auditing off
    aurora_cluster(aws, "reports-pg", group=None, engine="aurora-postgresql")  # not Aurora MySQL: not judged
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-aurora": Status.PASSED, "billing-aurora": Status.PASSED, "default-aurora": Status.FAILED}

    instance = f"arn:aws:rds:{REGION}:{account_id}:db:orders-aurora-1"
    assert CONTROL.collect(aws, Scope(account_id, REGION, instance)) == []  # an instance: its cluster is judged
    one = CONTROL.collect(aws, Scope(account_id, REGION, CLUSTER))
    assert [(r.resource_id, r.state["out_of_sync"]) for r in one] == [(CLUSTER, [])]


def test_a_deleted_cluster_is_archived(aws, account_id):
    aurora_cluster(aws, group=None)
    service = make_service(account_id)
    service.evaluate_event(load_event("config/AWS-RDS-DBCluster.json"))
    assert findings_by_resource(aws)[(CONTROL.id, CLUSTER)]["Compliance"]["Status"] == "FAILED"
    aws("rds").delete_db_instance(DBInstanceIdentifier="orders-aurora-1", SkipFinalSnapshot=True)
    aws("rds").delete_db_cluster(DBClusterIdentifier="orders-aurora", SkipFinalSnapshot=True)
    report = service.evaluate_event(load_event("cloudtrail/rds-ModifyDBCluster.json"))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, CLUSTER)]
    assert findings_by_resource(aws)[(CONTROL.id, CLUSTER)]["RecordState"] == "ARCHIVED"
