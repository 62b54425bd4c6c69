"""The audit trail, and the stop for a resource whose fix someone keeps undoing."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from logbaseline import sam_template
from logbaseline.engine import FixRequest
from logbaseline.engine import history as history_module
from logbaseline.engine.history import FixLimit, History
from logbaseline.local import LocalStack

from tests.conftest import ROOT, findings_by_resource, load_event, make_service

RETENTION = "logs_log_group_retention_bounded"
GROUP = "/aws/lambda/orders-api"
ACTOR = "arn:aws:sts::123456789012:assumed-role/Admin/jane.doe"  # the sample event's caller


def history_table(aws, name: str = "history") -> str:
    properties = sam_template.load(ROOT / "template.yaml")["Resources"]["HistoryTable"]["Properties"]
    aws("dynamodb").create_table(
        TableName=name,
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


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


def test_a_record_is_never_overwritten_even_at_the_same_millisecond(aws, account_id, monkeypatch):
    from datetime import UTC, datetime

    import logbaseline.engine.history as history_module

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):  # every record at the same instant: the same sort key
            return datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)

    monkeypatch.setattr(history_module, "datetime", Frozen)
    aws("logs").create_log_group(logGroupName=GROUP)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=auto")
    table = history_table(aws)
    service.history = History(table, aws)
    arn = f"arn:aws:logs:us-east-1:{account_id}:log-group:{GROUP}"
    for actor in ("first", "second"):
        service.fix(FixRequest(RETENTION, account_id, "us-east-1", arn, "event-1", actor))
        aws("logs").delete_retention_policy(logGroupName=GROUP)  # undone, so the second request fixes again
    records = items(aws, table)
    assert [r["actor"] for r in records] == ["first", "second"], "the second record did not replace the first"
    assert records[0]["at"] == "2026-12-04T12:00:00.000+00:00#event-1"


def test_the_table_keeps_the_trail_deletion_protection_and_a_policy_against_changes():
    from tests.cfn import Resolver
    from tests.iam_policy import Request, decide

    template = sam_template.load(ROOT / "template.yaml")
    table = template["Resources"]["HistoryTable"]
    assert table["DeletionPolicy"] == "Retain" and table["Properties"]["DeletionProtectionEnabled"] is True
    stack = Resolver(template, {}, "111122223333")
    policy = stack.value(table["Properties"]["ResourcePolicy"]["PolicyDocument"])
    arn = stack.value({"Fn::GetAtt": ["HistoryTable", "Arn"]})
    remediator = stack.role_arn("RemediatorRole")
    admin = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]

    def attempt(action: str, principal: str, identity: list) -> str:
        request = Request(action, arn, {"aws:PrincipalArn": principal}, principal)
        return decide(request, identity, resource_policy=policy)

    assert attempt("dynamodb:PutItem", remediator, stack.role_policies("RemediatorRole")) == "allow"
    assert attempt("dynamodb:Query", remediator, stack.role_policies("RemediatorRole")) == "allow"
    for principal, identity in ((remediator, admin), ("arn:aws:iam::111122223333:role/Admin", admin)):
        for action in ("dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
            assert attempt(action, principal, identity) == "explicit deny", (principal, action)
    assert attempt("dynamodb:PutItem", "arn:aws:iam::111122223333:role/Admin", admin) == "explicit deny"


def limited_service(aws, account_id, fixes: int, table: str = "history"):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=auto")
    service.history = History(history_table(aws, table), aws)
    service.fix_limit = FixLimit(fixes=fixes, window=timedelta(hours=1))
    return service


def fix_once(aws, service, account_id: str, trigger: str):
    """One fix of the orders-api group's retention, which someone then undoes."""
    arn = f"arn:aws:logs:us-east-1:{account_id}:log-group:{GROUP}"
    [outcome] = service.fix(FixRequest(RETENTION, account_id, "us-east-1", arn, trigger, ACTOR))
    aws("logs").delete_retention_policy(logGroupName=GROUP)
    return outcome


def recorded_at(monkeypatch, history: History, when: datetime, outcome, result: str) -> None:
    """An entry of the trail as History.record writes it, at `when`."""

    class Then(datetime):
        @classmethod
        def now(cls, tz=None):
            return when

    with monkeypatch.context() as patch:
        patch.setattr(history_module, "datetime", Then)
        history.record(replace(outcome, fix=dict(outcome.fix) | {"Outcome": result}))


def test_fixes_older_than_the_window_do_not_count_toward_the_limit(aws, account_id, monkeypatch):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = limited_service(aws, account_id, fixes=2)
    first = fix_once(aws, service, account_id, "event-1")
    assert first.fix["Outcome"] == "verified"
    long_ago = datetime.now(UTC) - timedelta(hours=1, minutes=5)
    for _ in range(3):
        recorded_at(monkeypatch, service.history, long_ago, first, "verified")
    # One fix inside the hour, three before it: the limit of 2 in 1 h is not reached.
    assert fix_once(aws, service, account_id, "event-2").fix["Outcome"] == "verified"
    assert fix_once(aws, service, account_id, "event-3").fix["Outcome"] == "stopped"


def test_a_fix_applied_but_not_verified_counts_toward_the_limit_and_no_other_outcome_does(aws, account_id, monkeypatch):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = limited_service(aws, account_id, fixes=2)
    first = fix_once(aws, service, account_id, "event-1")
    now = datetime.now(UTC)
    for result in ("failed", "planned", "refused", "stopped"):  # none of these changed the resource
        recorded_at(monkeypatch, service.history, now, first, result)
    assert fix_once(aws, service, account_id, "event-2").fix["Outcome"] == "verified"

    other = limited_service(aws, account_id, fixes=2, table="history-2")  # a trail that starts empty
    first = fix_once(aws, other, account_id, "event-3")
    recorded_at(monkeypatch, other.history, datetime.now(UTC), first, "applied, not verified")
    assert fix_once(aws, other, account_id, "event-4").fix["Outcome"] == "stopped"


def test_the_code_defaults_are_the_templates():
    """FixLimit() and History's retention are what a deployment gets when no parameter is changed."""
    import inspect

    parameters = sam_template.load(ROOT / "template.yaml")["Parameters"]
    default = {name: int(parameters[name]["Default"]) for name in ("FixLimit", "FixLimitWindowHours")}
    assert FixLimit() == FixLimit(default["FixLimit"], timedelta(hours=default["FixLimitWindowHours"]))
    retention = inspect.signature(History).parameters["retention_days"].default
    assert retention == int(parameters["HistoryRetentionDays"]["Default"])


def test_the_trail_is_read_newest_first_and_filtered_by_control_and_resource_together(aws, account_id, monkeypatch):
    from logbaseline.engine.history import read_history

    aws("logs").create_log_group(logGroupName=GROUP)
    service = limited_service(aws, account_id, fixes=10)
    first = fix_once(aws, service, account_id, "event-1")
    other = replace(first, resource_id=first.resource_id + "-other")
    now = datetime.now(UTC)
    recorded_at(monkeypatch, service.history, now - timedelta(minutes=2), first, "failed")
    recorded_at(monkeypatch, service.history, now + timedelta(minutes=1), other, "verified")
    newest_first = [(i["resource_id"], i["outcome"]) for i in read_history(aws, "history")]
    assert newest_first == [
        (other.resource_id, "verified"),
        (first.resource_id, "verified"),
        (first.resource_id, "failed"),
    ]
    both = read_history(aws, "history", RETENTION, first.resource_id)
    assert [i["outcome"] for i in both] == ["verified", "failed"]
    assert read_history(aws, "history", "guardduty_enabled", first.resource_id) == []


def test_the_stop_says_the_windows_length_in_hours_however_long(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=auto")
    service.history = History(history_table(aws), aws)
    service.fix_limit = FixLimit(fixes=1, window=timedelta(hours=5000))  # the template sets no upper bound
    assert fix_once(aws, service, account_id, "event-1").fix["Outcome"] == "verified"
    stopped = fix_once(aws, service, account_id, "event-2")
    assert stopped.fix["Outcome"] == "stopped"
    assert stopped.fix["Error"].startswith("fixed 1 times in 5000 h and undone again, latest by ")
