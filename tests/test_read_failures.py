"""One resource whose read is denied gets its own read failure; the other resources of the region keep their verdicts.

moto does not evaluate bucket policies, so the denial is AWS's answer to a read that a bucket policy refuses
(`AccessDenied`, "Access Denied"), raised for that one bucket's calls.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from logbaseline.engine import sweep_event
from logbaseline.models import Status

from tests.conftest import REGION, findings_by_resource, make_service

LOCKED, OPEN = "locked-trail-logs", "open-trail-logs"
S3_CONTROLS = (
    "s3_bucket_server_access_logging_enabled",
    "s3_log_bucket_lifecycle_bounded",
    "cloudtrail_bucket_access_logging_enabled",
    "cloudtrail_bucket_not_public",
)
BUCKET_READS = {"GetBucketLogging", "GetBucketLifecycleConfiguration", "GetPublicAccessBlock", "GetBucketAcl"}


@pytest.fixture
def locked_bucket(aws, monkeypatch):
    """Two trail buckets; every read of LOCKED's settings is denied, as its bucket policy would."""
    for name in (LOCKED, OPEN):
        aws("s3").create_bucket(Bucket=name)
        aws("cloudtrail").create_trail(Name=f"trail-{name}", S3BucketName=name)
    original = BaseClient._make_api_call

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation in BUCKET_READS and params.get("Bucket") == LOCKED:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)


def test_a_denied_bucket_is_its_own_read_failure_and_the_others_keep_their_verdicts(aws, account_id, locked_bucket):
    """Before, the denied GetBucketLogging failed each S3 control for the whole region: no bucket had a verdict."""
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=",".join(f"{c}=off" for c in S3_CONTROLS))
    report = service.evaluate_event(sweep_event(account_id, REGION, list(S3_CONTROLS)))
    judged = {(o.control.id, o.resource_id) for o in report.outcomes}
    assert judged == {(c, f"arn:aws:s3:::{OPEN}") for c in S3_CONTROLS}
    assert all(o.verdict.status is not Status.NOT_APPLICABLE for o in report.outcomes)
    failures = {(f.control_id, f.resource_id) for f in report.read_failures}
    assert failures == {(c, f"arn:aws:s3:::{LOCKED}") for c in S3_CONTROLS}
    assert all("AccessDenied" in f.reason and f.region == REGION for f in report.read_failures)
    findings = findings_by_resource(aws)
    assert {key for key in findings if key[1] == f"arn:aws:s3:::{LOCKED}"} == set(), "no verdict, no finding"
    assert {key for key in findings if key[1] == f"arn:aws:s3:::{OPEN}"} == judged


def test_a_scan_shows_the_denied_bucket_as_not_read(aws, account_id, locked_bucket):
    from logbaseline.engine import AccountClients, scan
    from logbaseline.engine.settings import Settings

    outcomes = scan(AccountClients(account_id), account_id, [REGION], ["s3_log_bucket_lifecycle_bounded"], Settings())
    locked = [o for o in outcomes if o.resource_id == f"arn:aws:s3:::{LOCKED}"]
    assert [o.verdict.reason.split(":")[0] for o in locked] == ["could not read the resource"]


@pytest.fixture
def deny(monkeypatch):
    """deny(operation, key, value): AWS answers AccessDenied to that operation for that one resource."""
    original, refused = BaseClient._make_api_call, set()

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if any(operation == op and params.get(key) == value for op, key, value in refused):
            code = "AccessDeniedException"
            raise ClientError({"Error": {"Code": code, "Message": "not authorized on this resource"}}, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return lambda operation, key, value: refused.add((operation, key, value))


def sweep(account_id: str, control_id: str):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{control_id}=off")
    return service.evaluate_event(sweep_event(account_id, REGION, [control_id]))


def test_a_denied_cluster_is_its_own_read_failure(aws, account_id, deny):
    eks = aws("eks")
    for name in ("locked", "open"):
        eks.create_cluster(
            name=name,
            roleArn="arn:aws:iam::123456789012:role/eks-cluster-role",
            resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]},
        )
    deny("DescribeCluster", "name", "locked")
    report = sweep(account_id, "eks_control_plane_audit_logging_enabled")
    arn = f"arn:aws:eks:{REGION}:{account_id}:cluster/"
    assert [o.resource_id for o in report.outcomes] == [arn + "open"]
    assert [(f.resource_id, f.reason.split(")")[0]) for f in report.read_failures] == [
        (arn + "locked", "An error occurred (AccessDeniedException")
    ]


def test_a_denied_web_acl_is_its_own_read_failure_and_blinds_no_log_bucket(aws, account_id, deny):
    wafv2 = aws("wafv2")
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
    acls = {
        name: wafv2.create_web_acl(
            Name=name, Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=visibility
        )["Summary"]["ARN"]
        for name in ("locked", "open")
    }
    deny("GetLoggingConfiguration", "ResourceArn", acls["locked"])
    report = sweep(account_id, "wafv2_web_acl_logging_enabled")
    assert [o.resource_id for o in report.outcomes] == [acls["open"]]
    assert [f.resource_id for f in report.read_failures] == [acls["locked"]]
    aws("s3").create_bucket(Bucket=OPEN)
    aws("cloudtrail").create_trail(Name="trail", S3BucketName=OPEN)
    lifecycle = sweep(account_id, "s3_log_bucket_lifecycle_bounded")  # reads the web ACLs' logging as sources
    assert lifecycle.read_failures == [] and [o.resource_id for o in lifecycle.outcomes] == [f"arn:aws:s3:::{OPEN}"]
