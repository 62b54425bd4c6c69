"""A SUPPRESSED finding stops a fix only when the security account suppressed it (Security Hub's finding history
says who did): a member account cannot switch off the tamper response in its own Security Hub."""

from __future__ import annotations

import json

import pytest
from logbaseline import sam_template
from logbaseline.controls import REGISTRY
from logbaseline.local import LocalStack

from tests.conftest import CALLS, REGION, ROOT, findings_by_resource, load_event
from tests.doubles import ADMIN_ROLE, MemberRoles, member_clients

TRAIL_LOGGING = "cloudtrail_multi_region_logging"
ONLY_TRAIL_LOGGING_FIXED = ",".join(f"{c}=off" for c in REGISTRY if c != TRAIL_LOGGING) + f",{TRAIL_LOGGING}=auto"


@pytest.fixture
def roles(aws, monkeypatch) -> MemberRoles:
    return MemberRoles.install(monkeypatch)


def trail_in(clients) -> str:
    clients("s3").create_bucket(Bucket=f"trail-logs-{clients('sts').get_caller_identity()['Account']}")
    cloudtrail = clients("cloudtrail")
    name = "management-events"
    bucket = f"trail-logs-{clients('sts').get_caller_identity()['Account']}"
    cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=True)
    cloudtrail.put_event_selectors(  # AWS's default for a new trail (docs/emulator-gaps.md)
        TrailName=name, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    cloudtrail.start_logging(Name=name)
    return name


def event_of(account: str, name: str) -> dict:
    event = load_event(f"cloudtrail/cloudtrail-{name}.json")
    event["account"] = event["detail"]["recipientAccountId"] = account
    event["detail"]["requestParameters"]["name"] = f"arn:aws:cloudtrail:{REGION}:{account}:trail/management-events"
    return event


def suppress(clients, finding: dict) -> None:
    identifier = {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}
    clients("securityhub").batch_update_findings(FindingIdentifiers=[identifier], Workflow={"Status": "SUPPRESSED"})


def test_a_member_that_suppresses_its_trail_finding_and_stops_the_trail_gets_it_restarted(aws, roles):
    organizations = aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"][
        "AccountId"
    ]
    roles.deploy_member_stack(member)
    inside = member_clients(member, REGION)  # a person acting inside the member account
    trail = trail_in(inside)
    stack = LocalStack(
        ROOT,
        REGION,
        {"LOGBASELINE_ACCOUNTS": "organization", "LOGBASELINE_REMEDIATION_MODES": ONLY_TRAIL_LOGGING_FIXED},
    )
    account = f"AWS::::Account:{member}"

    def send(event: dict) -> None:  # as the member stack's rule forwards the member's events to the home bus
        sqs = stack.clients("sqs")
        sqs.send_message(QueueUrl=stack.queues["EvaluationQueue"], MessageBody=json.dumps(event))
        assert stack.drain("EvaluationQueue", "evaluator").failed == []

    send(event_of(member, "StartLogging"))
    finding = findings_by_resource(inside)[(TRAIL_LOGGING, account)]
    assert finding["Compliance"]["Status"] == "PASSED"

    # The member suppresses the finding in its own Security Hub, then stops the trail.
    suppress(inside, finding)
    inside("cloudtrail").stop_logging(Name=trail)
    send(event_of(member, "StopLogging"))
    assert stack.drain("PriorityFixQueue", "remediator").failed == []

    assert inside("cloudtrail").get_trail_status(Name=trail)["IsLogging"] is True, "the trail is restarted"
    fields = findings_by_resource(inside)[(TRAIL_LOGGING, account)]["ProductFields"]
    assert fields["logbaseline/Fix/Outcome"] == "verified"
    ignored = fields["logbaseline/Fix/Suppression"]
    assert ignored.startswith("suppression ignored: set by ")
    assert f"arn:aws:sts::{member}:assumed-role/{ADMIN_ROLE}/" in ignored, "names who suppressed it"
    assert stack.account_id in ignored, "and the security account that alone may"
    assert "securityhub:GetFindingHistory" in CALLS["remediator"]


def test_the_security_accounts_own_suppression_still_stops_the_fix(aws, stack):
    trail = trail_in(aws)
    account = f"AWS::::Account:{stack.account_id}"
    stack.environment["LOGBASELINE_REMEDIATION_MODES"] = ONLY_TRAIL_LOGGING_FIXED
    stack.put_events([event_of(stack.account_id, "StartLogging")])  # through the template's rules
    stack.drain("EvaluationQueue", "evaluator")
    suppress(aws, findings_by_resource(aws)[(TRAIL_LOGGING, account)])
    aws("cloudtrail").stop_logging(Name=trail)
    stack.put_events([event_of(stack.account_id, "StopLogging")])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    assert stack.drain("PriorityFixQueue", "remediator").failed == []
    assert aws("cloudtrail").get_trail_status(Name=trail)["IsLogging"] is False
    fields = findings_by_resource(aws)[(TRAIL_LOGGING, account)]["ProductFields"]
    assert fields["logbaseline/Fix/Outcome"] == "refused"
    assert fields["logbaseline/Fix/Error"].startswith("the security team suppressed this finding in Security Hub")


def counters_of(stack: LocalStack, monkeypatch) -> list[dict]:
    """The counters the evaluator's handler emits as metrics, one dict per message."""
    seen: list[dict] = []
    module = stack.handler("evaluator")
    original = module.count_outcomes

    def recording(metrics, outcomes, **counters):
        seen.append(counters)
        return original(metrics, outcomes, **counters)

    monkeypatch.setattr(module, "count_outcomes", recording)
    return seen


def test_a_finding_suppressed_without_an_exemption_raises_the_metric_the_alarm_watches(aws, stack, monkeypatch):
    trail = trail_in(aws)
    account = f"AWS::::Account:{stack.account_id}"
    stack.environment["LOGBASELINE_REMEDIATION_MODES"] = ONLY_TRAIL_LOGGING_FIXED
    counters = counters_of(stack, monkeypatch)
    stack.put_events([event_of(stack.account_id, "StartLogging")])
    stack.drain("EvaluationQueue", "evaluator")
    assert counters[-1]["suppressed_without_exemption"] == 0
    suppress(aws, findings_by_resource(aws)[(TRAIL_LOGGING, account)])
    aws("cloudtrail").stop_logging(Name=trail)
    stack.put_events([event_of(stack.account_id, "StopLogging")])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    assert counters[-1]["suppressed_without_exemption"] == 1, "counted when the event's finding is looked up"
    assert counters[-1]["exemptions_applied"] == 0

    # A sweep's reconciliation finds it too, with one query that also returns the exempt ones (left out).
    counters.clear()
    stack.invoke("sweeper", load_event("schedule/scheduled-event.json"))
    stack.drain("EvaluationQueue", "evaluator")
    assert sum(c["suppressed_without_exemption"] for c in counters) == 1

    template = sam_template.load(ROOT / "template.yaml")["Resources"]["SuppressedWithoutExemptionAlarm"]
    assert template["Properties"]["MetricName"] == "SuppressedWithoutExemption"
    assert (template["Properties"]["Threshold"], template["Properties"]["ComparisonOperator"]) == (
        0, "GreaterThanThreshold"
    )  # fmt: skip


# --- the emulator's GetFindingHistory, as AWS documents it -----------------------------------------


def test_the_emulators_finding_history_records_who_changed_what_in_pages():
    from logbaseline.controls import load
    from logbaseline.emulation.securityhub import FindingsStore, SecurityHubError
    from logbaseline.engine.evaluation import Outcome
    from logbaseline.engine.findings import to_asff
    from logbaseline.models import Resource, failed

    account, region = "111122223333", "eu-west-1"
    arn = f"arn:aws:logs:{region}:{account}:log-group:/app"
    control = load("logs_log_group_retention_bounded")
    finding = to_asff(Outcome(control, account, region, arn, failed("never expires"), Resource(account, region, arn)))
    store = FindingsStore(account, region)
    store.batch_import_findings([finding], "arn:aws:sts::111122223333:assumed-role/logbaseline-evaluator/x")
    identifier = {"Id": finding["Id"], "ProductArn": finding["ProductArn"]}
    member = "arn:aws:sts::111122223333:assumed-role/Admin/mallory"
    for status in ("SUPPRESSED", "NEW", "SUPPRESSED"):
        store.batch_update_findings({"FindingIdentifiers": [identifier], "Workflow": {"Status": status}}, member)

    first = store.get_finding_history({"FindingIdentifier": identifier, "MaxResults": 3})
    rest = store.get_finding_history({"FindingIdentifier": identifier, "NextToken": first["NextToken"]})
    records = first["Records"] + rest["Records"]
    assert "NextToken" not in rest and len(records) == 4
    assert records[0]["FindingCreated"] is True and records[0]["UpdateSource"]["Type"] == "BATCH_IMPORT_FINDINGS"
    assert [r["UpdateSource"] for r in records[1:]] == [{"Type": "BATCH_UPDATE_FINDINGS", "Identity": member}] * 3
    assert records[3]["Updates"] == [{"UpdatedField": "Workflow/Status", "OldValue": "NEW", "NewValue": "SUPPRESSED"}]
    unknown = {"Id": "logbaseline/none", "ProductArn": finding["ProductArn"]}
    assert store.get_finding_history({"FindingIdentifier": unknown}) == {"Records": []}
    with pytest.raises(SecurityHubError, match="MaxResults"):
        store.get_finding_history({"FindingIdentifier": identifier, "MaxResults": 101})
    with pytest.raises(SecurityHubError, match="FindingIdentifier"):
        store.get_finding_history({})


def test_a_suppression_older_than_the_history_kept_is_not_honoured_and_the_finding_says_why(aws, stack, monkeypatch):
    """Security Hub keeps 90 days of a finding's history: a suppression set before that names no one, so it does not
    stop the fix. The window is moved past the suppression here instead of waiting 90 days."""
    from logbaseline.engine import remediation

    trail = trail_in(aws)
    account = f"AWS::::Account:{stack.account_id}"
    stack.environment["LOGBASELINE_REMEDIATION_MODES"] = ONLY_TRAIL_LOGGING_FIXED
    stack.put_events([event_of(stack.account_id, "StartLogging")])
    stack.drain("EvaluationQueue", "evaluator")
    suppress(aws, findings_by_resource(aws)[(TRAIL_LOGGING, account)])
    monkeypatch.setattr(remediation, "HISTORY_DAYS", -1)  # the history read starts after the suppression
    aws("cloudtrail").stop_logging(Name=trail)
    stack.put_events([event_of(stack.account_id, "StopLogging")])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    assert stack.drain("PriorityFixQueue", "remediator").failed == []
    assert aws("cloudtrail").get_trail_status(Name=trail)["IsLogging"] is True
    fields = findings_by_resource(aws)[(TRAIL_LOGGING, account)]["ProductFields"]
    assert fields["logbaseline/Fix/Outcome"] == "verified"
    assert "does not say who set it" in fields["logbaseline/Fix/Suppression"]
