"""The regional forwarder (stacksets/forwarder.yaml) sends the security account's other regions' events home.

AWS keeps an event's `region` (where it happened) and `account` when a rule sends it to a bus of another region
(EventBridge user guide, "AWS service event metadata": `region` "identifies the AWS Region where the event
originated"; "Sending and receiving events between AWS Regions"). moto does not: it puts a new event in the target
region (docs/emulator-gaps.md), so the forwarding below is AWS's, the event carried over unchanged.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from logbaseline import sam_template
from logbaseline.aws import Clients
from logbaseline.engine.routing import TAMPER_EVENTS, route
from moto.events.models import EventPattern

from tests.cfn import FORWARDED_RULES
from tests.conftest import NO_RETRY, REGION, ROOT, load_event, make_service

TEMPLATE = sam_template.load(ROOT / "template.yaml")
MEMBER = sam_template.load(ROOT / "stacksets/member.yaml")
FORWARDER = sam_template.load(ROOT / "stacksets/forwarder.yaml")
RESOURCES = FORWARDER["Resources"]
HOME_BUS = {"Fn::Sub": "arn:${AWS::Partition}:events:${SecurityRegion}:${AWS::AccountId}:event-bus/default"}
OTHER_REGION = "eu-west-1"  # the security account's other region; the stack runs in REGION (us-east-1)
MULTI_REGION = "cloudtrail_multi_region_logging"


def patterns(template: dict[str, Any]) -> dict[str, Any]:
    return {
        logical_id: resource["Properties"]["EventPattern"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Events::Rule"
    }


def matcher(pattern: dict[str, Any]) -> EventPattern:
    return EventPattern.load(json.dumps(pattern))


def test_the_forwarder_holds_the_stacks_own_patterns_and_no_other():
    own, member, forwarded = patterns(TEMPLATE), patterns(MEMBER), patterns(FORWARDER)
    assert set(forwarded) == set(FORWARDED_RULES), "the custom action rule stays in the stack's region"
    for rule_id in FORWARDED_RULES:
        assert forwarded[rule_id] == own[rule_id] == member[rule_id], rule_id


def test_rules_forward_to_the_home_regions_bus_with_a_role_that_may_only_put_events_there():
    for rule_id in FORWARDED_RULES:
        (target,) = RESOURCES[rule_id]["Properties"]["Targets"]
        assert target == {
            "Id": "security-account-bus",
            "Arn": HOME_BUS,
            "RoleArn": {"Fn::GetAtt": ["EventForwardingRole", "Arn"]},
        }, rule_id
    role = RESOURCES["EventForwardingRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
    }
    (policy,) = role["Policies"]
    assert policy["PolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Action": "events:PutEvents", "Resource": HOME_BUS}
    ]
    assert set(RESOURCES) == {"EventForwardingRole", *FORWARDED_RULES}, "nothing else: no read or fix role"


def test_nothing_forwards_in_the_stacks_own_region():
    assert FORWARDER["Conditions"]["InAnotherRegion"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "SecurityRegion"}]}]
    }
    assert all(resource.get("Condition") == "InAnotherRegion" for resource in RESOURCES.values())
    assert set(FORWARDER["Parameters"]) == {"SecurityRegion"}, "the bus is the deploying account's own"


def stopped_in_the_other_region() -> dict[str, Any]:
    """A StopLogging on the security account's trail of OTHER_REGION, as EventBridge delivers it there."""
    event = copy.deepcopy(load_event("cloudtrail/cloudtrail-StopLogging.json"))
    event["region"] = event["detail"]["awsRegion"] = OTHER_REGION
    arn = f"arn:aws:cloudtrail:{OTHER_REGION}:{event['account']}:trail/regional-trail"
    event["detail"]["requestParameters"]["name"] = arn
    return event


def test_a_stop_logging_forwarded_home_is_matched_there_and_routed_to_its_own_region():
    event = stopped_in_the_other_region()
    assert event["detail"]["eventName"] in TAMPER_EVENTS
    assert matcher(patterns(FORWARDER)["TamperEventRule"]).matches_event(event), "forwarded from its region"
    arrived = copy.deepcopy(event)  # AWS keeps region and account across regions
    home_rules = {r.logical_id: matcher(r.pattern) for r in sam_template.event_rules(TEMPLATE, region=REGION)}
    assert [rule_id for rule_id, p in home_rules.items() if p.matches_event(arrived)] == ["TamperEventRule"]
    # Judged in the region it happened, not in the home region that received it (with no other region covered).
    # (StopLogging reaches the other account-level trail controls alike: the copies, and the logs' centralization.)
    account_level = (MULTI_REGION, "cloudtrail_no_duplicate_management_events", "logs_centralized")
    account_level += ("cloudtrail_s3_data_events_recorded", "cloudtrail_security_trail_enabled")
    assert {(t.control.id, t.scope.region) for t in route(arrived)} == {(c, OTHER_REGION) for c in account_level}
    assert {(t.control.id, t.scope.region) for t in route(arrived, [REGION, OTHER_REGION])} == {
        (c, region) for c in account_level for region in (OTHER_REGION, REGION)
    }


@pytest.fixture
def stopped_trail(aws: Clients, account_id: str) -> str:
    """A multi-region trail whose home is OTHER_REGION, stopped; Security Hub on in both regions."""
    other = Clients(OTHER_REGION, config=NO_RETRY)
    other("securityhub").enable_security_hub(EnableDefaultStandards=False)
    other("s3").create_bucket(
        Bucket="regional-trail-logs", CreateBucketConfiguration={"LocationConstraint": OTHER_REGION}
    )
    cloudtrail = other("cloudtrail")
    arn = cloudtrail.create_trail(Name="regional-trail", S3BucketName="regional-trail-logs", IsMultiRegionTrail=True)[
        "TrailARN"
    ]
    cloudtrail.put_event_selectors(
        TrailName=arn, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    return arn


def test_the_evaluator_in_the_home_region_judges_a_forwarded_event_in_the_region_it_happened(
    aws, account_id, stopped_trail
):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{MULTI_REGION}=off")
    report = service.evaluate_event(stopped_in_the_other_region())
    judged = {(o.control.id, o.region, o.verdict.status.value) for o in report.outcomes if o.control.id == MULTI_REGION}
    assert judged == {(MULTI_REGION, OTHER_REGION, "FAILED")}
    assert report.read_failures == []
    other_hub = Clients(OTHER_REGION, config=NO_RETRY)("securityhub")
    [finding] = [
        f for f in other_hub.get_findings()["Findings"] if f["ProductFields"]["logbaseline/ControlId"] == MULTI_REGION
    ]
    assert finding["Region"] == OTHER_REGION
    assert finding["Compliance"]["Status"] == "FAILED" and "regional-trail is not logging" in json.dumps(finding)
    home = aws("securityhub").get_findings()["Findings"]
    assert not [f for f in home if f["ProductFields"]["logbaseline/ControlId"] == MULTI_REGION], "not the home region"
