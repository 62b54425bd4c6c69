"""logs_log_group_kms_encryption_enabled: the pure verdict, routing of the KMS-key calls, and round trips on moto."""

from __future__ import annotations

import copy

import pytest
from logbaseline.controls.logs_log_group_kms_encryption_enabled import CONTROL
from logbaseline.engine.routing import route
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

GROUP = "/aws/lambda/orders-api"  # the log group of the sample events
ARN = f"arn:aws:logs:{REGION}:123456789012:log-group:{GROUP}"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def group(key) -> Resource:
    return Resource("123456789012", REGION, ARN, {"name": GROUP, "kms_key_id": key})


@pytest.mark.parametrize(
    ("key", "status", "phrase"),
    [
        (KEY, Status.PASSED, f"events are encrypted with KMS key {KEY}"),
        (None, Status.FAILED, "not a KMS key of the account"),
        ("", Status.FAILED, "only with the service's default key"),
    ],
)
def test_evaluate(key, status, phrase):
    """A KMS key passes; none fails, and never as fixable (there is no fix)."""
    verdict = CONTROL.evaluate(group(key), {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_no_fix_and_off():
    assert CONTROL.remediate is None and CONTROL.write_actions == () and CONTROL.default_mode is Mode.OFF


@pytest.mark.parametrize(
    ("event", "parameters", "expected"),
    [
        ("logs-AssociateKmsKey.json", None, GROUP),  # the sample as it is
        ("logs-DisassociateKmsKey.json", None, GROUP),
        ("logs-AssociateKmsKey.json", {"resourceIdentifier": ARN, "kmsKeyId": KEY}, ARN),
        ("logs-DisassociateKmsKey.json", {"resourceIdentifier": ARN}, ARN),
        # Query results, not a log group: the region is re-evaluated rather than a bogus log group.
        (
            "logs-AssociateKmsKey.json",
            {"resourceIdentifier": "arn:aws:logs:us-east-1:123456789012:query-result:*"},
            None,
        ),
    ],
)
def test_kms_key_calls_route_to_the_log_group(event, parameters, expected):
    sample = copy.deepcopy(load_event(f"cloudtrail/{event}"))
    if parameters is not None:
        sample["detail"]["requestParameters"] = parameters
    targets = [t for t in route(sample) if t.control is CONTROL]
    assert [t.scope for t in targets] == [Scope("123456789012", REGION, expected)]


def test_the_finding_names_the_same_resource_as_the_retention_control():
    """Both log-group controls identify a group by the same ARN, whether the event gave its name or its ARN."""
    from logbaseline.controls.logs_log_group_retention_bounded import CONTROL as RETENTION

    for given in (GROUP, ARN, f"{ARN}:*"):
        scope = Scope("123456789012", REGION, given)
        assert CONTROL.resource_id(scope) == RETENTION.resource_id(scope) == ARN


# --- round trips on the moto server -------------------------------------------------------


def service(aws, account_id):
    # CreateLogGroup also triggers the retention control (auto by default), which may queue a fix.
    svc = make_service(account_id)
    svc.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return svc


def mine(report):
    return [o for o in report.outcomes if o.control is CONTROL]


@pytest.mark.parametrize(
    ("key", "event", "status"),
    [
        (None, "cloudtrail/logs-CreateLogGroup.json", Status.FAILED),
        (None, "cloudtrail/logs-DisassociateKmsKey.json", Status.FAILED),
        (KEY, "cloudtrail/logs-CreateLogGroup.json", Status.PASSED),
        (KEY, "cloudtrail/logs-AssociateKmsKey.json", Status.PASSED),
    ],
)
def test_round_trip_verdict_and_finding(aws, account_id, key, event, status):
    """The event's log group is re-read: its key decides; no fix is ever requested for this control."""
    aws("logs").create_log_group(logGroupName=GROUP, **({"kmsKeyId": key} if key else {}))
    aws("logs").create_log_group(logGroupName="/aws/lambda/other")  # not named by the event: not evaluated
    report = service(aws, account_id).evaluate_event(load_event(event))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, status)]
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert finding["Compliance"]["Status"] == status.value
    assert finding["Resources"][0]["Type"] == "Other"
    assert finding["Severity"]["Label"] == ("LOW" if status is Status.FAILED else "INFORMATIONAL")


def test_collect_without_a_name_reads_every_group(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP, kmsKeyId=KEY)
    aws("logs").create_log_group(logGroupName="/aws/lambda/other")
    outcomes = CONTROL.collect(aws, Scope(account_id, REGION))
    verdicts = {o.state["name"]: CONTROL.evaluate(o, {}).status for o in outcomes}
    assert verdicts == {GROUP: Status.PASSED, "/aws/lambda/other": Status.FAILED}


def test_round_trip_deleted_group_is_archived(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    svc = service(aws, account_id)
    svc.evaluate_event(load_event("cloudtrail/logs-CreateLogGroup.json"))
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ACTIVE"

    aws("logs").delete_log_group(logGroupName=GROUP)
    report = svc.evaluate_event(load_event("cloudtrail/logs-DeleteLogGroup.json"))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, ARN)]
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["RecordState"] == "ARCHIVED"
