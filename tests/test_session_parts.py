"""The pieces of a fix session (engine/sessions.py), one at a time: which resources a write may touch, and the
session's name. tests/test_sessions.py holds the sessions against the policies AWS evaluates."""

from __future__ import annotations

import json
import re
from dataclasses import replace

from logbaseline.controls import load
from logbaseline.engine.sessions import FINDINGS_ACTIONS, MAX_NAME_CHARS, FixSession, _pattern, account_policy

ACCOUNT, REGION = "111122223333", "eu-west-1"
BUCKET = "arn:aws:s3:::trail-logs"
TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/management-events"
DESTINATION = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/logbaseline/flow-logs"


def test_only_an_s3_write_on_a_bucket_is_narrowed_to_that_bucket():
    assert _pattern("s3:PutBucketLogging", ACCOUNT, REGION, BUCKET, "") == (BUCKET,)
    assert _pattern("s3:PutBucketLogging", ACCOUNT, REGION, TRAIL, "") == ("*",), "not a bucket: the role scopes it"
    assert _pattern("logs:CreateLogGroup", ACCOUNT, REGION, BUCKET, DESTINATION) == (DESTINATION, f"{DESTINATION}:*")


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
    assert {"tag:GetResources", *FINDINGS_ACTIONS} <= set(statement["Action"])
    assert statement["Resource"] == "*"


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
