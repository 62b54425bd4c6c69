"""Faults injected into real calls to the moto server: throttling is retried with backoff (bounded),
access denied fails the message at once, with the reason, for the queue to retry and dead-letter."""

from __future__ import annotations

import json
from types import SimpleNamespace

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError
from logbaseline.aws import Clients
from logbaseline.controls import all_controls
from logbaseline.engine import AccountClients, Service
from logbaseline.engine.settings import Settings
from logbaseline.models import Scope

from tests.conftest import REGION, findings_by_resource, load_event

RETENTION = "logs_log_group_retention_bounded"
GROUP_KMS = "logs_log_group_kms_encryption_enabled"
GROUP = "/aws/lambda/orders-api"


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, *args, **kwargs):
        yield self.body


def failing(code: str, times: int, calls: list[str]):
    """A before-send hook that answers `times` calls with AWS's JSON error `code`, then lets them through."""

    def hook(request, **kwargs):
        calls.append(code)
        if len(calls) <= times:
            body = json.dumps({"__type": code, "message": f"injected {code}"}).encode()
            headers = {"x-amzn-RequestId": "injected", "Content-Type": "application/x-amz-json-1.1"}
            return AWSResponse(request.url, 400, headers, _Raw(body))
        return None

    return hook


def service_with_fault(account_id: str, event_name: str, code: str, times: int) -> tuple[Service, list[str]]:
    session, calls = boto3.Session(), []
    session.events.register(f"before-send.{event_name}", failing(code, times, calls))
    settings = Settings.from_env({"LOGBASELINE_REMEDIATION_MODES": f"{RETENTION}=off"})
    return Service(settings, AccountClients(account_id, session), Clients(REGION)), calls


def test_throttling_is_retried_with_backoff_and_the_finding_is_right(aws, account_id):
    aws("logs").create_log_group(logGroupName=GROUP)
    service, calls = service_with_fault(account_id, "cloudwatch-logs.DescribeLogGroups", "ThrottlingException", 2)
    report = service.evaluate_event(load_event("cloudtrail/logs-PutRetentionPolicy.json"))
    assert len(calls) == 3, "two throttled attempts, then the real call"
    [outcome] = [o for o in report.outcomes if o.control.id == RETENTION]
    assert outcome.verdict.reason.startswith("events never expire")
    finding = findings_by_resource(aws)[(RETENTION, f"arn:aws:logs:us-east-1:{account_id}:log-group:{GROUP}")]
    assert finding["Compliance"]["Status"] == "FAILED"


def test_throttling_that_never_ends_stops_after_the_bounded_attempts(aws, account_id, monkeypatch):
    delays: list[float] = []
    # botocore's backoff is recorded instead of slept: the bound is what matters, not 20 s of waiting.
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=delays.append))
    service, calls = service_with_fault(account_id, "cloudwatch-logs.DescribeLogGroups", "ThrottlingException", 99)
    with pytest.raises(ClientError, match="ThrottlingException"):
        service.evaluate_event(load_event("cloudtrail/logs-PutRetentionPolicy.json"))
    assert len(calls) == 6, "the first call and 5 retries with backoff (CLIENT_CONFIG), then the message fails"
    assert len(delays) == 5 and sum(delays) > 0 and max(delays) <= 20, "jittered exponential backoff, capped"


def test_access_denied_is_not_retried_and_the_other_controls_go_on(aws, account_id):
    """A policy or an SCP that denies one API: the controls that need it are reported unreadable, with AWS's
    reason, and the sweep's other controls are still judged (an account is not lost to one deny)."""
    from logbaseline.controls import REGISTRY
    from logbaseline.engine import sweep_event

    aws("logs").create_log_group(logGroupName=GROUP)
    session, calls = boto3.Session(), []
    session.events.register("before-send.cloudtrail.DescribeTrails", failing("AccessDeniedException", 99, calls))
    off = Settings.from_env({"LOGBASELINE_REMEDIATION_MODES": ",".join(f"{c}=off" for c in REGISTRY)})
    report = Service(off, AccountClients(account_id, session), Clients(REGION)).evaluate_event(
        sweep_event(account_id, REGION)
    )
    denied = {f.control_id for f in report.read_failures}
    # event data stores, not trails: judged without DescribeTrails
    lake = {"cloudtrail_lake_retention_bounded", "cloudtrail_lake_kms_encryption_enabled"}
    scope = Scope(account_id, REGION)  # and the controls that do not apply with the defaults read nothing
    idle = {c.id for c in all_controls() if c.inapplicable and c.inapplicable(scope, off.params(c))}
    assert "cloudtrail_bucket_object_lock" in idle
    trail_controls = {c.id for c in all_controls() if c.id.startswith("cloudtrail_")} - lake - idle
    assert not lake & denied
    assert trail_controls <= denied <= {c.id for c in all_controls() if "cloudtrail:DescribeTrails" in c.read_actions}
    assert all("AccessDeniedException" in f.reason for f in report.read_failures)
    assert 1 <= len(calls) <= len(denied), "each denied read tried once (shared reads may ask once), no retries"
    judged = {o.control.id for o in report.outcomes}
    assert not judged & denied, "no verdict from a control that could not read"
    assert judged >= {"guardduty_enabled", "config_recorder_active", GROUP_KMS, RETENTION}
    [outcome] = [o for o in report.outcomes if o.control.id == RETENTION]
    assert outcome.verdict.reason.startswith("events never expire")
    assert findings_by_resource(aws)[(RETENTION, outcome.resource_id)]["Compliance"]["Status"] == "FAILED"


def test_a_service_with_no_endpoint_in_the_region_is_unreadable_there_and_the_other_controls_go_on(aws, account_id):
    """A service not offered in a region (nothing answers at its endpoint): its controls are read failures there,
    with the reason, and the message is not failed for them (a retry would meet the same)."""
    from logbaseline.engine import sweep_event

    aws("logs").create_log_group(logGroupName=GROUP)
    session, calls = boto3.Session(), []

    def no_endpoint(request, **kwargs):
        calls.append(request.url)
        raise EndpointConnectionError(endpoint_url=request.url)

    session.events.register("before-send.guardduty", no_endpoint)
    off = Settings.from_env({"LOGBASELINE_REMEDIATION_MODES": f"guardduty_enabled=off,{RETENTION}=off"})
    report = Service(off, AccountClients(account_id, session), Clients(REGION)).evaluate_event(
        sweep_event(account_id, REGION, ["guardduty_enabled", RETENTION])
    )
    assert calls, "GuardDuty was asked"
    [failure] = report.read_failures
    assert failure.control_id == "guardduty_enabled" and "Could not connect to the endpoint URL" in failure.reason
    assert [o.control.id for o in report.outcomes] == [RETENTION]


def test_a_transient_failure_on_every_api_a_sweep_calls_is_retried_and_the_verdicts_stay_right(aws, account_id):
    """The first request of every operation answers 503 (what AWS sends when a service is overloaded, in
    every protocol); the retried sweep reaches the same verdicts as an undisturbed one."""
    from logbaseline import demo
    from logbaseline.controls import REGISTRY
    from logbaseline.engine import sweep_event

    demo.seed_gaps(aws)
    off = Settings.from_env({"LOGBASELINE_REMEDIATION_MODES": ",".join(f"{c}=off" for c in REGISTRY)})
    session, failed = boto3.Session(), set()

    def first_attempt_unavailable(request, **kwargs):
        operation = request.context.get("logbaseline_operation")
        if operation and operation not in failed:
            failed.add(operation)
            return AWSResponse(request.url, 503, {"x-amzn-RequestId": "injected"}, _Raw(b""))
        return None

    session.events.register(
        "before-call", lambda model, context, **kwargs: context.update(logbaseline_operation=model.name)
    )
    session.events.register("before-send", first_attempt_unavailable)

    def verdicts(service: Service) -> set[tuple[str, str, str]]:
        report = service.evaluate_event(sweep_event(account_id, REGION))
        assert not report.read_failures
        return {(o.control.id, o.resource_id, o.verdict.status.value) for o in report.outcomes}

    disturbed = verdicts(Service(off, AccountClients(account_id, session), Clients(REGION)))
    undisturbed = verdicts(Service(off, AccountClients(account_id), Clients(REGION)))
    assert disturbed == undisturbed and len(undisturbed) >= len(REGISTRY)
    assert len(failed) >= 25, f"every operation of the sweep failed once: {sorted(failed)}"
