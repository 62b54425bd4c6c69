"""Exemptions by tag, per-account allow and deny lists: what is never fixed, and what the finding says."""

from __future__ import annotations

from datetime import date

import pytest
from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY, load
from logbaseline.engine import AccountClients, Service, remediation
from logbaseline.engine.exemptions import TAG_KEY, MalformedExemption, parse, rule
from logbaseline.engine.settings import InvalidSettings, Settings
from logbaseline.models import Mode

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service
from tests.test_shared_reads import counting_session

RETENTION = "logs_log_group_retention_bounded"
GROUP = "/aws/lambda/orders-api"
TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("value", "controls", "until", "reason"),
    [
        ("all until=2027-01-31 reason=legacy app", None, date(2027, 1, 31), "legacy app"),
        ("* until=2027-01-31 reason=x", None, date(2027, 1, 31), "x"),
        (
            f"{RETENTION}+vpc_flow_logs_enabled until=2027-01-31 reason=CHG-1 @ops",
            {RETENTION, "vpc_flow_logs_enabled"},
            date(2027, 1, 31),
            "CHG-1 @ops",
        ),
    ],
)
def test_parse(value, controls, until, reason):
    exemption = parse(value)
    assert (exemption.controls, exemption.until, exemption.reason) == (controls and frozenset(controls), until, reason)


@pytest.mark.parametrize(
    "value", ["all", "all until=2027-01-31", "all reason=x until=2027-01-31", "all until=2027-13-01 reason=x", ""]
)
def test_malformed_values_are_refused(value):
    with pytest.raises(MalformedExemption):
        parse(value)


@pytest.mark.parametrize(
    ("value", "control_id", "applies", "note"),
    [
        (None, RETENTION, None, None),
        ("all until=2026-11-29 reason=last day", RETENTION, True, "exempt until 2026-11-29: last day"),
        ("all until=2026-11-28 reason=old", RETENTION, False, "ignored: expired on 2026-11-28 (old)"),
        ("all until 2027", RETENTION, False, "ignored, malformed"),
        ("vpc_flow_logs_enabled until=2027-01-01 reason=x", RETENTION, None, None),  # another control's
    ],
)
def test_rule(value, control_id, applies, note):
    ruling = rule(value, control_id, TODAY)
    if applies is None:
        assert ruling is None
    else:
        assert ruling.applies is applies and note in ruling.note


def service_with_queue(aws, account_id, **environ):
    service = make_service(account_id, **environ)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def arn(account_id: str) -> str:
    return f"arn:aws:logs:us-east-1:{account_id}:log-group:{GROUP}"


def test_an_exempt_resource_is_not_fixed_and_its_finding_says_why_until_when(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP, tags={TAG_KEY: "all until=2099-01-01 reason=archive app"})
    report = service_with_queue(aws, account_id).evaluate_event(load_event("cloudtrail/logs-CreateLogGroup.json"))
    assert [r for r in report.fixes_requested if r.control_id == RETENTION] == []
    finding = findings_by_resource(aws)[(RETENTION, arn(account_id))]
    assert finding["Compliance"]["Status"] == "FAILED"
    assert finding["ProductFields"]["logbaseline/Exemption"] == "exempt until 2099-01-01: archive app"
    assert finding["Workflow"]["Status"] == "SUPPRESSED"
    assert "retentionInDays" not in aws("logs").describe_log_groups()["logGroups"][0]


@pytest.mark.parametrize(
    ("tag", "note"), [("all until=2020-01-01 reason=old", "expired on 2020-01-01"), ("all forever", "malformed")]
)
def test_an_expired_or_malformed_exemption_is_ignored_and_said_so(aws, account_id, tag, note):
    aws("logs").create_log_group(logGroupName=GROUP, tags={TAG_KEY: tag})
    service = service_with_queue(aws, account_id)
    report = service.evaluate_event(load_event("cloudtrail/logs-CreateLogGroup.json"))
    [request] = [r for r in report.fixes_requested if r.control_id == RETENTION]
    assert note in findings_by_resource(aws)[(RETENTION, arn(account_id))]["ProductFields"]["logbaseline/Exemption"]
    [fixed] = service.fix(request)
    assert fixed.fix["Outcome"] == "verified"
    assert aws("logs").describe_log_groups()["logGroups"][0]["retentionInDays"] == 365


def test_a_tag_set_after_the_evaluation_still_stops_the_fix(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = service_with_queue(aws, account_id)
    [request] = [
        r for r in service.evaluate_event(load_event("cloudtrail/logs-CreateLogGroup.json")).fixes_requested
        if r.control_id == RETENTION
    ]  # fmt: skip
    aws("logs").tag_resource(resourceArn=arn(account_id), tags={TAG_KEY: f"{RETENTION} until=2099-01-01 reason=wait"})
    [refused] = service.fix(request)
    assert refused.fix["Outcome"] == "refused" and "exempt until 2099-01-01" in refused.fix["Error"]
    assert "retentionInDays" not in aws("logs").describe_log_groups()["logGroups"][0]
    assert (
        findings_by_resource(aws)[(RETENTION, arn(account_id))]["ProductFields"]["logbaseline/Fix/Outcome"] == "refused"
    )


@pytest.mark.parametrize(
    ("environ", "fixed"),
    [
        ({}, True),
        ({"LOGBASELINE_REMEDIATION_ACCOUNTS_DENY": "{account}"}, False),
        ({"LOGBASELINE_REMEDIATION_ACCOUNTS_ALLOW": "111122223333"}, False),
        ({"LOGBASELINE_REMEDIATION_ACCOUNTS_ALLOW": "111122223333,{account}"}, True),
    ],
)
def test_account_allow_and_deny_lists(aws, account_id, environ, fixed):
    aws("logs").create_log_group(logGroupName=GROUP)
    service = service_with_queue(aws, account_id, **{k: v.format(account=account_id) for k, v in environ.items()})
    report = service.evaluate_event(load_event("cloudtrail/logs-CreateLogGroup.json"))
    assert bool([r for r in report.fixes_requested if r.control_id == RETENTION]) is fixed
    finding = findings_by_resource(aws)[(RETENTION, arn(account_id))]
    assert finding["Compliance"]["Status"] == "FAILED", "findings are made whatever the lists say"


def test_account_lists_are_validated():
    settings = Settings.from_env({"LOGBASELINE_REMEDIATION_ACCOUNTS_DENY": "111122223333"})
    assert settings.mode(load(RETENTION), "111122223333") is Mode.OFF
    assert settings.mode(load(RETENTION), "444455556666") is Mode.AUTO
    with pytest.raises(InvalidSettings, match="12-digit"):
        Settings.from_env({"LOGBASELINE_REMEDIATION_ACCOUNTS_ALLOW": "prod"})


def test_an_exemption_tag_read_with_the_resource_is_not_read_again(aws, account_id):
    """EC2 returns a VPC's tags with it: the exemption comes from there, with no tagging API call."""
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    tag = "vpc_flow_logs_enabled+vpc_dns_query_logging_enabled until=2099-01-01 reason=lab VPC"
    aws("ec2").create_tags(Resources=[vpc_id], Tags=[{"Key": TAG_KEY, "Value": tag}])
    event = load_event("cloudtrail/ec2-CreateVpc.json")
    event["detail"]["responseElements"]["vpc"]["vpcId"] = vpc_id
    session, asked, sent = counting_session()
    settings = Settings.from_env({"LOGBASELINE_REMEDIATION_MODES": ",".join(f"{c}=off" for c in REGISTRY)})
    service = Service(settings, AccountClients(account_id, session), Clients(REGION, config=NO_RETRY))
    report = service.evaluate_event(event)
    assert {o.control.id: o.exempt for o in report.outcomes} == {
        "vpc_flow_logs_enabled": True,
        "vpc_dns_query_logging_enabled": True,
    }
    assert asked["GetResources"] == 0 and sent["DescribeVpcs"] == 1, (asked, sent)


def test_a_vpc_tag_set_after_the_evaluation_stops_the_fix_without_a_tagging_call(aws, account_id, monkeypatch):
    """The fix re-reads the VPC, and with it the VPC's tags: a tag set meanwhile is seen, with no tagging call."""
    monkeypatch.setattr(remediation, "read_exemption_tags", lambda *a, **k: pytest.fail("tags come with the VPC"))
    aws("s3").create_bucket(Bucket="flow-logs")
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.41.0.0/16")["Vpc"]["VpcId"]
    service = service_with_queue(
        aws,
        account_id,
        LOGBASELINE_FLOW_LOG_DESTINATION="arn:aws:s3:::flow-logs",
        LOGBASELINE_REMEDIATION_MODES="vpc_flow_logs_enabled=auto",
    )
    event = load_event("cloudtrail/ec2-CreateVpc.json")
    event["detail"]["responseElements"]["vpc"]["vpcId"] = vpc_id
    [request] = [r for r in service.evaluate_event(event).fixes_requested if r.control_id == "vpc_flow_logs_enabled"]
    tag = "vpc_flow_logs_enabled until=2099-01-01 reason=wait"
    aws("ec2").create_tags(Resources=[vpc_id], Tags=[{"Key": TAG_KEY, "Value": tag}])
    [refused] = service.fix(request)
    assert refused.fix["Outcome"] == "refused" and "exempt until 2099-01-01" in refused.fix["Error"]
    assert aws("ec2").describe_flow_logs()["FlowLogs"] == []


def test_exemptions_are_attached_to_failing_resources_only_whatever_their_order():
    """A passing resource is never looked up nor marked exempt, and does not stop the ones after it."""
    from dataclasses import replace

    from logbaseline.engine.evaluation import Outcome, with_exemptions
    from logbaseline.models import Resource, failed, passed

    control, account, region = load(RETENTION), "123456789012", "us-east-1"
    exempt = {TAG_KEY: f"{RETENTION} until=2099-01-01 reason=archive app"}

    def outcome(name: str, verdict, tags):
        resource_id = f"arn:aws:logs:{region}:{account}:log-group:{name}"
        resource = Resource(account, region, resource_id, {"name": name}, tags=tags)
        return Outcome(control, account, region, resource_id, verdict, resource)

    looked_up: list[tuple[str, str]] = []

    def clients_for(account_id: str, region_name: str):
        looked_up.append((account_id, region_name))
        raise AssertionError("no tag needs the tagging API: every resource here came with its tags")

    outcomes = [outcome("/passing", passed("fine"), exempt), outcome("/failing", failed("gap"), exempt)]
    ruled = with_exemptions(outcomes, clients_for, date(2026, 12, 4))
    assert [o.exempt for o in ruled] == [False, True] and ruled[0].exemption is None
    # Tags not read with the resource: only a failing resource with an ARN (an account has no tags) is looked up.
    untagged = [
        outcome("/passing", passed("fine"), None),
        replace(outcome("", failed("gap"), None), resource_id=account),
    ]
    assert with_exemptions(untagged, clients_for, date(2026, 12, 4)) == untagged
    assert looked_up == []
