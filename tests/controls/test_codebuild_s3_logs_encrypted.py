"""codebuild_s3_logs_encrypted: the pure verdict, the S3 log settings read, and round trips on moto."""

from __future__ import annotations

import pytest
from logbaseline.controls.codebuild_s3_logs_encrypted import CONTROL
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service
from tests.controls.test_codebuild_project_logging_enabled import ARN, create_project

LOCATION = "build-logs-123456789012/orders"


@pytest.mark.parametrize(
    ("s3_logs", "encryption_disabled", "status", "phrase"),
    [
        (False, False, Status.NOT_APPLICABLE, "sends no build logs to S3"),
        (False, True, Status.NOT_APPLICABLE, "sends no build logs to S3"),  # the flag of logs that are off
        (True, False, Status.PASSED, "encrypted"),
        (True, True, Status.FAILED, "unencrypted"),
    ],
)
def test_evaluate(s3_logs, encryption_disabled, status, phrase):
    state = {
        "name": "orders-build",
        "s3_logs": s3_logs,
        "location": LOCATION,
        "encryption_disabled": encryption_disabled,
    }
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason and "orders-build" in verdict.reason


def test_no_fix_and_the_same_reads_and_triggers_as_project_logging():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF and not CONTROL.write_actions
    assert "Security Hub CodeBuild.3" in CONTROL.related_requirements
    assert CONTROL.read_actions == ("codebuild:ListProjects", "codebuild:BatchGetProjects")


# --- round trips on the moto server -------------------------------------------------------


def s3_logs(encryption_disabled: bool) -> dict:
    return {"s3Logs": {"status": "ENABLED", "location": LOCATION, "encryptionDisabled": encryption_disabled}}


def mine(report):
    return [(o.resource_id, o.verdict.status) for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_unencrypted_s3_logs_fail_and_each_trigger_reaches_the_project(aws, account_id):
    create_project(aws, "orders-build", logsConfig=s3_logs(True))
    service = make_service(account_id)
    report = service.evaluate_event(load_event("cloudtrail/codebuild-CreateProject.json"))
    assert mine(report) == [(ARN, Status.FAILED)] and report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsCodeBuildProject"
    for sample in ("config/AWS-CodeBuild-Project.json", "cloudtrail/codebuild-UpdateProject.json"):
        assert mine(service.evaluate_event(load_event(sample))) == [(ARN, Status.FAILED)]


def test_collect_every_project(aws, account_id):
    create_project(aws, "orders-build", logsConfig=s3_logs(True))
    create_project(aws, "billing-build", logsConfig=s3_logs(False))
    create_project(aws, "web-build")  # CloudWatch Logs only, CodeBuild's default
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-build": Status.FAILED, "billing-build": Status.PASSED, "web-build": Status.NOT_APPLICABLE}
