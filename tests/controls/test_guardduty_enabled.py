"""guardduty_enabled: the pure verdict, a create-or-enable fix that is off by default, and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.guardduty_enabled import CONTROL
from logbaseline.engine import FixRequest
from logbaseline.engine.settings import Settings
from logbaseline.models import Mode, Resource, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

ME = "123456789012"


def account(*detectors) -> Resource:
    return Resource(ME, REGION, f"AWS::::Account:{ME}", {"detectors": [{"id": i, "status": s} for i, s in detectors]})


@pytest.mark.parametrize(
    ("detectors", "status", "fixable", "phrase"),
    [
        ((), Status.FAILED, True, "GuardDuty has no detector in this region"),
        ((("d1", "DISABLED"),), Status.FAILED, True, "GuardDuty detector d1 is DISABLED"),
        ((("d1", "ENABLED"),), Status.PASSED, False, "GuardDuty detector d1 is enabled"),
        ((("d1", None),), Status.FAILED, True, "d1 is None"),  # an answer without a status is not enabled
    ],
)
def test_evaluate(detectors, status, fixable, phrase):
    verdict = CONTROL.evaluate(account(*detectors), {})
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def test_fix_is_off_by_default():
    """GuardDuty is billed: the default mode is off, so a FAILED verdict never becomes a fix request by itself."""
    assert CONTROL.default_mode is Mode.OFF
    assert Settings().mode(CONTROL) is Mode.OFF


@pytest.mark.parametrize(
    ("detectors", "expected"),
    [
        ((), Change("guardduty", "create_detector", REGION, {"Enable": True})),
        ((("d1", "DISABLED"),), Change("guardduty", "update_detector", REGION, {"DetectorId": "d1", "Enable": True})),
    ],
)
def test_remediate_creates_or_enables(detectors, expected):
    """No detector: CreateDetector(Enable); a suspended one: UpdateDetector(Enable). Nothing else."""
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, account(*detectors), {})
    assert changes.made == [expected]


def test_remediate_refuses_when_enabled():
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match="already enabled"):
        CONTROL.remediate(changes, account(("d1", "ENABLED")), {})
    assert changes.made == []


# --- round trips on the moto server -------------------------------------------------------


def detectors(aws) -> dict[str, str]:
    guardduty = aws("guardduty")
    return {i: guardduty.get_detector(DetectorId=i)["Status"] for i in guardduty.list_detectors()["DetectorIds"]}


def service_in_auto(aws, account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


@pytest.mark.parametrize(
    ("seeded", "event"),
    [
        (True, "cloudtrail/guardduty-UpdateDetector.json"),  # suspended detector
        (True, "config/AWS-GuardDuty-Detector.json"),
        (False, "cloudtrail/guardduty-DeleteDetector.json"),  # no detector left
    ],
)
def test_round_trip_in_auto_mode(aws, account_id, seeded, event):
    """Event -> FAILED finding -> fix -> exactly one ENABLED detector -> PASSED, verified; repeats change nothing."""
    if seeded:
        aws("guardduty").create_detector(Enable=False)
    resource_id = f"AWS::::Account:{account_id}"
    service = service_in_auto(aws, account_id)
    sample = load_event(event)

    report = service.evaluate_event(sample)
    [outcome] = report.outcomes
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (resource_id, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, resource_id)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Severity"]["Label"] == "HIGH"
    assert finding["Resources"][0]["Type"] == "AwsAccount"
    assert report.fixes_requested == [
        FixRequest(CONTROL.id, account_id, REGION, resource_id, sample["id"], caller(sample))
    ]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert list(detectors(aws).values()) == ["ENABLED"]
    finding = findings_by_resource(aws)[(CONTROL.id, resource_id)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(load_event("cloudtrail/guardduty-CreateDetector.json"))
    assert [o.verdict.status for o in second.outcomes] == [Status.PASSED] and second.fixes_requested == []
    assert len(detectors(aws)) == 1


def test_round_trip_default_mode_reports_only(aws, account_id):
    """Default (off): the gap is reported FAILED and fixable, but no fix is requested and a forced one does nothing."""
    aws("guardduty").create_detector(Enable=False)
    service = make_service(account_id)  # no queue: none may be needed
    report = service.evaluate_event(load_event("cloudtrail/guardduty-UpdateDetector.json"))
    assert [(o.verdict.status, o.verdict.fixable) for o in report.outcomes] == [(Status.FAILED, True)]
    assert report.fixes_requested == []
    resource_id = f"AWS::::Account:{account_id}"
    assert findings_by_resource(aws)[(CONTROL.id, resource_id)]["Compliance"]["Status"] == "FAILED"

    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, resource_id))
    assert forced.fix is None
    assert list(detectors(aws).values()) == ["DISABLED"]
