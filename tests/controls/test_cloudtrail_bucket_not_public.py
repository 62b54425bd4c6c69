"""cloudtrail_bucket_not_public: the pure verdict, a fix that only blocks, and round trips on moto."""

from __future__ import annotations

import json

import boto3
import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes
from logbaseline.controls.cloudtrail_bucket_not_public import BLOCKS, CONTROL
from logbaseline.engine import FixRequest, sweep_event
from logbaseline.models import Resource, Status

from tests.conftest import NO_RETRY, REGION, caller, findings_by_resource, load_event, make_service

BUCKET = "org-cloudtrail-logs-123456789012"  # the trail bucket of the sample events
ARN = f"arn:aws:s3:::{BUCKET}"
ALL_ON = dict.fromkeys(BLOCKS, True)
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{ARN}/*"}],
}


def bucket(block=ALL_ON, policy_public=False, grants=()) -> Resource:
    state = {"name": BUCKET, "trails": ["management-events"], "block": dict(block)}
    return Resource(
        "123456789012", REGION, ARN, state | {"policy_public": policy_public, "public_grants": list(grants)}
    )


@pytest.mark.parametrize(
    ("block", "policy_public", "grants", "status", "fixable", "phrase"),
    [
        (ALL_ON, False, (), Status.PASSED, False, "all four Block Public Access settings are on"),
        (dict.fromkeys(BLOCKS, False), False, (), Status.FAILED, True, "off: BlockPublicAcls, IgnorePublicAcls"),
        (ALL_ON | {"RestrictPublicBuckets": False}, False, (), Status.FAILED, True, "(off: RestrictPublicBuckets)"),
        (ALL_ON | {"BlockPublicAcls": False}, True, (), Status.FAILED, True, "; and the bucket policy is public"),
        (ALL_ON, True, (), Status.FAILED, False, "on, but the bucket policy is public; removing that is left"),
        (ALL_ON, False, ("READ to AllUsers",), Status.FAILED, False, "the ACL grants READ to AllUsers"),
        (ALL_ON, True, ("WRITE to AuthenticatedUsers",), Status.FAILED, False, "public and the ACL grants WRITE"),
    ],
)
def test_evaluate(block, policy_public, grants, status, fixable, phrase):
    """Any setting off is fixable; a public policy or ACL under a full block is left to a person."""
    verdict = CONTROL.evaluate(bucket(block, policy_public, grants), {})
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def test_remediate_turns_all_four_on_and_nothing_else():
    """One PutPublicAccessBlock, all four True, pinned to the owning account: no policy or ACL call."""
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, bucket(dict.fromkeys(BLOCKS, False), policy_public=True), {})
    settings = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True}
    call = {"Bucket": BUCKET, "ExpectedBucketOwner": "123456789012"}
    call["PublicAccessBlockConfiguration"] = settings | {"RestrictPublicBuckets": True}
    assert changes.made == [Change("s3", "put_public_access_block", REGION, call)]


# --- round trips on the moto server -------------------------------------------------------


def seed_trail(aws, bucket_name=BUCKET, region=REGION) -> None:
    s3 = aws("s3", region)
    where = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    if bucket_name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket_name, **where)
    aws("cloudtrail").create_trail(Name="management-events", S3BucketName=bucket_name, IsMultiRegionTrail=True)


def service_with_queue(aws, account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def observer(account_id):
    """The control in mode off: it reports, asks for no fix, needs no queue."""
    return make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_block_is_turned_on(aws, account_id):
    """DeleteBucketPublicAccessBlock -> FAILED -> fix -> all four on -> PASSED, verified; repeats change nothing."""
    seed_trail(aws)
    service = service_with_queue(aws, account_id)
    event = load_event("cloudtrail/s3-DeleteBucketPublicAccessBlock.json")
    report = service.evaluate_event(event)
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (ARN, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "CRITICAL")
    assert (finding["Resources"][0]["Type"], finding["Region"]) == ("AwsS3Bucket", REGION)
    assert report.fixes_requested == [FixRequest(CONTROL.id, account_id, REGION, ARN, event["id"], caller(event))]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert aws("s3").get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == ALL_ON
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(load_event("cloudtrail/s3-PutBucketPublicAccessBlock.json"))
    assert [o.verdict.status for o in mine(second)] == [Status.PASSED] and second.fixes_requested == []


def test_round_trip_public_policy_is_blocked_but_left_in_place(aws, account_id):
    """A public policy: the fix blocks, the policy stays, and the finding stays FAILED with the reason."""
    seed_trail(aws)
    aws("s3").put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_READ))
    service = service_with_queue(aws, account_id)
    report = service.evaluate_event(load_event("cloudtrail/s3-PutBucketPolicy.json"))
    [request] = report.fixes_requested

    [result] = service.fix(request)
    assert result.fix["Outcome"] == "applied, not verified"
    assert (result.verdict.status, result.verdict.fixable) == (Status.FAILED, False)
    assert aws("s3").get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == ALL_ON
    assert json.loads(aws("s3").get_bucket_policy(Bucket=BUCKET)["Policy"]) == PUBLIC_READ  # not removed
    reason = findings_by_resource(aws)[(CONTROL.id, ARN)]["ProductFields"]["logbaseline/Reason"]
    assert "the bucket policy is public; removing that is left to a person" in reason


def test_round_trip_public_acl_is_reported(aws, account_id):
    """PutBucketAcl public-read: FAILED naming the grant."""
    seed_trail(aws)
    aws("s3").put_bucket_acl(Bucket=BUCKET, ACL="public-read")
    report = observer(account_id).evaluate_event(load_event("cloudtrail/s3-PutBucketAcl.json"))
    [outcome] = mine(report)
    assert outcome.verdict.status is Status.FAILED and "the ACL grants READ to AllUsers" in outcome.verdict.reason


def test_central_bucket_of_another_account_is_not_judged_here(aws, account_id):
    """The trail's bucket belongs to another account: no finding in this account, even when the event names it."""
    credentials = aws("sts").assume_role(RoleArn="arn:aws:iam::210987654321:role/logs", RoleSessionName="seed")
    keys = credentials["Credentials"]
    other = boto3.Session(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"])
    other.client("s3", region_name=REGION, config=NO_RETRY).create_bucket(Bucket=BUCKET)
    aws("cloudtrail").create_trail(Name="management-events", S3BucketName=BUCKET, IsMultiRegionTrail=True)
    service = observer(account_id)
    assert mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))) == []
    [gone] = mine(service.evaluate_event(load_event("cloudtrail/s3-DeleteBucketPublicAccessBlock.json")))
    assert gone.present is False and findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ARCHIVED"


def test_bucket_is_judged_once_in_its_own_region(aws, account_id):
    """A multi-region trail of us-east-1 writing to a eu-west-1 bucket: judged in eu-west-1 only."""
    seed_trail(aws, "eu-trail-logs", "eu-west-1")
    service = observer(account_id)
    assert mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))) == []
    [outcome] = mine(service.evaluate_event(sweep_event(account_id, "eu-west-1", [CONTROL.id])))
    assert (outcome.region, outcome.resource_id, outcome.verdict.status) == (
        "eu-west-1",
        "arn:aws:s3:::eu-trail-logs",
        Status.FAILED,
    )
    finding = findings_by_resource(aws.for_region("eu-west-1"))[(CONTROL.id, "arn:aws:s3:::eu-trail-logs")]
    assert finding["Region"] == "eu-west-1"


def test_config_item_and_non_trail_bucket(aws, account_id):
    """The Config item of the trail bucket is judged; a bucket no trail uses is not this control's."""
    seed_trail(aws)
    aws("s3").create_bucket(Bucket="app-data")
    service = observer(account_id)
    [outcome] = mine(service.evaluate_event(load_event("config/AWS-S3-Bucket.json")))
    assert (outcome.resource_id, outcome.verdict.status) == (ARN, Status.FAILED)
    assert [o.resource_id for o in mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id])))] == [ARN]


TRAIL_BUCKET_LOGGING = "cloudtrail_bucket_access_logging_enabled"


def trail_event(name: str, bucket_name: str) -> dict:
    """The sample CreateTrail event, for another trail and bucket."""
    event = load_event("cloudtrail/cloudtrail-CreateTrail.json")
    for part in ("requestParameters", "responseElements"):
        event["detail"][part] |= {"name": name, "s3BucketName": bucket_name}
    return event


def test_create_trail_judges_its_own_bucket_only(aws, account_id):
    """A new trail re-judges its bucket, not every trail bucket of the region (both trail-bucket controls, and the
    log-bucket controls, for which it becomes a log bucket)."""
    seed_trail(aws)
    aws("s3").create_bucket(Bucket="other-trail-logs")
    aws("cloudtrail").create_trail(Name="other", S3BucketName="other-trail-logs")
    report = observer(account_id).evaluate_event(load_event("cloudtrail/cloudtrail-CreateTrail.json"))
    judged = {(o.control.id, o.resource_id) for o in report.outcomes if o.resource_id.startswith("arn:aws:s3:::")}
    log_bucket_controls = {
        "s3_log_bucket_lifecycle_bounded",
        "s3_bucket_server_access_logging_enabled",
        "s3_log_bucket_not_public",
    }
    trail_bucket_controls = {CONTROL.id, TRAIL_BUCKET_LOGGING}  # Object Lock, not required by default, reads nothing
    assert judged == {(c, ARN) for c in trail_bucket_controls | log_bucket_controls}


def test_create_trail_with_another_regions_bucket_leaves_that_regions_finding(aws, account_id):
    """The bucket lives in eu-west-1: the us-east-1 event reads ListBuckets only, and the eu-west-1 finding stays."""
    seed_trail(aws, "eu-trail-logs", "eu-west-1")
    service, eu_arn = observer(account_id), "arn:aws:s3:::eu-trail-logs"
    service.evaluate_event(sweep_event(account_id, "eu-west-1", [CONTROL.id]))
    report = service.evaluate_event(trail_event("management-events", "eu-trail-logs"))
    [gone] = mine(report)
    assert (gone.present, gone.region, gone.resource_id) == (False, REGION, eu_arn)
    eu = findings_by_resource(aws.for_region("eu-west-1"))[(CONTROL.id, eu_arn)]
    assert (eu["RecordState"], eu["Compliance"]["Status"], eu["Region"]) == ("ACTIVE", "FAILED", "eu-west-1")
