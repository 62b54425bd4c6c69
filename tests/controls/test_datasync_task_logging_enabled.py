"""datasync_task_logging_enabled: the pure verdict, AWS's answer through botocore's model, and moto round trips.

moto answers DescribeTask with the options as they were sent (no defaults, no TaskMode), and writes every ARN under
account 111222333444, which the emulator files under the caller's account (emulation/datasync_arns.py,
docs/emulator-gaps.md): Enhanced mode is read through a Stubber held to botocore's shape."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from logbaseline.controls.datasync_task_logging_enabled import CONTROL, task_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ACCOUNT = "123456789012"
ARN = f"arn:aws:datasync:us-east-1:{ACCOUNT}:task/task-0a1b2c3d4e5f60718"  # the samples' task
GROUP = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/datasync/orders-archive:*"


@pytest.mark.parametrize(
    ("level", "group", "mode", "status", "phrase"),
    [
        ("BASIC", GROUP, "BASIC", Status.PASSED, f"logs at BASIC to {GROUP}"),
        ("TRANSFER", GROUP, "BASIC", Status.PASSED, "logs at TRANSFER"),
        ("BASIC", "", "ENHANCED", Status.PASSED, "logs at BASIC to /aws/datasync"),
        ("TRANSFER", "", "BASIC", Status.FAILED, "logs at TRANSFER but has no log group"),
        ("OFF", GROUP, "BASIC", Status.FAILED, "has LogLevel OFF"),
        ("OFF", "", "ENHANCED", Status.FAILED, "has LogLevel OFF"),
    ],
)
def test_evaluate(level, group, mode, status, phrase):
    state = {"name": "orders-archive", "level": level, "log_group": group, "mode": mode}
    verdict = CONTROL.evaluate(Resource(ACCOUNT, REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub DataSync.1" in CONTROL.related_requirements
    assert task_arn(Scope(ACCOUNT, REGION, "task-0a1b2c3d4e5f60718")) == ARN == task_arn(Scope(ACCOUNT, REGION, ARN))


def test_collect_reads_an_enhanced_mode_task_as_aws_answers():
    datasync = boto3.client("datasync", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(datasync) as stub:
        stub.add_response("list_tasks", {"Tasks": [{"TaskArn": ARN, "Name": "orders-archive", "TaskMode": "ENHANCED"}]})
        answer = {"TaskArn": ARN, "Name": "orders-archive", "Options": {"LogLevel": "TRANSFER"}, "TaskMode": "ENHANCED"}
        stub.add_response("describe_task", answer, {"TaskArn": ARN})
        [resource] = CONTROL.collect(lambda service: datasync, Scope(ACCOUNT, REGION))
        stub.assert_no_pending_responses()
    assert resource.state == {"name": "orders-archive", "level": "TRANSFER", "log_group": "", "mode": "ENHANCED"}
    assert CONTROL.evaluate(resource, {}).status is Status.PASSED


# --- round trips on the moto server -------------------------------------------------------


def create(aws, name: str, **logging) -> str:
    datasync = aws("datasync")
    role = {"BucketAccessRoleArn": "arn:aws:iam::123456789012:role/datasync-s3"}
    source, destination = (
        datasync.create_location_s3(S3BucketArn=f"arn:aws:s3:::{bucket}", S3Config=role)["LocationArn"]
        for bucket in ("orders-exports", "orders-archive")
    )
    return datasync.create_task(SourceLocationArn=source, DestinationLocationArn=destination, Name=name, **logging)[
        "TaskArn"
    ]


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def naming(event: dict, arn: str) -> dict:
    """The sample event, naming the emulator's task instead of the sample's."""
    detail = event["detail"]
    for part in ("requestParameters", "responseElements"):
        if (detail.get(part) or {}).get("taskArn"):
            detail[part]["taskArn"] = arn
    return event


def test_round_trip_created_without_logs_then_logged_then_deleted(aws, account_id):
    """CreateTask (LogLevel OFF) -> FAILED, no fix; UpdateTask BASIC to a group -> PASSED; deleted -> archived."""
    arn = create(aws, "orders-archive", Options={"LogLevel": "OFF"})
    service = make_service(account_id)
    report = service.evaluate_event(naming(load_event("cloudtrail/datasync-CreateTask.json"), arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"

    aws("datasync").update_task(TaskArn=arn, CloudWatchLogGroupArn=GROUP, Options={"LogLevel": "BASIC"})
    report = service.evaluate_event(naming(load_event("cloudtrail/datasync-UpdateTask.json"), arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]

    aws("datasync").delete_task(TaskArn=arn)
    report = service.evaluate_event(naming(load_event("cloudtrail/datasync-UpdateTask.json"), arn))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"


def test_collect_every_task_of_the_region(aws, account_id):
    create(aws, "orders-archive")  # no options at all: DataSync's default LogLevel is OFF
    create(aws, "billing-archive", CloudWatchLogGroupArn=GROUP, Options={"LogLevel": "TRANSFER"})
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-archive": Status.FAILED, "billing-archive": Status.PASSED}
