"""The audit trail, and the stop for a resource whose fix someone keeps undoing."""

from __future__ import annotations

import time
from datetime import timedelta

from logbaseline import sam_template
from logbaseline.engine import FixRequest
from logbaseline.engine.history import FixLimit, History
from logbaseline.local import LocalStack

from tests.conftest import ROOT, findings_by_resource, load_event, make_service

RETENTION = "logs_log_group_retention_bounded"
GROUP = "/aws/lambda/orders-api"
ACTOR = "arn:aws:sts::123456789012:assumed-role/Admin/jane.doe"  # the sample event's caller


def history_table(aws) -> str:
    properties = sam_template.load(ROOT / "template.yaml")["Resources"]["HistoryTable"]["Properties"]
    aws("dynamodb").create_table(
        TableName="history",
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        BillingMode="PAY_PER_REQUEST",
    )
    return "history"


def items(aws, table: str) -> list[dict]:
    return sorted(aws.resource("dynamodb").Table(table).scan()["Items"], key=lambda i: i["at"])


def test_every_fix_and_dry_run_is_recorded_with_before_after_trigger_and_actor(aws):
    aws("logs").create_log_group(logGroupName=GROUP)
    stack = LocalStack(ROOT, "us-east-1", {"LOGBASELINE_REMEDIATION_MODES": f"{RETENTION}=auto"})
    stack.put_events([load_event("cloudtrail/logs-CreateLogGroup.json")])
    stack.drain("EvaluationQueue", "evaluator")
    stack.drain("FixQueue", "remediator")
    [item] = [i for i in items(aws, stack.tables["HistoryTable"]) if i["control_id"] == RETENTION]
    assert item["resource_id"].endswith(f":log-group:{GROUP}")
    assert (item["mode"], item["outcome"], item["actor"]) == ("auto", "verified", ACTOR)
    assert item["before"].startswith("events never expire") and item["after"].startswith("retention is 365 days")
    assert "retentionInDays=365" in item["changes"] and item["trigger"]
    assert 399 * 86400 < int(item["expires_at"]) - time.time() <= 400 * 86400, "TTL from HistoryRetentionDays"


def test_a_dry_run_is_recorded_and_changes_nothing(aws):
    aws("logs").create_log_group(logGroupName="/aws/lambda/other")
    dry = LocalStack(ROOT, "us-east-1", {"LOGBASELINE_REMEDIATION_MODES": f"{RETENTION}=dry-run"})
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    event["detail"]["requestParameters"]["logGroupName"] = "/aws/lambda/other"
    dry.put_events([event])
    dry.drain("EvaluationQueue", "evaluator")
    dry.drain("FixQueue", "remediator")
    [planned] = [i for i in items(aws, dry.tables["HistoryTable"]) if i["resource_id"].endswith("/other")]
    assert (planned["mode"], planned["outcome"]) == ("dry-run", "planned")
    assert (
        "retentionInDays" not in aws("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/other")["logGroups"][0]
    )


def test_a_fix_undone_again_and_again_stops_and_names_who_undoes_it(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=auto")
    table = history_table(aws)
    service.history = History(table, aws)
    service.fix_limit = FixLimit(fixes=2, window=timedelta(hours=1))
    arn = f"arn:aws:logs:us-east-1:{account_id}:log-group:{GROUP}"
    outcomes = []
    for attempt in range(3):
        request = FixRequest(
            RETENTION, account_id, "us-east-1", arn, f"event-{attempt}", "arn:aws:iam::123:user/mallory"
        )
        [outcome] = service.fix(request)
        outcomes.append(outcome.fix["Outcome"])
        aws("logs").delete_retention_policy(logGroupName=GROUP)  # someone undoes it
    assert outcomes == ["verified", "verified", "stopped"]
    assert "retentionInDays" not in aws("logs").describe_log_groups()["logGroups"][0], "the third fix was not applied"
    finding = findings_by_resource(aws)[(RETENTION, arn)]
    assert finding["Severity"]["Label"] == "CRITICAL"
    assert (
        "latest by arn:aws:iam::123:user/mallory: auto-fix stopped" in finding["ProductFields"]["logbaseline/Fix/Error"]
    )
    assert [i["outcome"] for i in items(aws, table)] == ["verified", "verified", "stopped"]


def test_the_history_command_shows_the_trail_newest_first(aws, account_id):
    from click.testing import CliRunner
    from logbaseline.cli import main

    aws("logs").create_log_group(logGroupName=GROUP)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=auto")
    service.history = History(history_table(aws), aws)
    arn = f"arn:aws:logs:us-east-1:{account_id}:log-group:{GROUP}"
    service.fix(FixRequest(RETENTION, account_id, "us-east-1", arn, "event-1", ACTOR))
    result = CliRunner().invoke(main, ["history", "--table", "history", "--control", RETENTION])
    assert result.exit_code == 0, result.output
    assert "verified" in result.output and "jane.doe" in result.output and "retentionInDays=365" in result.output
    nothing = CliRunner().invoke(main, ["history", "--table", "history", "--control", "guardduty_enabled"])
    assert nothing.exit_code == 0 and "verified" not in nothing.output
