"""cloudtrail_bucket_access_logging_enabled: the pure verdict, a fix that only turns logging on, and round trips."""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.cloudtrail_bucket_access_logging_enabled import CONTROL
from logbaseline.engine import FixRequest
from logbaseline.models import Resource, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

BUCKET, LOGS = "org-cloudtrail-logs-123456789012", "s3-access-logs-123456789012"
ARN = f"arn:aws:s3:::{BUCKET}"
PARAMS = {"access_log_bucket": LOGS, "access_log_prefix": "s3-access-logs/"}
ON = {"TargetBucket": LOGS, "TargetPrefix": "s3-access-logs/"}


def bucket(logging=None) -> Resource:
    return Resource("123456789012", REGION, ARN, {"name": BUCKET, "trails": ["management-events"], "logging": logging})


@pytest.mark.parametrize(
    ("logging", "params", "status", "fixable", "phrase"),
    [
        (None, {}, Status.FAILED, True, "server access logging is off"),
        (None, {"access_log_bucket": ""}, Status.FAILED, False, "server access logging is off"),  # nowhere to log
        (None, {"access_log_bucket": f"arn:aws:s3:::{LOGS}"}, Status.FAILED, True, "off"),  # an ARN works too
        (None, {"access_log_bucket": BUCKET}, Status.FAILED, False, "off"),  # never into itself
        (ON, {}, Status.PASSED, False, f"server access logs go to {LOGS}/s3-access-logs/"),
        (ON, {"access_log_bucket": ""}, Status.PASSED, False, "go to"),
        ({"TargetBucket": BUCKET, "TargetPrefix": "x/"}, {}, Status.FAILED, False, "into the bucket itself"),
    ],
)
def test_evaluate(logging, params, status, fixable, phrase):
    """Logging elsewhere passes; off is fixable only with a configured access-log bucket other than itself."""
    verdict = CONTROL.evaluate(bucket(logging), PARAMS | params)
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def test_remediate_turns_logging_on_to_the_configured_bucket():
    """One PutBucketLogging to the access-log bucket, date-partitioned under the prefix, pinned to the owner."""
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, bucket(), PARAMS | {"access_log_prefix": "audit/"})
    target = {
        "TargetBucket": LOGS,
        "TargetPrefix": "audit/",
        "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}},
    }
    call = {"Bucket": BUCKET, "ExpectedBucketOwner": "123456789012", "BucketLoggingStatus": {"LoggingEnabled": target}}
    assert changes.made == [Change("s3", "put_bucket_logging", REGION, call)]


@pytest.mark.parametrize(
    ("logging", "params", "message"),
    [
        (None, {"access_log_bucket": ""}, "no access_log_bucket is configured"),
        (None, {"access_log_bucket": f"arn:aws:s3:::{BUCKET}"}, "must not log into itself"),
        (ON, {}, "already on; its target is left as it is"),
    ],
)
def test_remediate_refuses(logging, params, message):
    """No destination, the bucket itself, or a target already set: refuse and call nothing."""
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match=message):
        CONTROL.remediate(changes, bucket(logging), PARAMS | params)
    assert changes.made == []


# --- round trips on the moto server -------------------------------------------------------


def seed(aws) -> None:
    """A trail bucket without logging, and an access-log bucket whose policy lets S3 logging write."""
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("cloudtrail").create_trail(Name="management-events", S3BucketName=BUCKET, IsMultiRegionTrail=True)
    aws("s3").create_bucket(Bucket=LOGS)
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{LOGS}/*",
    }
    aws("s3").put_bucket_policy(Bucket=LOGS, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))


def service_with_queue(aws, account_id, **environ):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto", **environ)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_logging_is_turned_on(aws, account_id):
    """PutBucketLogging (off) -> FAILED -> fix -> logging to the access-log bucket -> PASSED; repeats change nothing."""
    seed(aws)
    service = service_with_queue(aws, account_id, LOGBASELINE_ACCESS_LOG_BUCKET=LOGS)
    event = load_event("cloudtrail/s3-PutBucketLogging.json")
    report = service.evaluate_event(event)
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (ARN, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "LOW")
    assert "Security Hub CloudTrail.7" in finding["Compliance"]["RelatedRequirements"]
    assert report.fixes_requested == [FixRequest(CONTROL.id, account_id, REGION, ARN, event["id"], caller(event))]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert aws("s3").get_bucket_logging(Bucket=BUCKET)["LoggingEnabled"] == ON
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(event)
    assert [o.verdict.status for o in mine(second)] == [Status.PASSED] and second.fixes_requested == []
    assert "LoggingEnabled" not in aws("s3").get_bucket_logging(Bucket=LOGS)  # the target was left alone


def test_round_trip_without_access_log_bucket_is_not_fixable(aws, account_id):
    """No access_log_bucket: FAILED, no fix request, and a forced request changes nothing."""
    seed(aws)
    service = service_with_queue(aws, account_id)  # the Config item also reaches cloudtrail_bucket_not_public
    report = service.evaluate_event(load_event("config/AWS-S3-Bucket.json"))
    assert [(o.verdict.status, o.verdict.fixable) for o in mine(report)] == [(Status.FAILED, False)]
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []
    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, ARN))
    assert forced.fix is None and "LoggingEnabled" not in aws("s3").get_bucket_logging(Bucket=BUCKET)


def test_round_trip_aws_refusal_is_reported(aws, account_id):
    """An access-log bucket that S3 may not write to: AWS refuses, the fix is reported failed with its message."""
    seed(aws)
    aws("s3").delete_bucket_policy(Bucket=LOGS)
    service = service_with_queue(aws, account_id, LOGBASELINE_ACCESS_LOG_BUCKET=LOGS)
    [request] = service.evaluate_event(load_event("cloudtrail/s3-PutBucketLogging.json")).fixes_requested
    [result] = service.fix(request)
    assert result.fix["Outcome"] == "failed" and "InvalidTargetBucketForLogging" in result.fix["Error"]
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["ProductFields"]["logbaseline/Fix/Outcome"] == "failed"
