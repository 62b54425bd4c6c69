"""A log bucket deletes or archives its logs between the retention floor and ceiling: neither forever nor too soon."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._log_buckets import (
    ALL_SOURCE_ACTIONS,
    LOG_DESTINATION_TRIGGERS,
    LogBuckets,
    bucket_arn,
    bucket_name,
    bucket_resource,
    describe_sources,
    read,
)
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control, FixFailed
from logbaseline.controls.logs_log_group_retention_bounded import CEILING, FLOOR
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# Archive classes that also take objects under 128 KB (most log files), given varies_by_storage_class.
ARCHIVES = ("GLACIER", "DEEP_ARCHIVE")
SMALL_OBJECTS_MOVE = "varies_by_storage_class"
FIX_RULE_ID = "logbaseline-archive-logs"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    wanted = bucket_name(scope.resource_id) if scope.resource_id else None

    def state(name: str, sources: dict[str, list[str]]) -> dict[str, Any]:
        found = read(clients, "get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",), Bucket=name)
        lifecycle = None
        if found is not None:
            lifecycle = {
                "rules": found.get("Rules", []),
                "minimum_size": found.get("TransitionDefaultMinimumObjectSize"),
            }
        return {"name": name, "sources": sources, "lifecycle": lifecycle}

    return [
        bucket_resource(scope, name, lambda name=name, sources=sources: state(name, sources))
        for name, sources in LogBuckets(clients, scope.region, scope.account_id).sources(wanted).items()
    ]


def _applies_to_logs(rule: Mapping[str, Any]) -> bool:
    """Enabled, and not limited to tagged objects (services write their logs untagged)."""
    where = rule.get("Filter") or {}
    return rule.get("Status") == "Enabled" and "Tag" not in where and not (where.get("And") or {}).get("Tags")


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    floor, ceiling = params[FLOOR.name], params[CEILING.name]
    lifecycle = resource.state["lifecycle"]
    logs_of = describe_sources(resource.state["sources"])
    if lifecycle is None:
        return failed(f"no lifecycle configuration: logs are kept forever (log bucket of {logs_of})", fixable=True)
    rules = [rule for rule in lifecycle["rules"] if _applies_to_logs(rule)]
    if not rules:
        return failed(f"no enabled lifecycle rule applies to the logs: kept forever (log bucket of {logs_of})")
    deletes: list[tuple[int, str]] = []
    archives: list[tuple[int, str]] = []
    for rule in rules:
        rule_id, expiration = rule.get("ID", "(no id)"), rule.get("Expiration") or {}
        days = expiration.get("Days")
        if expiration.get("Date"):
            return failed(f"rule {rule_id} deletes every object on {expiration['Date']:%Y-%m-%d}, whatever its age")
        if days is not None and days < floor:
            return failed(f"rule {rule_id} deletes logs after {days} days: too soon, below the floor of {floor}")
        if days is not None:
            deletes.append((days, f"rule {rule_id} deletes logs after {days} days"))
        archives += [
            (step["Days"], f"rule {rule_id} archives logs to {step['StorageClass']} after {step['Days']} days")
            for step in rule.get("Transitions") or []
            if step.get("StorageClass") in ARCHIVES and step.get("Days") is not None
        ]
    small_move = lifecycle["minimum_size"] == SMALL_OBJECTS_MOVE
    within = sorted(bound for bound in deletes + (archives if small_move else []) if bound[0] <= ceiling)
    if within:
        return passed(f"{within[0][1]}, within the ceiling of {ceiling} days")
    why = ""
    if archives and not small_move:
        why = (
            f"; transitions skip objects under 128 KB (TransitionDefaultMinimumObjectSize {lifecycle['minimum_size']})"
        )
    return failed(
        f"no lifecycle rule deletes or archives logs within the ceiling of {ceiling} days: kept too long{why}"
    )


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    # PutBucketLifecycleConfiguration replaces the whole configuration: only ever called on a bucket with none.
    if resource.state["lifecycle"] is not None:
        raise FixFailed("refused: the bucket has a lifecycle configuration, which the fix would replace whole")
    rule = {
        "ID": FIX_RULE_ID,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Transitions": [{"Days": params[FLOOR.name], "StorageClass": "GLACIER"}],
    }
    changes.call(
        "s3",
        "put_bucket_lifecycle_configuration",
        Bucket=resource.state["name"],
        ExpectedBucketOwner=resource.account_id,
        TransitionDefaultMinimumObjectSize=SMALL_OBJECTS_MOVE,  # small log files are archived too
        LifecycleConfiguration={"Rules": [rule]},
    )


CONTROL = Control(
    id="s3_log_bucket_lifecycle_bounded",
    title="S3 log buckets delete or archive logs between a floor and a ceiling",
    description=(
        "Every bucket that receives logs (from trails, VPC flow logs, WAF web ACLs, load balancers, Route 53 "
        "Resolver query logs, Redshift audit logs, Network Firewall logs or other buckets' server access logs) "
        "has an enabled lifecycle rule that deletes or archives (to Glacier Flexible Retrieval or Deep Archive) its "
        "objects no later than the ceiling, and no rule deletes them before the floor. Logs kept forever are an "
        "anti-pattern of SEC04-BP01."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsS3Bucket",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=bucket_arn,
    remediation_text=(
        "Add a lifecycle rule that archives or deletes log objects between the floor and the ceiling; "
        "lengthen a rule that deletes them before the floor."
    ),
    config_triggers=(ConfigTrigger("AWS::S3::Bucket"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "s3.amazonaws.com", ("PutBucketLifecycle", "DeleteBucketLifecycle"), "requestParameters.bucketName"
        ),
        # The target becomes a log bucket. Logging turned off names no target: the logged bucket is judged
        # instead (the search s3_bucket_server_access_logging_enabled makes for it too, so the reads are shared).
        # The former target keeps its last finding: the drift sweep re-judges it while it is still a log bucket,
        # and an event about it archives it once it is not.
        CloudTrailTrigger(
            "s3.amazonaws.com",
            ("PutBucketLogging",),
            "requestParameters.BucketLoggingStatus.LoggingEnabled.TargetBucket || requestParameters.bucketName",
        ),
        *LOG_DESTINATION_TRIGGERS,
    ),
    parameters=(FLOOR, CEILING),
    read_actions=(*ALL_SOURCE_ACTIONS, "s3:GetLifecycleConfiguration"),
    write_actions=("s3:PutLifecycleConfiguration",),
    remediate=remediate,
    default_mode=Mode.DRY_RUN,
    fix_description=(
        "Opt-in: only on a bucket with no lifecycle configuration at all, add one rule that archives every "
        "object to Glacier Flexible Retrieval at the floor (small objects included); never deletes or shortens."
    ),
)
