"""config_recorder_active: recording-scope parsing, the pure verdict, a start-only fix, and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.config_recorder_active import CONTROL, scope_of
from logbaseline.engine import FixRequest
from logbaseline.models import Resource, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

ME = "123456789012"
ALL = {
    "allSupported": True,
    "includeGlobalResourceTypes": False,
    "recordingStrategy": {"useOnly": "ALL_SUPPORTED_RESOURCE_TYPES"},
}
EXCLUDING = {
    "allSupported": False,
    "exclusionByResourceTypes": {"resourceTypes": ["AWS::EC2::NetworkInterface"]},
    "recordingStrategy": {"useOnly": "EXCLUSION_BY_RESOURCE_TYPES"},
}
ONLY = {"allSupported": False, "resourceTypes": ["AWS::EC2::VPC", "AWS::S3::Bucket"]}


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        (None, None),  # no recording group: AWS records every supported type
        (ALL, None),
        ({"allSupported": True}, None),  # before recording strategies existed
        (EXCLUDING, "excludes 1 resource types (AWS::EC2::NetworkInterface)"),
        (ONLY, "records only 2 selected resource types (AWS::EC2::VPC, AWS::S3::Bucket)"),
        (ONLY | {"recordingStrategy": {"useOnly": "INCLUSION_BY_RESOURCE_TYPES"}}, "records only 2 selected"),
    ],
)
def test_scope_of(group, expected):
    """Only a group that records all supported types has no gap; exclusions count as a gap."""
    gap = scope_of(group)
    assert gap == expected if expected is None else expected in gap


def recorder(recording=True, gap=None, last_status="Success", error=None) -> dict:
    return {
        "name": "default",
        "recording": recording,
        "last_status": last_status,
        "last_error": error,
        "scope_gap": gap,
    }


def account(rec=None, channel=True) -> Resource:
    return Resource(ME, REGION, f"AWS::::Account:{ME}", {"recorder": rec, "delivery_channel": channel})


GAP = "excludes 1 resource types (AWS::EC2::NetworkInterface)"


@pytest.mark.parametrize(
    ("state", "status", "fixable", "phrase"),
    [
        (account(), Status.FAILED, False, "no AWS Config recorder in this region; creating one"),
        (account(recorder()), Status.PASSED, False, "recorder default is recording all supported resource types"),
        (account(recorder(last_status="Pending")), Status.PASSED, False, "recording all supported"),
        (account(recorder(recording=False)), Status.FAILED, True, "recorder default is not recording"),
        (account(recorder(recording=False), channel=False), Status.FAILED, False, "has no delivery channel"),
        (account(recorder(recording=False, gap=GAP)), Status.FAILED, True, f"not recording; it also {GAP}"),
        (account(recorder(gap=GAP)), Status.FAILED, False, "NetworkInterface); widening its scope is left to a person"),
        (account(recorder(last_status="Failure", error="role lacks s3:PutObject")), Status.FAILED, False, "s3:Put"),
        (account(recorder(last_status="FAILURE", error="x")), Status.FAILED, False, "last recording failed: x"),
    ],
)
def test_evaluate(state, status, fixable, phrase):
    """Only a stopped recorder with a delivery channel is fixable; no recorder or a narrow scope is for a person."""
    verdict = CONTROL.evaluate(state, {})
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def test_remediate_only_starts_the_recorder():
    """The fix is exactly one StartConfigurationRecorder: no Put (scope), no PutDeliveryChannel."""
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, account(recorder(recording=False, gap=GAP)), {})
    assert changes.made == [
        Change("config", "start_configuration_recorder", REGION, {"ConfigurationRecorderName": "default"})
    ]


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (account(), "no stopped configuration recorder"),
        (account(recorder()), "no stopped configuration recorder"),
        (account(recorder(recording=False), channel=False), "cannot start without a delivery channel"),
    ],
)
def test_remediate_refuses_without_calls(state, message):
    changes = Changes(Clients(REGION), dry_run=True)
    with pytest.raises(FixFailed, match=message):
        CONTROL.remediate(changes, state, {})
    assert changes.made == []


# --- round trips on the moto server -------------------------------------------------------

BUCKET = "config-bucket-123456789012"


def seed(aws, *, group=ALL, recording=True, channel=True):
    config = aws("config")
    role = f"arn:aws:iam::{ME}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": role, "recordingGroup": group}
    )
    if channel:
        aws("s3").create_bucket(Bucket=BUCKET)
        config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": BUCKET})
    if recording:
        config.start_configuration_recorder(ConfigurationRecorderName="default")


def recording(aws) -> bool:
    return aws("config").describe_configuration_recorder_status()["ConfigurationRecordersStatus"][0]["recording"]


def test_round_trip_stopped_recorder_is_started(aws, account_id):
    """StopConfigurationRecorder -> FAILED -> fix -> recording again -> PASSED, verified; repeats change nothing."""
    seed(aws)
    aws("config").stop_configuration_recorder(ConfigurationRecorderName="default")
    resource_id = f"AWS::::Account:{account_id}"
    service = make_service(account_id)  # default mode: auto
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    event = load_event("cloudtrail/config-StopConfigurationRecorder.json")

    report = service.evaluate_event(event)
    [outcome] = report.outcomes
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (resource_id, Status.FAILED, True)
    finding = findings_by_resource(aws)[(CONTROL.id, resource_id)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Severity"]["Label"] == "HIGH"
    assert finding["Resources"][0]["Type"] == "AwsAccount"
    assert report.fixes_requested == [
        FixRequest(CONTROL.id, account_id, REGION, resource_id, event["id"], caller(event))
    ]

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified" and recording(aws) is True
    finding = findings_by_resource(aws)[(CONTROL.id, resource_id)]
    assert finding["Compliance"]["Status"] == "PASSED"
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"

    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED
    second = service.evaluate_event(load_event("cloudtrail/config-StartConfigurationRecorder.json"))
    assert [o.verdict.status for o in second.outcomes] == [Status.PASSED] and second.fixes_requested == []


def recorders(aws) -> list[dict]:
    return aws("config").describe_configuration_recorders()["ConfigurationRecorders"]


@pytest.mark.parametrize(
    ("seeding", "event", "phrase"),
    [
        (None, "cloudtrail/config-DeleteConfigurationRecorder.json", "no AWS Config recorder"),
        ({"recording": False, "channel": False}, "cloudtrail/config-DeleteDeliveryChannel.json", "no delivery channel"),
        ({"group": EXCLUDING}, "cloudtrail/config-PutConfigurationRecorder.json", "excludes 1 resource types"),
    ],
)
def test_round_trip_gap_left_to_a_person(aws, account_id, seeding, event, phrase):
    """Nothing to start: FAILED, not fixable; a forced fix creates no recorder and leaves the scope as it is."""
    if seeding is not None:
        seed(aws, **seeding)
    before = recorders(aws)
    service = make_service(account_id)  # no queue: no fix may be requested
    report = service.evaluate_event(load_event(event))
    [outcome] = report.outcomes
    assert (outcome.verdict.status, outcome.verdict.fixable) == (Status.FAILED, False)
    assert phrase in outcome.verdict.reason and report.fixes_requested == []

    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, f"AWS::::Account:{account_id}"))
    assert forced.fix is None and forced.verdict.status is Status.FAILED
    assert recorders(aws) == before
