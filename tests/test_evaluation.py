"""One control on one scope: which outcomes there are, which go to Security Hub, and under which type."""

from __future__ import annotations

from dataclasses import replace

from logbaseline.controls import load
from logbaseline.engine.evaluation import Outcome, evaluate_scope
from logbaseline.engine.settings import Settings
from logbaseline.models import Resource, Scope, Status, failed, not_applicable, passed

RETENTION = load("logs_log_group_retention_bounded")
ELB = load("elb_access_logs_enabled")
ACCOUNT, REGION = "123456789012", "us-east-1"
GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/orders-api"


def resource(resource_type: str = "") -> Resource:
    return Resource(ACCOUNT, REGION, GROUP_ARN, {"name": "/aws/lambda/orders-api"}, resource_type=resource_type)


def test_what_goes_to_security_hub():
    """A verdict on a resource does, a gone resource's archive does; a present but not applicable one does not."""
    assert Outcome(RETENTION, ACCOUNT, REGION, GROUP_ARN, failed("gap"), resource()).reportable
    assert Outcome(RETENTION, ACCOUNT, REGION, GROUP_ARN, passed("fine"), resource()).reportable
    gone = Outcome(RETENTION, ACCOUNT, REGION, GROUP_ARN, not_applicable("gone"))
    assert gone.reportable and not gone.present
    assert not Outcome(RETENTION, ACCOUNT, REGION, GROUP_ARN, not_applicable("out of scope"), resource()).reportable


def test_the_resource_type_is_the_resources_own_or_else_the_controls():
    classic = "AwsElbLoadBalancer"
    assert Outcome(ELB, ACCOUNT, REGION, "x", failed("gap"), resource(classic)).resource_type == classic
    assert Outcome(ELB, ACCOUNT, REGION, "x", failed("gap"), resource()).resource_type == ELB.resource_type
    assert Outcome(ELB, ACCOUNT, REGION, "x", not_applicable("gone")).resource_type == ELB.resource_type


def test_a_named_resource_that_is_not_found_is_gone_and_an_empty_region_has_no_outcome():
    nothing = replace(RETENTION, collect=lambda clients, scope: [])
    settings = Settings.from_env({})
    [gone] = evaluate_scope(nothing, Scope(ACCOUNT, REGION, "/aws/lambda/orders-api"), None, settings)  # type: ignore[arg-type]
    assert (gone.resource_id, gone.verdict.status, gone.present) == (GROUP_ARN, Status.NOT_APPLICABLE, False)
    assert gone.verdict.reason == "the resource no longer exists"
    assert evaluate_scope(nothing, Scope(ACCOUNT, REGION), None, settings) == []  # type: ignore[arg-type]
