"""S3 log buckets (or all buckets) record their own accesses in server access logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._log_buckets import (
    ACCESS_LOG,
    ACCESS_LOG_BUCKET,
    ACCESS_LOG_PREFIX,
    ALL_SOURCE_ACTIONS,
    LOG_DESTINATION_TRIGGERS,
    LogBuckets,
    access_logging_verdict,
    bucket_arn,
    bucket_name,
    bucket_resource,
    describe_sources,
    enable_access_logging,
)
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control, Parameter
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, not_applicable

SCOPE = Parameter(
    "access_logging_scope",
    "log-buckets",
    "Which buckets must have server access logging: log-buckets (those that receive logs) or all-buckets.",
    ("log-buckets", "all-buckets"),
)


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    # Every bucket of this account and region: which of them count depends on access_logging_scope.
    buckets = LogBuckets(clients, scope.region, scope.account_id)
    wanted = bucket_name(scope.resource_id) if scope.resource_id else None
    sources = buckets.sources(wanted)  # for one bucket, reading stops at the first source naming it
    if wanted is None:
        names = buckets.owned
    else:
        names = [wanted] if wanted in buckets.owned else []
    return [
        bucket_resource(
            scope,
            name,
            lambda name=name: {"name": name, "sources": sources.get(name, {}), "logging": buckets.logging(name)},
        )
        for name in names
    ]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    sources = resource.state["sources"]
    if set(sources) == {ACCESS_LOG}:
        # Logging its own log deliveries would need yet another bucket, and so on: access-log buckets end the chain.
        # Found only through the last kind of source searched: it receives no other logs (see LogBuckets.sources).
        found = describe_sources(sources)
        return not_applicable(
            f"it receives only server access logs (such as the {found}): access-log buckets are exempt"
        )
    if params[SCOPE.name] == "log-buckets" and not sources:
        return not_applicable("not a log bucket, and access_logging_scope is log-buckets")
    return access_logging_verdict(resource.state, params)


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    enable_access_logging(changes, resource, params)


CONTROL = Control(
    id="s3_bucket_server_access_logging_enabled",
    title="S3 log buckets have server access logging enabled",
    description=(
        "Every bucket that receives logs (or, with access_logging_scope all-buckets, every bucket) writes "
        "server access logs to another bucket. Buckets that only receive server access logs are exempt: "
        "logging them would need yet another bucket."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsS3Bucket",
    related_requirements=(SEC04_BP01, "Security Hub S3.9"),
    collect=collect,
    evaluate=evaluate,
    resource_id=bucket_arn,
    remediation_text="Turn on server access logging of the bucket, to a separate access-log bucket.",
    config_triggers=(ConfigTrigger("AWS::S3::Bucket"),),
    cloudtrail_triggers=(
        # The logged bucket, and its target, which becomes a log bucket (or stops being exempt).
        CloudTrailTrigger(
            "s3.amazonaws.com",
            ("PutBucketLogging",),
            "[requestParameters.bucketName, requestParameters.BucketLoggingStatus.LoggingEnabled.TargetBucket][?@]",
        ),
        *LOG_DESTINATION_TRIGGERS,
    ),
    parameters=(SCOPE, ACCESS_LOG_BUCKET, ACCESS_LOG_PREFIX),
    read_actions=ALL_SOURCE_ACTIONS,
    write_actions=("s3:PutBucketLogging",),
    remediate=remediate,
    default_mode=Mode.DRY_RUN,
    fix_description=(
        "PutBucketLogging to the configured access_log_bucket (date-partitioned under access_log_prefix) "
        "when logging is off; refuses to log a bucket into itself or to replace an existing target."
    ),
)
