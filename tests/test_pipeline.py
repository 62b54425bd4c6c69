"""The stack end to end on a moto server: EventBridge rules from template.yaml, the queues, the three handlers."""

from __future__ import annotations

import json

from logbaseline import demo, emulator, sam_template
from logbaseline.aws import AUTHORIZED_AS, IMPLIED_ACTIONS
from logbaseline.controls import all_controls
from logbaseline.controls._cis_monitoring import CHECKS
from logbaseline.engine.routing import RECONCILE_REQUEST
from logbaseline.local import LocalStack

from tests.conftest import CALL_LOG, CALLS, EVENTS, ROOT, findings_by_resource, load_event
from tests.doubles import MemberRoles, member_clients

RETENTION = "logs_log_group_retention_bounded"
ROLES = {"evaluator": "EvaluatorFunction", "remediator": "RemediatorFunction", "sweeper": "SweeperFunction"}
# Granted but called only on a rare path: Powertools reads the idempotency record back only
# when DynamoDB does not return it with the failed conditional write.
FALLBACK_ACTIONS = {"dynamodb:GetItem"}
# Workflow updates are off on the emulator, which lacks BatchUpdateFindings (tests/test_workflow.py covers them).
# The emulator's Security Hub answers GetFindings and BatchUpdateFindings: neither is excused as unreachable.
# Elastic Beanstalk's option settings: moto holds no environment to read them of (demo.NOT_SEEDED); the control's
# tests see it called, on botocore's Stubber.
# Global Accelerator's attributes: accelerators are judged in us-west-2, the demo holds none (demo.NOT_SEEDED),
# so the sample events' accelerators are not found; the control's tests see both reads called on the emulator.
EMULATOR_UNREACHABLE: set[str] = {
    "elasticbeanstalk:DescribeConfigurationSettings",
    "globalaccelerator:DescribeAcceleratorAttributes",
    "globalaccelerator:DescribeCustomRoutingAcceleratorAttributes",
}
# Called only on a SUPPRESSED finding (who suppressed it), and only with an exemption register deployed (that
# names OUs): the tests of each (tests/test_suppression.py, tests/test_register.py) see the functions call them.
CALLED_ONLY_SOMETIMES = {"securityhub:GetFindingHistory", "s3:GetObject", "organizations:ListParents"}


def group_arn(stack: LocalStack, name: str) -> str:
    return f"arn:aws:logs:{stack.region}:{stack.account_id}:log-group:{name}"


def run_events(stack: LocalStack, events: list[dict]) -> tuple[int, int]:
    """Events evaluated and fixes made. A reconciliation the evaluator asked for (Security Hub's finding lookups
    were busy under the emulator's rates, a minute's delay in AWS) is its own message, not an event's."""
    stack.put_events(events)
    evaluated = stack.drain("EvaluationQueue", "evaluator")
    fixed = stack.drain("FixQueue", "remediator")
    assert not evaluated.failed and not fixed.failed
    return evaluated.of_kind_other_than(RECONCILE_REQUEST), fixed.delivered


def seeded_stack(aws) -> tuple[LocalStack, demo.SeededAccount]:
    """The demo's account (a gap for every control) and the stack with every fix in auto."""
    seeded = demo.seed_gaps(aws)
    return LocalStack(ROOT, aws.region, seeded.environment), seeded


def test_sample_events_close_every_fixable_gap_and_a_second_pass_changes_nothing(aws):
    stack, seeded = seeded_stack(aws)
    renames = seeded.renames
    events = demo.sample_events(EVENTS, stack.account_id, renames)
    stack.put_events(events)
    evaluated = stack.drain("EvaluationQueue", "evaluator")
    assert evaluated.of_kind_other_than(RECONCILE_REQUEST) == len(events)  # every sample matched a rule

    before = findings_by_resource(aws)
    assert before[(RETENTION, group_arn(stack, "/aws/lambda/orders-api"))]["Compliance"]["Status"] == "FAILED"
    assert (
        before[("cloudtrail_multi_region_logging", f"AWS::::Account:{stack.account_id}")]["Compliance"]["Status"]
        == "FAILED"
    )
    assert stack.queue_depth("FixQueue") > 0

    assert stack.drain("FixQueue", "remediator").failed == []
    after = findings_by_resource(aws)
    assert after[(RETENTION, group_arn(stack, "/aws/lambda/orders-api"))]["Compliance"]["Status"] == "PASSED"
    assert (
        after[("cloudtrail_multi_region_logging", f"AWS::::Account:{stack.account_id}")]["Compliance"]["Status"]
        == "PASSED"
    )
    vpc = f"arn:aws:ec2:{stack.region}:{stack.account_id}:vpc/{renames[demo.SAMPLE_VPC]}"
    assert after[("vpc_flow_logs_enabled", vpc)]["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"
    assert aws("cloudtrail").get_trail_status(Name="management-events")["IsLogging"] is True
    # The drift sweep reaches what no event named; above the ceiling, a person decides: nothing shortens it.
    stack.invoke("sweeper", load_event("schedule/scheduled-event.json"))
    stack.drain("EvaluationQueue", "evaluator")
    stack.drain("FixQueue", "remediator")
    after = findings_by_resource(aws)
    audit = after[(RETENTION, group_arn(stack, "/aws/lambda/audit-archive"))]
    assert audit["Compliance"]["Status"] == "FAILED" and "logbaseline/Fix/Outcome" not in audit["ProductFields"]
    groups = {g["logGroupName"]: g.get("retentionInDays") for g in aws("logs").describe_log_groups()["logGroups"]}
    assert groups["/aws/lambda/audit-archive"] == 3653

    fixes_before = [a for r, a in CALL_LOG if r == "remediator" and a != "securityhub:BatchImportFindings"]
    evaluated, fixed = run_events(stack, events)
    assert (evaluated, fixed) == (len(events), 0), "a second pass finds nothing to fix"
    assert [a for r, a in CALL_LOG if r == "remediator" and a != "securityhub:BatchImportFindings"] == fixes_before
    assert {
        g["logGroupName"]: g.get("retentionInDays") for g in aws("logs").describe_log_groups()["logGroups"]
    } == groups


def test_the_remediators_own_change_comes_back_as_an_event_and_ends_in_passed(aws, stack):
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    run_events(stack, [load_event("cloudtrail/logs-CreateLogGroup.json")])
    assert aws("logs").describe_log_groups()["logGroups"][0]["retentionInDays"] == 365
    # CloudTrail reports the remediator's PutRetentionPolicy: it must be judged PASSED, with no new fix.
    echo = load_event("cloudtrail/logs-PutRetentionPolicy.json")
    echo["detail"]["requestParameters"]["retentionInDays"] = 365
    assert run_events(stack, [echo]) == (1, 0)
    finding = findings_by_resource(aws)[(RETENTION, group_arn(stack, "/aws/lambda/orders-api"))]
    assert finding["Compliance"]["Status"] == "PASSED"


def test_duplicate_fix_requests_fix_once(aws, stack):
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    request = {"control_id": RETENTION, "account_id": stack.account_id, "region": stack.region,
               "resource_id": group_arn(stack, "/aws/lambda/orders-api"), "trigger": "evt-1"}  # fmt: skip
    for _ in range(3):
        aws("sqs").send_message(QueueUrl=stack.queues["FixQueue"], MessageBody=json.dumps(request))
    start = len(CALL_LOG)
    assert stack.drain("FixQueue", "remediator").delivered == 3
    writes = [a for r, a in CALL_LOG[start:] if a == "logs:PutRetentionPolicy"]
    assert writes == ["logs:PutRetentionPolicy"]
    assert aws("dynamodb").scan(TableName=stack.table)["Count"] == 1


def test_one_trigger_that_opens_gaps_on_two_resources_of_one_control_fixes_both(aws):
    """Two fix requests of one sweep differ only by resource: the idempotency key must tell them apart."""
    stack = LocalStack(ROOT, aws.region, {"LOGBASELINE_CONTROLS": RETENTION})
    for name in ("/aws/lambda/first", "/aws/lambda/second"):
        aws("logs").create_log_group(logGroupName=name)  # never expire, with no event that said so
    stack.invoke("sweeper", load_event("schedule/scheduled-event.json"))
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 1
    requests = [json.loads(m["Body"]) for m in aws("sqs").receive_message(
        QueueUrl=stack.queues["FixQueue"], MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]]  # fmt: skip
    assert len(requests) == 2 and len({r["trigger"] for r in requests}) == 1, "one trigger, two gaps"
    assert stack.drain("FixQueue", "remediator").delivered == 2
    groups = {g["logGroupName"]: g.get("retentionInDays") for g in aws("logs").describe_log_groups()["logGroups"]}
    assert groups == {"/aws/lambda/first": 365, "/aws/lambda/second": 365}


def rejections(caplog) -> list[tuple[str, str]]:
    """(exception, reason) of each message the evaluator or remediator failed, from the function's own log."""
    return [
        (r.exc_info[0].__name__, str(r.exc_info[1]))
        for r in caplog.records
        if r.name == "logbaseline" and r.getMessage() in ("could not evaluate", "could not fix") and r.exc_info
    ]


def test_bad_input_is_retried_a_bounded_number_of_times_then_dead_lettered(aws, stack, caplog):
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    sqs = aws("sqs")
    good = json.dumps(load_event("cloudtrail/logs-CreateLogGroup.json"))
    unknown = load_event("cloudtrail/logs-CreateLogGroup.json") | {"detail-type": "Something Else"}
    for body in (good, "not json", json.dumps({"version": "0"}), json.dumps(unknown)):
        sqs.send_message(QueueUrl=stack.queues["EvaluationQueue"], MessageBody=body)
    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert delivery.delivered == 1
    assert len(delivery.failed) == 3 * 3, "each bad message is tried maxReceiveCount (3) times"
    assert stack.queue_depth("EvaluationQueue") == 0
    assert stack.queue_depth("EvaluationDeadLetterQueue") == 3, "nothing is lost"
    # Each is refused for what is wrong with it, in one line: not a crash of the evaluator.
    assert set(rejections(caplog)) == {
        ("InvalidEvent", "the message body is not JSON: Expecting value: line 1 column 1 (char 0)"),
        ("InvalidEvent", "the message body is not an EventBridge event: no id, detail-type, source, account, "
         "time, region, resources, detail"),
        ("InvalidEvent", "unknown detail-type 'Something Else'"),
    }  # fmt: skip
    caplog.clear()
    bad_fix = {
        "control_id": "no_such_control",
        "account_id": stack.account_id,
        "region": stack.region,
        "resource_id": "x",
    }
    sqs.send_message(QueueUrl=stack.queues["FixQueue"], MessageBody=json.dumps(bad_fix))
    assert len(stack.drain("FixQueue", "remediator").failed) == 3
    assert stack.queue_depth("FixDeadLetterQueue") == 1
    assert [(name, "'no_such_control'" in reason) for name, reason in rejections(caplog)] == [
        ("UnknownControl", True)
    ] * 3


def test_an_event_from_an_unknown_account_is_dead_lettered_not_evaluated(aws, stack, caplog):
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    event["detail"]["recipientAccountId"] = "444455556666"
    aws("sqs").send_message(QueueUrl=stack.queues["EvaluationQueue"], MessageBody=json.dumps(event))
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 0
    assert stack.queue_depth("EvaluationDeadLetterQueue") == 1
    reason = f"an event of account {stack.account_id} names resources of account 444455556666"
    assert rejections(caplog) == [("InvalidEvent", reason)] * 3, "refused for the reason, each of 3 receives"


def test_sweeper_queues_one_evaluation_per_region_and_the_sweep_finds_drift(aws):
    stack = LocalStack(ROOT, "us-east-1", {"LOGBASELINE_REGIONS": "us-east-1,eu-west-1"})
    aws("logs").create_log_group(logGroupName="/aws/lambda/quiet")  # created without an event reaching us
    assert stack.invoke("sweeper", load_event("schedule/scheduled-event.json")) == {"requests": 2}
    assert stack.queue_depth("EvaluationQueue") == 2
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 2
    finding = findings_by_resource(aws)[(RETENTION, group_arn(stack, "/aws/lambda/quiet"))]
    assert finding["Compliance"]["Status"] == "FAILED"
    assert stack.queue_depth("FixQueue") == 1, "retention defaults to auto"


def organization_round(aws, monkeypatch) -> None:
    """A sweep of an organization with one member whose log group needs a fix: the member roles are
    assumed (read, then remediation) and the accounts are listed."""
    roles = MemberRoles.install(monkeypatch)
    organizations = aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    member = organizations.create_account(AccountName="member", Email="member@example.com")["CreateAccountStatus"]
    roles.deploy_member_stack(member["AccountId"])
    member_clients(member["AccountId"], aws.region)("logs").create_log_group(logGroupName="/aws/lambda/member")
    stack = LocalStack(ROOT, aws.region, {"LOGBASELINE_ACCOUNTS": "organization", "LOGBASELINE_CONTROLS": RETENTION})
    stack.invoke("sweeper", load_event("schedule/scheduled-event.json"))
    stack.drain("EvaluationQueue", "evaluator")
    assert stack.drain("FixQueue", "remediator").delivered == 1
    assert {f for f, _ in roles.assumed} == {"evaluator", "remediator"}


def holdings_that_some_reads_need(aws, topic: str) -> None:
    """What the demo's account lacks and some reads only happen with: a Glue table, a CloudTrail Lake event data
    store (cloudtrail_logs_queryable), and a CIS metric filter with an alarm on a topic (cloudtrail_security_alarms)."""
    aws("glue").create_database(DatabaseInput={"Name": "security"})
    aws("glue").create_table(DatabaseName="security", TableInput={"Name": "other", "StorageDescriptor": {}})
    aws("cloudtrail").create_event_data_store(Name="management-events")
    root = CHECKS[0]
    aws("logs").put_metric_filter(
        logGroupName=demo.TRAIL_LOG_GROUP, filterName="root-usage", filterPattern=root.pattern,
        metricTransformations=[{"metricName": root.metric, "metricNamespace": "LogMetrics", "metricValue": "1"}],
    )  # fmt: skip
    aws("cloudwatch").put_metric_alarm(
        AlarmName="root-usage", MetricName=root.metric, Namespace="LogMetrics", Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic],
    )  # fmt: skip


def test_every_call_each_function_makes_is_granted_and_every_grant_is_used(aws, monkeypatch, moto_endpoint):
    """Least privilege, from the calls recorded during this session's tests (this one exercises every fix)."""
    organization_round(aws, monkeypatch)
    emulator.reset(moto_endpoint)  # the recorded calls stay; the account starts again
    aws("securityhub").enable_security_hub(EnableDefaultStandards=False)
    stack, seeded = seeded_stack(aws)
    holdings_that_some_reads_need(aws, seeded.environment["LOGBASELINE_SECURITY_ALARM_TOPIC_ARN"])
    run_events(stack, demo.sample_events(EVENTS, stack.account_id, seeded.renames))
    stack.invoke("sweeper", load_event("schedule/scheduled-event.json"))
    stack.drain("EvaluationQueue", "evaluator")
    stack.drain("FixQueue", "remediator")
    # A person's approval: the evaluator records it, the remediator reads it back.
    stack.put_events([load_event("securityhub/custom-action.json")])
    stack.drain("EvaluationQueue", "evaluator")
    stack.drain("FixQueue", "remediator")
    # The other path of the GuardDuty fix: no detector at all.
    guardduty = aws("guardduty")
    guardduty.delete_detector(DetectorId=guardduty.list_detectors()["DetectorIds"][0])
    run_events(stack, [load_event("cloudtrail/guardduty-DeleteDetector.json")])
    assert guardduty.list_detectors()["DetectorIds"], "the fix created a detector"
    bad_fix = {
        "control_id": "no_such_control",
        "account_id": stack.account_id,
        "region": stack.region,
        "resource_id": "x",
    }
    aws("sqs").send_message(QueueUrl=stack.queues["FixQueue"], MessageBody=json.dumps(bad_fix))
    stack.drain("FixQueue", "remediator")  # a failed fix attempt releases its idempotency record
    template = sam_template.load(ROOT / "template.yaml")
    for role, function_id in ROLES.items():
        granted = sam_template.granted_actions(template, function_id)
        called = {AUTHORIZED_AS.get(a, a) for a in CALLS[role]}
        assert called <= granted, f"{function_id} calls actions it is not granted: {called - granted}"
        implied = {i for a in called for i in IMPLIED_ACTIONS.get(a, ())}
        # The remediator re-reads one resource; list calls only a sweep makes may go unused there.
        rereads = {a for c in all_controls() for a in c.read_actions} if role == "remediator" else set()
        unused = granted - called - implied - FALLBACK_ACTIONS - rereads - EMULATOR_UNREACHABLE - CALLED_ONLY_SOMETIMES
        if role == "evaluator":  # since when a tag has been set: read only where a register's policy honours tags
            unused -= {"dynamodb:Query"}  # tests/test_register.py sees the evaluator call it
        assert not unused, f"{function_id} is granted actions it never uses: {unused}"
