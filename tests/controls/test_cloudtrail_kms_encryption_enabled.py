"""cloudtrail_kms_encryption_enabled: the pure verdict, a fix that only adds a key, and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.cloudtrail_kms_encryption_enabled import CONTROL
from logbaseline.engine import FixRequest
from logbaseline.models import Mode, Resource, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

NAME, BUCKET = "management-events", "org-cloudtrail-logs-123456789012"  # as in the sample events
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PARAM = "cloudtrail_kms_key_arn"


def trail(key=None, region=REGION) -> Resource:
    arn = f"arn:aws:cloudtrail:{region}:123456789012:trail/{NAME}"
    return Resource("123456789012", region, arn, {"name": NAME, "kms_key_id": key})


@pytest.mark.parametrize(
    ("key", "configured", "status", "fixable", "phrase"),
    [
        (KEY, "", Status.PASSED, False, f"encrypted with KMS key {KEY}"),
        (KEY, KEY, Status.PASSED, False, "encrypted with KMS key"),
        (None, "", Status.FAILED, False, f"no key is configured for the fix ({PARAM})"),
        (None, KEY, Status.FAILED, True, "not encrypted with a KMS key"),
    ],
)
def test_evaluate(key, configured, status, fixable, phrase):
    """No key is FAILED, and fixable only when a key is configured; any key passes."""
    verdict = CONTROL.evaluate(trail(key), {PARAM: configured})
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason
    assert (CONTROL.default_mode, [p.name for p in CONTROL.parameters]) == (Mode.DRY_RUN, [PARAM])


@pytest.mark.parametrize("region", [REGION, "eu-west-1"])
def test_remediate_only_sets_the_configured_key(region):
    """The fix is exactly one UpdateTrail by ARN with the configured key, in the trail's region."""
    resource = trail(None, region)
    changes = Changes(Clients(region), dry_run=True)
    CONTROL.remediate(changes, resource, {PARAM: KEY})
    assert changes.made == [
        Change("cloudtrail", "update_trail", region, {"Name": resource.resource_id, "KmsKeyId": KEY})
    ]


@pytest.mark.parametrize(
    ("key", "configured", "message"),
    [
        (None, "", "no KMS key configured"),  # KmsKeyId="" would turn encryption off
        ("arn:aws:kms:us-east-1:123456789012:key/other", KEY, "changing its key is left to a person"),
    ],
)
def test_remediate_refuses_without_a_key_or_over_an_existing_one(key, configured, message):
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match=message):
        CONTROL.remediate(changes, trail(key), {PARAM: configured})
    assert changes.made == []


# --- round trips on the moto server -------------------------------------------------------


def seed_trail(aws, **settings) -> str:
    """A logging multi-region trail with validation on, so only encryption is in question."""
    aws("s3").create_bucket(Bucket=BUCKET)
    cloudtrail = aws("cloudtrail")
    arn = cloudtrail.create_trail(
        Name=NAME, S3BucketName=BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True, **settings
    )["TrailARN"]
    cloudtrail.put_event_selectors(TrailName=arn, EventSelectors=[{"ReadWriteType": "All"}])  # AWS's default
    cloudtrail.start_logging(Name=arn)
    return arn


def the_trail(aws) -> dict:
    [found] = aws("cloudtrail").describe_trails()["trailList"]
    return found


def service_for(aws, account_id, key="", mode="auto"):
    environ = {"LOGBASELINE_REMEDIATION_MODES": f"{CONTROL.id}={mode}"}
    if key:
        environ["LOGBASELINE_CLOUDTRAIL_KMS_KEY_ARN"] = key
    service = make_service(account_id, **environ)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def my_requests(report) -> list[FixRequest]:
    return [r for r in report.fixes_requested if r.control_id == CONTROL.id]


def test_round_trip_trail_gets_the_configured_key(aws, account_id):
    """UpdateTrail -> FAILED -> fix request -> UpdateTrail(KmsKeyId) -> PASSED, verified; repeats change nothing."""
    arn = seed_trail(aws)
    key = aws("kms").create_key(Description="CloudTrail logs")["KeyMetadata"]["Arn"]
    service = service_for(aws, account_id, key)
    event = load_event("cloudtrail/cloudtrail-UpdateTrail.json")

    report = service.evaluate_event(event)
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Severity"]["Label"] == "MEDIUM"
    assert finding["Resources"][0]["Type"] == "AwsCloudTrailTrail" and finding["RecordState"] == "ACTIVE"
    assert my_requests(report) == [FixRequest(CONTROL.id, account_id, REGION, arn, event["id"], caller(event))]

    before = the_trail(aws)
    [fixed] = service.fix(my_requests(report)[0])
    assert fixed.fix["Outcome"] == "verified"
    after = the_trail(aws)
    assert after["KmsKeyId"] == key
    assert {k: v for k, v in after.items() if k != "KmsKeyId"} == before  # nothing else changed
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"
    assert f"KmsKeyId={key}" in finding["ProductFields"]["logbaseline/Fix/Changes"]

    [again] = service.fix(my_requests(report)[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(event)
    assert [o.verdict.status for o in mine(second)] == [Status.PASSED] and my_requests(second) == []
    assert the_trail(aws) == after
    assert aws("cloudtrail").get_trail_status(Name=arn)["IsLogging"] is True


def test_round_trip_without_a_configured_key_is_left_to_a_person(aws, account_id):
    """No key configured: FAILED, not fixable, no request; a forced request changes nothing."""
    arn = seed_trail(aws)
    service = service_for(aws, account_id)
    report = service.evaluate_event(load_event("config/AWS-CloudTrail-Trail.json"))  # the Config trigger
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (arn, Status.FAILED, False)
    assert my_requests(report) == []
    before = the_trail(aws)
    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, arn))
    assert forced.fix is None and forced.verdict.status is Status.FAILED
    assert the_trail(aws) == before and "KmsKeyId" not in before


def test_round_trip_dry_run_plans_and_changes_nothing(aws, account_id):
    arn = seed_trail(aws)
    service = service_for(aws, account_id, KEY, mode="dry-run")
    [request] = my_requests(service.evaluate_event(load_event("cloudtrail/cloudtrail-CreateTrail.json")))
    [planned] = service.fix(request)
    assert planned.fix["Outcome"] == "planned" and f"KmsKeyId={KEY}" in planned.fix["Changes"]
    assert "KmsKeyId" not in the_trail(aws)
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["ProductFields"]["logbaseline/Fix/Outcome"] == "planned"


def test_round_trip_encrypted_trail_passes_and_deleted_one_is_archived(aws, account_id):
    key = aws("kms").create_key()["KeyMetadata"]["Arn"]
    arn = seed_trail(aws, KmsKeyId=key)
    service = service_for(aws, account_id, KEY)
    report = service.evaluate_event(load_event("cloudtrail/cloudtrail-CreateTrail.json"))
    assert [o.verdict.status for o in mine(report)] == [Status.PASSED] and my_requests(report) == []
    assert key in findings_by_resource(aws)[(CONTROL.id, arn)]["ProductFields"]["logbaseline/Reason"]

    aws("cloudtrail").delete_trail(Name=NAME)  # moto ignores an ARN here
    [gone] = mine(service.evaluate_event(load_event("cloudtrail/cloudtrail-DeleteTrail.json")))
    assert (gone.present, gone.resource_id) == (False, arn)  # the ARN rebuilt from the name in the event
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
