"""cloudtrail_no_duplicate_management_events: the copies a region records, their cost, and round trips on moto."""

from __future__ import annotations

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from logbaseline.controls.cloudtrail_no_duplicate_management_events import CONTROL, PRICE_PER_100K_EVENTS_USD
from logbaseline.engine import sweep_event
from logbaseline.models import Mode, Resource, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ME = "123456789012"
ACCOUNT = f"AWS::::Account:{ME}"


def trail(name, logging=True, events=("read", "write"), organization=False, owner=ME, home=REGION) -> dict:
    arn = f"arn:aws:cloudtrail:{home}:{owner}:trail/{name}"
    return {"arn": arn, "name": name, "organization": organization, "logging": logging, "management_events": events}


def account(*trails) -> Resource:
    return Resource(
        ME, REGION, ACCOUNT, {"trails": [t | {"management_events": list(t["management_events"])} for t in trails]}
    )


@pytest.mark.parametrize(
    ("trails", "status", "phrase"),
    [
        ((), Status.PASSED, "(none: cloudtrail_multi_region_logging judges that)"),
        ((trail("main"),), Status.PASSED, f"trail arn:aws:cloudtrail:{REGION}:{ME}:trail/main (read/write)"),
        ((trail("main"), trail("old", logging=False)), Status.PASSED, "one copy of management events at most"),
        ((trail("main"), trail("data-only", events=())), Status.PASSED, "trail/main"),  # data events only
        ((trail("main"), trail("copy")), Status.FAILED, "2 trails record management events in this region"),
        ((trail("main"), trail("copy")), Status.FAILED, "the 1 other is charged at $2.00 per 100,000 events each"),
        ((trail("main"), trail("copy")), Status.FAILED, "$2.00 per 100,000 management events of this region"),
        ((trail("main"), trail("w", events=("write",)), trail("eu", home="eu-west-1")), Status.FAILED, "$4.00 per"),
        ((trail("main"), trail("w", events=("write",)), trail("eu", home="eu-west-1")), Status.FAILED, "2 others are"),
        ((trail("main"), trail("w", events=("write",))), Status.FAILED, "trail/w (write)"),
        (
            (trail("org", organization=True, owner="999988887777"), trail("main")),
            Status.FAILED,
            "organization trail arn:aws:cloudtrail:us-east-1:999988887777:trail/org (read/write)",
        ),
    ],
)
def test_evaluate(trails, status, phrase):
    verdict = CONTROL.evaluate(account(*trails), {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_the_price_is_cloudtrails_list_price_and_there_is_no_fix():
    assert PRICE_PER_100K_EVENTS_USD == 2.00  # https://aws.amazon.com/cloudtrail/pricing/
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF


# --- round trips on the moto server -------------------------------------------------------


def seed_trail(aws, name: str, multi_region: bool = True, region: str = REGION) -> None:
    buckets = [b["Name"] for b in aws("s3").list_buckets()["Buckets"]]
    if "trail-logs" not in buckets:
        aws("s3").create_bucket(Bucket="trail-logs")
    cloudtrail = aws("cloudtrail", region)
    cloudtrail.create_trail(Name=name, S3BucketName="trail-logs", IsMultiRegionTrail=multi_region)
    # AWS gives a new trail this selector by default; moto leaves it empty (docs/emulator-gaps.md).
    cloudtrail.put_event_selectors(
        TrailName=name, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    cloudtrail.start_logging(Name=name)


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_a_second_trail_fails_in_each_region_it_records(aws, account_id):
    """A multi-region trail and a single-region copy in us-east-1: us-east-1 fails, eu-west-1 passes; stopping the
    copy (StopLogging) makes us-east-1 pass."""
    seed_trail(aws, "main")
    seed_trail(aws, "copy", multi_region=False)
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-CreateTrail.json"))
    [here] = mine(report)
    assert (here.region, here.resource_id, here.verdict.status) == (
        REGION,
        f"AWS::::Account:{account_id}",
        Status.FAILED,
    )
    assert "trail/main (read/write)" in here.verdict.reason and "trail/copy (read/write)" in here.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "LOW")
    [eu] = mine(service.evaluate_event(sweep_event(account_id, "eu-west-1", [CONTROL.id])))
    assert eu.verdict.status is Status.PASSED and "trail/main" in eu.verdict.reason

    aws("cloudtrail").stop_logging(Name="copy")
    [after] = mine(service.evaluate_event(load_event("cloudtrail/cloudtrail-StopLogging.json")))
    assert after.verdict.status is Status.PASSED
    assert findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]["Compliance"]["Status"] == "PASSED"


def refuse_status_of(monkeypatch, arn: str, caller: str) -> None:
    """CloudTrail refuses a member GetTrailStatus on an organization trail of another account (HTTP 400, as
    tests/test_read_failures.py quotes it); moto does not."""
    original = BaseClient._make_api_call

    def make_api_call(client: BaseClient, operation: str, params: dict) -> dict:
        if operation == "GetTrailStatus" and params.get("Name") == arn:
            message = f"AccountID in ARN is wrong, you can only access resources with AccountID {caller}."
            error = {"Error": {"Code": "CloudTrailARNInvalidException", "Message": message}}
            raise ClientError(error | {"ResponseMetadata": {"HTTPStatusCode": 400}}, operation)
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", make_api_call)


def test_a_trail_not_read_leaves_no_verdict_unless_two_copies_were_read(aws, account_id, monkeypatch):
    """An unreadable trail may be a further copy: with one copy read, a read failure rather than a PASSED; with two
    read, FAILED all the same, and the unreadable trail is its own read failure."""
    seed_trail(aws, "main")
    refuse_status_of(monkeypatch, f"arn:aws:cloudtrail:{REGION}:{account_id}:trail/main", account_id)
    seed_trail(aws, "copy", multi_region=False)
    report = make_service(account_id).evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))
    assert mine(report) == []
    failures = {f.resource_id: f.reason for f in report.read_failures}
    assert "trail main could not be read; it may record another copy" in failures[f"AWS::::Account:{account_id}"]

    seed_trail(aws, "second-copy", multi_region=False)
    report = make_service(account_id).evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))
    [outcome] = mine(report)
    assert outcome.verdict.status is Status.FAILED and "2 trails record" in outcome.verdict.reason
    assert [f.resource_id for f in report.read_failures] == [f"arn:aws:cloudtrail:{REGION}:{account_id}:trail/main"]
