"""wafv2_web_acl_logging_enabled: the pure verdict, which web ACLs a region judges, and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.wafv2_web_acl_logging_enabled import CONTROL
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

SAMPLE_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/orders-web-acl/a1b2c3d4-5678-40ab-9def-0123456789ab"
LOG_GROUP = "aws-waf-logs-orders"


def acl(destinations=(), firewall_manager=False, scope="REGIONAL") -> Resource:
    state = {
        "name": "orders-web-acl",
        "id": "a1b2",
        "scope": scope,
        "destinations": list(destinations),
        "firewall_manager": firewall_manager,
    }
    return Resource("123456789012", REGION, SAMPLE_ARN, state)


@pytest.mark.parametrize(
    ("resource", "status", "phrase"),
    [
        (acl(), Status.FAILED, "REGIONAL web ACL orders-web-acl has no logging configuration"),
        (acl(scope="CLOUDFRONT"), Status.FAILED, "CLOUDFRONT web ACL orders-web-acl has no logging"),
        (acl(["arn:aws:s3:::aws-waf-logs-b"]), Status.PASSED, "logs to arn:aws:s3:::aws-waf-logs-b"),
        (acl(["arn:aws:firehose:x"], firewall_manager=True), Status.PASSED, "(managed by Firewall Manager)"),
    ],
)
def test_evaluate(resource, status, phrase):
    """A logging configuration passes, none fails; there is no fix, so nothing is ever fixable."""
    verdict = CONTROL.evaluate(resource, {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_control_reads_only_and_stays_off():
    assert CONTROL.remediate is None and CONTROL.write_actions == () and CONTROL.default_mode is Mode.OFF
    assert CONTROL.parameters == ()


# --- round trips on the moto server -------------------------------------------------------

VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "orders"}


def web_acl(aws, scope="REGIONAL", name="orders-web-acl", region=REGION) -> dict:
    wafv2 = aws("wafv2", region)
    created = wafv2.create_web_acl(Name=name, Scope=scope, DefaultAction={"Allow": {}}, VisibilityConfig=VISIBILITY)
    return created["Summary"]


def sample(relative: str, arn: str) -> dict:
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE_ARN, arn))


def log_to_group(aws, arn: str, account_id: str) -> None:
    aws("logs").create_log_group(logGroupName=LOG_GROUP)
    destination = f"arn:aws:logs:{REGION}:{account_id}:log-group:{LOG_GROUP}"
    aws("wafv2").put_logging_configuration(
        LoggingConfiguration={"ResourceArn": arn, "LogDestinationConfigs": [destination]}
    )


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_logging_put_and_deleted(aws, account_id):
    """CreateWebACL -> FAILED, no fix; PutLoggingConfiguration -> PASSED; DeleteLoggingConfiguration -> FAILED."""
    arn = web_acl(aws)["ARN"]
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")  # ignored: no fix
    report = service.evaluate_event(sample("cloudtrail/wafv2-CreateWebACL.json", arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsWafv2WebAcl"
    assert finding["Severity"]["Label"] == "MEDIUM"

    log_to_group(aws, arn, account_id)
    report = service.evaluate_event(sample("cloudtrail/wafv2-PutLoggingConfiguration.json", arn))
    assert [o.verdict.status for o in mine(report)] == [Status.PASSED]
    assert LOG_GROUP in findings_by_resource(aws)[(CONTROL.id, arn)]["ProductFields"]["logbaseline/Reason"]

    aws("wafv2").delete_logging_configuration(ResourceArn=arn)
    report = service.evaluate_event(sample("cloudtrail/wafv2-DeleteLoggingConfiguration.json", arn))
    assert [o.verdict.status for o in mine(report)] == [Status.FAILED]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["Compliance"]["Status"] == "FAILED"


def test_config_item_routes_by_arn(aws, account_id):
    arn = web_acl(aws)["ARN"]
    log_to_group(aws, arn, account_id)
    report = make_service(account_id).evaluate_event(sample("config/AWS-WAFv2-WebACL.json", arn))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.PASSED)]


def test_cloudfront_web_acls_are_judged_in_us_east_1_only(aws, account_id):
    regional, cloudfront = web_acl(aws), web_acl(aws, "CLOUDFRONT", "edge-acl")
    elsewhere = web_acl(aws, region="eu-west-1", name="eu-acl")
    found = {r.resource_id: r.state["scope"] for r in CONTROL.collect(aws, Scope(account_id, REGION))}
    assert found == {regional["ARN"]: "REGIONAL", cloudfront["ARN"]: "CLOUDFRONT"}
    eu = Clients("eu-west-1", config=NO_RETRY)
    assert [r.resource_id for r in CONTROL.collect(eu, Scope(account_id, "eu-west-1"))] == [elsewhere["ARN"]]


@pytest.mark.parametrize("key", ["ARN", "Name", "Id"])
def test_collect_finds_a_web_acl_by_arn_name_or_id(aws, account_id, key):
    wanted, _ = web_acl(aws), web_acl(aws, name="other-acl")
    found = CONTROL.collect(aws, Scope(account_id, REGION, wanted[key]))
    assert [r.resource_id for r in found] == [wanted["ARN"]]
    assert CONTROL.collect(aws, Scope(account_id, REGION, wanted[key] + "-gone")) == []


def test_deleted_web_acl_is_archived(aws, account_id):
    summary = web_acl(aws)
    service = make_service(account_id)
    service.evaluate_event(sample("cloudtrail/wafv2-CreateWebACL.json", summary["ARN"]))
    aws("wafv2").delete_web_acl(
        Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"], LockToken=summary["LockToken"]
    )
    report = service.evaluate_event(sample("cloudtrail/wafv2-DeleteLoggingConfiguration.json", summary["ARN"]))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, summary["ARN"])]
    assert findings_by_resource(aws)[(CONTROL.id, summary["ARN"])]["RecordState"] == "ARCHIVED"
