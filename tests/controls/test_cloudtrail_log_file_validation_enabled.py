"""cloudtrail_log_file_validation_enabled: the pure verdict, the one-call fix, and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes
from logbaseline.controls.cloudtrail_log_file_validation_enabled import CONTROL
from logbaseline.engine import FixRequest
from logbaseline.models import Resource, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

MULTI_REGION = "cloudtrail_multi_region_logging"  # also triggered by the trail events
NAME, BUCKET = "management-events", "org-cloudtrail-logs-123456789012"  # as in the sample events


def trail(validation, region=REGION, name=NAME) -> Resource:
    return Resource(
        "123456789012",
        region,
        f"arn:aws:cloudtrail:{region}:123456789012:trail/{name}",
        {"name": name, "log_file_validation": validation},
    )


@pytest.mark.parametrize(
    ("validation", "params", "status", "fixable", "phrase"),
    [
        (True, {}, Status.PASSED, False, "log file validation is enabled"),
        (False, {}, Status.FAILED, True, "log file validation is disabled"),
        (False, {"unrelated": 1}, Status.FAILED, True, "tampering with delivered log files would go unnoticed"),
        (True, {"unrelated": 1}, Status.PASSED, False, "enabled"),
    ],
)
def test_evaluate(validation, params, status, fixable, phrase):
    """Validation off is FAILED and fixable; on is PASSED; the control takes no parameters."""
    verdict = CONTROL.evaluate(trail(validation), params)
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason
    assert CONTROL.parameters == ()


@pytest.mark.parametrize("region", [REGION, "eu-west-1"])
def test_remediate_only_enables_validation(region):
    """The fix is exactly one UpdateTrail by ARN that turns validation on: nothing stopped, deleted or moved."""
    resource = trail(False, region)
    changes = Changes(Clients(region), dry_run=True)
    CONTROL.remediate(changes, resource, {})
    assert changes.made == [
        Change("cloudtrail", "update_trail", region, {"Name": resource.resource_id, "EnableLogFileValidation": True})
    ]


# --- round trips on the moto server -------------------------------------------------------


def seed_trail(aws, *, validation: bool) -> str:
    """A logging multi-region trail with all management events, so only validation is in question."""
    aws("s3").create_bucket(Bucket=BUCKET)
    cloudtrail = aws("cloudtrail")
    arn = cloudtrail.create_trail(
        Name=NAME, S3BucketName=BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=validation
    )["TrailARN"]
    all_events = [{"ReadWriteType": "All", "IncludeManagementEvents": True}]  # moto leaves a new trail's empty
    cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=all_events)
    cloudtrail.start_logging(Name=arn)
    return arn


def validation_enabled(aws) -> bool:
    [found] = aws("cloudtrail").describe_trails()["trailList"]
    return found["LogFileValidationEnabled"]


def service_with_queue(aws, account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def statuses(report) -> dict[str, Status]:
    """The verdicts of this control and of the multi-region control (trail events reach other controls too)."""
    return {o.control.id: o.verdict.status for o in report.outcomes if o.control.id in (CONTROL.id, MULTI_REGION)}


def our_fixes(report) -> list[FixRequest]:
    return [r for r in report.fixes_requested if r.control_id == CONTROL.id]


def test_round_trip_validation_is_enabled(aws, account_id):
    """UpdateTrail -> FAILED finding -> fix request -> UpdateTrail -> PASSED, verified; repeats change nothing."""
    arn = seed_trail(aws, validation=False)
    service = service_with_queue(aws, account_id)
    event = load_event("cloudtrail/cloudtrail-UpdateTrail.json")

    report = service.evaluate_event(event)
    assert statuses(report) == {CONTROL.id: Status.FAILED, MULTI_REGION: Status.PASSED}
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["GeneratorId"] == f"logbaseline/{CONTROL.id}"
    assert finding["Resources"][0]["Type"] == "AwsCloudTrailTrail" and finding["RecordState"] == "ACTIVE"
    assert our_fixes(report) == [FixRequest(CONTROL.id, account_id, REGION, arn, event["id"], caller(event))]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert validation_enabled(aws) is True
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"
    assert "EnableLogFileValidation=True" in finding["ProductFields"]["logbaseline/Fix/Changes"]

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(event)
    assert statuses(second) == {CONTROL.id: Status.PASSED, MULTI_REGION: Status.PASSED}
    assert our_fixes(second) == []
    assert validation_enabled(aws) is True
    assert aws("cloudtrail").get_trail_status(Name=arn)["IsLogging"] is True  # the fix did not stop the trail


def test_round_trip_created_with_validation_passes(aws, account_id):
    """CreateTrail of a trail that validates: PASSED, and no fix is asked for."""
    arn = seed_trail(aws, validation=True)
    service = service_with_queue(aws, account_id)
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-CreateTrail.json"))
    assert statuses(report)[CONTROL.id] is Status.PASSED and our_fixes(report) == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "PASSED"


def test_round_trip_deleted_trail_is_archived(aws, account_id):
    """DeleteTrail for a trail that no longer exists archives its finding and asks for no fix."""
    arn = seed_trail(aws, validation=False)
    service = service_with_queue(aws, account_id)
    service.evaluate_event(load_event("cloudtrail/cloudtrail-UpdateTrail.json"))
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ACTIVE"

    aws("cloudtrail").delete_trail(Name=NAME)  # moto ignores an ARN here
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-DeleteTrail.json"))
    [gone] = [o for o in report.outcomes if o.control is CONTROL]
    assert (gone.present, gone.resource_id) == (False, arn)  # the ARN is rebuilt from the trail name in the event
    assert our_fixes(report) == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
    assert aws("cloudtrail").describe_trails()["trailList"] == []


def test_round_trip_deleting_one_of_two_trails_archives_only_that_one(aws, account_id):
    """The event names one trail: only its finding is archived (the emulator ignores trailNameList)."""
    kept = seed_trail(aws, validation=True)
    aws("cloudtrail").create_trail(Name="old-trail", S3BucketName=BUCKET)
    service = service_with_queue(aws, account_id)
    event = load_event("cloudtrail/cloudtrail-DeleteTrail.json")
    event["detail"]["requestParameters"]["name"] = "old-trail"
    service.evaluate_event(event)
    aws("cloudtrail").delete_trail(Name="old-trail")
    report = service.evaluate_event(event)
    outcomes = {o.resource_id: o.present for o in report.outcomes if o.control is CONTROL}
    assert outcomes == {kept.replace(NAME, "old-trail"): False}
    assert findings_by_resource(aws)[(CONTROL.id, kept.replace(NAME, "old-trail"))]["RecordState"] == "ARCHIVED"
    assert (CONTROL.id, kept) not in findings_by_resource(aws)


def test_round_trip_fix_request_for_a_deleted_trail_changes_nothing(aws, account_id):
    """A late fix request for a trail deleted since: no UpdateTrail, no trail re-created."""
    arn = seed_trail(aws, validation=False)
    service = service_with_queue(aws, account_id)
    [request] = our_fixes(service.evaluate_event(load_event("cloudtrail/cloudtrail-UpdateTrail.json")))
    aws("cloudtrail").delete_trail(Name=NAME)  # moto ignores an ARN here

    [outcome] = service.fix(request)
    assert (outcome.present, outcome.fix) == (False, None)
    assert aws("cloudtrail").describe_trails()["trailList"] == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
