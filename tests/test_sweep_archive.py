"""The drift sweep archives its earlier findings on resources it no longer finds, when no event said so."""

from __future__ import annotations

import re
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from logbaseline import engine
from logbaseline.aws import Clients
from logbaseline.engine import AccountClients, Service, sweep_event
from logbaseline.engine.settings import Settings

from tests.conftest import NO_RETRY, REGION, ROOT, findings_by_resource, make_service

RETENTION, KMS = "logs_log_group_retention_bounded", "logs_log_group_kms_encryption_enabled"
FLOW = "vpc_flow_logs_enabled"


def group_arn(account_id: str, name: str) -> str:
    return f"arn:aws:logs:{REGION}:{account_id}:log-group:{name}"


def states(aws, control_id: str) -> dict[str, str]:
    """Resource id -> RecordState of this control's findings."""
    found = findings_by_resource(aws).items()
    return {resource: f["RecordState"] for (control, resource), f in found if control == control_id}


def quiet_service(account_id: str) -> Service:
    """Judges and reports; fixes nothing (every control's mode off)."""
    return make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{RETENTION}=off")


@pytest.fixture
def no_grace(monkeypatch):
    """Findings of a sweep a moment ago count as old: the tests do not wait out the grace period."""
    monkeypatch.setattr(engine, "ARCHIVE_GRACE", timedelta(0))


def test_a_resource_deleted_without_an_event_has_its_findings_archived_by_the_next_sweep(aws, account_id, no_grace):
    for name in ("/app/kept", "/app/deleted"):
        aws("logs").create_log_group(logGroupName=name)
    service = quiet_service(account_id)
    first = service.evaluate_event(sweep_event(account_id, REGION, [RETENTION, KMS]))
    assert first.archived == []
    aws("logs").delete_log_group(logGroupName="/app/deleted")  # its DeleteLogGroup event never arrived

    second = service.evaluate_event(sweep_event(account_id, REGION, [RETENTION, KMS]))
    gone = group_arn(account_id, "/app/deleted")
    assert sorted((o.control.id, o.resource_id) for o in second.archived) == [(KMS, gone), (RETENTION, gone)]
    for control_id in (RETENTION, KMS):
        assert states(aws, control_id) == {group_arn(account_id, "/app/kept"): "ACTIVE", gone: "ARCHIVED"}
    assert service.evaluate_event(sweep_event(account_id, REGION, [RETENTION, KMS])).archived == [], "archived once"


def test_findings_updated_within_the_grace_period_are_left(aws, account_id):
    aws("logs").create_log_group(logGroupName="/app/new")
    service = quiet_service(account_id)
    service.evaluate_event(sweep_event(account_id, REGION, [RETENTION]))
    aws("logs").delete_log_group(logGroupName="/app/new")
    assert service.evaluate_event(sweep_event(account_id, REGION, [RETENTION])).archived == []
    assert states(aws, RETENTION) == {group_arn(account_id, "/app/new"): "ACTIVE"}


def test_the_grace_period_is_the_one_the_design_states():
    """AWS's listings are eventually consistent: docs/design.md tells operators how long a finding is left."""
    stated = re.search(r"`ARCHIVE_GRACE`, (\d+) minutes", " ".join((ROOT / "docs" / "design.md").read_text().split()))
    assert stated and engine.ARCHIVE_GRACE == timedelta(minutes=int(stated[1]))


def test_only_the_controls_the_sweep_judged_are_reconciled(aws, account_id, no_grace):
    aws("logs").create_log_group(logGroupName="/app/one")
    vpc_id = aws("ec2").create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    service = quiet_service(account_id)
    service.evaluate_event(sweep_event(account_id, REGION, [RETENTION, FLOW]))
    aws("ec2").delete_vpc(VpcId=vpc_id)
    aws("logs").delete_log_group(logGroupName="/app/one")
    report = service.evaluate_event(sweep_event(account_id, REGION, [RETENTION]))  # a sweep of one control
    assert [o.control.id for o in report.archived] == [RETENTION]
    vpc_arn = f"arn:aws:ec2:{REGION}:{account_id}:vpc/{vpc_id}"
    assert states(aws, FLOW)[vpc_arn] == "ACTIVE", "another control's finding is that control's sweep's business"


def test_a_control_that_could_not_read_archives_nothing(aws, account_id, no_grace):
    aws("logs").create_log_group(logGroupName="/app/one")
    quiet_service(account_id).evaluate_event(sweep_event(account_id, REGION, [RETENTION]))

    session = boto3.Session()

    def denied(model, **kwargs):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied by an SCP"}}, model.name)

    session.events.register("before-call.cloudwatch-logs.DescribeLogGroups", denied)
    off = {"LOGBASELINE_REMEDIATION_MODES": f"{RETENTION}=off"}
    service = Service(Settings.from_env(off), AccountClients(account_id, session), Clients(REGION, config=NO_RETRY))
    report = service.evaluate_event(sweep_event(account_id, REGION, [RETENTION]))
    assert [f.control_id for f in report.read_failures] == [RETENTION] and report.archived == []
    assert states(aws, RETENTION) == {group_arn(account_id, "/app/one"): "ACTIVE"}
