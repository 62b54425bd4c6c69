"""logs_log_group_retention_bounded: the pure verdict, a fix that never shortens, and a round trip on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.logs_log_group_retention_bounded import CONTROL
from logbaseline.engine import FixRequest
from logbaseline.models import Resource, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

GROUP = "/aws/lambda/orders-api"  # the log group of the sample events
DEFAULTS = {"retention_floor_days": 365, "retention_ceiling_days": 2557}
ONLY_731 = {"retention_floor_days": 731, "retention_ceiling_days": 731}


def group(retention: int | None, name: str = GROUP) -> Resource:
    return Resource(
        "123456789012",
        REGION,
        f"arn:aws:logs:{REGION}:123456789012:log-group:{name}",
        {"name": name, "retention_in_days": retention},
    )


@pytest.mark.parametrize(
    ("retention", "params", "status", "fixable", "phrase"),
    [
        (None, DEFAULTS, Status.FAILED, True, "events never expire"),
        (0, DEFAULTS, Status.FAILED, True, "retention is 0 days, below the floor of 365"),
        (1, DEFAULTS, Status.FAILED, True, "below the floor of 365"),
        (180, DEFAULTS, Status.FAILED, True, "below the floor of 365"),
        (365, DEFAULTS, Status.PASSED, False, "within 365 to 2557"),  # exactly at the floor
        (400, DEFAULTS, Status.PASSED, False, "retention is 400 days"),
        (2557, DEFAULTS, Status.PASSED, False, "within 365 to 2557"),  # exactly at the ceiling
        (2922, DEFAULTS, Status.FAILED, False, "above the ceiling of 2557; shortening it is left to a person"),
        (3653, DEFAULTS, Status.FAILED, False, "above the ceiling of 2557"),
        (400, ONLY_731, Status.FAILED, True, "below the floor of 731"),
        (731, ONLY_731, Status.PASSED, False, "within 731 to 731"),  # floor == ceiling
        (None, ONLY_731 | {"retention_ceiling_days": 3653}, Status.FAILED, True, "731 to 3653 days"),
    ],
)
def test_evaluate(retention, params, status, fixable, phrase):
    """The verdict on a retention: never-expire and too short are fixable, too long is for a person."""
    verdict = CONTROL.evaluate(group(retention), params)
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


@pytest.mark.parametrize(("retention", "floor"), [(400, 365), (365, 365), (3653, 365), (731, 731), (1096, 731)])
def test_remediate_never_shortens(retention, floor):
    """At or above the floor, the fix refuses and records no call: setting the floor would delete logs."""
    changes = Changes(Clients(REGION), dry_run=True)  # dry-run: recorded only, no AWS call
    with pytest.raises(FixFailed, match="would not lengthen"):
        CONTROL.remediate(changes, group(retention), DEFAULTS | {"retention_floor_days": floor})
    assert changes.made == []


@pytest.mark.parametrize(("retention", "floor"), [(None, 365), (30, 365), (0, 365), (None, 731), (365, 731)])
def test_remediate_sets_the_floor(retention, floor):
    """Never-expire or below the floor: exactly one PutRetentionPolicy with the floor."""
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, group(retention), DEFAULTS | {"retention_floor_days": floor})
    expected = Change("logs", "put_retention_policy", REGION, {"logGroupName": GROUP, "retentionInDays": floor})
    assert changes.made == [expected]


# --- round trips on the moto server -------------------------------------------------------


def sample(relative: str, account_id: str) -> dict:
    return json.loads(json.dumps(load_event(relative)).replace("123456789012", account_id))


def service_with_queue(aws, account_id, **environ):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto", **environ)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def queued(aws, service) -> list[FixRequest]:
    messages = aws("sqs").receive_message(QueueUrl=service.fix_queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [FixRequest.from_message(json.loads(m["Body"])) for m in messages]


def retention(aws) -> int | None:
    groups = aws("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]
    [found] = [g for g in groups if g["logGroupName"] == GROUP]
    return found.get("retentionInDays")


def arn(account_id: str) -> str:
    return f"arn:aws:logs:{REGION}:{account_id}:log-group:{GROUP}"


@pytest.mark.parametrize(
    ("environ", "seeded", "event", "expected"),
    [
        ({}, None, "cloudtrail/logs-CreateLogGroup.json", 365),
        ({}, 30, "cloudtrail/logs-PutRetentionPolicy.json", 365),
        ({"LOGBASELINE_RETENTION_FLOOR_DAYS": "731"}, 30, "cloudtrail/logs-PutRetentionPolicy.json", 731),
        ({"LOGBASELINE_RETENTION_FLOOR_DAYS": "731"}, None, "cloudtrail/logs-DeleteRetentionPolicy.json", 731),
    ],
)
def test_round_trip_sets_the_floor(aws, account_id, environ, seeded, event, expected):
    """Event -> FAILED finding -> queued fix -> retention set to the floor -> PASSED; repeats change nothing."""
    aws("logs").create_log_group(logGroupName=GROUP)
    if seeded is not None:
        aws("logs").put_retention_policy(logGroupName=GROUP, retentionInDays=seeded)
    service = service_with_queue(aws, account_id, **environ)

    report = service.evaluate_event(sample(event, account_id))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    assert outcome.resource_id == arn(account_id)
    assert (outcome.verdict.status, outcome.verdict.fixable) == (Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, arn(account_id))]
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["GeneratorId"] == f"logbaseline/{CONTROL.id}"
    assert finding["ProductFields"]["logbaseline/ControlId"] == CONTROL.id
    assert finding["Resources"][0]["Type"] == "Other"
    assert [r.resource_id for r in report.fixes_requested] == [arn(account_id)]
    assert queued(aws, service) == report.fixes_requested  # the remediator receives exactly what was asked

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert retention(aws) == expected
    finding = findings_by_resource(aws)[(CONTROL.id, arn(account_id))]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"
    assert f"retentionInDays={expected}" in finding["ProductFields"]["logbaseline/Fix/Changes"]

    [again] = service.fix(report.fixes_requested[0])  # a repeated request: nothing to do
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(sample(event, account_id))
    assert [o.verdict.status for o in second.outcomes if o.control is CONTROL] == [Status.PASSED]
    assert second.fixes_requested == [] and queued(aws, service) == []
    assert retention(aws) == expected


def test_round_trip_above_ceiling_is_left_to_a_person(aws, account_id):
    """3653 days stays FAILED: no fix request, and even a forced fix request shortens nothing."""
    aws("logs").create_log_group(logGroupName=GROUP)
    aws("logs").put_retention_policy(logGroupName=GROUP, retentionInDays=3653)
    service = service_with_queue(aws, account_id)

    report = service.evaluate_event(sample("cloudtrail/logs-PutRetentionPolicy.json", account_id))
    [outcome] = report.outcomes
    assert (outcome.verdict.status, outcome.verdict.fixable) == (Status.FAILED, False)
    assert report.fixes_requested == [] and queued(aws, service) == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn(account_id))]
    assert finding["Compliance"]["Status"] == "FAILED"
    assert "left to a person" in finding["ProductFields"]["logbaseline/Reason"]

    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, arn(account_id)))
    assert forced.fix is None
    assert retention(aws) == 3653


def test_round_trip_deleted_group_is_archived(aws, account_id):
    """DeleteLogGroup for a group that is gone archives its finding and asks for no fix."""
    aws("logs").create_log_group(logGroupName=GROUP)
    service = service_with_queue(aws, account_id)
    service.evaluate_event(sample("cloudtrail/logs-CreateLogGroup.json", account_id))
    assert findings_by_resource(aws)[(CONTROL.id, arn(account_id))]["RecordState"] == "ACTIVE"

    aws("logs").delete_log_group(logGroupName=GROUP)
    report = service.evaluate_event(sample("cloudtrail/logs-DeleteLogGroup.json", account_id))
    assert [o.present for o in report.outcomes if o.control is CONTROL] == [False]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, arn(account_id))]["RecordState"] == "ARCHIVED"
