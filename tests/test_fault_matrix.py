"""The fault matrix: bad input, races and failed calls on the whole pipeline (moto over HTTP).

Each case ends in a clear log line and one of: a correct finding, a bounded retry, or the message
in the dead-letter queue after the template's maxReceiveCount. Never a crash loop, a lost event
or a second fix. Faults are botocore hooks raising AWS's own error codes and messages; the
catalogue with expected outcomes is docs/reliability.md.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from logbaseline.demo import SAMPLE_VPC
from logbaseline.local import LocalStack

from tests.conftest import current_role, findings_by_resource, load_event

RETENTION, GROUP_KMS = "logs_log_group_retention_bounded", "logs_log_group_kms_encryption_enabled"
TRAIL_LOGGING, FLOW_LOGS = "cloudtrail_multi_region_logging", "vpc_flow_logs_enabled"
GROUP = "/aws/lambda/orders-api"
MAX_RECEIVES = 3  # maxReceiveCount of the template's queues
OTHER_ACCOUNT = "444455556666"

# AWS's error codes and messages, as the APIs return them.
LOG_GROUP_GONE = ("ResourceNotFoundException", "The specified log group does not exist.")
SECURITY_HUB_OFF = ("InvalidAccessException", "Account 123456789012 is not subscribed to AWS Security Hub")
SECURITY_HUB_DOWN = ("InternalException", "Internal service error")
KMS_THROTTLED = ("KmsThrottled", "The request was denied due to request throttling.")
TABLE_THROTTLED = (
    "ProvisionedThroughputExceededException",
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API.",
)


# --- faults and counters on every boto3 session the functions open -------------------------


@dataclass
class Hook:
    event: str  # e.g. "before-call.cloudwatch-logs.PutRetentionPolicy" (botocore's service id, hyphenated)
    role: str  # only calls made by this function ("" for any)
    error: tuple[str, str] | None  # AWS's (code, message) to raise, or None to only count
    times: int | None  # raise this many times, then let calls through (None: always)
    calls: int = 0
    names: list[str] = field(default_factory=list)  # the logGroupName of each call, when it has one

    def __call__(self, model: Any, params: dict[str, Any]) -> None:
        if self.role and current_role.get() != self.role:
            return
        self.calls += 1
        if "logGroupName" in params:
            self.names.append(params["logGroupName"])
        if self.error and (self.times is None or self.calls <= self.times):
            code, message = self.error
            raise ClientError({"Error": {"Code": code, "Message": message}}, model.name)


@dataclass
class Faults:
    """botocore hooks on the sessions the handlers open (Lambda containers start lazily, after set-up)."""

    hooks: list[Hook] = field(default_factory=list)

    def _dispatch(self, event_name: str, model: Any = None, params: Any = None, **kwargs: Any) -> None:
        for hook in self.hooks:
            if event_name == hook.event:
                hook(model, params if isinstance(params, dict) else {})

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original_init = boto3.session.Session.__init__

        def init(session: boto3.session.Session, *args: Any, **kwargs: Any) -> None:
            original_init(session, *args, **kwargs)
            for stage in ("before-parameter-build", "before-call", "after-call"):
                session.events.register(stage, self._dispatch)

        monkeypatch.setattr(boto3.session.Session, "__init__", init)

    def fail(self, event: str, error: tuple[str, str], times: int | None = None, role: str = "") -> Hook:
        self.hooks.append(Hook(event, role, error, times))
        return self.hooks[-1]

    def count(self, operation: str, role: str = "") -> Hook:
        """Count the calls to `service.Operation` (once per call, whatever the retries), with their parameters."""
        self.hooks.append(Hook(f"before-parameter-build.{operation}", role, None, None))
        return self.hooks[-1]


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Faults:
    injected = Faults()
    injected.install(monkeypatch)
    return injected


@pytest.fixture
def service_log(stack: LocalStack, caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The functions' Powertools logger (it does not propagate to the root), captured from INFO up."""
    for role in ("evaluator", "remediator"):
        stack.handler(role)  # the first import sets the level from POWERTOOLS_LOG_LEVEL
    logger = logging.getLogger("logbaseline")
    level, own_handler = logger.level, not logger.propagate
    if own_handler:
        logger.addHandler(caplog.handler)
    logger.setLevel(logging.INFO)
    yield caplog
    if own_handler:
        logger.removeHandler(caplog.handler)
    logger.setLevel(level)


def errors(log: pytest.LogCaptureFixture, message: str) -> list[str]:
    """The reason (the exception's text) of each ERROR line with this message."""
    return [
        str(r.exc_info[1])
        for r in log.records
        if r.name == "logbaseline" and r.levelno >= logging.ERROR and r.getMessage() == message
    ]


def evaluated_ids(log: pytest.LogCaptureFixture) -> list[str]:
    """The event id of each evaluation (EventBridge gives every event it delivers a new id)."""
    return [r.event_id for r in log.records if r.name == "logbaseline" and r.getMessage() == "evaluating"]


def send_raw(stack: LocalStack, bodies: list[str]) -> None:
    """Put messages on the evaluation queue as they are (EventBridge would drop most of them)."""
    stack.clients("sqs").send_message_batch(
        QueueUrl=stack.queues["EvaluationQueue"],
        Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)],
    )


def dead_letters(stack: LocalStack, queue: str = "EvaluationDeadLetterQueue") -> list[str]:
    sqs, bodies = stack.clients("sqs"), []
    while messages := sqs.receive_message(QueueUrl=stack.queues[queue], MaxNumberOfMessages=10).get("Messages", []):
        bodies.extend(m["Body"] for m in messages)
        sqs.delete_message_batch(
            QueueUrl=stack.queues[queue],
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
        )
    return bodies


def group_arn(stack: LocalStack, name: str = GROUP, region: str | None = None) -> str:
    return f"arn:aws:logs:{region or stack.region}:{stack.account_id}:log-group:{name}"


def log_group_event(name: str, event_id: str, event_name: str = "CreateLogGroup") -> dict[str, Any]:
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    event["id"], event["detail"]["eventName"] = event_id, event_name
    event["detail"]["requestParameters"]["logGroupName"] = name
    return event


def retention(aws, name: str = GROUP) -> int | None:
    [group] = [g for g in aws("logs").describe_log_groups()["logGroups"] if g["logGroupName"] == name]
    return group.get("retentionInDays")


def history(stack: LocalStack) -> list[dict[str, Any]]:
    return stack.clients("dynamodb").scan(TableName=stack.tables["HistoryTable"])["Items"]


# --- a resource that is gone before it is read or fixed ------------------------------------


def test_resources_deleted_before_the_read_or_before_the_fix_are_archived_never_fixed(aws, stack, faults, service_log):
    writes = faults.count("cloudwatch-logs.PutRetentionPolicy", role="remediator")
    early, late = "/aws/lambda/gone-before-read", "/aws/lambda/gone-before-fix"
    for name in (early, late):
        aws("logs").create_log_group(logGroupName=name)
    stack.put_events([log_group_event(early, "evt-early"), log_group_event(late, "evt-late")])
    aws("logs").delete_log_group(logGroupName=early)  # gone before the evaluator reads it
    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert (delivery.delivered, delivery.failed) == (2, [])
    assert len(evaluated_ids(service_log)) == 2 and not errors(service_log, "could not evaluate")
    findings = findings_by_resource(aws)
    for control in (RETENTION, GROUP_KMS):
        assert findings[(control, group_arn(stack, early))]["RecordState"] == "ARCHIVED"
    assert findings[(RETENTION, group_arn(stack, late))]["RecordState"] == "ACTIVE"
    assert stack.queue_depth("FixQueue") == 1, "a fix only for the group that was still there"

    aws("logs").delete_log_group(logGroupName=late)  # gone before the remediator reads it
    assert stack.drain("FixQueue", "remediator").failed == []
    assert writes.calls == 0
    assert findings_by_resource(aws)[(RETENTION, group_arn(stack, late))]["RecordState"] == "ARCHIVED"
    [fix_line] = [r for r in service_log.records if r.getMessage() == "fix"]
    assert (fix_line.status, fix_line.reason) == ("NOT_APPLICABLE", "the resource no longer exists")
    assert history(stack) == [], "no fix, nothing in the audit trail"


def test_a_resource_deleted_during_the_fix_fails_the_fix_once_with_aws_reason(aws, stack, faults, service_log):
    # Deleted between the remediator's re-read and its write: the write answers ResourceNotFoundException.
    write = faults.fail("before-call.cloudwatch-logs.PutRetentionPolicy", LOG_GROUP_GONE, role="remediator")
    aws("logs").create_log_group(logGroupName=GROUP)
    stack.put_events([log_group_event(GROUP, "evt-create")])
    stack.drain("EvaluationQueue", "evaluator")
    assert stack.drain("FixQueue", "remediator").failed == [], "a failed fix is an outcome, not a retry"
    assert write.calls == 1
    finding = findings_by_resource(aws)[(RETENTION, group_arn(stack))]
    assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "failed"
    assert LOG_GROUP_GONE[1] in finding["ProductFields"]["logbaseline/Fix/Error"]
    [fix_line] = [r for r in service_log.records if r.getMessage() == "fix"]
    assert fix_line.fix["Outcome"] == "failed" and LOG_GROUP_GONE[1] in fix_line.fix["Error"]
    # CloudTrail then reports the deletion: the finding is archived.
    aws("logs").delete_log_group(logGroupName=GROUP)
    stack.put_events([log_group_event(GROUP, "evt-delete", "DeleteLogGroup")])
    stack.drain("EvaluationQueue", "evaluator")
    assert findings_by_resource(aws)[(RETENTION, group_arn(stack))]["RecordState"] == "ARCHIVED"
    assert stack.queue_depth("FixQueue") == 0 and write.calls == 1


# --- duplicates and retries: one fix -------------------------------------------------------


def test_one_event_delivered_twice_or_two_events_about_one_gap_fix_once(aws, stack, faults):
    writes = faults.count("cloudwatch-logs.PutRetentionPolicy", role="remediator")
    twice, two_events = "/aws/lambda/delivered-twice", "/aws/lambda/named-twice"
    for name in (twice, two_events):
        aws("logs").create_log_group(logGroupName=name)
    body = json.dumps(log_group_event(twice, "evt-twice"))
    send_raw(stack, [body, body])  # the same id twice: SQS and EventBridge deliver at least once
    stack.put_events([log_group_event(two_events, "e1"), log_group_event(two_events, "e2", "DeleteRetentionPolicy")])
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 4
    assert stack.queue_depth("FixQueue") == 4, "each evaluation asks for the fix"
    assert stack.drain("FixQueue", "remediator").failed == []
    assert sorted(writes.names) == [twice, two_events], "one fix each"
    assert len(history(stack)) == 2
    # The repeated request was answered from its idempotency record; the other request re-evaluated first.
    assert stack.clients("dynamodb").scan(TableName=stack.table)["Count"] == 3
    for name in (twice, two_events):
        assert retention(aws, name) == 365
        finding = findings_by_resource(aws)[(RETENTION, group_arn(stack, name))]
        assert finding["Compliance"]["Status"] == "PASSED"
        assert finding["ProductFields"]["logbaseline/Fix/Outcome"] == "verified"


def test_an_evaluation_retried_after_it_queued_the_fix_fixes_once(aws, stack, faults, service_log):
    # The fix request is on the queue, then the evaluator fails (as on a timeout): the retry asks again.
    sent = faults.fail("after-call.sqs.SendMessageBatch", KMS_THROTTLED, times=1, role="evaluator")
    writes = faults.count("cloudwatch-logs.PutRetentionPolicy", role="remediator")
    aws("logs").create_log_group(logGroupName=GROUP)
    stack.put_events([log_group_event(GROUP, "evt-retried")])
    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert (delivery.delivered, len(delivery.failed)) == (1, 1)
    assert [KMS_THROTTLED[0] in reason for reason in errors(service_log, "could not evaluate")] == [True]
    assert sent.calls == 2 and stack.queue_depth("FixQueue") == 2
    assert stack.drain("FixQueue", "remediator").failed == []
    assert writes.calls == 1
    assert len(history(stack)) == 1


def test_the_idempotency_store_throttled_delays_the_fix_and_it_happens_once(aws, stack, faults, service_log):
    faults.fail("before-call.dynamodb.PutItem", TABLE_THROTTLED, times=1, role="remediator")
    writes = faults.count("cloudwatch-logs.PutRetentionPolicy", role="remediator")
    aws("logs").create_log_group(logGroupName=GROUP)
    stack.put_events([log_group_event(GROUP, "evt-1")])
    stack.drain("EvaluationQueue", "evaluator")
    delivery = stack.drain("FixQueue", "remediator")
    assert (delivery.delivered, len(delivery.failed)) == (1, 1), "one bounded retry"
    [reason] = errors(service_log, "could not fix")
    assert "idempotency" in reason.lower()
    assert writes.calls == 1 and retention(aws) == 365


def test_a_fix_whose_report_fails_is_not_applied_twice(aws, stack, faults, service_log):
    # The fix is applied, then Security Hub fails the import: the request is retried and re-evaluates first.
    faults.fail("before-call.securityhub.BatchImportFindings", SECURITY_HUB_DOWN, times=1, role="remediator")
    writes = faults.count("cloudwatch-logs.PutRetentionPolicy", role="remediator")
    aws("logs").create_log_group(logGroupName=GROUP)
    stack.put_events([log_group_event(GROUP, "evt-1")])
    stack.drain("EvaluationQueue", "evaluator")
    delivery = stack.drain("FixQueue", "remediator")
    assert (delivery.delivered, len(delivery.failed)) == (1, 1)
    assert [SECURITY_HUB_DOWN[0] in reason for reason in errors(service_log, "could not fix")] == [True]
    assert writes.calls == 1 and retention(aws) == 365
    # CloudTrail reports the remediator's own change; its evaluation turns the finding PASSED.
    stack.put_events([log_group_event(GROUP, "evt-echo", "PutRetentionPolicy")])
    stack.drain("EvaluationQueue", "evaluator")
    assert findings_by_resource(aws)[(RETENTION, group_arn(stack))]["Compliance"]["Status"] == "PASSED"
    assert stack.queue_depth("FixQueue") == 0 and writes.calls == 1


def test_a_fix_whose_report_fails_is_still_in_the_audit_trail(aws, stack, faults):
    faults.fail("before-call.securityhub.BatchImportFindings", SECURITY_HUB_DOWN, times=1, role="remediator")
    aws("logs").create_log_group(logGroupName=GROUP)
    stack.put_events([log_group_event(GROUP, "evt-1")])
    stack.drain("EvaluationQueue", "evaluator")
    stack.drain("FixQueue", "remediator")
    assert retention(aws) == 365
    assert len(history(stack)) == 1


# --- events out of order: the current state wins -------------------------------------------


def trail_event(name: str, event_id: str, at: str) -> dict[str, Any]:
    event = load_event(f"cloudtrail/cloudtrail-{name}.json")
    event["id"], event["detail"]["eventTime"], event["time"] = event_id, at, at
    return event


@pytest.fixture
def trail(aws) -> str:
    aws("s3").create_bucket(Bucket="trail-logs")
    cloudtrail = aws("cloudtrail")
    cloudtrail.create_trail(Name="management-events", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    cloudtrail.put_event_selectors(  # AWS's default for a new trail (docs/emulator-gaps.md)
        TrailName="management-events", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    return "management-events"


def test_events_out_of_order_are_judged_on_the_current_state(aws, stack, trail, faults):
    restarts = faults.count("cloudtrail.StartLogging", role="remediator")
    account = f"AWS::::Account:{stack.account_id}"
    # Stopped at 10:00, started at 10:05; the stop arrives last. The trail is logging: PASSED, nothing to fix.
    aws("cloudtrail").start_logging(Name=trail)
    stack.put_events([trail_event("StartLogging", "start-1005", "2026-11-28T10:05:00Z")])
    stack.put_events([trail_event("StopLogging", "stop-1000", "2026-11-28T10:00:00Z")])
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    assert findings_by_resource(aws)[(TRAIL_LOGGING, account)]["Compliance"]["Status"] == "PASSED"
    assert stack.queue_depth("FixQueue") + stack.queue_depth("PriorityFixQueue") == 0 and restarts.calls == 0

    # Started at 11:00, stopped at 11:05; the start arrives last. The trail is stopped: FAILED, fixed once.
    aws("cloudtrail").stop_logging(Name=trail)
    stack.put_events([trail_event("StopLogging", "stop-1105", "2026-11-28T11:05:00Z")])
    stack.put_events([trail_event("StartLogging", "start-1100", "2026-11-28T11:00:00Z")])
    stack.drain("EvaluationQueue", "evaluator")
    assert findings_by_resource(aws)[(TRAIL_LOGGING, account)]["Compliance"]["Status"] == "FAILED"
    # Both evaluations read the trail stopped; the StopLogging's fix request goes to the priority fix queue.
    assert (stack.queue_depth("FixQueue"), stack.queue_depth("PriorityFixQueue")) == (1, 1)
    assert stack.drain("FixQueue", "remediator").failed == []
    assert restarts.calls == 1
    assert aws("cloudtrail").get_trail_status(Name=trail)["IsLogging"] is True
    assert findings_by_resource(aws)[(TRAIL_LOGGING, account)]["Compliance"]["Status"] == "PASSED"


# --- malformed events: clear reasons, bounded receives, the rest of the batch unharmed -------

ROUTING_BROKEN: dict[str, Callable[[dict[str, Any]], None]] = {
    "unknown detail-type": lambda e: e.update({"detail-type": "EC2 Instance State-change Notification"}),
    "missing awsRegion": lambda e: e["detail"].pop("awsRegion"),
    "logGroupName not a string": lambda e: e["detail"]["requestParameters"].update({"logGroupName": 7}),
    "missing eventName": lambda e: e["detail"].pop("eventName"),
}
ROUTING_REASONS = {
    "unknown detail-type": "unknown detail-type 'EC2 Instance State-change Notification'",
    "missing awsRegion": "detail.awsRegion is missing",
    "logGroupName not a string": "resource id 7 is not a string",
    "missing eventName": "detail.eventName is missing",
}


def test_malformed_events_are_dead_lettered_with_the_reason_and_the_rest_of_the_batch_is_evaluated_once(
    aws, stack, service_log
):
    aws("logs").create_log_group(logGroupName=GROUP)
    aws("logs").create_log_group(logGroupName="/aws/lambda/other")
    bad = []
    for index, case in enumerate(ROUTING_BROKEN):
        event = log_group_event(GROUP, f"evt-bad-{index}")
        ROUTING_BROKEN[case](event)
        bad.append(json.dumps(event))
    good = [json.dumps(log_group_event(GROUP, "evt-good-1")), json.dumps(log_group_event("/aws/lambda/other", "g2"))]
    send_raw(stack, [good[0], *bad, good[1]])  # one batch of seven: partial batch failure

    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert delivery.delivered == 2
    assert len(delivery.failed) == len(bad) * MAX_RECEIVES, "each bad message is received exactly three times"
    assert sorted(set(errors(service_log, "could not evaluate"))) == sorted(ROUTING_REASONS.values())
    assert len(errors(service_log, "could not evaluate")) == len(bad) * MAX_RECEIVES
    assert sorted(evaluated_ids(service_log).count(i) for i in ("evt-good-1", "g2")) == [1, 1], "evaluated once"
    assert sorted(dead_letters(stack)) == sorted(bad), "dead-lettered as sent"
    assert stack.queue_depth("EvaluationQueue") == 0
    findings = findings_by_resource(aws)
    assert {
        findings[(RETENTION, group_arn(stack, n))]["Compliance"]["Status"] for n in (GROUP, "/aws/lambda/other")
    } == {"FAILED"}


ENVELOPE_BROKEN = [
    "not json",
    json.dumps({"version": "0"}),
    json.dumps(["a", "list"]),
    json.dumps(load_event("cloudtrail/logs-CreateLogGroup.json") | {"detail": "CreateLogGroup"}),
]


def test_a_batch_of_messages_that_are_not_events_is_dead_lettered_after_bounded_receives(aws, stack):
    # Every record of the batch fails: Powertools fails the whole invocation, and the receives stay bounded.
    send_raw(stack, ENVELOPE_BROKEN)
    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert (delivery.delivered, len(delivery.failed)) == (0, len(ENVELOPE_BROKEN) * MAX_RECEIVES)
    assert sorted(dead_letters(stack)) == sorted(ENVELOPE_BROKEN)


def test_a_message_that_is_not_an_event_says_why_in_the_log(aws, stack, service_log):
    aws("logs").create_log_group(logGroupName=GROUP)
    send_raw(stack, ["not json", json.dumps(log_group_event(GROUP, "evt-good"))])
    assert len(stack.drain("EvaluationQueue", "evaluator").failed) == MAX_RECEIVES
    warnings = [r for r in service_log.records if r.name == "logbaseline" and r.levelno >= logging.WARNING]
    assert len(warnings) == MAX_RECEIVES and all("is not JSON" in str(r.exc_info[1]) for r in warnings)


# --- huge payloads ------------------------------------------------------------------------


def test_huge_events_within_aws_limits_are_evaluated(aws, stack, service_log):
    big, biggest = "/aws/lambda/big-request", "/aws/lambda/biggest-message"
    for name in (big, biggest):
        aws("logs").create_log_group(logGroupName=name)
    event = log_group_event(big, "evt-200kb")
    event["detail"]["requestParameters"]["tags"] = {f"tag{i:05d}": "v" * 190 for i in range(1000)}
    assert 200_000 < len(json.dumps(event)) < 256 * 1024
    stack.put_events([event])  # through EventBridge, as CloudTrail would send it
    at_limit = log_group_event(biggest, "evt-256kib")
    at_limit["detail"]["responseElements"] = {"padding": ""}
    at_limit["detail"]["responseElements"]["padding"] = "x" * (256 * 1024 - len(json.dumps(at_limit)))
    body = json.dumps(at_limit)
    assert len(body.encode()) == 256 * 1024  # SQS's maximum message size
    send_raw(stack, [body])
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 2
    assert len(evaluated_ids(service_log)) == 2 and not errors(service_log, "could not evaluate")
    findings = findings_by_resource(aws)
    assert {findings[(RETENTION, group_arn(stack, n))]["Compliance"]["Status"] for n in (big, biggest)} == {"FAILED"}


# --- Config's oversized notification -------------------------------------------------------


def test_an_oversized_config_notification_re_reads_the_vpc_and_fixes_it(aws, stack, faults):
    flow_logs = faults.count("ec2.CreateFlowLogs", role="remediator")
    vpc = aws("ec2").create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    event = json.loads(json.dumps(load_event("config/oversized-AWS-EC2-VPC.json")).replace(SAMPLE_VPC, vpc))
    assert "configurationItem" not in event["detail"], "only the summary, as Config sends it"
    stack.put_events([event])
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 1
    arn = f"arn:aws:ec2:{stack.region}:{stack.account_id}:vpc/{vpc}"
    assert findings_by_resource(aws)[(FLOW_LOGS, arn)]["Compliance"]["Status"] == "FAILED"
    assert stack.drain("FixQueue", "remediator").failed == []
    assert flow_logs.calls == 1
    assert findings_by_resource(aws)[(FLOW_LOGS, arn)]["Compliance"]["Status"] == "PASSED"


# --- accounts and regions -------------------------------------------------------------------


def test_an_event_from_an_account_not_covered_is_retried_then_dead_lettered_with_the_reason(aws, stack, service_log):
    aws("logs").create_log_group(logGroupName=GROUP)
    foreign = log_group_event(GROUP, "evt-foreign")
    foreign["detail"]["recipientAccountId"] = OTHER_ACCOUNT
    foreign_config = copy.deepcopy(load_event("config/AWS-EC2-VPC.json"))
    foreign_config["detail"]["configurationItem"]["awsAccountId"] = OTHER_ACCOUNT
    send_raw(stack, [json.dumps(foreign), json.dumps(foreign_config), json.dumps(log_group_event(GROUP, "evt-own"))])
    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert (delivery.delivered, len(delivery.failed)) == (1, 2 * MAX_RECEIVES)
    reasons = errors(service_log, "could not evaluate")
    assert len(reasons) == 2 * MAX_RECEIVES and all(f"account {OTHER_ACCOUNT}" in r for r in reasons), reasons
    assert len(dead_letters(stack)) == 2
    assert (RETENTION, group_arn(stack)) in findings_by_resource(aws)


def test_an_event_from_another_region_is_evaluated_and_fixed_in_that_region(aws, stack, faults):
    writes = faults.count("cloudwatch-logs.PutRetentionPolicy", role="remediator")
    aws("logs", "eu-west-1").create_log_group(logGroupName=GROUP)
    aws("logs").create_log_group(logGroupName=GROUP)  # the same name at home is not touched
    aws("logs").put_retention_policy(logGroupName=GROUP, retentionInDays=30)
    event = log_group_event(GROUP, "evt-eu")
    event["detail"]["awsRegion"] = event["region"] = "eu-west-1"
    stack.put_events([event])
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 1
    assert stack.drain("FixQueue", "remediator").failed == []
    assert writes.calls == 1
    eu_groups = aws("logs", "eu-west-1").describe_log_groups()["logGroups"]
    assert [g.get("retentionInDays") for g in eu_groups] == [365]
    assert retention(aws) == 30
    finding = aws("securityhub", "eu-west-1").get_findings()["Findings"]
    assert [(f["Resources"][0]["Id"], f["Compliance"]["Status"]) for f in finding if RETENTION in f["Id"]] == [
        (group_arn(stack, region="eu-west-1"), "PASSED")
    ]


def test_security_hub_not_enabled_in_the_events_region_dead_letters_with_the_reason(aws, stack, faults, service_log):
    imports = faults.fail("before-call.securityhub.BatchImportFindings", SECURITY_HUB_OFF, role="evaluator")
    aws("logs").create_log_group(logGroupName=GROUP)
    stack.put_events([log_group_event(GROUP, "evt-1")])
    delivery = stack.drain("EvaluationQueue", "evaluator")
    assert (delivery.delivered, len(delivery.failed)) == (0, MAX_RECEIVES)
    reasons = errors(service_log, "could not evaluate")
    assert len(reasons) == MAX_RECEIVES and all(SECURITY_HUB_OFF[1] in r for r in reasons)
    assert imports.calls == MAX_RECEIVES
    assert stack.queue_depth("FixQueue") == 0, "no fix before the finding is recorded"
    [dead] = dead_letters(stack)
    assert json.loads(dead)["detail"]["requestParameters"]["logGroupName"] == GROUP
