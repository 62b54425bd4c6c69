"""cloudtrail_logs_queryable: the pure verdict naming each query mechanism, the trail's S3 location, and round trips
on the emulator (moto, with CloudTrail Lake answered by the emulator's gateway: moto has none of it)."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError
from logbaseline import sam_template
from logbaseline.aws import Clients
from logbaseline.controls.cloudtrail_logs_queryable import CONTROL, trail_location
from logbaseline.engine.routing import TAMPER_EVENTS
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, ROOT, findings_by_resource, load_event, make_service

ME, NAME, BUCKET = "123456789012", "management-events", "org-cloudtrail-logs-123456789012"
ARN = f"arn:aws:cloudtrail:{REGION}:{ME}:trail/{NAME}"
GROUP = f"arn:aws:logs:{REGION}:{ME}:log-group:cloudtrail:*"
LOCATION = f"s3://{BUCKET}/AWSLogs/"


def trail(group=None, tables=(), stores=(), location=LOCATION) -> Resource:
    state = {"log_group_arn": group, "location": location, "athena_tables": list(tables), "lake_stores": list(stores)}
    return Resource(ME, REGION, ARN, state)


@pytest.mark.parametrize(
    ("resource", "status", "phrases"),
    [
        (
            trail(),
            Status.FAILED,
            ["cannot be queried", f"log files at {LOCATION} have no Athena", "no CloudTrail Lake"],
        ),
        (trail(location=None), Status.FAILED, ["no CloudWatch Logs delivery, and no CloudTrail Lake"]),
        (trail(group=GROUP), Status.PASSED, [f"CloudWatch Logs Insights on log group {GROUP}"]),
        (trail(tables=["security.cloudtrail_logs"]), Status.PASSED, ["Athena table security.cloudtrail_logs over"]),
        (trail(stores=["all-management"]), Status.PASSED, ["CloudTrail Lake event data store all-management"]),
        (
            trail(group=GROUP, tables=["a.t"], stores=["s"]),
            Status.PASSED,
            ["Logs Insights", "Athena table a.t", "event data store s"],
        ),
    ],
)
def test_evaluate(resource, status, phrases):
    verdict = CONTROL.evaluate(resource, {})
    assert (verdict.status, verdict.fixable) == (status, False)
    for phrase in phrases:
        assert phrase in verdict.reason


@pytest.mark.parametrize(
    ("prefix", "location"),
    [(None, f"s3://{BUCKET}/AWSLogs/"), ("", f"s3://{BUCKET}/AWSLogs/"), ("ct/", f"s3://{BUCKET}/ct/AWSLogs/")],
)
def test_the_trail_writes_under_its_prefix_then_AWSLogs(prefix, location):
    assert trail_location({"S3BucketName": BUCKET, "S3KeyPrefix": prefix}) == location


def test_metadata_no_fix():
    assert (CONTROL.remediate, CONTROL.write_actions, CONTROL.default_mode) == (None, (), Mode.OFF)


# --- round trips on the emulator ---------------------------------------------------------------------------------


def seed(aws, prefix=None) -> str:
    aws("s3").create_bucket(Bucket=BUCKET)
    extra = {"S3KeyPrefix": prefix} if prefix else {}
    return aws("cloudtrail").create_trail(Name=NAME, S3BucketName=BUCKET, IsMultiRegionTrail=True, **extra)["TrailARN"]


def table(aws, database: str, name: str, location: str) -> None:
    glue = aws("glue")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(
        DatabaseName=database,
        TableInput={"Name": name, "StorageDescriptor": {"Location": location}, "TableType": "EXTERNAL_TABLE"},
    )


def judged(account_id) -> Resource:
    [resource] = CONTROL.collect(Clients(REGION, config=NO_RETRY), Scope(account_id, REGION))
    return resource


def test_round_trip_a_trail_with_nothing_to_query_it_fails_then_an_athena_table_passes_it(aws, account_id):
    arn = seed(aws, prefix="ct")
    service = make_service(account_id)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]  # for other controls' requests
    [outcome] = [o for o in service.evaluate_event(load_event("cloudtrail/cloudtrail-CreateTrail.json")).outcomes
                 if o.control is CONTROL]  # fmt: skip
    assert (outcome.resource_id, outcome.verdict.status) == (arn, Status.FAILED)
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert (finding["Compliance"]["Status"], finding["Resources"][0]["Type"]) == ("FAILED", "AwsCloudTrailTrail")

    table(aws, "other", "elsewhere", f"s3://{BUCKET}/other/AWSLogs/")  # the same bucket, another prefix
    table(aws, "security", "cloudtrail_logs", f"s3://{BUCKET}/ct/AWSLogs/{account_id}/CloudTrail/")
    resource = judged(account_id)
    assert resource.state["athena_tables"] == ["security.cloudtrail_logs"]
    assert CONTROL.evaluate(resource, {}).status is Status.PASSED


def test_round_trip_a_lake_event_data_store_of_management_events_passes_it_a_stopped_or_data_one_does_not(
    aws, account_id
):
    seed(aws)
    cloudtrail = aws("cloudtrail")
    data_only = [
        {
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            ]
        }
    ]
    cloudtrail.create_event_data_store(Name="s3-data-events", AdvancedEventSelectors=data_only)
    cloudtrail.create_event_data_store(Name="stopped", StartIngestion=False)
    assert judged(account_id).state["lake_stores"] == []
    management = [
        {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
    ]
    created = cloudtrail.create_event_data_store(Name="all-management", AdvancedEventSelectors=management)
    assert created["Status"] == "ENABLED"
    resource = judged(account_id)
    assert resource.state["lake_stores"] == ["all-management"]
    assert "CloudTrail Lake event data store all-management" in CONTROL.evaluate(resource, {}).reason


def test_the_emulated_lake_refuses_what_aws_refuses(aws):
    cloudtrail = aws("cloudtrail")
    with pytest.raises(ClientError, match="EventDataStoreNotFoundException"):
        cloudtrail.get_event_data_store(EventDataStore="missing")
    with pytest.raises(ClientError, match="InvalidParameterException"):
        cloudtrail.create_event_data_store(Name="bad name!")


# --- the investigation queries the stack can save -----------------------------------------------------------------

TEMPLATE = sam_template.load(ROOT / "template.yaml")
EXPOSING = {"PutBucketAcl", "PutBucketPolicy", "DeleteBucketPublicAccessBlock"}  # tamper events that expose, not stop
QUERIES = {
    "WhoStoppedLoggingQuery": "HasInvestigationLogGroup",
    "WhoChangedBucketPolicyQuery": "HasInvestigationLogGroup",
    "AccessKeyActivityQuery": "HasInvestigationLogGroup",
    "WhoStoppedLoggingAthenaQuery": "HasInvestigationAthenaTable",
    "WhoChangedBucketPolicyAthenaQuery": "HasInvestigationAthenaTable",
    "AccessKeyActivityAthenaQuery": "HasInvestigationAthenaTable",
}


def query_text(logical_id: str) -> str:
    text = TEMPLATE["Resources"][logical_id]["Properties"]["QueryString"]
    return text["Fn::Sub"] if isinstance(text, dict) else text


def named_events(text: str) -> set[str]:
    """The event names a query's `in [...]` or `IN (...)` list holds."""
    [names] = re.findall(r"eventname in [\[(]([^\])]*)[\])]", text, re.IGNORECASE)
    return set(re.findall(r"[\"'](\w+)[\"']", names))


def test_each_query_is_saved_only_when_its_source_is_configured():
    resources = TEMPLATE["Resources"]
    saved = {k for k, r in resources.items() if r["Type"] in ("AWS::Logs::QueryDefinition", "AWS::Athena::NamedQuery")}
    assert saved == set(QUERIES)
    assert {k: resources[k]["Condition"] for k in QUERIES} == QUERIES


@pytest.mark.parametrize("logical_id", ["WhoStoppedLoggingQuery", "WhoStoppedLoggingAthenaQuery"])
def test_who_stopped_logging_asks_for_every_call_the_service_treats_as_switching_logging_off(logical_id):
    assert named_events(query_text(logical_id)) == set(TAMPER_EVENTS) - EXPOSING


@pytest.mark.parametrize("logical_id", ["WhoChangedBucketPolicyQuery", "WhoChangedBucketPolicyAthenaQuery"])
def test_who_changed_the_bucket_policy_asks_for_the_exposing_calls_and_their_undoing(logical_id):
    text = query_text(logical_id)
    assert named_events(text) == EXPOSING | {"DeleteBucketPolicy", "PutBucketPublicAccessBlock"}
    assert "s3.amazonaws.com" in text and "bucketName" in text


@pytest.mark.parametrize(
    ("logical_id", "field"),
    [
        ("AccessKeyActivityQuery", "userIdentity.accessKeyId"),
        ("AccessKeyActivityAthenaQuery", "useridentity.accesskeyid"),
    ],
)
def test_what_did_this_access_key_do_filters_on_the_key(logical_id, field):
    assert re.search(rf"{re.escape(field)} = (\?|\"REPLACE-WITH-ACCESS-KEY-ID\")", query_text(logical_id))
