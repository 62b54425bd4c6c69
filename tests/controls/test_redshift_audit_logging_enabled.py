"""redshift_audit_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.controls.redshift_audit_logging_enabled import CONTROL, cluster_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ARN = "arn:aws:redshift:us-east-1:123456789012:cluster:orders-dw"  # the samples' cluster


@pytest.mark.parametrize(
    ("enabled", "destination", "exports", "status", "phrase"),
    [
        (False, "s3", [], Status.FAILED, "cluster orders-dw has audit logging off"),
        (True, "audit-logs-bucket", [], Status.PASSED, "writes audit logs to audit-logs-bucket"),
        (
            True,
            "CloudWatch Logs",
            ["connectionlog", "userlog"],
            Status.PASSED,
            "CloudWatch Logs (connectionlog, userlog)",
        ),
    ],
)
def test_evaluate(enabled, destination, exports, status, phrase):
    state = {"name": "orders-dw", "enabled": enabled, "destination": destination, "exports": exports}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub Redshift.4" in CONTROL.related_requirements
    assert (
        cluster_arn(Scope("123456789012", REGION, "orders-dw"))
        == ARN
        == cluster_arn(Scope("123456789012", REGION, ARN))
    )


# --- round trips on the moto server -------------------------------------------------------


def create(aws, name="orders-dw") -> None:
    aws("redshift").create_cluster(
        ClusterIdentifier=name,
        NodeType="ra3.xlplus",
        ClusterType="single-node",
        MasterUsername="admin",
        MasterUserPassword="Password123",
    )


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_then_logged_then_turned_off(aws, account_id):
    """CreateCluster -> FAILED, no fix; EnableLogging -> PASSED; DisableLogging -> FAILED."""
    create(aws)
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/redshift-CreateCluster.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsRedshiftCluster"

    aws("redshift").enable_logging(
        ClusterIdentifier="orders-dw", LogDestinationType="cloudwatch", LogExports=["connectionlog"]
    )
    report = service.evaluate_event(load_event("cloudtrail/redshift-EnableLogging.json"))
    assert [o.verdict.status for o in mine(report)] == [Status.PASSED]

    aws("redshift").disable_logging(ClusterIdentifier="orders-dw")
    report = service.evaluate_event(load_event("config/AWS-Redshift-Cluster.json"))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.FAILED)]


def test_every_cluster_and_a_deleted_one_is_archived(aws, account_id):
    create(aws)
    create(aws, "analytics")
    assert sorted(r.state["name"] for r in CONTROL.collect(aws, Scope(account_id, REGION))) == [
        "analytics",
        "orders-dw",
    ]
    service = make_service(account_id)
    aws("redshift").delete_cluster(ClusterIdentifier="orders-dw", SkipFinalClusterSnapshot=True)
    report = service.evaluate_event(load_event("cloudtrail/redshift-DisableLogging.json"))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, ARN)]
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ARCHIVED"
