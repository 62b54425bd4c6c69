"""The pieces of a fix session (engine/sessions.py), one at a time: which resources a write may touch, and the
session's name. tests/test_sessions.py holds the sessions against the policies AWS evaluates."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from logbaseline.controls import all_controls, load
from logbaseline.engine.sessions import (
    FINDINGS_ACTIONS,
    MAX_NAME_CHARS,
    FixSession,
    _pattern,
    account_policy,
    compact,
)

from tests.iam_policy import action_matches

ACCOUNT, REGION = "111122223333", "eu-west-1"
BUCKET = "arn:aws:s3:::trail-logs"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/management-events"
DESTINATION = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/logbaseline/flow-logs"


def test_only_an_s3_write_on_a_bucket_is_narrowed_to_that_bucket():
    assert _pattern("s3:PutBucketLogging", ACCOUNT, REGION, BUCKET, "") == (BUCKET,)
    assert _pattern("s3:PutBucketLogging", ACCOUNT, REGION, TRAIL, "") == ("*",), "not a bucket: the role scopes it"
    assert _pattern("logs:CreateLogGroup", ACCOUNT, REGION, BUCKET, DESTINATION) == (DESTINATION, f"{DESTINATION}:*")


def test_a_lake_or_stage_write_is_narrowed_only_for_its_own_action_on_its_own_resource_type():
    data_store = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:eventdatastore/EXAMPLE-f852"
    stage = f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3/stages/prod"
    assert _pattern("cloudtrail:UpdateEventDataStore", ACCOUNT, REGION, data_store, "") == (data_store,)
    assert _pattern("cloudtrail:UpdateEventDataStore", ACCOUNT, REGION, TRAIL, "") == ("*",)
    assert _pattern("cloudtrail:StartLogging", ACCOUNT, REGION, data_store, "") == (
        f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*",
    ), "another action on a data store: not narrowed to the data store"
    assert _pattern("apigateway:PATCH", ACCOUNT, REGION, stage, "") == (stage,)
    assert _pattern("apigateway:PATCH", ACCOUNT, REGION, BUCKET, "") == ("*",)
    assert _pattern("guardduty:UpdateDetector", ACCOUNT, REGION, stage, "") == (
        f"arn:aws:guardduty:{REGION}:{ACCOUNT}:detector/*",
    ), "another action on a stage: not narrowed to the stage"


def test_a_session_name_keeps_as_much_of_a_long_control_id_as_sts_takes():
    long_id = replace(load("guardduty_enabled"), id="x" * 50)
    session = FixSession.of(long_id, ACCOUNT, REGION, f"AWS::::Account:{ACCOUNT}", "event-1")
    assert len(session.name) == MAX_NAME_CHARS
    assert session.name.startswith("x" * (MAX_NAME_CHARS - 21) + "-")


def test_a_session_is_named_after_its_trigger_or_else_a_digest_of_the_request():
    control = load("guardduty_enabled")
    account = f"AWS::::Account:{ACCOUNT}"
    assert FixSession.of(control, ACCOUNT, REGION, account, "event-1").source_identity == "logbaseline-event-1"
    untriggered = FixSession.of(control, ACCOUNT, REGION, account, "").source_identity
    assert re.fullmatch(r"logbaseline-[0-9a-f]{20}", untriggered), untriggered


def test_an_account_session_may_read_the_exemption_tags_and_report_findings():
    [statement] = json.loads(account_policy())["Statement"]
    for action in ("tag:GetResources", *FINDINGS_ACTIONS):
        assert any(action_matches(pattern, action) for pattern in statement["Action"]), action
    assert statement["Resource"] == "*"


def test_an_account_session_names_reads_by_verb_and_never_a_write():
    reads = {a for c in all_controls() for a in c.read_actions}
    writes = {a for c in all_controls() for a in c.write_actions}
    report = "securityhub:BatchImportFindings"
    kept = compact(reads | {report})
    assert "logs:Describe*" in kept and "logs:DescribeLogGroups" not in kept, "two or more reads of one verb: one name"
    assert "sns:ListSubscriptionsByTopic" in kept, "a verb's only read stays named: the wildcard would be no shorter"
    assert all(any(action_matches(p, a) for p in kept) for a in reads)
    assert [p for p in kept if action_matches(p, report)] == [report], "a write is named by itself, never by verb"
    for write in writes:
        assert not [p for p in kept if action_matches(p, write)], f"{write}: no fix's write in an account session"


def test_a_verb_wildcard_needs_the_verb_to_end_where_a_word_begins():
    assert compact({"logs:Getaway", "logs:Gettysburg"}) == {"logs:Getaway", "logs:Gettysburg"}
    assert compact({"s3:GetObject", "s3:GetBucketPolicy"}) == {"s3:Get*"}


def test_the_name_limit_is_stss():
    import botocore.session

    sts = botocore.session.get_session().get_service_model("sts")
    assert MAX_NAME_CHARS == sts.operation_model("AssumeRole").input_shape.members["RoleSessionName"].metadata["max"]


def test_a_session_policy_of_exactly_the_limit_is_taken_and_one_character_more_is_refused(monkeypatch):
    import pytest
    from logbaseline.engine import sessions

    control = load("logs_log_group_retention_bounded")
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/app"
    document = sessions.fix_policy(control, ACCOUNT, REGION, group)
    monkeypatch.setattr(sessions, "MAX_POLICY_CHARS", len(document))
    assert sessions.fix_policy(control, ACCOUNT, REGION, group) == document
    monkeypatch.setattr(sessions, "MAX_POLICY_CHARS", len(document) - 1)
    with pytest.raises(sessions.SessionPolicyRefused, match="AWS takes at most"):
        sessions.fix_policy(control, ACCOUNT, REGION, group)
