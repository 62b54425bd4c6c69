"""appsync_field_logging_enabled: the pure verdict and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.controls.appsync_field_logging_enabled import CONTROL, api_arn
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

SAMPLE_API = "q7w3e5r2t8y4u6i9o1p0a2s4d6"  # the samples' GraphQL API
ROLE = "arn:aws:iam::123456789012:role/appsync-logs"


@pytest.mark.parametrize(
    ("level", "status", "phrase"),
    [
        ("NONE", Status.FAILED, "GraphQL API orders-graph has field-level logging NONE"),
        ("ERROR", Status.PASSED, f"logs its fields at ERROR to CloudWatch Logs (role {ROLE})"),
        ("INFO", Status.PASSED, "logs its fields at INFO"),
        ("DEBUG", Status.PASSED, "logs its fields at DEBUG"),
        ("ALL", Status.PASSED, "logs its fields at ALL"),
    ],
)
def test_evaluate(level, status, phrase):
    state = {"name": "orders-graph", "level": level, "role": ROLE if level != "NONE" else ""}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, api_arn(Scope("1", REGION, "x")), state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub AppSync.2" in CONTROL.related_requirements
    arn = f"arn:aws:appsync:us-east-1:123456789012:apis/{SAMPLE_API}"
    assert api_arn(Scope("123456789012", REGION, SAMPLE_API)) == arn == api_arn(Scope("123456789012", REGION, arn))


# --- round trips on the moto server -------------------------------------------------------


def create(aws, name="orders-graph") -> str:
    return aws("appsync").create_graphql_api(name=name, authenticationType="API_KEY")["graphqlApi"]["apiId"]


def set_logging(aws, identifier: str, level: str, name="orders-graph") -> None:
    aws("appsync").update_graphql_api(
        apiId=identifier,
        name=name,
        authenticationType="API_KEY",
        logConfig={"fieldLogLevel": level, "cloudWatchLogsRoleArn": ROLE},
    )


def event_for(relative: str, identifier: str) -> dict:
    """The sample, naming the emulator's API (moto picks API ids at random)."""
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_API, identifier))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_logging_then_logged_then_none(aws, account_id):
    """CreateGraphqlApi -> FAILED, no fix; field logging ERROR -> PASSED; NONE again -> FAILED (Config item)."""
    identifier = create(aws)
    arn = f"arn:aws:appsync:{REGION}:{account_id}:apis/{identifier}"
    service = make_service(account_id)
    report = service.evaluate_event(event_for("cloudtrail/appsync-CreateGraphqlApi.json", identifier))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsAppSyncGraphQlApi"

    set_logging(aws, identifier, "ERROR")
    report = service.evaluate_event(event_for("cloudtrail/appsync-UpdateGraphqlApi.json", identifier))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]

    set_logging(aws, identifier, "NONE")
    report = service.evaluate_event(event_for("config/AWS-AppSync-GraphQLApi.json", identifier))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]


def test_every_api_and_a_deleted_one_is_archived(aws, account_id):
    orders = create(aws)
    set_logging(aws, create(aws, "billing-graph"), "ALL", name="billing-graph")
    found = {r.state["name"]: CONTROL.evaluate(r, {}).status for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {"orders-graph": Status.FAILED, "billing-graph": Status.PASSED}

    service = make_service(account_id)
    aws("appsync").delete_graphql_api(apiId=orders)
    report = service.evaluate_event(event_for("cloudtrail/appsync-UpdateGraphqlApi.json", orders))
    arn = f"arn:aws:appsync:{REGION}:{account_id}:apis/{orders}"
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
