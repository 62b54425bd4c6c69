"""s3_log_bucket_lifecycle_bounded: the pure verdict, the opt-in fix, and round trips on moto."""

from __future__ import annotations

from datetime import datetime

import pytest
from logbaseline.aws import Clients
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.s3_log_bucket_lifecycle_bounded import CONTROL
from logbaseline.engine import FixRequest, sweep_event
from logbaseline.models import Resource, Status

from tests.conftest import REGION, findings_by_resource, load_event, make_service

BUCKET = "org-cloudtrail-logs-123456789012"  # the bucket of the sample events
ARN = f"arn:aws:s3:::{BUCKET}"
DEFAULTS = {"retention_floor_days": 365, "retention_ceiling_days": 2557}
MOVES = "varies_by_storage_class"  # objects under 128 KB go to Glacier Flexible Retrieval / Deep Archive


def rule(id="r", status="Enabled", expire=None, archive=None, storage="GLACIER", filter=None) -> dict:
    found = {"ID": id, "Status": status, "Filter": filter or {"Prefix": ""}}
    if expire is not None:
        found["Expiration"] = {"Date": expire} if isinstance(expire, datetime) else {"Days": expire}
    if archive is not None:
        found["Transitions"] = [{"Days": archive, "StorageClass": storage}]
    return found


def bucket(*rules, minimum=MOVES, configured=True) -> Resource:
    lifecycle = {"rules": list(rules), "minimum_size": minimum} if configured else None
    state = {"name": BUCKET, "sources": {"trail": ["management-events"]}, "lifecycle": lifecycle}
    return Resource("123456789012", REGION, ARN, state)


@pytest.mark.parametrize(
    ("resource", "params", "status", "fixable", "phrase"),
    [
        (bucket(configured=False), {}, Status.FAILED, True, "no lifecycle configuration: logs are kept forever"),
        (bucket(), {}, Status.FAILED, False, "no enabled lifecycle rule applies to the logs: kept forever"),
        (bucket(rule(status="Disabled", expire=400)), {}, Status.FAILED, False, "kept forever"),
        (bucket(rule(expire=400, filter={"Tag": {"Key": "a", "Value": "b"}})), {}, Status.FAILED, False, "forever"),
        (bucket(rule(expire=7)), {}, Status.FAILED, False, "deletes logs after 7 days: too soon, below the floor"),
        (bucket(rule(expire=datetime(2027, 1, 1))), {}, Status.FAILED, False, "every object on 2027-01-01"),
        (bucket(rule(expire=365)), {}, Status.PASSED, False, "rule r deletes logs after 365 days, within the ceiling"),
        (bucket(rule(expire=2557, filter={"Prefix": "AWSLogs/"})), {}, Status.PASSED, False, "after 2557 days"),
        (bucket(rule(expire=3653)), {}, Status.FAILED, False, "within the ceiling of 2557 days: kept too long"),
        (bucket(rule(archive=30)), {}, Status.PASSED, False, "archives logs to GLACIER after 30 days"),
        (bucket(rule(archive=400, storage="DEEP_ARCHIVE")), {}, Status.PASSED, False, "to DEEP_ARCHIVE"),
        (bucket(rule(archive=30, storage="STANDARD_IA")), {}, Status.FAILED, False, "kept too long"),
        (bucket(rule(archive=30, storage="GLACIER_IR")), {}, Status.FAILED, False, "kept too long"),
        (bucket(rule(archive=30), minimum="all_storage_classes_128K"), {}, Status.FAILED, False, "under 128 KB"),
        (bucket(rule(archive=30, expire=3653)), {}, Status.PASSED, False, "archives"),  # archived, deleted later
        (bucket(rule(expire=400)), {"retention_floor_days": 731}, Status.FAILED, False, "below the floor of 731"),
        (bucket(rule(expire=3653)), {"retention_ceiling_days": 3653}, Status.PASSED, False, "ceiling of 3653"),
    ],
)
def test_evaluate(resource, params, status, fixable, phrase):
    """Kept forever, deleted too soon or kept too long fail; only 'no configuration at all' is fixable."""
    verdict = CONTROL.evaluate(resource, DEFAULTS | params)
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def test_remediate_adds_one_archive_rule_only_where_there_is_no_configuration():
    """One GLACIER transition at the floor, small objects included; never on an existing configuration."""
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, bucket(configured=False), DEFAULTS | {"retention_floor_days": 731})
    added = {"ID": "logbaseline-archive-logs", "Status": "Enabled", "Filter": {"Prefix": ""}}
    added["Transitions"] = [{"Days": 731, "StorageClass": "GLACIER"}]
    call = {"Bucket": BUCKET, "ExpectedBucketOwner": "123456789012", "TransitionDefaultMinimumObjectSize": MOVES}
    call["LifecycleConfiguration"] = {"Rules": [added]}
    assert changes.made == [Change("s3", "put_bucket_lifecycle_configuration", REGION, call)]
    for existing in (bucket(), bucket(rule(expire=7))):
        refused = Changes(Clients(REGION), dry_run=True)
        with pytest.raises(FixFailed, match="would replace whole"):
            CONTROL.remediate(refused, existing, DEFAULTS)
        assert refused.made == []


# --- round trips on the moto server -------------------------------------------------------


def seed_trail_bucket(aws, *rules) -> None:
    aws("s3").create_bucket(Bucket=BUCKET)
    aws("cloudtrail").create_trail(Name="management-events", S3BucketName=BUCKET, IsMultiRegionTrail=True)
    if rules:
        aws("s3").put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": list(rules)})


def service_with_queue(aws, account_id):
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    return service


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_deleted_too_soon_is_left_to_a_person(aws, account_id):
    """PutBucketLifecycle expiring after 7 days: FAILED, no fix request even in auto, the rule untouched."""
    seed_trail_bucket(aws, rule("expire-logs", expire=7))
    service = service_with_queue(aws, account_id)
    report = service.evaluate_event(load_event("cloudtrail/s3-PutBucketLifecycle.json"))
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (ARN, Status.FAILED, False)
    assert "too soon" in findings_by_resource(aws)[(CONTROL.id, ARN)]["ProductFields"]["logbaseline/Reason"]
    assert report.fixes_requested == []
    [forced] = service.fix(FixRequest(CONTROL.id, account_id, REGION, ARN))
    assert forced.fix is None
    assert aws("s3").get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"] == [rule("expire-logs", expire=7)]


def test_round_trip_opt_in_fix_archives_at_the_floor(aws, account_id):
    """DeleteBucketLifecycle -> FAILED -> opt-in fix -> one GLACIER rule at the floor; a repeat changes nothing.

    moto ignores TransitionDefaultMinimumObjectSize and always answers all_storage_classes_128K, so the
    re-read stays FAILED here ("applied, not verified"); with AWS's answer the same rules pass.
    """
    seed_trail_bucket(aws)
    service = service_with_queue(aws, account_id)
    [request] = service.evaluate_event(load_event("cloudtrail/s3-DeleteBucketLifecycle.json")).fixes_requested
    [result] = service.fix(request)
    assert "TransitionDefaultMinimumObjectSize=varies_by_storage_class" in result.fix["Changes"]
    assert result.fix["Outcome"] == "applied, not verified"  # the moto gap above
    [written] = aws("s3").get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert written == rule("logbaseline-archive-logs", archive=365)
    assert CONTROL.evaluate(bucket(written, minimum=MOVES), DEFAULTS).status is Status.PASSED  # AWS's answer

    [again] = service.fix(request)  # the bucket has a configuration now: never replaced
    assert again.fix is None
    assert aws("s3").get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"] == [written]


def test_round_trip_bounded_bucket_passes_and_other_buckets_are_not_judged(aws, account_id):
    """A trail bucket deleting after 400 days passes; a bucket that receives no logs has no finding."""
    seed_trail_bucket(aws, rule("expire", expire=400))
    aws("s3").create_bucket(Bucket="app-data")
    service = make_service(account_id)
    report = service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))
    assert [(o.resource_id, o.verdict.status) for o in mine(report)] == [(ARN, Status.PASSED)]
    assert (
        "deletes logs after 400 days"
        in findings_by_resource(aws)[(CONTROL.id, ARN)]["ProductFields"]["logbaseline/Reason"]
    )
    event = load_event("cloudtrail/s3-PutBucketLifecycle.json")
    event["detail"]["requestParameters"]["bucketName"] = "app-data"
    [gone] = mine(service.evaluate_event(event))
    assert (gone.present, gone.resource_id) == (False, "arn:aws:s3:::app-data")


def test_a_bucket_becoming_a_trails_destination_is_judged_at_once(aws, account_id):
    """CreateTrail to a bucket with no lifecycle: judged by this control on the event (before: at the next sweep)."""
    seed_trail_bucket(aws)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")  # no fix requests
    [outcome] = mine(service.evaluate_event(load_event("cloudtrail/cloudtrail-CreateTrail.json")))
    assert (outcome.resource_id, outcome.verdict.status) == (ARN, Status.FAILED)
    assert (
        "no lifecycle configuration"
        in findings_by_resource(aws)[(CONTROL.id, ARN)]["ProductFields"]["logbaseline/Reason"]
    )


def test_a_flow_log_to_another_accounts_bucket_archives_nothing(aws, account_id):
    """A central log bucket of another account is not this account's to judge: no finding, not even an archive."""
    event = load_event("cloudtrail/ec2-CreateFlowLogs-s3.json")
    assert mine(make_service(account_id).evaluate_event(event)) == []
    assert not [key for key in findings_by_resource(aws) if key[0] == CONTROL.id]


def test_a_waf_log_bucket_is_a_log_bucket(aws, account_id):
    """A bucket that only a web ACL logs to is judged (before, WAF was not among the log sources read)."""
    aws("s3").create_bucket(Bucket="aws-waf-logs-orders")
    wafv2 = aws("wafv2")
    acl = wafv2.create_web_acl(
        Name="orders",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "orders"},
    )["Summary"]
    wafv2.put_logging_configuration(
        LoggingConfiguration={"ResourceArn": acl["ARN"], "LogDestinationConfigs": ["arn:aws:s3:::aws-waf-logs-orders"]}
    )
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")  # no fix requests
    [outcome] = mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id])))
    assert (outcome.resource_id, outcome.verdict.status) == ("arn:aws:s3:::aws-waf-logs-orders", Status.FAILED)
    assert "WAF web ACL orders" in outcome.verdict.reason


def test_the_reason_names_the_soonest_rule_and_the_128_kb_note_only_where_it_applies():
    two = CONTROL.evaluate(bucket(rule("late", expire=500), rule("soon", expire=400)), DEFAULTS)
    assert two.reason == "rule soon deletes logs after 400 days, within the ceiling of 2557 days"
    late_archive = CONTROL.evaluate(bucket(rule(archive=3000)), DEFAULTS)  # small objects move too: no note
    assert (
        late_archive.reason
        == "no lifecycle rule deletes or archives logs within the ceiling of 2557 days: kept too long"
    )


def test_redshift_audit_and_firewall_log_buckets_are_log_buckets(aws, account_id):
    """A bucket only a Redshift cluster's audit logs or a firewall's logs reach is judged, and named by its source."""
    from tests.controls.test_networkfirewall_logging_enabled import create_firewall
    from tests.controls.test_redshift_audit_logging_enabled import create

    for name in ("redshift-audit-logs", f"firewall-logs-{account_id}"):
        aws("s3").create_bucket(Bucket=name)
    create(aws)
    aws("redshift").enable_logging(ClusterIdentifier="orders-dw", BucketName="redshift-audit-logs")
    arn = create_firewall(aws)
    flows = {
        "LogType": "FLOW",
        "LogDestinationType": "S3",
        "LogDestination": {"bucketName": f"firewall-logs-{account_id}"},
    }
    aws("network-firewall").update_logging_configuration(
        FirewallArn=arn, LoggingConfiguration={"LogDestinationConfigs": [flows]}
    )
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")  # no fix requests
    outcomes = {o.resource_id: o for o in mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id])))}
    assert set(outcomes) == {"arn:aws:s3:::redshift-audit-logs", f"arn:aws:s3:::firewall-logs-{account_id}"}
    assert "Redshift cluster orders-dw" in outcomes["arn:aws:s3:::redshift-audit-logs"].verdict.reason
    assert (
        "Network Firewall firewall edge-firewall" in outcomes[f"arn:aws:s3:::firewall-logs-{account_id}"].verdict.reason
    )

    # The firewall's logging moved to S3: its bucket is judged on the event, not at the next sweep.
    event = load_event("cloudtrail/network-firewall-UpdateLoggingConfiguration.json")
    [outcome] = mine(service.evaluate_event(event))
    assert (outcome.resource_id, outcome.verdict.status) == (f"arn:aws:s3:::firewall-logs-{account_id}", Status.FAILED)


def test_msk_broker_log_and_codebuild_log_buckets_are_log_buckets(aws, account_id):
    """A bucket only an MSK cluster's broker logs or a CodeBuild project's build logs reach is judged, and named by
    its source; a source with S3 logs off names no bucket."""
    from tests.controls.test_codebuild_project_logging_enabled import create_project
    from tests.controls.test_msk_broker_logging_enabled import create

    for name in ("msk-broker-logs", "build-logs", "unused-logs"):
        aws("s3").create_bucket(Bucket=name)
    create(aws, LoggingInfo={"BrokerLogs": {"S3": {"Enabled": True, "Bucket": "msk-broker-logs", "Prefix": "b/"}}})
    create(aws, "off-kafka", LoggingInfo={"BrokerLogs": {"S3": {"Enabled": False, "Bucket": "unused-logs"}}})
    create_project(aws, "orders-build", logsConfig={"s3Logs": {"status": "ENABLED", "location": "build-logs/orders"}})
    create_project(aws, "off-build", logsConfig={"s3Logs": {"status": "DISABLED", "location": "unused-logs/x"}})
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")  # no fix requests
    outcomes = {o.resource_id: o for o in mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id])))}
    assert set(outcomes) == {"arn:aws:s3:::msk-broker-logs", "arn:aws:s3:::build-logs"}
    assert "MSK cluster orders-kafka" in outcomes["arn:aws:s3:::msk-broker-logs"].verdict.reason
    assert "CodeBuild project orders-build" in outcomes["arn:aws:s3:::build-logs"].verdict.reason
