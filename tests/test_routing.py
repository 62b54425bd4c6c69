"""Every sample event is matched by the template's own patterns and reaches the controls it should."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from logbaseline import sam_template
from logbaseline.engine.routing import InvalidEvent, route
from moto.events.models import EventPattern

from tests.conftest import EVENTS, ROOT, load_event

PATTERNS = [
    EventPattern.load(json.dumps(r.pattern))
    for r in sam_template.event_rules(sam_template.load(ROOT / "template.yaml"))
]
RETENTION, FLOW_LOGS = "logs_log_group_retention_bounded", "vpc_flow_logs_enabled"
TRAIL_LOGGING, VALIDATION = "cloudtrail_multi_region_logging", "cloudtrail_log_file_validation_enabled"
GROUP, VPC, TRAIL = "/aws/lambda/orders-api", "vpc-0a1b2c3d4e5f67890", "management-events"
TRAIL_ARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events"

# event file -> the (control, resource id or None for the whole region) it must reach
EXPECTED = {
    "cloudtrail/logs-CreateLogGroup.json": {(RETENTION, GROUP)},
    "cloudtrail/logs-PutRetentionPolicy.json": {(RETENTION, GROUP)},
    "cloudtrail/logs-DeleteRetentionPolicy.json": {(RETENTION, GROUP)},
    "cloudtrail/logs-DeleteLogGroup.json": {(RETENTION, GROUP)},
    "cloudtrail/ec2-CreateVpc.json": {(FLOW_LOGS, VPC)},
    "cloudtrail/ec2-CreateFlowLogs.json": {(FLOW_LOGS, VPC)},
    "cloudtrail/ec2-DeleteFlowLogs.json": {(FLOW_LOGS, None)},
    "cloudtrail/cloudtrail-CreateTrail.json": {(TRAIL_LOGGING, None), (VALIDATION, TRAIL)},
    "cloudtrail/cloudtrail-UpdateTrail.json": {(TRAIL_LOGGING, None), (VALIDATION, TRAIL)},
    "cloudtrail/cloudtrail-DeleteTrail.json": {(TRAIL_LOGGING, None), (VALIDATION, TRAIL)},
    "cloudtrail/cloudtrail-StartLogging.json": {(TRAIL_LOGGING, None)},
    "cloudtrail/cloudtrail-StopLogging.json": {(TRAIL_LOGGING, None)},
    "config/AWS-CloudTrail-Trail.json": {(TRAIL_LOGGING, None), (VALIDATION, TRAIL_ARN)},
    "config/AWS-EC2-VPC.json": {(FLOW_LOGS, VPC)},
    "config/deleted-AWS-EC2-VPC.json": {(FLOW_LOGS, VPC)},
    "config/oversized-AWS-EC2-VPC.json": {(FLOW_LOGS, VPC)},
    "config/AWS-EC2-FlowLog.json": {(FLOW_LOGS, VPC)},
}


def matched(event: dict) -> bool:
    return any(p.matches_event(event) for p in PATTERNS)


def test_every_sample_event_has_an_expectation():
    samples = {str(p.relative_to(EVENTS)) for p in EVENTS.glob("*/*.json")}
    assert samples - {"schedule/scheduled-event.json"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_event_is_matched_by_the_template_and_routed(name):
    event = load_event(name)
    assert matched(event), f"{name} is not matched by any EventBridge rule in template.yaml"
    targets = route(event)
    assert {(t.control.id, t.scope.resource_id) for t in targets} == EXPECTED[name]
    assert all((t.scope.account_id, t.scope.region) == ("123456789012", "us-east-1") for t in targets)


def test_failed_api_call_is_neither_matched_nor_routed():
    event = load_event("cloudtrail/cloudtrail-StopLogging.json")
    event["detail"]["errorCode"] = "AccessDenied"
    assert not matched(event)
    assert route(event) == []


def test_other_event_names_and_types_are_not_matched():
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    event["detail"]["eventName"] = "DescribeLogGroups"
    assert not matched(event)
    config = load_event("config/AWS-EC2-VPC.json")
    config["detail"]["configurationItem"]["resourceType"] = "AWS::EC2::Subnet"
    assert not matched(config)
    assert not matched(load_event("schedule/scheduled-event.json")), "the schedule goes to the sweeper, not here"


def test_several_vpcs_in_one_create_flow_logs_call_are_each_routed():
    event = load_event("cloudtrail/ec2-CreateFlowLogs.json")
    request = event["detail"]["requestParameters"]["CreateFlowLogsRequest"]
    request["ResourceId"] = [{"tag": 1, "content": "vpc-1"}, {"tag": 2, "content": "vpc-2"}]
    assert {t.scope.resource_id for t in route(event)} == {"vpc-1", "vpc-2"}


def test_flow_log_item_without_configuration_re_evaluates_the_region():
    event = load_event("config/AWS-EC2-FlowLog.json")
    event["detail"]["configurationItem"]["configuration"] = None
    assert {(t.control.id, t.scope.resource_id) for t in route(event)} == {(FLOW_LOGS, None)}


BROKEN = {
    "no detail-type": (lambda e: e.pop("detail-type"), "detail-type is missing"),
    "unknown detail-type": (
        lambda e: e.update({"detail-type": "EC2 Instance State-change Notification"}),
        "unknown detail-type",
    ),
    "detail not an object": (lambda e: e.update({"detail": "x"}), "detail is missing or not an object"),
    "no event name": (lambda e: e["detail"].pop("eventName"), "eventName is missing"),
    "no region": (lambda e: e["detail"].pop("awsRegion"), "awsRegion is missing"),
    "resource id not a string": (
        lambda e: e["detail"]["requestParameters"].update({"logGroupName": 7}),
        "not a string",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_malformed_events_are_rejected_with_a_clear_reason(case):
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    mutate, message = BROKEN[case]
    mutate(event)
    with pytest.raises(InvalidEvent, match=message):
        route(event)


def test_config_event_without_item_or_summary_is_rejected():
    event = load_event("config/AWS-EC2-VPC.json")
    del event["detail"]["configurationItem"]
    with pytest.raises(InvalidEvent, match="neither configurationItem nor configurationItemSummary"):
        route(event)


def test_sweep_request_reaches_every_control_or_the_chosen_ones():
    from logbaseline.engine import sweep_event

    assert {t.control.id for t in route(sweep_event("111122223333", "eu-west-1"))} == set(
        e for s in EXPECTED.values() for e, _ in s
    )
    chosen = route(sweep_event("111122223333", "eu-west-1", [RETENTION]))
    assert [(t.control.id, t.scope.account_id, t.scope.region, t.scope.resource_id) for t in chosen] == [
        (RETENTION, "111122223333", "eu-west-1", None)
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(EXPECTED)), st.sampled_from(["detail-type", "detail", "account"]), json_values)
def test_any_json_in_any_field_routes_or_is_rejected_clearly(name, field, value):
    event = copy.deepcopy(load_event(name))
    event[field] = value
    try:
        targets = route(event)
    except InvalidEvent as error:
        assert str(error)
    else:
        assert isinstance(targets, list)
