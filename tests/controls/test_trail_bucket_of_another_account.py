"""A trail (not an organization trail) of one account that delivers to another covered account's bucket: judged in
the bucket's account, where the bucket policy that lets CloudTrail deliver names the trail (controls/_log_buckets)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from logbaseline.controls._log_buckets import LogBuckets
from logbaseline.controls._policies import other_accounts_trails
from logbaseline.engine import sweep_event

from tests.conftest import NO_RETRY, REGION, findings_by_resource, make_service

OWN, OTHER = "123456789012", "210987654321"
BUCKET = "central-trail-logs"
ARN = f"arn:aws:s3:::{BUCKET}"
OTHER_TRAIL = f"arn:aws:cloudtrail:{REGION}:{OTHER}:trail/workloads"
TRAIL_BUCKET_CONTROLS = ("cloudtrail_bucket_not_public", "cloudtrail_bucket_access_logging_enabled")


def delivery(condition=None, resource=f"{ARN}/AWSLogs/*", principal="cloudtrail.amazonaws.com", action="s3:PutObject"):
    statement = {"Effect": "Allow", "Principal": {"Service": principal}, "Action": action, "Resource": resource}
    return json.dumps({"Statement": [statement | ({"Condition": condition} if condition else {})]})


@pytest.mark.parametrize(
    ("policy", "trails"),
    [
        (delivery({"StringEquals": {"aws:SourceArn": OTHER_TRAIL}}), [OTHER_TRAIL]),
        (delivery({"StringEquals": {"aws:SourceAccount": OTHER}}), [f"trails of account {OTHER}"]),
        (delivery(resource=f"{ARN}/AWSLogs/{OTHER}/*"), [f"trails of account {OTHER}"]),
        (delivery({"ArnLike": {"aws:SourceArn": OTHER_TRAIL}}, f"{ARN}/AWSLogs/{OTHER}/*"), [OTHER_TRAIL]),
        (delivery({"StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:{REGION}:{OWN}:trail/mine"}}), []),
        (delivery(resource=f"{ARN}/AWSLogs/{OWN}/*"), []),  # this account's own: DescribeTrails knows its trails
        (delivery(resource=f"{ARN}/AWSLogs/o-a1b2c3d4e5/*"), []),  # an organization trail: a shadow trail here
        (delivery(resource=f"{ARN}/AWSLogs/{OTHER}/*", action="s3:GetBucketAcl"), []),  # the ACL check, no delivery
        (delivery(resource=f"{ARN}/AWSLogs/{OTHER}/*", principal="delivery.logs.amazonaws.com"), []),
        (None, []),
    ],
)
def test_other_accounts_trails(policy, trails):
    assert other_accounts_trails(policy, OWN) == trails


def test_the_delivery_statement_is_found_after_cloudtrails_acl_check_as_its_documented_policy_orders_them():
    """CloudTrail's documented bucket policy: AWSCloudTrailAclCheck (s3:GetBucketAcl) first, then AWSCloudTrailWrite."""
    acl_check = json.loads(delivery(resource=ARN, action="s3:GetBucketAcl"))["Statement"]
    write = json.loads(delivery({"StringEquals": {"aws:SourceArn": OTHER_TRAIL}}))["Statement"]
    assert other_accounts_trails({"Statement": acl_check + write}, OWN) == [OTHER_TRAIL]


def other_account(aws) -> boto3.Session:
    keys = aws("sts").assume_role(RoleArn=f"arn:aws:iam::{OTHER}:role/logs", RoleSessionName="seed")["Credentials"]
    return boto3.Session(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"])


def test_a_trail_of_another_account_is_judged_in_the_buckets_account(aws, account_id):
    """The bucket's account judges it as a trail bucket, naming the trail; the trail's account does not."""
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("s3").put_bucket_policy(
        Bucket=BUCKET, Policy=delivery({"StringEquals": {"aws:SourceArn": OTHER_TRAIL}}, f"{ARN}/AWSLogs/{OTHER}/*")
    )
    other = other_account(aws)
    other.client("cloudtrail", region_name=REGION, config=NO_RETRY).create_trail(
        Name="workloads", S3BucketName=BUCKET, IsMultiRegionTrail=True
    )
    modes = ",".join(f"{c}=off" for c in TRAIL_BUCKET_CONTROLS)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=modes)
    report = service.evaluate_event(sweep_event(account_id, REGION, list(TRAIL_BUCKET_CONTROLS)))
    judged = {o.control.id: o for o in report.outcomes}
    assert set(judged) == set(TRAIL_BUCKET_CONTROLS)
    assert all(o.resource_id == ARN and o.account_id == account_id for o in judged.values())
    assert judged["cloudtrail_bucket_not_public"].verdict.status.value == "FAILED"  # moto: no Block Public Access
    findings = findings_by_resource(aws)
    assert {c for c in TRAIL_BUCKET_CONTROLS if (c, ARN) in findings} == set(TRAIL_BUCKET_CONTROLS)


def test_a_stale_grant_for_this_accounts_own_trail_makes_no_trail_bucket(aws, account_id):
    """This account's trails are known from DescribeTrails: a leftover grant for a deleted one of its own counts not."""
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("s3").put_bucket_policy(Bucket=BUCKET, Policy=delivery(resource=f"{ARN}/AWSLogs/{account_id}/*"))
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES="cloudtrail_bucket_not_public=off")
    report = service.evaluate_event(sweep_event(account_id, REGION, ["cloudtrail_bucket_not_public"]))
    assert report.outcomes == []


def test_a_bucket_whose_policy_read_is_denied_hides_no_other_accounts_trail_of_the_buckets_after_it():
    s3, cloudtrail = boto3.client("s3", region_name=REGION), boto3.client("cloudtrail", region_name=REGION)
    s3_stub, trails_stub = Stubber(s3), Stubber(cloudtrail)
    trails_stub.add_response("describe_trails", {"trailList": []}, {"includeShadowTrails": True})
    s3_stub.add_response("list_buckets", {"Buckets": [{"Name": "locked"}, {"Name": BUCKET}]}, {"BucketRegion": REGION})
    s3_stub.add_client_error("get_bucket_policy", "AccessDenied", expected_params={"Bucket": "locked"})
    delivering = delivery({"StringEquals": {"aws:SourceArn": OTHER_TRAIL}})
    s3_stub.add_response("get_bucket_policy", {"Policy": delivering}, {"Bucket": BUCKET})
    clients = {"s3": s3, "cloudtrail": cloudtrail}
    with s3_stub, trails_stub:
        found = LogBuckets(lambda service, region=None: clients[service], REGION, OWN).sources(kinds=("trail",))
    assert found == {BUCKET: {"trail": [OTHER_TRAIL]}}
