"""cloudtrail_s3_data_events_recorded: reading both selector shapes, the pure verdict (with the price), round trips.

States of the account (one Resource, AWS::::Account:<id>):

| multi-region trails                                            | verdict | why                                 |
|----------------------------------------------------------------|---------|-------------------------------------|
| none                                                           | FAILED  | no trail records S3 data events     |
| a logging trail recording S3 read and write for all buckets    | PASSED  | S3.22 and S3.23 both met            |
| a logging trail recording writes only                          | FAILED  | S3.23 (reads) not met               |
| a logging trail recording reads only                           | FAILED  | S3.22 (writes) not met              |
| one logging trail for writes, another for reads                | PASSED  | each rule is met by one trail       |
| a stopped trail recording both                                 | FAILED  | a stopped trail records nothing     |
| an organization trail of the management account recording both | PASSED  | it records this account's objects   |
| a selector narrowed to some buckets, keys, events or callers   | FAILED  | it may leave any object out         |
| a trail that could not be read, and none read passes           | no verdict (a read failure), never FAILED |
Never fixable: the control has no fix (cost, and PutEventSelectors replaces every selector; module docstring).
"""

from __future__ import annotations

from collections import Counter

import boto3
import pytest
from logbaseline.aws import Clients, reads_shared
from logbaseline.controls import load
from logbaseline.controls._trails import s3_data_events
from logbaseline.controls.cloudtrail_s3_data_events_recorded import CONTROL, PRICE_PER_100K_DATA_EVENTS_USD
from logbaseline.engine import FixRequest
from logbaseline.models import Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ME, OTHER = "123456789012", "210987654321"
ALL_BUCKETS = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]


def basic(read_write="All", values=("arn:aws:s3",), kind="AWS::S3::Object", management=True) -> dict:
    resources = [{"Type": kind, "Values": list(values)}]
    return {"ReadWriteType": read_write, "IncludeManagementEvents": management, "DataResources": resources}


def field(name, **operators) -> dict:
    return {"Field": name, **operators}


def advanced(*extra, category="Data", kind="AWS::S3::Object") -> dict:
    conditions = [field("eventCategory", Equals=[category]), field("resources.type", Equals=[kind]), *extra]
    return {"Name": "s3", "FieldSelectors": conditions}


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        ({}, []),
        ({"EventSelectors": [], "AdvancedEventSelectors": []}, []),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]}, []),
        ({"EventSelectors": [basic()]}, ["read", "write"]),
        ({"EventSelectors": [basic(values=("arn:aws:s3:::",))]}, ["read", "write"]),  # the console's spelling
        ({"EventSelectors": [basic(values=("arn:aws-us-gov:s3",))]}, ["read", "write"]),
        ({"EventSelectors": [basic("WriteOnly", management=False)]}, ["write"]),
        ({"EventSelectors": [basic("ReadOnly")]}, ["read"]),
        ({"EventSelectors": [basic("ReadOnly"), basic("WriteOnly")]}, ["read", "write"]),
        ({"EventSelectors": [basic(values=("arn:aws:s3:::orders-data/",))]}, []),  # one bucket only
        ({"EventSelectors": [basic(values=("arn:aws:s3:::orders-data/", "arn:aws:s3"))]}, ["read", "write"]),
        ({"EventSelectors": [basic(kind="AWS::Lambda::Function", values=("arn:aws:lambda",))]}, []),
        ({"AdvancedEventSelectors": [advanced()]}, ["read", "write"]),
        ({"AdvancedEventSelectors": [advanced(field("readOnly", Equals=["false"]))]}, ["write"]),
        ({"AdvancedEventSelectors": [advanced(field("readOnly", Equals=["true"]))]}, ["read"]),
        ({"AdvancedEventSelectors": [advanced(field("readOnly", NotEquals=["true"]))]}, ["write"]),
        (
            {"AdvancedEventSelectors": [advanced(field("readOnly", Equals=["true", "false"], NotEquals=["true"]))]},
            ["write"],
        ),
        ({"AdvancedEventSelectors": [advanced(field("readOnly", Equals=["true"])), advanced()]}, ["read", "write"]),
        ({"AdvancedEventSelectors": [advanced(field("resources.ARN", StartsWith=["arn:aws:s3:::orders-data/"]))]}, []),
        ({"AdvancedEventSelectors": [advanced(field("eventName", Equals=["PutObject"]))]}, []),
        ({"AdvancedEventSelectors": [advanced(field("eventName", NotEquals=["DeleteObject"]))]}, []),
        ({"AdvancedEventSelectors": [advanced(field("userIdentity.arn", NotStartsWith=["arn:aws:sts::1:x"]))]}, []),
        ({"AdvancedEventSelectors": [advanced(category="Management")]}, []),
        ({"AdvancedEventSelectors": [advanced(kind="AWS::S3::AccessPoint")]}, []),
        ({"AdvancedEventSelectors": [{"Name": "m", "FieldSelectors": [field("eventCategory", Equals=["Data"])]}]}, []),
    ],
)
def test_s3_data_events_of_both_selector_shapes(selectors, expected):
    """Which S3 data events (for every bucket) basic or advanced selectors record; a narrowed selector counts none."""
    assert s3_data_events(selectors) == expected


def trail(name="main", logging=True, events=("read", "write"), organization=False) -> dict:
    return {"name": name, "organization": organization, "logging": logging, "s3_data_events": list(events)}


def account(*trails) -> Resource:
    return Resource(ME, REGION, f"AWS::::Account:{ME}", {"trails": list(trails)})


@pytest.mark.parametrize(
    ("trails", "status", "phrase"),
    [
        ((), Status.FAILED, "write (Security Hub S3.22) and read (Security Hub S3.23) data events"),
        ((trail(),), Status.PASSED, "read/write by trail main"),
        ((trail(events=("write",)),), Status.FAILED, "S3 object-level read (Security Hub S3.23) data events"),
        ((trail(events=("read",)),), Status.FAILED, "S3 object-level write (Security Hub S3.22) data events"),
        ((trail("w", events=("write",)), trail("r", events=("read",))), Status.PASSED, "write by trail w; read by"),
        ((trail(logging=False),), Status.FAILED, "trail main: not logging"),
        ((trail(events=()),), Status.FAILED, "trail main: no S3 data events for all"),
        ((trail("org", organization=True),), Status.PASSED, "by organization trail org"),
        ((trail("org", logging=False, organization=True), trail()), Status.PASSED, "read/write by trail main"),
    ],
)
def test_evaluate(trails, status, phrase):
    verdict = CONTROL.evaluate(account(*trails), {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_a_passed_finding_names_only_the_logging_trails_that_record_data_events():
    stopped, empty = trail("stopped", logging=False), trail("management-only", events=())
    reason = CONTROL.evaluate(account(stopped, empty, trail()), {}).reason
    assert reason.endswith("recorded by multi-region trails: read/write by trail main")


def test_the_finding_states_the_price_of_data_events():
    reason = CONTROL.evaluate(account(), {}).reason
    assert PRICE_PER_100K_DATA_EVENTS_USD == 0.10
    assert "charged from the first copy at $0.10 per 100,000 events (CloudTrail pricing)" in reason
    assert "10 million object requests a month cost $10.00" in reason


def test_no_fix():
    assert CONTROL.remediate is None and CONTROL.write_actions == () and CONTROL.default_mode.value == "off"


# --- round trips on the moto server -------------------------------------------------------

BUCKET = "org-cloudtrail-logs-123456789012"


def seed_trail(aws, name="management-events", *, logging=True, basic_selectors=None, advanced_selectors=None) -> str:
    aws("s3").create_bucket(Bucket=BUCKET)
    cloudtrail = aws("cloudtrail")
    arn = cloudtrail.create_trail(Name=name, S3BucketName=BUCKET, IsMultiRegionTrail=True)["TrailARN"]
    if advanced_selectors is not None:
        cloudtrail.put_event_selectors(TrailName=arn, AdvancedEventSelectors=advanced_selectors)
    else:
        cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=basic_selectors or [basic("All")])
    if logging:
        cloudtrail.start_logging(Name=arn)
    return arn


def judged(aws, account_id, event_file="cloudtrail/cloudtrail-PutEventSelectors.json"):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")  # every fix off
    report = service.evaluate_event(load_event(event_file))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    return service, report, outcome


def test_round_trip_advanced_selectors_pass(aws, account_id):
    """The sample call's advanced selectors (all management events, S3 data events of every bucket) put on the trail,
    then its event: PASSED, as a finding on the account."""
    sample = "cloudtrail/cloudtrail-PutEventSelectors-advanced.json"
    recorded = load_event(sample)["detail"]["requestParameters"]["advancedEventSelectors"]
    selectors = [
        {
            "Name": s["name"],
            "FieldSelectors": [{"Field": f["field"], "Equals": f["equals"]} for f in s["fieldSelectors"]],
        }
        for s in recorded
    ]
    seed_trail(aws, advanced_selectors=selectors)
    _, report, outcome = judged(aws, account_id, sample)
    assert outcome.verdict.status is Status.PASSED and outcome.resource_id == f"AWS::::Account:{account_id}"
    finding = findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]
    assert finding["Compliance"]["Status"] == "PASSED" and finding["Resources"][0]["Type"] == "AwsAccount"
    assert report.fixes_requested == []


def test_round_trip_writes_only_fail_and_nothing_is_changed(aws, account_id):
    """Basic selectors recording writes only: FAILED for S3.23 with the price; a forced fix request changes nothing."""
    arn = seed_trail(aws, basic_selectors=[basic("WriteOnly")])
    service, report, outcome = judged(aws, account_id)
    assert (outcome.verdict.status, outcome.verdict.fixable) == (Status.FAILED, False)
    assert "read (Security Hub S3.23)" in outcome.verdict.reason and "$0.10 per 100,000" in outcome.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Severity"]["Label"] == "MEDIUM"
    assert report.fixes_requested == []
    before = aws("cloudtrail").get_event_selectors(TrailName=arn)["EventSelectors"]
    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, f"AWS::::Account:{account_id}"))
    assert forced.fix is None and forced.verdict.status is Status.FAILED
    assert aws("cloudtrail").get_event_selectors(TrailName=arn)["EventSelectors"] == before == [basic("WriteOnly")]


def test_round_trip_stopping_the_trail_fails_at_once(aws, account_id):
    """StopLogging on the trail that recorded S3 data events: the next event's verdict is FAILED."""
    arn = seed_trail(aws, basic_selectors=[basic("All")])
    assert judged(aws, account_id)[2].verdict.status is Status.PASSED
    aws("cloudtrail").stop_logging(Name=arn)
    outcome = judged(aws, account_id, "cloudtrail/cloudtrail-StopLogging.json")[2]
    assert outcome.verdict.status is Status.FAILED and "management-events: not logging" in outcome.verdict.reason


def test_the_multi_region_trail_controls_share_their_reads(aws, account_id):
    """Within one evaluation the account-level trail controls ask AWS once per trail: the two new controls add no call
    to what cloudtrail_multi_region_logging already makes."""
    seed_trail(aws, basic_selectors=[basic("All")])
    session, asked = boto3.Session(), Counter()
    session.events.register("before-send", lambda request, **kwargs: asked.update([request.headers["X-Amz-Target"]]))
    clients, scope = Clients(REGION, session), Scope(account_id, REGION)
    controls = [load(c) for c in ("cloudtrail_multi_region_logging", CONTROL.id, "cloudtrail_security_trail_enabled")]
    with reads_shared():
        for control in controls:
            control.collect(clients, scope)
    operations = ("DescribeTrails", "GetTrailStatus", "GetEventSelectors")
    target = b"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.%s"
    assert asked == Counter({target % op.encode(): 1 for op in operations})
    asked.clear()
    for control in controls:  # outside an evaluation each reads for itself
        control.collect(clients, scope)
    assert asked == Counter({target % op.encode(): 3 for op in operations})
