"""dms_replication_task_logging_enabled: the pure verdict, the settings read, and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls.dms_replication_task_logging_enabled import CONTROL, logging_of
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_ARN = "arn:aws:dms:us-east-1:123456789012:task:FQ6ZQ3UH5SXWQCZ4ZK2NOLNSPE"  # the samples' task
DEFAULT, ERROR, DEBUG = "LOGGER_SEVERITY_DEFAULT", "LOGGER_SEVERITY_ERROR", "LOGGER_SEVERITY_DEBUG"


def settings(enabled: bool | None, **severities: str) -> str:
    logging: dict = {"LogComponents": [{"Id": c, "Severity": s} for c, s in severities.items()]}
    if enabled is not None:
        logging["EnableLogging"] = enabled
    return json.dumps({"Logging": logging, "TargetMetadata": {"TargetSchema": ""}})


@pytest.mark.parametrize(
    ("document", "status", "phrase"),
    [
        (None, Status.FAILED, "task logging off"),  # no settings: DMS's defaults
        (settings(False), Status.FAILED, "task logging off"),
        (settings(None), Status.FAILED, "task logging off"),
        (settings(True), Status.PASSED, "SOURCE_CAPTURE at LOGGER_SEVERITY_DEFAULT"),  # components left out: default
        (settings(True, TARGET_APPLY=DEBUG, TARGET_LOAD="LOGGER_SEVERITY_DETAILED_DEBUG"), Status.PASSED, DEBUG),
        (settings(True, TARGET_APPLY=ERROR, TARGET_LOAD=ERROR), Status.FAILED, "(the target database)"),
        (settings(True, SOURCE_UNLOAD="LOGGER_SEVERITY_INFO"), Status.FAILED, "SOURCE_UNLOAD at LOGGER_SEVERITY_INFO"),
        (
            settings(True, SOURCE_CAPTURE="LOGGER_SEVERITY_WARNING", TARGET_LOAD=ERROR),
            Status.FAILED,
            "(the source and target database)",
        ),
    ],
)
def test_evaluate(document, status, phrase):
    state = {"name": "orders-migration"} | logging_of(document)
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, SAMPLE_ARN, state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_no_fix_and_both_security_hub_controls():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert {"Security Hub DMS.7", "Security Hub DMS.8"} <= set(CONTROL.related_requirements)


# --- round trips on the moto server -------------------------------------------------------


def create_task(aws, account_id: str, name: str, document: str | None = None) -> str:
    request = {
        "ReplicationTaskIdentifier": name,
        "SourceEndpointArn": f"arn:aws:dms:{REGION}:{account_id}:endpoint:source",
        "TargetEndpointArn": f"arn:aws:dms:{REGION}:{account_id}:endpoint:target",
        "ReplicationInstanceArn": f"arn:aws:dms:{REGION}:{account_id}:rep:instance",
        "MigrationType": "full-load-and-cdc",
        "TableMappings": json.dumps({"rules": []}),
    } | ({"ReplicationTaskSettings": document} if document else {})
    return aws("dms").create_replication_task(**request)["ReplicationTask"]["ReplicationTaskArn"]


def renamed(sample: str, arn: str) -> dict:
    """The sample event naming moto's task (moto's ARNs end in the identifier, AWS's in a generated name)."""
    return json.loads(json.dumps(load_event(sample)).replace(SAMPLE_ARN, arn))


def mine(report):
    return [(o.resource_id, o.present, o.verdict.status) for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_each_trigger_then_the_task_deleted(aws, account_id):
    arn = create_task(aws, account_id, "orders-migration")  # DMS's defaults: logging off
    service = make_service(account_id)
    report = service.evaluate_event(renamed("cloudtrail/dms-CreateReplicationTask.json", arn))
    assert mine(report) == [(arn, True, Status.FAILED)] and report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsDmsReplicationTask"
    assert mine(service.evaluate_event(renamed("config/AWS-DMS-ReplicationTask.json", arn))) == [
        (arn, True, Status.FAILED)
    ]

    aws("dms").delete_replication_task(ReplicationTaskArn=arn)
    report = service.evaluate_event(renamed("cloudtrail/dms-ModifyReplicationTask.json", arn))
    assert mine(report) == [(arn, False, Status.NOT_APPLICABLE)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"


def test_collect_every_task(aws, account_id):
    create_task(aws, account_id, "orders-migration", settings(True, TARGET_APPLY=ERROR))
    create_task(aws, account_id, "billing-migration", settings(True))
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-migration": Status.FAILED, "billing-migration": Status.PASSED}
