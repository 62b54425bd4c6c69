"""One evaluation reads each thing once: the controls an event reaches share identical reads, and
nothing is shared outside an evaluation (a fix's verifying re-read always goes to AWS)."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest
from logbaseline.aws import Clients, reads_shared, settled
from logbaseline.controls import REGISTRY
from logbaseline.engine import AccountClients, Service
from logbaseline.engine.routing import route
from logbaseline.engine.settings import Settings

from tests.conftest import NO_RETRY, REGION, load_event

TRAIL = "management-events"


def counting_session() -> tuple[boto3.Session, Counter[str], Counter[str]]:
    """A session that counts the reads the code asks for, and the HTTP requests that reach the emulator."""
    session, asked, sent = boto3.Session(), Counter(), Counter()

    def ask(model, context, **kwargs):
        asked.update([model.name])
        context["operation"] = model.name

    session.events.register("before-call", ask)
    session.events.register("before-send", lambda request, **kwargs: sent.update([request.context["operation"]]))
    return session, asked, sent


def test_the_controls_of_one_event_share_their_reads(aws, account_id):
    event = load_event("cloudtrail/cloudtrail-UpdateTrail.json")
    bucket = event["detail"]["responseElements"]["s3BucketName"]  # the trail-bucket controls judge this one
    aws("s3").create_bucket(Bucket=bucket)
    aws("cloudtrail").create_trail(Name=TRAIL, S3BucketName=bucket, IsMultiRegionTrail=True)
    assert len(route(event)) == 17, "an event seventeen controls answer (six of them on the trail's bucket)"
    session, asked, sent = counting_session()
    settings = Settings.from_env({"LOGBASELINE_REMEDIATION_MODES": ",".join(f"{c}=off" for c in REGISTRY)})
    service = Service(settings, AccountClients(account_id, session), Clients(REGION, config=NO_RETRY))
    report = service.evaluate_event(event)
    # the trail bucket's Object Lock is not required by default: that control reads nothing
    routed = {t.control.id for t in route(event)}
    assert {o.control.id for o in report.outcomes} == routed - {"cloudtrail_bucket_object_lock"}
    assert asked["DescribeTrails"] >= 6 and sent["DescribeTrails"] == 1, (asked, sent)  # one request for all
    assert all(sent[operation] <= asked[operation] for operation in asked)
    assert sent["BatchImportFindings"] == 1


def test_reads_are_shared_only_inside_an_evaluation_and_writes_never(aws):
    session, _, sent = counting_session()
    logs = Clients(REGION, session, NO_RETRY)("logs")
    logs.create_log_group(logGroupName="/app/one")
    with reads_shared():
        first = logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
        first.append({"changed": "by the caller"})  # a caller's change does not leak into the next answer
        again = logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
        other = logs.describe_log_groups(logGroupNamePrefix="/other/")["logGroups"]
        logs.put_retention_policy(logGroupName="/app/one", retentionInDays=30)
        logs.put_retention_policy(logGroupName="/app/one", retentionInDays=30)
    assert [g["logGroupName"] for g in again] == ["/app/one"] and other == []
    assert sent["DescribeLogGroups"] == 2, "the same request once, a different request again"
    assert sent["PutRetentionPolicy"] == 2, "writes always go to AWS"
    fresh = logs.describe_log_groups(logGroupNamePrefix="/app/")["logGroups"]
    assert fresh[0]["retentionInDays"] == 30 and sent["DescribeLogGroups"] == 3, "outside: always fresh"


def test_reads_of_different_resources_are_never_confused(aws):
    """S3 puts the bucket in the host name, not the path: the shared read keys on the call's parameters."""
    session, _, sent = counting_session()
    s3 = Clients(REGION, session, NO_RETRY)("s3")
    for bucket in ("versioned", "plain"):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
    with reads_shared():
        answers = {b: s3.get_bucket_versioning(Bucket=b).get("Status") for b in ("versioned", "plain", "versioned")}
    assert answers == {"versioned": "Enabled", "plain": None}
    assert sent["GetBucketVersioning"] == 2


def test_a_lasting_error_is_shared_like_an_answer(aws):
    """'No policy' is the bucket's state, not a failure: every control asking gets the same error from one request."""
    session, _, sent = counting_session()
    s3 = Clients(REGION, session, NO_RETRY)("s3")
    s3.create_bucket(Bucket="no-policy")
    errors = []
    with reads_shared():
        for _ in range(3):
            try:
                s3.get_bucket_policy(Bucket="no-policy")
            except s3.exceptions.ClientError as error:
                errors.append(error.response["Error"]["Code"])
    assert errors == ["NoSuchBucketPolicy"] * 3
    assert sent["GetBucketPolicy"] == 1


class _Answer:
    def __init__(self, status_code: int):
        self.status_code = status_code


@pytest.mark.parametrize(
    ("status", "code", "shared"),
    [
        (200, None, True),
        (404, "NoSuchBucketPolicy", True),  # the bucket has none
        (403, "AccessDenied", True),  # denied now is denied for the next control too
        (400, "ThrottlingException", False),  # the next control asks again, after its own backoff
        (503, "SlowDown", False),
        (500, "InternalError", False),
        (429, "TooManyRequests", False),
        (400, "RequestTimeout", False),
    ],
)
def test_only_answers_no_retry_would_change_are_shared(status, code, shared):
    model = boto3.Session(region_name=REGION).client("s3").meta.service_model.operation_model("GetBucketPolicy")
    parsed = {"Error": {"Code": code, "Message": ""}} if code else {"Policy": "{}"}
    assert settled(_Answer(status), parsed, model) is shared
