"""The S3 bucket of each trail records its own accesses in server access logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls._log_buckets import (
    ACCESS_LOG_BUCKET,
    ACCESS_LOG_PREFIX,
    TRAIL,
    LogBuckets,
    access_logging_verdict,
    bucket_arn,
    bucket_name,
    bucket_resource,
    enable_access_logging,
)
from logbaseline.controls._trails import TRAIL_BUCKET_TRIGGERS
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    wanted = bucket_name(scope.resource_id) if scope.resource_id else None
    buckets = LogBuckets(clients, scope.region, scope.account_id)
    # Only this account's buckets in this region: a central log bucket is judged by the account that owns it.
    return [
        bucket_resource(
            scope,
            name,
            lambda name=name, trails=sources[TRAIL]: {"name": name, "trails": trails, "logging": buckets.logging(name)},
        )
        for name, sources in buckets.sources(wanted, kinds=(TRAIL,)).items()
    ]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    return access_logging_verdict(resource.state, params)


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    enable_access_logging(changes, resource, params)


CONTROL = Control(
    id="cloudtrail_bucket_access_logging_enabled",
    title="CloudTrail S3 buckets have server access logging enabled",
    description=(
        "The S3 bucket a trail delivers to writes server access logs to another bucket, so every read "
        "or change of the trail's logs is itself recorded. Judged in the account and region that own the bucket."
    ),
    severity=Severity.LOW,
    resource_type="AwsS3Bucket",
    related_requirements=(SEC04_BP01, "Security Hub CloudTrail.7", *cis(v3="3.4", v14="3.6")),
    collect=collect,
    evaluate=evaluate,
    resource_id=bucket_arn,
    remediation_text="Turn on server access logging of the trail's bucket, to a separate access-log bucket.",
    config_triggers=(ConfigTrigger("AWS::S3::Bucket"),),
    cloudtrail_triggers=(
        CloudTrailTrigger("s3.amazonaws.com", ("PutBucketLogging",), "requestParameters.bucketName"),
        *TRAIL_BUCKET_TRIGGERS,
    ),
    parameters=(ACCESS_LOG_BUCKET, ACCESS_LOG_PREFIX),
    read_actions=("s3:ListAllMyBuckets", "cloudtrail:DescribeTrails", "s3:GetBucketPolicy", "s3:GetBucketLogging"),
    write_actions=("s3:PutBucketLogging",),
    remediate=remediate,
    default_mode=Mode.DRY_RUN,
    fix_description=(
        "PutBucketLogging to the configured access_log_bucket (date-partitioned under access_log_prefix) "
        "when logging is off; refuses to log a bucket into itself or to replace an existing target."
    ),
)
