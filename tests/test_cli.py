"""`logbaseline scan` against a moto server, as a person or a pipeline would run it."""

from __future__ import annotations

import json

from click.testing import CliRunner
from logbaseline import demo, operations
from logbaseline.aws import Clients
from logbaseline.cli import main
from logbaseline.controls import REGISTRY
from logbaseline.engine import AccountClients
from logbaseline.engine import scan as engine_scan

from tests.test_shared_reads import counting_session

FIELDS = {"control_id", "account_id", "region", "resource_type", "resource_id", "status", "reason"}


def scan(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["scan", *args])
    return result.exit_code, result.output


def test_scan_json_has_one_object_per_control_and_resource(aws, account_id):
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    Clients("eu-west-1")("logs").create_log_group(logGroupName="/aws/lambda/eu-api")
    Clients("eu-west-1")("logs").put_retention_policy(logGroupName="/aws/lambda/eu-api", retentionInDays=400)
    code, output = scan(
        "--format", "json", "--regions", "us-east-1,eu-west-1", "--controls", "logs_log_group_retention_bounded"
    )
    assert code == 0
    rows = json.loads(output)
    assert all(set(row) == FIELDS for row in rows)
    by_id = {row["resource_id"]: row for row in rows}
    assert by_id[f"arn:aws:logs:us-east-1:{account_id}:log-group:/aws/lambda/orders-api"]["status"] == "FAILED"
    eu = by_id[f"arn:aws:logs:eu-west-1:{account_id}:log-group:/aws/lambda/eu-api"]
    assert (eu["status"], eu["region"], eu["account_id"], eu["resource_type"]) == (
        "PASSED",
        "eu-west-1",
        account_id,
        "Other",
    )


def test_scan_covers_every_control_and_changes_nothing(aws, account_id):
    demo.seed_gaps(aws)  # a gap for every control
    before = aws("logs").describe_log_groups()["logGroups"]
    code, output = scan("--format", "json")
    assert code == 0
    rows = json.loads(output)
    assert {row["control_id"] for row in rows if row["status"] == "FAILED"} == set(REGISTRY)
    assert aws("logs").describe_log_groups()["logGroups"] == before, "scan is read-only"
    assert aws("ec2").describe_flow_logs()["FlowLogs"] == []
    assert aws("cloudtrail").get_trail_status(Name="management-events")["IsLogging"] is False


def test_scan_table_is_for_people(aws):
    code, output = scan("--format", "table", "--controls", "cloudtrail_multi_region_logging")
    assert code == 0
    assert output.splitlines()[0].split() == ["control_id", "region", "resource_id", "status", "reason"]
    assert "no multi-region trail covers this account" in output


def test_unknown_control_or_bad_setting_is_a_usage_error(aws, monkeypatch):
    code, output = scan("--controls", "nope")
    assert code == 2 and "--controls: unknown control id 'nope'" in output
    monkeypatch.setenv("LOGBASELINE_RETENTION_FLOOR_DAYS", "100")
    code, output = scan()
    assert code == 2 and "retention_floor_days" in output


def test_controls_lists_the_catalogue():
    result = CliRunner().invoke(main, ["controls"])
    assert result.exit_code == 0
    assert all(control_id in result.output for control_id in REGISTRY)


def test_scan_judges_the_controls_together_and_reads_each_page_once(aws, account_id, monkeypatch):
    """Both log-group controls list the same log groups: one scan sends the listing once, as the evaluator does."""
    for name in ("/app/one", "/app/two"):
        aws("logs").create_log_group(logGroupName=name)
    session, asked, sent = counting_session()
    monkeypatch.setattr(operations, "AccountClients", lambda account, _session: AccountClients(account, session))
    controls = "logs_log_group_retention_bounded,logs_log_group_kms_encryption_enabled"
    code, output = scan("--format", "json", "--controls", controls)
    assert code == 0, output
    assert {row["control_id"] for row in json.loads(output)} == set(controls.split(","))
    assert asked["DescribeLogGroups"] == 2 and sent["DescribeLogGroups"] == 1, (asked, sent)


def test_scan_reports_each_control_and_region_as_it_is_judged(aws, account_id):
    judged = []
    outcomes = engine_scan(
        AccountClients(account_id),
        account_id,
        ["us-east-1", "eu-west-1"],
        ["logs_log_group_retention_bounded", "guardduty_enabled"],
        on_done=lambda target: judged.append((target.scope.region, target.control.id)),
    )
    assert sorted(judged) == sorted(
        (region, control)
        for region in ("us-east-1", "eu-west-1")
        for control in ("logs_log_group_retention_bounded", "guardduty_enabled")
    )
    assert {(o.region, o.control.id) for o in outcomes} >= {
        (r, "guardduty_enabled") for r in ("us-east-1", "eu-west-1")
    }
