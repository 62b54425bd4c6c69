"""cloudfront_distribution_logging_enabled: the three kinds of logging, the pure verdict, round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.cloudfront_distribution_logging_enabled import CONTROL, distribution_arn, realtime
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

SAMPLE = "E2QWRUHEXAMPLE"  # the distribution of the sample events
STREAM = "arn:aws:cloudfront::123456789012:realtime-log-config/orders"


def distribution(bucket="", v2=False, streams=()) -> Resource:
    state = {"id": SAMPLE, "domain": "d111111abcdef8.cloudfront.net", "bucket": bucket, "v2": v2}
    arn = f"arn:aws:cloudfront::123456789012:distribution/{SAMPLE}"
    return Resource("123456789012", REGION, arn, state | {"realtime": list(streams)})


@pytest.mark.parametrize(
    ("resource", "status", "phrase"),
    [
        (distribution(), Status.FAILED, "has no standard or real-time logging"),
        (distribution("logs.s3.amazonaws.com"), Status.PASSED, "standard logging to logs.s3.amazonaws.com"),
        (distribution(v2=True), Status.PASSED, "standard logging v2 (a log delivery)"),
        (distribution(streams=[STREAM]), Status.PASSED, f"real-time logs to {STREAM}"),
        (distribution("logs.s3.amazonaws.com", True), Status.PASSED, "logs.s3.amazonaws.com; standard logging v2"),
    ],
)
def test_evaluate(resource, status, phrase):
    """Any one of the three kinds of logging passes; none fails; there is no fix."""
    verdict = CONTROL.evaluate(resource, {})
    assert (verdict.status, verdict.fixable) == (status, False) and phrase in verdict.reason


def test_realtime_configs_of_every_cache_behavior():
    config = {
        "DefaultCacheBehavior": {"RealtimeLogConfigArn": ""},
        "CacheBehaviors": {"Quantity": 2, "Items": [{"RealtimeLogConfigArn": STREAM}, {"PathPattern": "/img/*"}]},
    }
    assert realtime(config) == [STREAM] and realtime({}) == []


def test_metadata_and_resource_id():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF
    assert "Security Hub CloudFront.5" in CONTROL.related_requirements
    arn = f"arn:aws:cloudfront::123456789012:distribution/{SAMPLE}"
    assert distribution_arn(Scope("123456789012", REGION, SAMPLE)) == arn
    assert distribution_arn(Scope("123456789012", REGION, arn)) == arn


# --- round trips on the moto server -------------------------------------------------------

ORIGIN = {"Id": "web", "DomainName": "web.s3.amazonaws.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
BEHAVIOR = {
    "TargetOriginId": "web",
    "ViewerProtocolPolicy": "redirect-to-https",
    "MinTTL": 0,
    "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
    "TrustedSigners": {"Enabled": False, "Quantity": 0},
}


def create(aws, reference="web", **extra) -> dict:
    config = {"CallerReference": reference, "Comment": "", "Enabled": True, "DefaultCacheBehavior": BEHAVIOR}
    config |= {"Origins": {"Quantity": 1, "Items": [ORIGIN]}} | extra
    return aws("cloudfront").create_distribution(DistributionConfig=config)["Distribution"]


def sample(relative: str, distribution_id: str) -> dict:
    return json.loads(json.dumps(load_event(relative)).replace(SAMPLE, distribution_id))


def deliver_v2(aws, arn: str, account_id: str) -> None:
    logs = aws("logs")
    logs.put_delivery_source(name="web-access", resourceArn=arn, logType="ACCESS_LOGS")
    group = f"arn:aws:logs:{REGION}:{account_id}:log-group:/cloudfront/web"
    configuration = {"destinationResourceArn": group}
    target = logs.put_delivery_destination(name="web-logs", deliveryDestinationConfiguration=configuration)
    logs.create_delivery(deliverySourceName="web-access", deliveryDestinationArn=target["deliveryDestination"]["arn"])


def mine(report):
    return [o for o in report.outcomes if o.control.id == CONTROL.id]


def test_round_trip_created_without_logging_then_logged_by_v2_and_legacy(aws, account_id):
    """CreateDistribution -> FAILED, no fix; a v2 delivery -> PASSED; legacy logging on another -> PASSED."""
    created = create(aws)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")  # ignored: no fix
    report = service.evaluate_event(sample("cloudtrail/cloudfront-CreateDistribution.json", created["Id"]))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(created["ARN"], Status.FAILED)]
    assert report.fixes_requested == []
    finding = findings_by_resource(aws)[(CONTROL.id, created["ARN"])]
    assert (
        finding["Compliance"]["Status"] == "FAILED" and finding["Resources"][0]["Type"] == "AwsCloudFrontDistribution"
    )

    deliver_v2(aws, created["ARN"], account_id)
    report = service.evaluate_event(sample("cloudtrail/cloudfront-UpdateDistribution.json", created["Id"]))
    assert [o.verdict.status for o in mine(report)] == [Status.PASSED]

    logged = create(aws, "logged", Logging={"Enabled": True, "IncludeCookies": False, "Bucket": "l.s3.amazonaws.com"})
    report = service.evaluate_event(sample("config/AWS-CloudFront-Distribution.json", logged["Id"]))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(logged["ARN"], Status.PASSED)]


def test_a_delivery_source_without_a_delivery_does_not_count(aws, account_id):
    created = create(aws)
    aws("logs").put_delivery_source(name="web-access", resourceArn=created["ARN"], logType="ACCESS_LOGS")
    [resource] = CONTROL.collect(aws, Scope(account_id, REGION))
    assert resource.state["v2"] is False


def test_distributions_are_judged_in_us_east_1_only(aws, account_id):
    create(aws)
    elsewhere = Clients("eu-west-1", config=NO_RETRY)
    assert CONTROL.collect(elsewhere, Scope(account_id, "eu-west-1")) == []
    assert len(CONTROL.collect(aws, Scope(account_id, REGION))) == 1


def test_a_distribution_gone_is_archived(aws, account_id):
    created = create(aws)
    service = make_service(account_id)
    service.evaluate_event(sample("cloudtrail/cloudfront-UpdateDistribution.json", created["Id"]))
    cloudfront = aws("cloudfront")
    config = cloudfront.get_distribution_config(Id=created["Id"])
    disabled = config["DistributionConfig"] | {"Enabled": False}
    etag = cloudfront.update_distribution(Id=created["Id"], IfMatch=config["ETag"], DistributionConfig=disabled)["ETag"]
    cloudfront.delete_distribution(Id=created["Id"], IfMatch=etag)
    report = service.evaluate_event(sample("cloudtrail/cloudfront-UpdateDistribution.json", created["Id"]))
    assert [(o.present, o.resource_id) for o in mine(report)] == [(False, created["ARN"])]
    assert findings_by_resource(aws)[(CONTROL.id, created["ARN"])]["RecordState"] == "ARCHIVED"
