"""A trail's events can be queried where they are: CloudWatch Logs delivery (Logs Insights), an Athena table over
the trail's bucket (a Glue Data Catalog table at its S3 location), or a CloudTrail Lake event data store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, own_trails, trail_arn
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

LAKE_ACTIVE = ("ENABLED", "STARTING_INGESTION")  # ingesting (EventDataStoreStatus in botocore's model)


def trail_location(trail: Mapping[str, Any]) -> str:
    """Where the trail writes its log files: s3://bucket/[prefix/]AWSLogs/ (CloudTrail user guide, log file names)."""
    prefix = (trail.get("S3KeyPrefix") or "").strip("/")
    return f"s3://{trail['S3BucketName']}/{prefix + '/' if prefix else ''}AWSLogs/"


def _glue_tables(clients: Clients) -> list[dict[str, str]]:
    """Every Glue Data Catalog table of the account and region that has an S3 location."""
    glue, tables = clients("glue"), []
    for page in glue.get_paginator("get_databases").paginate():
        for database in page["DatabaseList"]:
            for tables_page in glue.get_paginator("get_tables").paginate(DatabaseName=database["Name"]):
                tables += [
                    {"name": f"{database['Name']}.{t['Name']}", "location": location}
                    for t in tables_page["TableList"]
                    if (location := (t.get("StorageDescriptor") or {}).get("Location", "")).startswith("s3://")
                ]
    return tables


def _lake_stores(clients: Clients) -> list[dict[str, Any]]:
    """The region's CloudTrail Lake event data stores that ingest management events."""
    cloudtrail, listed, token = clients("cloudtrail"), [], None
    while True:  # botocore has no paginator for ListEventDataStores
        page = cloudtrail.list_event_data_stores(**({"NextToken": token} if token else {}))
        listed += page.get("EventDataStores", [])
        if not (token := page.get("NextToken")):
            break
    stores = []
    for arn in (s["EventDataStoreArn"] for s in listed):
        store = cloudtrail.get_event_data_store(EventDataStore=arn)  # the list no longer carries status or selectors
        selectors = store.get("AdvancedEventSelectors") or []
        fields = [f for selector in selectors for f in selector.get("FieldSelectors", [])]
        categories = {v for f in fields if f.get("Field") == "eventCategory" for v in f.get("Equals", [])}
        if store.get("Status") in LAKE_ACTIVE and "Management" in categories:
            stores.append({"name": store["Name"], "arn": arn})
    return stores


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    trails = own_trails(clients, scope)
    if not trails:
        return []
    tables, stores = _glue_tables(clients), _lake_stores(clients)
    resources = []
    for trail in trails:
        location = trail_location(trail) if trail.get("S3BucketName") else None
        state = {
            "log_group_arn": trail.get("CloudWatchLogsLogGroupArn") or None,
            "location": location,
            "athena_tables": sorted(
                t["name"] for t in tables if location and (t["location"].rstrip("/") + "/").startswith(location)
            ),
            "lake_stores": sorted(s["name"] for s in stores),
        }
        resources.append(Resource(scope.account_id, scope.region, trail["TrailARN"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    ways = [
        *([f"CloudWatch Logs Insights on log group {state['log_group_arn']}"] if state["log_group_arn"] else []),
        *(f"Athena table {name} over {state['location']}" for name in state["athena_tables"]),
        *(f"CloudTrail Lake event data store {name}" for name in state["lake_stores"]),
    ]
    if ways:
        return passed("the trail's events can be queried: " + "; ".join(ways))
    where = f" its log files at {state['location']} have no Athena (Glue) table," if state["location"] else ""
    return failed(
        f"the trail's events cannot be queried: no CloudWatch Logs delivery,{where} and no CloudTrail Lake event "
        "data store ingests management events in this region"
    )


CONTROL = Control(
    id="cloudtrail_logs_queryable",
    title="CloudTrail events can be queried",
    description=(
        "A trail's events can be queried in place: the trail delivers to CloudWatch Logs (Logs Insights), a Glue "
        "Data Catalog table over its S3 location serves Athena, or a CloudTrail Lake event data store ingests "
        "management events in the region. The finding names each way that exists."
    ),
    severity=Severity.LOW,
    resource_type="AwsCloudTrailTrail",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=trail_arn,
    remediation_text=(
        "Choose a query mechanism: deliver the trail to CloudWatch Logs and use Logs Insights; or create an Athena "
        "table over the trail's S3 location (the CloudTrail console's 'Create Athena table', or a partition-projected "
        "table); or create a CloudTrail Lake event data store for management events. The stack's "
        "Investigation* parameters save Logs Insights and Athena queries for the first two."
    ),
    config_triggers=(ConfigTrigger("AWS::CloudTrail::Trail", "ARN || resourceName"),),
    # Glue tables and Lake event data stores made or removed are judged by the scheduled sweep.
    cloudtrail_triggers=(
        CloudTrailTrigger(TRAIL_EVENT_SOURCE, ("CreateTrail", "UpdateTrail", "DeleteTrail"), "requestParameters.name"),
    ),
    read_actions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:ListEventDataStores",
        "cloudtrail:GetEventDataStore",
        "glue:GetDatabases",
        "glue:GetTables",
    ),
    default_mode=Mode.OFF,
)
