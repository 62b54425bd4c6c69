"""codebuild_project_logging_enabled: the pure verdict, the log configurations read, and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.controls.codebuild_project_logging_enabled import CONTROL, destinations, project_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

ARN = "arn:aws:codebuild:us-east-1:123456789012:project/orders-build"  # the samples' project
ROLE = "arn:aws:iam::123456789012:role/orders-build"
OFF = {"cloudWatchLogs": {"status": "DISABLED"}, "s3Logs": {"status": "DISABLED"}}
DEFAULT_GROUP = "CloudWatch Logs log group /aws/codebuild/<project>"


@pytest.mark.parametrize(
    ("logs", "status", "found"),
    [
        ({}, Status.PASSED, [DEFAULT_GROUP]),  # no logsConfig: CodeBuild's default
        (OFF, Status.FAILED, []),
        ({"s3Logs": {"status": "DISABLED"}}, Status.PASSED, [DEFAULT_GROUP]),  # CloudWatch Logs not set: the default
        (
            {"cloudWatchLogs": {"status": "ENABLED", "groupName": "/builds/orders"}, "s3Logs": {"status": "DISABLED"}},
            Status.PASSED,
            ["CloudWatch Logs /builds/orders"],
        ),
        (
            {"cloudWatchLogs": {"status": "DISABLED"}, "s3Logs": {"status": "ENABLED", "location": "logs/builds"}},
            Status.PASSED,
            ["S3 logs/builds"],
        ),
        (
            {"cloudWatchLogs": {"status": "ENABLED"}, "s3Logs": {"status": "ENABLED", "location": "logs/builds"}},
            Status.PASSED,
            [DEFAULT_GROUP, "S3 logs/builds"],
        ),
    ],
)
def test_destinations_and_verdict(logs, status, found):
    assert destinations(logs) == found
    state = {"name": "orders-build", "destinations": destinations(logs)}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert ("are not logged" in verdict.reason) is (status is Status.FAILED)
    assert all(place in verdict.reason for place in found)


def test_no_fix_and_the_finding_names_the_project_by_arn():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub CodeBuild.4" in CONTROL.related_requirements
    assert project_arn(Scope("123456789012", REGION, "orders-build")) == ARN
    assert project_arn(Scope("123456789012", REGION, ARN)) == ARN


# --- round trips on the moto server -------------------------------------------------------


def create_project(aws, name: str, **logs) -> None:
    aws("codebuild").create_project(
        name=name,
        source={"type": "S3", "location": "orders-artifacts/source.zip"},
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=ROLE,
        **logs,
    )


def mine(report):
    return [(o.resource_id, o.verdict.status) for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_each_trigger_reaches_the_project(aws, account_id):
    """CreateProject with both logs off -> FAILED, no fix requested; the Config item and UpdateProject too."""
    create_project(aws, "orders-build", logsConfig=OFF)
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/codebuild-CreateProject.json"))
    assert mine(report) == [(ARN, Status.FAILED)] and report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsCodeBuildProject"
    for sample in ("config/AWS-CodeBuild-Project.json", "cloudtrail/codebuild-UpdateProject.json"):
        assert mine(service.evaluate_event(load_event(sample))) == [(ARN, Status.FAILED)]


def test_collect_every_project_and_a_deleted_one_is_archived(aws, account_id):
    create_project(aws, "orders-build", logsConfig=OFF)
    create_project(aws, "billing-build", logsConfig={"cloudWatchLogs": {"status": "ENABLED", "groupName": "/b"}})
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-build": Status.FAILED, "billing-build": Status.PASSED}

    service = make_service(account_id)
    service.evaluate_event(load_event("cloudtrail/codebuild-CreateProject.json"))
    aws("codebuild").delete_project(name="orders-build")
    report = service.evaluate_event(load_event("cloudtrail/codebuild-UpdateProject.json"))
    assert [(o.present, o.resource_id) for o in report.outcomes if o.control.id == CONTROL.id] == [(False, ARN)]
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ARCHIVED"
