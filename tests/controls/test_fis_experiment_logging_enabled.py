"""fis_experiment_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import uuid

import pytest
from logbaseline.controls.fis_experiment_logging_enabled import CONTROL, destinations
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/fis/experiments:*"
ROLE = "arn:aws:iam::123456789012:role/fis-experiments"


@pytest.mark.parametrize(
    ("log_configuration", "status", "phrase"),
    [
        ({}, Status.FAILED, "has no log configuration"),
        ({"logSchemaVersion": 2}, Status.FAILED, "has no log configuration"),  # a version but no destination
        ({"cloudWatchLogsConfiguration": {"logGroupArn": GROUP}, "logSchemaVersion": 2}, Status.PASSED, GROUP),
        ({"s3Configuration": {"bucketName": "fis-logs", "prefix": "orders/"}}, Status.PASSED, "s3://fis-logs/orders/"),
        ({"s3Configuration": {"bucketName": "fis-logs"}}, Status.PASSED, "to s3://fis-logs/"),
    ],
)
def test_evaluate(log_configuration, status, phrase):
    state = {"id": "EXT2mWq7rTz9xKc4L", "description": "stop one", "destinations": destinations(log_configuration)}
    arn = "arn:aws:fis:us-east-1:123456789012:experiment-template/EXT2mWq7rTz9xKc4L"
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, arn, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason
    assert "FIS experiment template EXT2mWq7rTz9xKc4L (stop one)" in verdict.reason


def test_no_fix():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF and not CONTROL.write_actions


# --- round trips on the moto server -------------------------------------------------------


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def template(aws, **settings) -> str:
    return aws("fis").create_experiment_template(
        clientToken=str(uuid.uuid4()),  # one token, one template: FIS answers a repeated token with the first
        description="Stop one orders instance",
        stopConditions=[{"source": "none"}],
        targets={
            "orders": {"resourceType": "aws:ec2:instance", "resourceTags": {"app": "orders"}, "selectionMode": "ALL"}
        },
        actions={"stop": {"actionId": "aws:ec2:stop-instances", "targets": {"Instances": "orders"}}},
        roleArn=ROLE,
        **settings,
    )["experimentTemplate"]["id"]


def renamed(event, template_id):
    """The sample event, naming moto's template (its id is random)."""
    event["detail"]["responseElements"]["experimentTemplate"]["id"] = template_id
    event["detail"]["requestParameters"].pop("id", None)
    return event


def test_round_trip_created_without_logging_then_logged(aws, account_id):
    template_id = template(aws)
    arn = f"arn:aws:fis:{REGION}:{account_id}:experiment-template/{template_id}"
    service = make_service(account_id)
    report = service.evaluate_event(renamed(load_event("cloudtrail/fis-CreateExperimentTemplate.json"), template_id))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"

    logging = {"s3Configuration": {"bucketName": "fis-logs-123456789012"}, "logSchemaVersion": 2}
    aws("fis").update_experiment_template(id=template_id, logConfiguration=logging)
    report = service.evaluate_event(renamed(load_event("cloudtrail/fis-UpdateExperimentTemplate.json"), template_id))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "PASSED"


def test_collect_every_template_and_a_deleted_one_is_archived(aws, account_id):
    plain = template(aws)
    logged = template(
        aws, logConfiguration={"cloudWatchLogsConfiguration": {"logGroupArn": GROUP}, "logSchemaVersion": 2}
    )
    found = {r.state["id"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {plain: Status.FAILED, logged: Status.PASSED}

    service = make_service(account_id)
    service.evaluate_event(renamed(load_event("cloudtrail/fis-CreateExperimentTemplate.json"), plain))
    aws("fis").delete_experiment_template(id=plain)
    report = service.evaluate_event(renamed(load_event("cloudtrail/fis-UpdateExperimentTemplate.json"), plain))
    arn = f"arn:aws:fis:{REGION}:{account_id}:experiment-template/{plain}"
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
