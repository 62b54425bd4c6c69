"""rds_log_exports_enabled: the log types of each engine, the pure verdict, round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.controls.rds_log_exports_enabled import CONTROL, required
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

INSTANCE = "arn:aws:rds:us-east-1:123456789012:db:orders-db"  # the samples' instance and cluster
CLUSTER = "arn:aws:rds:us-east-1:123456789012:cluster:orders-aurora"
LOGIN = {"MasterUsername": "admin", "MasterUserPassword": "password123"}
ALL_MYSQL = ["audit", "error", "general", "slowquery"]


@pytest.mark.parametrize(
    ("engine", "types"),
    [
        ("mysql", ("audit", "error", "general", "slowquery")),
        ("oracle-ee", ("alert", "audit", "listener", "trace")),
        ("sqlserver-se", ("agent", "error")),
        ("postgres", ("postgresql", "upgrade")),
        ("aurora-postgresql", ("postgresql",)),
        ("neptune", ("audit",)),
        ("docdb", ("audit",)),
        ("db2-se", ()),  # not judged
        ("custom-oracle-ee", ()),
    ],
)
def test_required_types_by_engine(engine, types):
    assert required(engine) == types


def db(engine="mysql", exports=(), kind="instance") -> Resource:
    state = {"kind": kind, "name": "orders-db", "engine": engine, "exports": sorted(exports)}
    return Resource("123456789012", REGION, INSTANCE, state)


@pytest.mark.parametrize(
    ("resource", "status", "phrase"),
    [
        (db(exports=ALL_MYSQL), Status.PASSED, "mysql DB instance orders-db exports audit, error, general, slowquery"),
        (db(exports=["error"]), Status.FAILED, "does not export audit, general, slowquery"),
        (db("aurora-mysql", ["audit", "error"], "cluster"), Status.FAILED, "cluster orders-db does not export general"),
        (db("aurora-postgresql", ["postgresql"], "cluster"), Status.PASSED, "exports postgresql"),
        (db("postgres", ["postgresql"]), Status.FAILED, "does not export upgrade"),
        (db("neptune", [], "cluster"), Status.FAILED, "does not export audit"),
    ],
)
def test_evaluate(resource, status, phrase):
    """Every type of the engine must be exported; there is no fix, so nothing is fixable."""
    verdict = CONTROL.evaluate(resource, {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_no_fix_and_its_reason():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF and CONTROL.write_actions == ()
    assert "master password" in CONTROL.fix_description


# --- round trips on the moto server -------------------------------------------------------


def instance(aws, exports=(), name="orders-db", **extra) -> str:
    created = aws("rds").create_db_instance(
        DBInstanceIdentifier=name,
        Engine="mysql",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        EnableCloudwatchLogsExports=list(exports),
        **LOGIN,
        **extra,
    )
    return created["DBInstance"]["DBInstanceArn"]


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_instance_exports_turned_off_then_on(aws, account_id):
    """ModifyDBInstance -> FAILED, no fix; every type exported -> PASSED."""
    assert instance(aws, ["error"]) == INSTANCE
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/rds-ModifyDBInstance.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(INSTANCE, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, INSTANCE)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsRdsDbInstance"

    export = {"EnableLogTypes": ["audit", "general", "slowquery"]}
    aws("rds").modify_db_instance(DBInstanceIdentifier="orders-db", CloudwatchLogsExportConfiguration=export)
    report = service.evaluate_event(load_event("config/AWS-RDS-DBInstance.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(INSTANCE, Status.PASSED)]


def test_round_trip_cluster_and_its_instances(aws, account_id):
    """The cluster is judged, its member instances are not; created with every type exported it passes."""
    rds = aws("rds")
    rds.create_db_cluster(DBClusterIdentifier="orders-aurora", Engine="aurora-mysql", **LOGIN)
    rds.create_db_instance(
        DBInstanceIdentifier="orders-aurora-1",
        Engine="aurora-mysql",
        DBInstanceClass="db.r6g.large",
        DBClusterIdentifier="orders-aurora",
    )
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/rds-CreateDBCluster.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(CLUSTER, Status.FAILED)]
    assert findings_by_resource(aws)[(CONTROL.id, CLUSTER)]["Resources"][0]["Type"] == "AwsRdsDbCluster"
    assert [r.resource_id for r in CONTROL.collect(aws, Scope(account_id, REGION))] == [CLUSTER]

    rds.create_db_cluster(
        DBClusterIdentifier="logged", Engine="aurora-postgresql", EnableCloudwatchLogsExports=["postgresql"], **LOGIN
    )
    logged = CONTROL.collect(aws, Scope(account_id, REGION, CLUSTER.replace("orders-aurora", "logged")))
    assert [CONTROL.evaluate(r, {}).status for r in logged] == [Status.PASSED]


def test_a_deleted_instance_is_archived(aws, account_id):
    instance(aws)
    service = make_service(account_id)
    service.evaluate_event(load_event("cloudtrail/rds-CreateDBInstance.json"))
    aws("rds").delete_db_instance(DBInstanceIdentifier="orders-db", SkipFinalSnapshot=True)
    report = service.evaluate_event(load_event("cloudtrail/rds-ModifyDBInstance.json"))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, INSTANCE)]
    assert findings_by_resource(aws)[(CONTROL.id, INSTANCE)]["RecordState"] == "ARCHIVED"
