"""route53_query_logging_enabled: zone ids, the pure verdict, round trips on moto (public zones, us-east-1 only)."""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.route53_query_logging_enabled import CONTROL, zone_arn, zone_id
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

SAMPLE = "Z0312345EXAMPLEQRS"  # the zone of the sample events
GROUP = "/aws/route53/orders.example.com"


@pytest.mark.parametrize("given", [SAMPLE, f"/hostedzone/{SAMPLE}", f"arn:aws:route53:::hostedzone/{SAMPLE}"])
def test_zone_id_and_arn_from_any_form(given):
    assert zone_id(given) == SAMPLE
    assert zone_arn(Scope("123456789012", REGION, given)) == f"arn:aws:route53:::hostedzone/{SAMPLE}"


@pytest.mark.parametrize(
    ("groups", "status", "phrase"),
    [
        ([], Status.FAILED, "public hosted zone orders.example.com. (Z0312345EXAMPLEQRS) has no query logging"),
        (["arn:aws:logs:us-east-1:1:log-group:/q:*"], Status.PASSED, "logs DNS queries to arn:aws:logs:us-east-1"),
    ],
)
def test_evaluate(groups, status, phrase):
    state = {"id": SAMPLE, "name": "orders.example.com.", "log_groups": groups}
    verdict = CONTROL.evaluate(Resource("123456789012", REGION, "arn", state), {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_no_fix():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub Route53.2" in CONTROL.related_requirements


# --- round trips on the moto server -------------------------------------------------------


def public_zone(aws, name="orders.example.com") -> str:
    return zone_id(aws("route53").create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"])


def log_queries(aws, zone: str, account_id: str) -> str:
    aws("logs").create_log_group(logGroupName=GROUP)
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:{GROUP}:*"
    created = aws("route53").create_query_logging_config(HostedZoneId=zone, CloudWatchLogsLogGroupArn=arn)
    return created["QueryLoggingConfig"]["Id"]


def sample(relative: str, zone: str) -> dict:
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE, zone))


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_zone_created_then_logged_then_logging_deleted(aws, account_id):
    """CreateHostedZone -> FAILED, no fix; CreateQueryLoggingConfig -> PASSED; DeleteQueryLoggingConfig -> FAILED."""
    zone = public_zone(aws)
    arn = f"arn:aws:route53:::hostedzone/{zone}"
    service = make_service(account_id)
    report = service.evaluate_event(sample("cloudtrail/route53-CreateHostedZone.json", zone))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, arn)]
    assert finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsRoute53HostedZone"

    config_id = log_queries(aws, zone, account_id)
    report = service.evaluate_event(sample("cloudtrail/route53-CreateQueryLoggingConfig.json", zone))
    assert [o.verdict.status for o in mine(report)] == [Status.PASSED]

    aws("route53").delete_query_logging_config(Id=config_id)
    report = service.evaluate_event(sample("cloudtrail/route53-DeleteQueryLoggingConfig.json", zone))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(arn, Status.FAILED)]


def test_private_zones_are_not_judged_and_only_in_us_east_1(aws, account_id):
    public = public_zone(aws)
    vpc = aws("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    private = {"PrivateZone": True}  # AWS makes a zone with a VPC private; moto needs it said (docs/emulator-gaps.md)
    aws("route53").create_hosted_zone(
        Name="internal.example",
        CallerReference="private",
        VPC={"VPCRegion": REGION, "VPCId": vpc},
        HostedZoneConfig=private,
    )
    assert [r.state["id"] for r in CONTROL.collect(aws, Scope(account_id, REGION))] == [public]
    elsewhere = Clients("eu-west-1", config=NO_RETRY)
    assert CONTROL.collect(elsewhere, Scope(account_id, "eu-west-1")) == []


def test_config_item_and_a_deleted_zone(aws, account_id):
    zone = public_zone(aws)
    service = make_service(account_id)
    report = service.evaluate_event(sample("config/AWS-Route53-HostedZone.json", zone))
    assert [o.verdict.status for o in mine(report)] == [Status.FAILED]
    aws("route53").delete_hosted_zone(Id=zone)
    report = service.evaluate_event(sample("config/AWS-Route53-HostedZone.json", zone))
    arn = f"arn:aws:route53:::hostedzone/{zone}"
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, arn)]
    assert findings_by_resource(aws)[(CONTROL.id, arn)]["RecordState"] == "ARCHIVED"
