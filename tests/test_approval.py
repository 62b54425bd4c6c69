"""Manual approval through the Security Hub custom action, and findings a person suppressed."""

from __future__ import annotations

import pytest
from logbaseline.engine import FixRequest
from logbaseline.local import LocalStack

from tests.conftest import ROOT, findings_by_resource, load_event, make_service

RETENTION = "logs_log_group_retention_bounded"
GROUP = "/aws/lambda/orders-api"


def arn(account_id: str) -> str:
    return f"arn:aws:logs:us-east-1:{account_id}:log-group:{GROUP}"


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


def test_a_finding_a_person_suppressed_is_never_auto_fixed_but_can_be_approved(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=auto")
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
    approved = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-1", "console", approved=True)
    [fixed] = service.fix(approved)
    assert fixed.fix["Outcome"] == "verified"
    assert aws("logs").describe_log_groups()["logGroups"][0]["retentionInDays"] == 365


def test_an_approved_fix_in_an_excluded_account_is_refused_and_says_why(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_ACCOUNTS_DENY=account_id)
    approved = FixRequest(RETENTION, account_id, "us-east-1", arn(account_id), "action-2", "console", approved=True)
    [refused] = service.fix(approved)
    assert refused.fix["Outcome"] == "refused"
    assert refused.fix["Error"] == f"account {account_id} is in the remediation deny list"
    assert "retentionInDays" not in aws("logs").describe_log_groups()["logGroups"][0]
