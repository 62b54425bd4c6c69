"""Tagging calls that set or remove an exemption tag: routed only when they name the key, who made them is
recorded in the stack's ExemptionTagTable, and the resource's controls are judged again at once."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from logbaseline import sam_template
from logbaseline.engine.register import REGISTER_KEY
from logbaseline.engine.routing import route
from logbaseline.engine.tag_records import TagOrigin, TagRecords
from logbaseline.engine.tagging import TAGGING_CALLS, exemption_tag_calls

from tests.conftest import CALLS, EVENTS, ROOT, findings_by_resource, load_event
from tests.test_exemption_list import _tag_table
from tests.test_routing import matched

RETENTION = "logs_log_group_retention_bounded"
SAMPLES = sorted(f"cloudtrail/{c.event_source.split('.')[0]}-{c.event_name}.json" for c in TAGGING_CALLS)
ARNS = {
    "cloudtrail/ec2-CreateTags.json": "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0a1b2c3d4e5f67890",
    "cloudtrail/s3-PutBucketTagging.json": "arn:aws:s3:::public-website-assets-123456789012",
    "cloudtrail/logs-TagLogGroup.json": "arn:aws:logs:us-east-1:123456789012:log-group:/legacy/app",
    "cloudtrail/logs-TagResource.json": "arn:aws:logs:us-east-1:123456789012:log-group:/legacy/app",
}


def test_every_tagging_call_has_a_sample_event_and_each_names_the_resource_and_the_value():
    assert all((EVENTS / sample).is_file() for sample in SAMPLES)
    names = {(e["detail"]["eventSource"], e["detail"]["eventName"]) for e in map(load_event, SAMPLES)}
    assert names == {(c.event_source, c.event_name) for c in TAGGING_CALLS}
    for sample in SAMPLES:
        detail = load_event(sample)["detail"]
        [call] = exemption_tag_calls(detail, "123456789012", "us-east-1")
        removes = call.call.event_name.startswith(("Untag", "Remove", "Delete"))
        assert bool(call.value) is not removes, sample
        assert call.value == "" or " until=" in call.value, sample
        assert call.resource_id == ARNS.get(sample, call.resource_id) and call.resource_id.startswith("arn:aws:")


@pytest.mark.parametrize("sample", SAMPLES)
def test_a_tagging_call_naming_another_key_is_matched_by_the_rule_but_routed_nowhere(sample):
    event = load_event(sample)
    text = json.dumps(event).replace("logbaseline:exempt", "cost-centre")
    other = json.loads(text)
    assert matched(other), "the rule cannot tell the keys apart: the routing does"
    assert route(other) == [] and route(event) != []


def test_a_tag_naming_another_accounts_resource_is_refused():
    event = load_event("cloudtrail/logs-TagResource.json")
    event["detail"]["requestParameters"]["resourceArn"] = "arn:aws:logs:us-east-1:999999999999:log-group:/x"
    with pytest.raises(ValueError, match="a resource of account 999999999999"):
        route(event)


def _tagging(name: str, account: str, group: str, value: str | None, when: str) -> dict:
    event = load_event(f"cloudtrail/logs-{name}.json")
    text = json.dumps(event).replace("123456789012", account)
    event = json.loads(text)
    detail = event["detail"]
    detail["requestParameters"]["resourceArn"] = f"arn:aws:logs:us-east-1:{account}:log-group:{group}"
    if value is not None:
        detail["requestParameters"]["tags"] = {"logbaseline:exempt": value}
    detail["eventTime"] = event["time"] = when
    return event


def test_who_tagged_is_recorded_and_the_exemption_counts_from_the_tagging_call_then_ends_when_removed(aws, stack):
    bucket, group = "security-exemption-register", "/legacy/app"
    arn = f"arn:aws:logs:us-east-1:{stack.account_id}:log-group:{group}"
    aws("s3").create_bucket(Bucket=bucket)
    policy = {"accounts": [stack.account_id], "controls": [RETENTION], "max_days": 30}
    register = {"version": 1, "max_days": 365, "exemptions": [], "tag_exemptions": policy}
    aws("s3").put_object(Bucket=bucket, Key=REGISTER_KEY, Body=json.dumps(register).encode())
    stack.environment["LOGBASELINE_EXEMPTION_REGISTER_BUCKET"] = bucket
    aws("logs").create_log_group(logGroupName=group)
    value = f"{RETENTION} until={date.today() + timedelta(days=200)} reason=legal hold LH-42"
    aws("logs").tag_resource(resourceArn=arn, tags={"logbaseline:exempt": value})
    set_on = date.today() - timedelta(days=10)
    when = f"{set_on}T10:30:00Z"

    stack.put_events([_tagging("TagResource", stack.account_id, group, value, when)])  # through the template's rule
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    records = aws("dynamodb").scan(TableName=stack.tables["ExemptionTagTable"])["Items"]
    [call] = [r for r in records if r["record"]["S"].startswith("call#")]
    actor = f"arn:aws:sts::{stack.account_id}:assumed-role/Admin/jane.doe"
    assert (call["actor"]["S"], call["source_ip"]["S"], call["event_time"]["S"]) == (actor, "203.0.113.10", when)
    assert (call["action"]["S"], call["value"]["S"], call["resource_id"]["S"]) == ("logs:TagResource", value, arn)
    finding = findings_by_resource(aws)[(RETENTION, arn)]
    note = finding["ProductFields"]["logbaseline/Exemption"]
    assert note.startswith(f"exempt until {set_on + timedelta(days=30)} (capped:"), "30 days from the call, not today"
    assert f"set by {actor} at {when}" in note
    assert finding["Workflow"]["Status"] == "SUPPRESSED" and stack.queue_depth("FixQueue") == 0
    assert {"dynamodb:PutItem", "dynamodb:Query"} <= CALLS["evaluator"]

    # The tag is removed: recorded, and the finding is judged again at once: not exempt, NEW, fixed.
    aws("logs").untag_resource(resourceArn=arn, tagKeys=["logbaseline:exempt"])
    untag = _tagging("UntagResource", stack.account_id, group, None, f"{date.today()}T08:00:00Z")
    stack.put_events([untag])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    records = aws("dynamodb").scan(TableName=stack.tables["ExemptionTagTable"])["Items"]
    removals = [r for r in records if r.get("action", {}).get("S") == "logs:UntagResource"]
    assert len(removals) == 1 and removals[0]["value"]["S"] == "" and removals[0]["actor"]["S"] == actor
    finding = findings_by_resource(aws)[(RETENTION, arn)]
    assert "logbaseline/Exemption" not in finding["ProductFields"] and finding["Workflow"]["Status"] == "NEW"
    assert stack.drain("FixQueue", "remediator").failed == []
    assert aws("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 365


def test_an_exemption_tag_on_a_resource_no_control_judges_is_routed_nowhere():
    event = load_event("cloudtrail/ec2-CreateTags.json")
    event["detail"]["requestParameters"]["resourcesSet"]["items"] = [{"resourceId": "i-0123456789abcdef0"}]
    assert exemption_tag_calls(event["detail"], "123456789012", "us-east-1") == [] and route(event) == []
    failed = load_event("cloudtrail/logs-TagResource.json")
    failed["detail"]["errorCode"] = "AccessDenied"
    assert route(failed) == [], "a refused tagging call changed nothing"


def _call(account: str, arn: str, value: str, when: str, event_id: str, actor: str = "") -> dict[str, str]:
    return {"account_id": account, "resource_id": arn, "action": "logs:TagResource", "event_id": event_id,
            "event_time": when, "value": value, "actor": actor, "source_ip": "203.0.113.10"}  # fmt: skip


def test_a_tags_origin_is_the_latest_call_that_set_this_very_value_else_the_day_logbaseline_first_saw_it(
    aws, account_id
):
    records = TagRecords(_tag_table(aws), aws)
    arn, today = f"arn:aws:logs:us-east-1:{account_id}:log-group:/legacy/app", date.today()
    first, second = "logs_log_group_retention_bounded until=2027-01-31", "* until=2027-06-30"
    listed = records.origin(account_id, arn, first, today - timedelta(days=9), record=False)
    assert listed.since == today - timedelta(days=9) and "no record" in listed.how, "a listing starts no clock"
    assert aws("dynamodb").scan(TableName="tags")["Items"] == []
    seen = records.origin(account_id, arn, first, today - timedelta(days=8))
    assert seen == TagOrigin(today - timedelta(days=8), f"first seen by logbaseline on {today - timedelta(days=8)}")
    assert records.origin(account_id, arn, first, today).since == seen.since, "written once: the first day stays"
    assert records.origin(account_id, arn, second, today).since == today, "another value starts its own clock"

    records.record_call(_call(account_id, arn, first, f"{today - timedelta(days=5)}T08:00:00Z", "e-1", "arn:x"))
    records.record_call(_call(account_id, arn, second, f"{today - timedelta(days=2)}T08:00:00Z", "e-2", "arn:y"))
    records.record_call(_call(account_id, arn, first, f"{today - timedelta(days=3)}T08:00:00Z", "e-3"))
    latest = records.origin(account_id, arn, first, today)
    assert latest == TagOrigin(today - timedelta(days=3), f"set by unknown at {today - timedelta(days=3)}T08:00:00Z")
    assert records.origin(account_id, arn, second, today).how.startswith("set by arn:y at ")


def test_a_record_of_an_earlier_deployment_is_still_found_the_table_outliving_the_stack(aws, account_id):
    """The table is retained (test_exemption_list): the first-seen record's key is part of its format."""
    value, arn, earlier = "* until=2027-01-31", "arn:aws:s3:::kept", date.today() - timedelta(days=20)
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    item = {"resource": f"{account_id}#{arn}", "record": f"seen#{digest}", "first_seen": earlier.isoformat()}
    aws("dynamodb").put_item(TableName=_tag_table(aws), Item={k: {"S": v} for k, v in item.items()})
    assert TagRecords("tags", aws).origin(account_id, arn, value, date.today()).since == earlier


HISTORY_RETENTION_DEFAULT = int(
    sam_template.load(ROOT / "template.yaml")["Parameters"]["HistoryRetentionDays"]["Default"]
)


@pytest.mark.parametrize(
    "retention_days, kept_days", [(None, HISTORY_RETENTION_DEFAULT), (30, 366), (1, 366), (500, 500)]
)
def test_a_tag_record_is_kept_the_audit_trails_retention_and_at_least_a_year(
    aws, account_id, retention_days, kept_days
):
    """The stack's HistoryRetentionDays (its default when none is given, at least 1): a record gone before the tag
    it dates would start the tag's clock again, so never less than a year (366 days)."""
    table = _tag_table(aws)
    records = TagRecords(table, aws) if retention_days is None else TagRecords(table, aws, retention_days)
    records.record_call(_call(account_id, "arn:aws:s3:::b", "* until=2027-01-31", "2026-12-01T08:00:00Z", "e-1"))
    [item] = aws("dynamodb").scan(TableName=table)["Items"]
    expected = (datetime.now(UTC) + timedelta(days=kept_days)).timestamp()
    assert abs(int(item["expires_at"]["N"]) - expected) < 600


def test_the_same_call_delivered_twice_is_one_record_and_a_write_that_fails_otherwise_is_not_hidden(aws, account_id):
    table = _tag_table(aws)
    call = _call(account_id, "arn:aws:s3:::b", "* until=2027-01-31", "2026-12-01T08:00:00Z", "e-1", "arn:x")
    TagRecords(table, aws).record_call(call)
    TagRecords(table, aws).record_call(call | {"actor": "arn:forged"})  # EventBridge delivers at least once
    [item] = aws("dynamodb").scan(TableName=table)["Items"]
    assert item["actor"]["S"] == "arn:x"
    with pytest.raises(ClientError, match="ResourceNotFoundException"):
        TagRecords("no-such-table", aws).record_call(call)


def test_who_tagged_is_the_callers_arn_or_else_its_principal_id():
    detail = load_event("cloudtrail/logs-TagResource.json")["detail"]
    [call] = exemption_tag_calls(detail, "123456789012", "us-east-1")
    arn, principal = "arn:aws:sts::123456789012:assumed-role/Admin/jane.doe", "AROAIDPPEZS35WEXAMPLE:jane.doe"
    assert call.record(detail | {"userIdentity": {"arn": arn, "principalId": principal}})["actor"] == arn
    assert call.record(detail | {"userIdentity": {"principalId": principal}})["actor"] == principal
    assert call.record(detail | {"userIdentity": "not a mapping"})["actor"] == ""


def test_only_strings_name_a_tagged_resource_and_a_field_of_another_type_is_not_routed():
    event = load_event("cloudtrail/elasticloadbalancing-AddTags.json")
    [arn] = event["detail"]["requestParameters"]["resourceArns"]
    event["detail"]["requestParameters"]["resourceArns"] = [arn, 7, {"arn": arn}, ["x"]]
    assert [c.resource_id for c in exemption_tag_calls(event["detail"], "123456789012", "us-east-1")] == [arn]
    assert {t.scope.resource_id for t in route(event)} == {arn}
