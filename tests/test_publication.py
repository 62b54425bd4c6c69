"""Publication within Security Hub's quotas: sweeps in pages, workflow reconciled later, one fix of a gap at a time."""

from __future__ import annotations

import json

import pytest
from logbaseline import emulator
from logbaseline.aws import Clients
from logbaseline.engine import FixInProgress, FixRequest, runtime
from logbaseline.engine import findings as findings_module
from logbaseline.engine.locks import FixLocks
from logbaseline.engine.routing import RECONCILE_REQUEST
from logbaseline.local import LocalStack

from tests.conftest import REGION, ROOT, findings_by_resource, load_event, make_service

RETENTION = "logs_log_group_retention_bounded"
GROUPS = 180
GROUP = "/aws/lambda/orders-api"  # the group the sample CreateLogGroup event names


def test_a_sweep_whose_publication_outlasts_its_message_goes_on_in_pages_and_imports_each_finding_once(
    aws: Clients, monkeypatch: pytest.MonkeyPatch
):
    for i in range(GROUPS):
        aws("logs").create_log_group(logGroupName=f"/app/{i:03}")
    stack = LocalStack(ROOT, REGION)
    # Every message's time is up after its first import call: each page imports one batch of 100.
    monkeypatch.setattr(runtime, "PUBLICATION_MARGIN_SECONDS", 60.0)
    assert stack.invoke("sweeper", load_event("schedule/scheduled-event.json")) == {"requests": 1}
    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert delivery.failed == []
    findings = findings_by_resource(aws)
    groups = [f for (control, _), f in findings.items() if control.startswith("logs_log_group_")]
    assert len(groups) == 2 * GROUPS, "both log-group controls, every group"
    hub = emulator.GATEWAY.hubs(stack.account_id, REGION)
    assert hub.accepted == len(findings), "each finding imported once across the pages"
    assert delivery.delivered == -(-len(findings) // 100), "one page per batch of 100"
    assert stack.queue_depth("FixQueue") == GROUPS, "each never-expiring group's fix asked for once"


def test_a_burst_that_finds_get_findings_busy_reconciles_a_minute_later(
    aws: Clients, account_id: str, monkeypatch: pytest.MonkeyPatch
):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=off")
    service.workflow = True
    service.evaluation_queue_url = aws("sqs").create_queue(QueueName="evaluation")["QueueUrl"]
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    service.evaluate_event(event)
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:{GROUP}"
    assert findings_by_resource(aws)[(RETENTION, arn)]["Workflow"]["Status"] == "NEW"
    aws("logs").put_retention_policy(logGroupName=GROUP, retentionInDays=365)
    while findings_module.PACER.ready(account_id, REGION, "securityhub", "GetFindings"):  # a burst took them all
        findings_module.PACER.wait(account_id, REGION, "securityhub", "GetFindings")
    service.evaluate_event(event)
    finding = findings_by_resource(aws)[(RETENTION, arn)]
    assert (finding["Compliance"]["Status"], finding["Workflow"]["Status"]) == ("PASSED", "NEW"), "not yet"
    service.evaluate_event(event)  # the same burst: one reconciliation is enough
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=service.evaluation_queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"
    reconcile = aws("sqs").receive_message(QueueUrl=service.evaluation_queue_url, WaitTimeSeconds=0)
    assert reconcile.get("Messages", []) == [], "held back a minute"
    from logbaseline.engine import reconcile_event

    service.evaluate_event(reconcile_event(account_id, REGION))
    assert findings_by_resource(aws)[(RETENTION, arn)]["Workflow"]["Status"] == "RESOLVED"
    assert json.loads(json.dumps(reconcile_event(account_id, REGION)))["detail-type"] == RECONCILE_REQUEST


def test_one_fix_of_a_gap_at_a_time(aws: Clients, account_id: str):
    stack = LocalStack(ROOT, REGION)
    locks = FixLocks(stack.table, aws("dynamodb"))
    aws("logs").create_log_group(logGroupName="/app/locked")
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=auto")
    service.locks = locks
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/locked"
    request = FixRequest(RETENTION, account_id, REGION, arn, "event-1")
    gap = findings_module.finding_id(RETENTION, account_id, REGION, arn)
    with locks.hold(gap), pytest.raises(FixInProgress):
        service.fix(request)  # another worker holds the gap
    assert "retentionInDays" not in aws("logs").describe_log_groups()["logGroups"][0]
    [fixed] = service.fix(request)  # released: the retried message fixes it
    assert fixed.fix["Outcome"] == "verified"
    with locks.hold(gap):
        pass  # and the fix released it in turn


def test_the_fix_a_tamper_event_asks_for_goes_to_the_priority_fix_queue(aws: Clients, account_id: str):
    aws("logs").create_log_group(logGroupName=GROUP)
    aws("s3").create_bucket(Bucket="trail-logs")
    aws("cloudtrail").create_trail(Name="management-events", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    aws("cloudtrail").put_event_selectors(  # as a new trail has in AWS (docs/emulator-gaps.md)
        TrailName="management-events", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    service = make_service(account_id)
    queues = {name: aws("sqs").create_queue(QueueName=name)["QueueUrl"] for name in ("fixes", "priority-fixes")}
    service.fix_queue_url, service.priority_fix_queue_url = queues["fixes"], queues["priority-fixes"]

    def depth(name: str) -> int:
        attributes = aws("sqs").get_queue_attributes(
            QueueUrl=queues[name], AttributeNames=["ApproximateNumberOfMessages"]
        )
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    service.evaluate_event(load_event("cloudtrail/logs-CreateLogGroup.json"))  # a gap opened, not a tamper
    assert (depth("fixes"), depth("priority-fixes")) == (1, 0)
    stop = load_event("cloudtrail/cloudtrail-StopLogging.json")
    stop["detail"]["requestParameters"]["name"] = f"arn:aws:cloudtrail:{REGION}:{account_id}:trail/management-events"
    assert service.evaluate_event(stop).fixes_requested, "the stopped trail is to be restarted"
    assert (depth("fixes"), depth("priority-fixes")) == (1, 1)


def test_a_sweep_does_not_queue_again_the_dry_run_plans_findings_already_carry(aws: Clients, account_id: str):
    for name in ("/app/a", "/app/b"):
        aws("logs").create_log_group(logGroupName=name)  # never expire: each calls for a plan
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=dry-run")
    service.workflow = True
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    from logbaseline.engine import sweep_event

    first = service.evaluate_event(sweep_event(account_id, REGION, [RETENTION])).fixes_requested
    assert len(first) == 2
    [planned] = service.fix(first[0])  # the remediator records the plan: its note stays on the finding
    assert planned.fix["Outcome"] == "planned"
    again = service.evaluate_event(sweep_event(account_id, REGION, [RETENTION])).fixes_requested
    assert [r.resource_id for r in again] == [first[1].resource_id], "only the gap without a plan yet"


def test_a_sweep_whose_last_page_holds_a_single_finding_publishes_it(aws: Clients, monkeypatch: pytest.MonkeyPatch):
    for i in range(101):  # one batch of 100, then one finding left for the next page
        aws("logs").create_log_group(logGroupName=f"/app/{i:03}")
    stack = LocalStack(ROOT, REGION, {"LOGBASELINE_CONTROLS": RETENTION})
    monkeypatch.setattr(runtime, "PUBLICATION_MARGIN_SECONDS", 60.0)
    assert stack.invoke("sweeper", load_event("schedule/scheduled-event.json")) == {"requests": 1}
    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert (delivery.failed, delivery.delivered) == ([], 2)
    assert len(findings_by_resource(aws)) == 101
