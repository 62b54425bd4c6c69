"""cloudtrail_multi_region_logging: selector parsing, the pure verdict, a fix that only restarts, and round trips."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest
from logbaseline import sam_template
from logbaseline.aws import Clients
from logbaseline.controls._trails import management_events
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.cloudtrail_multi_region_logging import CONTROL
from logbaseline.engine import FixRequest
from logbaseline.models import Resource, Scope, Status

from tests.conftest import REGION, ROOT, caller, findings_by_resource, load_event, make_service

ME, OTHER = "123456789012", "210987654321"  # the sample account (moto's default) and a management account
ALL = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]


def advanced(*read_only: str, category: str = "Management") -> dict:
    fields = [{"Field": "eventCategory", "Equals": [category]}]
    if read_only:
        fields.append({"Field": "readOnly", "Equals": list(read_only)})
    return {"FieldSelectors": fields}


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        ({}, []),
        ({"EventSelectors": [], "AdvancedEventSelectors": []}, []),  # moto's new trail
        ({"EventSelectors": ALL}, ["read", "write"]),
        ({"EventSelectors": [ALL[0] | {"DataResources": [], "ExcludeManagementEventSources": []}]}, ["read", "write"]),
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly"}]}, ["read"]),
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, ["write"]),
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly"}, {"ReadWriteType": "WriteOnly"}]}, ["read", "write"]),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, []),  # data events only
        ({"AdvancedEventSelectors": [advanced()]}, ["read", "write"]),
        ({"AdvancedEventSelectors": [advanced("false")]}, ["write"]),
        ({"AdvancedEventSelectors": [advanced("true")]}, ["read"]),
        ({"AdvancedEventSelectors": [advanced("true"), advanced("false")]}, ["read", "write"]),
        ({"AdvancedEventSelectors": [advanced(category="Data")]}, []),
    ],
)
def test_management_events(selectors, expected):
    """Which management events a trail's (basic or advanced) selectors record."""
    assert management_events(selectors) == expected


def trail(name="main", logging=True, events=("read", "write"), owner=ME, organization=False, home=REGION) -> dict:
    return {
        "arn": f"arn:aws:cloudtrail:{home}:{owner}:trail/{name}",
        "name": name,
        "home_region": home,
        "owner_account": owner,
        "organization": organization,
        "logging": logging,
        "management_events": list(events),
    }


def account(*trails) -> Resource:
    return Resource(ME, REGION, f"AWS::::Account:{ME}", {"trails": list(trails)})


@pytest.mark.parametrize(
    ("trails", "status", "fixable", "phrase"),
    [
        ((), Status.FAILED, False, "no multi-region trail covers this account; creating one is left to a person"),
        ((trail(),), Status.PASSED, False, "multi-region trail main is logging read and write"),
        ((trail(logging=False),), Status.FAILED, True, "multi-region trail main is not logging"),
        ((trail(events=("read",)),), Status.FAILED, False, "main: records only read management events"),
        ((trail(events=("write",)),), Status.FAILED, False, "main: records only write management events"),
        ((trail(events=()),), Status.FAILED, False, "main: records only no management events"),
        ((trail(logging=False, events=("read",)),), Status.FAILED, False, "main: not logging"),
        ((trail("org", owner=OTHER, organization=True),), Status.PASSED, False, "organization trail org is logging"),
        ((trail("org", logging=False, owner=OTHER, organization=True),), Status.FAILED, False, "org: not logging"),
        ((trail("org", logging=False, owner=OTHER, organization=True), trail()), Status.PASSED, False, "trail main"),
        ((trail("ro", events=("read",)), trail(logging=False)), Status.FAILED, True, "main is not logging"),
    ],
)
def test_evaluate(trails, status, fixable, phrase):
    """PASSED needs a logging multi-region trail with read+write events; only our own stopped trail is fixable."""
    verdict = CONTROL.evaluate(account(*trails), {})
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def test_remediate_restarts_our_trail_in_its_home_region():
    """The fix is one StartLogging on our stopped trail, in its home region; it never touches another's trail."""
    ours = trail(logging=False, home="eu-west-1")
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, account(trail("org", logging=False, owner=OTHER, organization=True), ours), {})
    assert changes.made == [Change("cloudtrail", "start_logging", "eu-west-1", {"Name": ours["arn"]})]


def test_with_several_stopped_trails_the_fix_restarts_the_one_the_finding_names():
    first, second = trail("first", logging=False), trail("second", logging=False, home="eu-west-1")
    resource = account(first, second)
    assert CONTROL.evaluate(resource, {}).reason == "multi-region trail first is not logging"
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, resource, {})
    assert changes.made == [Change("cloudtrail", "start_logging", REGION, {"Name": first["arn"]})]


def test_remediate_never_creates_or_starts_another_accounts_trail():
    """With no trail of our own to restart, remediate makes no call at all (no CreateTrail, no StartLogging)."""
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match="no stopped multi-region trail of this account"):
        CONTROL.remediate(changes, account(trail("org", logging=False, owner=OTHER, organization=True)), {})
    assert changes.made == []


# --- round trips on the moto server -------------------------------------------------------

BUCKET = "org-cloudtrail-logs-123456789012"  # the bucket of the sample events


def seed_trail(aws, *, multi_region=True, logging=False, selectors=ALL, region=REGION) -> str:
    aws("s3").create_bucket(Bucket=BUCKET)
    cloudtrail = aws("cloudtrail", region)
    created = cloudtrail.create_trail(Name="management-events", S3BucketName=BUCKET, IsMultiRegionTrail=multi_region)
    arn = created["TrailARN"]
    cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=selectors)  # AWS's default; moto leaves them empty
    if logging:
        cloudtrail.start_logging(Name=arn)
    return arn


def service_with_queue(aws, account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


@pytest.mark.parametrize("home", [REGION, "eu-west-1"])
def test_round_trip_stopped_trail_is_restarted(aws, account_id, home):
    """StopLogging -> FAILED -> fix request -> StartLogging in the home region -> PASSED; repeats change nothing."""
    arn = seed_trail(aws, region=home)
    resource_id = f"AWS::::Account:{account_id}"
    service = service_with_queue(aws, account_id)
    event = load_event("cloudtrail/cloudtrail-StopLogging.json")
    event["detail"]["requestParameters"]["name"] = arn

    report = service.evaluate_event(event)
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]  # StopLogging reaches other trail controls too
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (resource_id, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, resource_id)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["GeneratorId"] == f"logbaseline/{CONTROL.id}"
    assert finding["Resources"][0]["Type"] == "AwsAccount" and finding["Severity"]["Label"] == "HIGH"
    assert report.fixes_requested == [
        FixRequest(CONTROL.id, account_id, REGION, resource_id, event["id"], caller(event))
    ]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert aws("cloudtrail", home).get_trail_status(Name=arn)["IsLogging"] is True
    finding = findings_by_resource(aws)[(CONTROL.id, resource_id)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(load_event("cloudtrail/cloudtrail-StartLogging.json"))
    assert [o.verdict.status for o in second.outcomes if o.control is CONTROL] == [
        Status.PASSED
    ] and second.fixes_requested == []
    assert [t["TrailARN"] for t in aws("cloudtrail").describe_trails(includeShadowTrails=True)["trailList"]] == [arn]


def all_trails(aws) -> list[dict]:
    return [t for region in (REGION, "eu-west-1") for t in aws("cloudtrail", region).describe_trails()["trailList"]]


@pytest.mark.parametrize(
    ("seed", "phrase"),
    [
        (None, "no multi-region trail covers this account"),
        ({"multi_region": False, "logging": True}, "no multi-region trail covers this account"),  # does not count
        ({"logging": True, "selectors": [{"ReadWriteType": "ReadOnly"}]}, "records only read management events"),
        ({"logging": False, "selectors": [{"ReadWriteType": "WriteOnly"}]}, "management-events: not logging"),
    ],
)
def test_round_trip_gap_left_to_a_person(aws, account_id, seed, phrase):
    """No usable trail to restart: FAILED, not fixable, no fix request; nothing creates or starts a trail."""
    arn = seed_trail(aws, **seed) if seed is not None else None
    before = all_trails(aws)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")  # no queue: none is needed
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-StopLogging.json"))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]  # StopLogging reaches other trail controls too
    assert (outcome.verdict.status, outcome.verdict.fixable) == (Status.FAILED, False)
    assert phrase in outcome.verdict.reason
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]["Compliance"]["Status"] == "FAILED"

    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, f"AWS::::Account:{account_id}"))
    assert forced.fix is None and forced.verdict.status is Status.FAILED
    assert all_trails(aws) == before
    if arn is not None:
        assert aws("cloudtrail").get_trail_status(Name=arn)["IsLogging"] is bool(seed["logging"])


def test_trails_after_the_first_that_passes_are_not_read(aws, account_id):
    """Two logging multi-region trails: the verdict names the first, so the second is not read further."""
    cloudtrail = aws("cloudtrail")
    aws("s3").create_bucket(Bucket=BUCKET)
    for name in ("first", "second"):
        arn = cloudtrail.create_trail(Name=name, S3BucketName=BUCKET, IsMultiRegionTrail=True)["TrailARN"]
        cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=ALL)
        cloudtrail.start_logging(Name=arn)
    session, asked = boto3.Session(), Counter()
    session.events.register("before-call", lambda model, **kwargs: asked.update([model.name]))
    [resource] = CONTROL.collect(Clients(REGION, session), Scope(account_id, REGION))
    verdict = CONTROL.evaluate(resource, {})
    assert verdict.status is Status.PASSED and "multi-region trail first is logging" in verdict.reason
    assert [t["name"] for t in resource.state["trails"]] == ["first"]
    assert asked == Counter({"DescribeTrails": 1, "GetTrailStatus": 1, "GetEventSelectors": 1})


def test_a_stopped_multi_region_trail_is_judged_in_every_covered_region_at_once(aws, account_id):
    """StopLogging arrives in the trail's home region only; before, the other regions' findings waited for the sweep."""
    seed_trail(aws, logging=False)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")
    service.regions = [REGION, "eu-west-1"]  # the template gives the evaluator SweepRegions as LOGBASELINE_REGIONS
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-StopLogging.json"))
    judged = {(o.region, o.verdict.status) for o in report.outcomes if o.control is CONTROL}
    assert judged == {(REGION, Status.FAILED), ("eu-west-1", Status.FAILED)}


def test_the_evaluator_knows_the_covered_regions():
    template = sam_template.load(ROOT / "template.yaml")
    variables = template["Resources"]["EvaluatorFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["LOGBASELINE_REGIONS"] == {"Ref": "SweepRegions"}
