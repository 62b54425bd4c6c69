"""Manual approval through the Security Hub custom action, and findings a person suppressed.

An approval is trusted only when the evaluator recorded it (engine/approvals.py): a message on the fix queue
that merely says `approved` fixes nothing a dry-run or a person's suppression holds back.
"""

from __future__ import annotations

import json

import pytest
from logbaseline import sam_template
from logbaseline.engine import FixRequest
from logbaseline.engine.approvals import Approvals, approval_key
from logbaseline.local import LocalStack

from tests.conftest import ROOT, findings_by_resource, load_event, make_service

RETENTION = "logs_log_group_retention_bounded"
GROUP = "/aws/lambda/orders-api"
CUSTOM_ACTION = "arn:aws:securityhub:us-east-1:123456789012:action/custom/LogbaselineFix"


def arn(account_id: str) -> str:
    return f"arn:aws:logs:us-east-1:{account_id}:log-group:{GROUP}"


def approvals_table(aws) -> str:
    properties = sam_template.load(ROOT / "template.yaml")["Resources"]["ApprovalTable"]["Properties"]
    aws("dynamodb").create_table(
        TableName="approvals",
        AttributeDefinitions=properties["AttributeDefinitions"],
        KeySchema=properties["KeySchema"],
        BillingMode="PAY_PER_REQUEST",
    )
    return "approvals"


def approving_service(aws, account_id: str, **environ: str):
    service = make_service(account_id, **environ)
    service.approvals = Approvals(approvals_table(aws), service.home)
    return service


@pytest.mark.parametrize(("mode", "retention", "outcome"), [("dry-run", 365, "verified"), ("off", None, "refused")])
def test_a_person_approves_fixes_from_security_hub(aws, account_id, mode, retention, outcome):
    aws("logs").create_log_group(logGroupName=GROUP)
    stack = LocalStack(ROOT, "us-east-1", {"LOGBASELINE_REMEDIATION_MODES": f"{RETENTION}={mode}"})
    stack.put_events([load_event("securityhub/custom-action.json")])  # through the template's CustomActionRule
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 1
    assert stack.drain("FixQueue", "remediator").delivered == 1
    assert aws("logs").describe_log_groups()["logGroups"][0].get("retentionInDays") == retention
    finding = findings_by_resource(aws)[(RETENTION, arn(account_id))]
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == outcome
    if mode == "off":
        assert finding["ProductFields"]["logbaseline/Fix/Error"] == "the control's mode is off"


def test_the_evaluator_records_the_approval_once_with_what_the_event_tells(aws, account_id):
    service = approving_service(aws, account_id)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    event = load_event("securityhub/custom-action.json")
    [request] = service.evaluate_event(event).fixes_requested
    service.evaluate_event(event)  # delivered again: the record is not written twice, nor changed
    [item] = aws.resource("dynamodb").Table("approvals").scan()["Items"]
    assert item["approval_id"] == approval_key(request)
    assert item["approved_by"] == f"Security Hub custom action {CUSTOM_ACTION} in account 123456789012"
    assert item["approved_at"] == event["time"]
    approval = service.approvals.find(request)
    assert approval is not None and approval.approved_at == event["time"]


def test_a_message_that_only_says_approved_fixes_nothing_a_dry_run_holds_back(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = approving_service(aws, account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=dry-run")
    forged = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "made-up", "admin@example", approved=True)
    [planned] = service.fix(FixRequest.from_message(json.loads(forged.to_message())))
    assert planned.fix["Outcome"] == "planned" and planned.fix["Mode"] == "dry-run"
    assert "retentionInDays" not in aws("logs").describe_log_groups()["logGroups"][0]


def test_an_approval_for_another_resource_does_not_count(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = approving_service(aws, account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=dry-run")
    other = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id) + "-2", "action-1", approved=True)
    service.approvals.record(other, load_event("securityhub/custom-action.json"))
    mine = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-1", approved=True)
    [planned] = service.fix(mine)
    assert planned.fix["Outcome"] == "planned"


def test_a_finding_a_person_suppressed_is_never_auto_fixed_but_can_be_approved(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = approving_service(aws, account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    [request] = [
        r
        for r in service.evaluate_event(load_event("cloudtrail/logs-CreateLogGroup.json")).fixes_requested
        if r.control_id == RETENTION
    ]
    finding = findings_by_resource(aws)[(RETENTION, arn(account_id))]
    # A person suppresses it in the console (BatchUpdateFindings).
    identifier = {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}
    aws("securityhub").batch_update_findings(FindingIdentifiers=[identifier], Workflow={"Status": "SUPPRESSED"})
    [refused] = service.fix(request)
    assert refused.fix["Outcome"] == "refused" and "suppressed" in refused.fix["Error"]
    assert "retentionInDays" not in aws("logs").describe_log_groups()["logGroups"][0]
    forged = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-1", "console", approved=True)
    [still_refused] = service.fix(forged)
    assert still_refused.fix["Outcome"] == "refused", "no recorded approval: the suppression holds"
    approved = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-1", approved=True)
    service.approvals.record(approved, load_event("securityhub/custom-action.json"))
    [fixed] = service.fix(approved)
    assert fixed.fix["Outcome"] == "verified"
    assert aws("logs").describe_log_groups()["logGroups"][0]["retentionInDays"] == 365


def test_an_approved_fix_in_an_excluded_account_is_refused_and_says_why(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = approving_service(aws, account_id, LOGBASELINE_REMEDIATION_ACCOUNTS_DENY=account_id)
    approved = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-2", approved=True)
    service.approvals.record(approved, load_event("securityhub/custom-action.json"))
    [refused] = service.fix(approved)
    assert refused.fix["Outcome"] == "refused"
    assert refused.fix["Error"] == f"account {account_id} is in the remediation deny list"
    assert "retentionInDays" not in aws("logs").describe_log_groups()["logGroups"][0]


# --- the approval record itself (engine/approvals.py) ------------------------------------------------------


def test_an_approval_lasts_two_days_as_the_deployment_guide_says_then_counts_no_more(aws, account_id):
    from datetime import UTC, datetime, timedelta

    assert "(once, for two days)" in (ROOT / "docs" / "deployment.md").read_text()
    approvals = Approvals(approvals_table(aws), aws)
    request = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-3", approved=True)
    before = datetime.now(UTC)
    approvals.record(request, load_event("securityhub/custom-action.json"))
    table = aws.resource("dynamodb").Table("approvals")
    expires_at = int(table.get_item(Key={"approval_id": approval_key(request)})["Item"]["expires_at"])
    two_days = timedelta(days=2).total_seconds()
    assert int(before.timestamp() + two_days) <= expires_at <= datetime.now(UTC).timestamp() + two_days
    assert approvals.find(request) is not None
    table.update_item(  # two days later (DynamoDB's TTL deletes an expired item within days, not at once)
        Key={"approval_id": approval_key(request)},
        UpdateExpression="SET expires_at = :then",
        ExpressionAttributeValues={":then": int(datetime.now(UTC).timestamp()) - 1},
    )
    assert approvals.find(request) is None


@pytest.mark.parametrize("field", ["control_id", "resource_id"])
def test_an_approval_record_that_does_not_name_the_requests_finding_is_not_trusted(aws, account_id, field):
    approvals = Approvals(approvals_table(aws), aws)
    request = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-4", approved=True)
    approvals.record(request, load_event("securityhub/custom-action.json"))
    table = aws.resource("dynamodb").Table("approvals")
    table.update_item(
        Key={"approval_id": approval_key(request)},
        UpdateExpression="SET #field = :other",
        ExpressionAttributeNames={"#field": field},
        ExpressionAttributeValues={":other": "something-else"},
    )
    assert approvals.find(request) is None


def test_the_remediator_reads_the_approval_strongly_consistent(aws, account_id):
    """The evaluator writes the approval moments before the remediator reads it: an eventually consistent read
    could miss it (the emulator's reads are always consistent, so the request itself is checked)."""
    approvals = Approvals(approvals_table(aws), aws)
    sent: list[dict] = []
    approvals._table.meta.client.meta.events.register(
        "provide-client-params.dynamodb.GetItem", lambda params, **_: sent.append(dict(params))
    )
    request = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-5", approved=True)
    approvals.record(request, load_event("securityhub/custom-action.json"))
    assert approvals.find(request) is not None
    assert [p.get("ConsistentRead") for p in sent] == [True]


def test_an_event_that_names_no_action_is_still_recorded_with_what_it_tells():
    from logbaseline.engine.approvals import approver

    assert approver({"account": "123456789012", "resources": []}) == (
        "Security Hub custom action the Security Hub custom action in account 123456789012"
    )
    assert approver({"resources": [CUSTOM_ACTION]}) == f"Security Hub custom action {CUSTOM_ACTION} in account ?"
