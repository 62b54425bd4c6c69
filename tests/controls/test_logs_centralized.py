"""logs_centralized: which sources log only locally, NOT_AVAILABLE without an archive, and a round trip on moto."""

from __future__ import annotations

import pytest
from logbaseline.controls.logs_centralized import CENTRAL, CONTROL, LOCAL, _where
from logbaseline.engine import sweep_event
from logbaseline.models import Mode, Resource, Status

from tests.conftest import REGION, findings_by_resource, make_service

ME, ARCHIVE, OTHER = "123456789012", "555566667777", "999988887777"
PARAMS = {"log_archive_account_id": ARCHIVE}


def account(trails=(), flow_logs=(), query_logs=(), owner=ME) -> Resource:
    def sources(pairs):
        return [{"id": i, "where": w} for i, w in pairs]

    state = {"trails": sources(trails), "flow_logs": sources(flow_logs), "query_logs": sources(query_logs)}
    return Resource(owner, REGION, f"AWS::::Account:{owner}", state)


@pytest.mark.parametrize(
    ("resource", "params", "status", "phrase"),
    [
        (account(), {"log_archive_account_id": ""}, Status.NOT_APPLICABLE, "log_archive_account_id is not set"),
        (account((("local", LOCAL),)), PARAMS | {"log_archive_account_id": ME}, Status.PASSED, "log archive account"),
        (account(), PARAMS, Status.PASSED, "all 0 logging trails"),
        (account((("org", CENTRAL),)), PARAMS, Status.PASSED, "all 1 logging trails"),
        (account((("local", LOCAL), ("org", CENTRAL))), PARAMS, Status.PASSED, "reach another account"),
        (account((("local", LOCAL),)), PARAMS, Status.FAILED, "CloudTrail logs only locally (trail local)"),
        (account(flow_logs=(("fl-1 of vpc-1", LOCAL),)), PARAMS, Status.FAILED, "VPC flow log fl-1 of vpc-1 logs to"),
        (account(flow_logs=(("fl-1 of vpc-1", ARCHIVE),)), PARAMS, Status.PASSED, "all 1"),
        (account(flow_logs=(("fl-1 of vpc-1", OTHER),)), PARAMS, Status.FAILED, f"logs to account {OTHER}, not the"),
        (account(query_logs=(("rqlc-1", LOCAL),)), PARAMS, Status.FAILED, "Resolver query log configuration rqlc-1"),
        (account(query_logs=(("rqlc-1", CENTRAL),)), PARAMS, Status.PASSED, "all 1"),
    ],
)
def test_evaluate(resource, params, status, phrase):
    verdict = CONTROL.evaluate(resource, params)
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


@pytest.mark.parametrize(
    ("destination", "where"),
    [
        ("arn:aws:s3:::my-logs/flow/", LOCAL),
        ("my-logs", LOCAL),
        ("arn:aws:s3:::archive-logs", CENTRAL),  # S3 ARNs name no account: another account's bucket
        (f"arn:aws:logs:{REGION}:{ME}:log-group:dns", LOCAL),
        (f"arn:aws:logs:{REGION}:{ARCHIVE}:log-group:dns", ARCHIVE),
        (f"arn:aws:firehose:{REGION}:{OTHER}:deliverystream/logs", OTHER),
    ],
)
def test_where_a_destination_is(destination, where):
    assert _where(destination, {"my-logs"}, ME) == where


def test_no_fix():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_local_sources_are_named_and_not_available_without_an_archive(aws, account_id):
    """Without an archive: not available, nothing published. With one: a trail and a flow log to this account's
    bucket fail, named; a query log to another account's bucket passes."""
    aws("s3").create_bucket(Bucket="local-logs")
    aws("cloudtrail").create_trail(Name="local", S3BucketName="local-logs", IsMultiRegionTrail=True)
    aws("cloudtrail").start_logging(Name="local")
    vpc = aws("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    aws("ec2").create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3",
        LogDestination="arn:aws:s3:::local-logs",
    )  # fmt: skip
    aws("route53resolver").create_resolver_query_log_config(
        Name="dns", DestinationArn="arn:aws:s3:::archive-dns-logs", CreatorRequestId="seed"
    )
    [unset] = mine(make_service(account_id).evaluate_event(sweep_event(account_id, REGION, [CONTROL.id])))
    assert unset.verdict.status is Status.NOT_APPLICABLE  # NOT_AVAILABLE: the engine publishes no such verdict
    assert (CONTROL.id, f"AWS::::Account:{account_id}") not in findings_by_resource(aws)

    service = make_service(account_id, LOGBASELINE_LOG_ARCHIVE_ACCOUNT_ID=ARCHIVE)
    [outcome] = mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id])))
    assert (outcome.verdict.status, outcome.resource_id) == (Status.FAILED, f"AWS::::Account:{account_id}")
    assert "CloudTrail logs only locally (trail local)" in outcome.verdict.reason
    assert "VPC flow log fl-" in outcome.verdict.reason and f"of {vpc} logs to this account" in outcome.verdict.reason
    assert "Resolver query log" not in outcome.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "MEDIUM")
