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


# --- one trail refused: its own read failure ------------------------------------------------------------------
# AWS's answers, as public reports quote them: a member reading an organization trail of the management account is
# refused with CloudTrailARNInvalidException (HTTP 400, turbot/steampipe-plugin-aws#577, cloudquery/cq-provider-aws#405;
# Cloud Custodian's maintainers say GetEventSelectors fails so, cloud-custodian/cloud-custodian#6394); a policy
# that denies one trail answers AccessDeniedException. moto answers neither.
ORGANIZATION_TRAIL_REFUSAL = (
    "CloudTrailARNInvalidException",
    "AccountID in ARN is wrong, you can only access resources with AccountID {caller}.",
)
TRAIL_DENIAL = "AccessDeniedException", "User is not authorized to perform: cloudtrail:{operation} on resource: {arn}"
TRAIL_BUCKET = "trail-logs"
ALL_MANAGEMENT = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]


@pytest.fixture
def refuse(account_id, monkeypatch):
    """refuse(operation, arn, (code, message)): CloudTrail refuses that operation on that one trail (HTTP 400)."""
    original, refused = BaseClient._make_api_call, {}
    caller = account_id  # the member that asks, not the trail's owner

    def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        arn = params.get("Name") or params.get("TrailName")
        if (operation, arn) in refused:
            code, message = refused[operation, arn]
            error = {"Code": code, "Message": message.format(caller=caller, operation=operation, arn=arn)}
            raise ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)
    return lambda operation, arn, refusal: refused.__setitem__((operation, arn), refusal)


def multi_region_trail(aws, name: str, logging: bool) -> str:
    aws("s3").create_bucket(Bucket=TRAIL_BUCKET)
    cloudtrail = aws("cloudtrail")
    arn = cloudtrail.create_trail(Name=name, S3BucketName=TRAIL_BUCKET, IsMultiRegionTrail=True)["TrailARN"]
    cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=ALL_MANAGEMENT)
    if logging:
        cloudtrail.start_logging(Name=arn)
    return arn


def test_a_refused_trail_is_its_own_read_failure_and_the_account_keeps_its_verdict(aws, account_id, refuse):
    """Before, the refusal of one trail's selectors failed the whole control (or retried the message forever)."""
    refused = multi_region_trail(aws, "organization-trail", logging=True)  # listed first, so read first
    multi_region_trail(aws, "own-trail", logging=True)
    refuse("GetEventSelectors", refused, ORGANIZATION_TRAIL_REFUSAL)
    report = sweep(account_id, "cloudtrail_multi_region_logging")
    [outcome] = report.outcomes
    assert outcome.verdict.status is Status.PASSED and "own-trail is logging" in outcome.verdict.reason
    [failure] = report.read_failures
    assert failure.resource_id == refused and "CloudTrailARNInvalidException" in failure.reason
    assert set(findings_by_resource(aws)) == {("cloudtrail_multi_region_logging", f"AWS::::Account:{account_id}")}


def test_with_no_trail_read_that_covers_the_account_there_is_no_verdict_rather_than_a_false_failure(
    aws, account_id, refuse
):
    refused = multi_region_trail(aws, "organization-trail", logging=True)
    multi_region_trail(aws, "stopped-trail", logging=False)
    refuse("GetEventSelectors", refused, ORGANIZATION_TRAIL_REFUSAL)
    report = sweep(account_id, "cloudtrail_multi_region_logging")
    assert report.outcomes == []
    failures = {f.resource_id: f.reason for f in report.read_failures}
    assert set(failures) == {refused, f"AWS::::Account:{account_id}"}
    assert "organization-trail could not be read" in failures[f"AWS::::Account:{account_id}"]
    assert findings_by_resource(aws) == {}, "no FAILED finding on a guess"


def test_a_trail_whose_status_is_denied_is_its_own_read_failure_for_the_cloudwatch_control(aws, account_id, refuse):
    group = aws("logs")
    group.create_log_group(logGroupName="trail-events")
    group_arn = group.describe_log_groups()["logGroups"][0]["arn"]
    aws("s3").create_bucket(Bucket=TRAIL_BUCKET)
    cloudtrail, arns = aws("cloudtrail"), {}
    for name in ("denied-trail", "open-trail"):
        arns[name] = cloudtrail.create_trail(
            Name=name,
            S3BucketName=TRAIL_BUCKET,
            CloudWatchLogsLogGroupArn=group_arn,
            CloudWatchLogsRoleArn=f"arn:aws:iam::{account_id}:role/trail-to-logs",
        )["TrailARN"]
    refuse("GetTrailStatus", arns["denied-trail"], TRAIL_DENIAL)
    report = sweep(account_id, "cloudtrail_cloudwatch_logs_enabled")
    assert [o.resource_id for o in report.outcomes] == [arns["open-trail"]]
    assert report.outcomes[0].verdict.status is Status.FAILED  # moto reports no delivery: judged, not skipped
    [failure] = report.read_failures
    assert failure.resource_id == arns["denied-trail"] and "AccessDeniedException" in failure.reason


def test_throttling_on_one_trail_is_no_read_failure_and_the_message_is_retried(aws, account_id, refuse):
    throttled = multi_region_trail(aws, "busy-trail", logging=True)
    refuse("GetTrailStatus", throttled, ("ThrottlingException", "Rate exceeded"))
    with pytest.raises(ClientError, match="ThrottlingException"):
        sweep(account_id, "cloudtrail_multi_region_logging")


@pytest.mark.parametrize("control_id", ["cloudtrail_s3_data_events_recorded", "cloudtrail_security_trail_enabled"])
def test_the_multi_region_trail_controls_give_no_verdict_when_a_trail_not_read_may_pass(
    aws, account_id, refuse, control_id
):
    """S3 data events and the one-trail practices: a refused trail may be the one that passes, so no FAILED guess;
    the refused trail is its own read failure."""
    refused = multi_region_trail(aws, "organization-trail", logging=True)
    multi_region_trail(aws, "stopped-trail", logging=False)
    refuse("GetEventSelectors", refused, ORGANIZATION_TRAIL_REFUSAL)
    report = sweep(account_id, control_id)
    assert report.outcomes == []
    failures = {f.resource_id: f.reason for f in report.read_failures}
    assert set(failures) == {refused, f"AWS::::Account:{account_id}"}
    assert "organization-trail could not be read" in failures[f"AWS::::Account:{account_id}"]
    assert findings_by_resource(aws) == {}
