"""s3_bucket_server_access_logging_enabled: which buckets count, the verdict, routing, and round trips on moto."""

from __future__ import annotations

import copy
import json
from collections import Counter

import boto3
import pytest
from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY
from logbaseline.controls.base import Changes, FixFailed
from logbaseline.controls.s3_bucket_server_access_logging_enabled import CONTROL
from logbaseline.engine import AccountClients, FixRequest, Service, sweep_event
from logbaseline.engine.routing import route
from logbaseline.engine.settings import Settings
from logbaseline.models import Resource, Status

from tests.conftest import NO_RETRY, REGION, caller, findings_by_resource, load_event, make_service

BUCKET, LOGS = "org-cloudtrail-logs-123456789012", "s3-access-logs-123456789012"
ARN = f"arn:aws:s3:::{BUCKET}"
PARAMS = {"access_logging_scope": "log-buckets", "access_log_bucket": LOGS, "access_log_prefix": "s3-access-logs/"}
ON = {"TargetBucket": LOGS, "TargetPrefix": "s3-access-logs/"}
FLOW = {"flow_log": ["fl-1"]}
ALL = {"access_logging_scope": "all-buckets"}


def bucket(sources=FLOW, logging=None, name=BUCKET) -> Resource:
    return Resource(
        "123456789012", REGION, f"arn:aws:s3:::{name}", {"name": name, "sources": sources, "logging": logging}
    )


@pytest.mark.parametrize(
    ("resource", "params", "status", "fixable", "phrase"),
    [
        (bucket(), {}, Status.FAILED, True, "server access logging is off"),
        (bucket(), {"access_log_bucket": ""}, Status.FAILED, False, "off"),
        (bucket(logging=ON), {}, Status.PASSED, False, f"go to {LOGS}/s3-access-logs/"),
        (bucket(logging={"TargetBucket": BUCKET}), {}, Status.FAILED, False, "into the bucket itself"),
        (bucket(name=LOGS), {}, Status.FAILED, False, "off"),  # the access-log bucket cannot log into itself
        (bucket({"access_log": ["app-data"]}, name=LOGS), {}, Status.NOT_APPLICABLE, False, "are exempt"),
        (bucket({"access_log": ["a"]}, name=LOGS), ALL, Status.NOT_APPLICABLE, False, "server access logs of a"),
        (bucket({"trail": ["t"], "access_log": ["a"]}), {}, Status.FAILED, True, "off"),  # a trail bucket too
        (bucket({}), {}, Status.NOT_APPLICABLE, False, "not a log bucket"),
        (bucket({}), ALL, Status.FAILED, True, "server access logging is off"),
        (bucket({}, logging=ON), ALL, Status.PASSED, False, "go to"),
    ],
)
def test_evaluate(resource, params, status, fixable, phrase):
    """Log buckets (or all, by the scope) must log elsewhere; buckets that only receive access logs are exempt."""
    verdict = CONTROL.evaluate(resource, PARAMS | params)
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def test_remediate_never_logs_a_bucket_into_itself():
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match="must not log into itself"):
        CONTROL.remediate(changes, bucket(name=LOGS), PARAMS)
    assert changes.made == []


def logging_event(target: str | None) -> dict:
    event = copy.deepcopy(load_event("cloudtrail/s3-PutBucketLogging.json"))
    if target:
        status = event["detail"]["requestParameters"]["BucketLoggingStatus"]
        status["LoggingEnabled"] = {"TargetBucket": target, "TargetPrefix": "s3-access-logs/"}
    return event


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            LOGS,
            {
                (CONTROL.id, BUCKET),
                (CONTROL.id, LOGS),  # the target becomes a log bucket (and stops being exempt or starts)
                ("s3_log_bucket_lifecycle_bounded", LOGS),
                ("cloudtrail_bucket_access_logging_enabled", BUCKET),
            },
        ),
        (
            # Logging turned off: the old target is unknown. The lifecycle control judges the logged bucket, with
            # the reads this control makes for it, rather than re-reading every log source and bucket of the region.
            None,
            {
                (CONTROL.id, BUCKET),
                ("s3_log_bucket_lifecycle_bounded", BUCKET),
                ("cloudtrail_bucket_access_logging_enabled", BUCKET),
            },
        ),
    ],
)
def test_put_bucket_logging_reaches_the_bucket_and_its_target(target, expected):
    assert {(t.control.id, t.scope.resource_id) for t in route(logging_event(target))} == expected


# --- round trips on the moto server -------------------------------------------------------


def seed(aws) -> None:
    """A flow-log bucket without logging, an access-log bucket S3 logging may write to, and an app bucket."""
    for name in (BUCKET, LOGS, "app-data"):
        aws("s3").create_bucket(Bucket=name)
    vpc = aws("ec2").create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    aws("ec2").create_flow_logs(
        ResourceType="VPC", ResourceIds=[vpc], TrafficType="ALL", LogDestinationType="s3", LogDestination=ARN
    )
    grant = {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}
    policy = {"Version": "2012-10-17", "Statement": [grant | {"Resource": f"arn:aws:s3:::{LOGS}/*"}]}
    aws("s3").put_bucket_policy(Bucket=LOGS, Policy=json.dumps(policy))


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_logging_is_turned_on_and_the_target_is_exempt(aws, account_id):
    """Config item -> FAILED -> fix -> logging on -> PASSED, verified; the target then gets no finding."""
    seed(aws)
    modes = f"{CONTROL.id}=auto,cloudtrail_bucket_not_public=off"  # the Config item reaches that control too
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=modes, LOGBASELINE_ACCESS_LOG_BUCKET=LOGS)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    event = load_event("config/AWS-S3-Bucket.json")
    report = service.evaluate_event(event)
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (ARN, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert (finding["Severity"]["Label"], finding["Compliance"]["RelatedRequirements"][1]) == (
        "MEDIUM",
        "Security Hub S3.9",
    )
    assert report.fixes_requested == [FixRequest(CONTROL.id, account_id, REGION, ARN, event["id"], caller(event))]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert aws("s3").get_bucket_logging(Bucket=BUCKET)["LoggingEnabled"] == ON
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(logging_event(LOGS))
    statuses = {o.resource_id: o.verdict.status for o in mine(second)}
    assert statuses == {ARN: Status.PASSED, f"arn:aws:s3:::{LOGS}": Status.NOT_APPLICABLE}
    assert second.fixes_requested == []
    assert (CONTROL.id, f"arn:aws:s3:::{LOGS}") not in findings_by_resource(aws)  # exempt: never reported
    assert "LoggingEnabled" not in aws("s3").get_bucket_logging(Bucket=LOGS)


def test_scope_decides_whether_other_buckets_count(aws, account_id):
    """log-buckets: only the flow-log bucket is reported; all-buckets: every bucket but the access-log target."""
    seed(aws)
    aws("s3").put_bucket_logging(Bucket="app-data", BucketLoggingStatus={"LoggingEnabled": ON})
    aws("s3").create_bucket(Bucket="other-data")
    sweep = sweep_event(account_id, REGION, [CONTROL.id])

    def reported(service) -> dict:
        return {o.resource_id: o.verdict.status for o in mine(service.evaluate_event(sweep)) if o.reportable}

    assert reported(make_service(account_id)) == {ARN: Status.FAILED}
    assert reported(make_service(account_id, LOGBASELINE_ACCESS_LOGGING_SCOPE="all-buckets")) == {
        ARN: Status.FAILED,
        "arn:aws:s3:::app-data": Status.PASSED,
        "arn:aws:s3:::other-data": Status.FAILED,
    }


def reads_sent(session: boto3.Session) -> Counter[str]:
    """Count the read requests that reach the emulator through this session."""
    sent: Counter[str] = Counter()

    def note(model, context, **kwargs):
        context["operation"] = model.name

    def count(request, **kwargs):
        if request.context["operation"].startswith(("Describe", "List", "Get")):
            sent.update([request.context["operation"]])

    session.events.register("before-call", note)
    session.events.register("before-send", count)
    return sent


@pytest.mark.parametrize("target", [None, "their-logs"])
def test_put_bucket_logging_on_a_bucket_not_the_accounts_makes_one_read(aws, account_id, target):
    """Logging turned off or on in a bucket this account does not own here: one ListBuckets, and nothing else."""
    seed(aws)
    event = logging_event(target)
    event["detail"]["requestParameters"]["bucketName"] = "their-bucket"
    session = boto3.Session()
    sent = reads_sent(session)
    off = ",".join(f"{control}=off" for control in REGISTRY)
    settings = Settings.from_env({"LOGBASELINE_REMEDIATION_MODES": off})
    service = Service(settings, AccountClients(account_id, session), Clients(REGION, config=NO_RETRY))
    report = service.evaluate_event(event)
    assert {o.present for o in report.outcomes} == {False} and len(report.outcomes) == len(route(event))
    assert sent == Counter({"ListBuckets": 1})
