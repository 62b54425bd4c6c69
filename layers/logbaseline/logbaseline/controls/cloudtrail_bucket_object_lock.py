"""Where the team asks for it, each trail's S3 bucket has Object Lock on with a default retention between the
baseline's floor and ceiling: a delivered log file cannot be deleted or overwritten, even by an administrator of
the account, until its retention ends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._log_buckets import TRAIL, LogBuckets, bucket_arn, bucket_name, bucket_resource, read
from logbaseline.controls._trails import TRAIL_BUCKET_TRIGGERS
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control, Parameter
from logbaseline.controls.logs_log_group_retention_bounded import CEILING, FLOOR
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, not_applicable, passed

OFF, GOVERNANCE, COMPLIANCE = "off", "GOVERNANCE", "COMPLIANCE"
OBJECT_LOCK = Parameter(
    "trail_bucket_object_lock",
    OFF,
    "The Object Lock the trail buckets must have: off (the control is not available), GOVERNANCE (governance or "
    "compliance mode) or COMPLIANCE (compliance mode only).",
    (OFF, GOVERNANCE, COMPLIANCE),
)
DAYS_PER_YEAR = 365  # S3 counts a retention year as 365 days (Object Lock user guide)


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    wanted = bucket_name(scope.resource_id) if scope.resource_id else None

    def state(name: str, trails: list[str]) -> dict[str, Any]:
        missing = ("ObjectLockConfigurationNotFoundError",)  # S3's answer for a bucket without Object Lock
        found = read(clients, "get_object_lock_configuration", missing, Bucket=name) or {}
        configuration = found.get("ObjectLockConfiguration") or {}
        retention = (configuration.get("Rule") or {}).get("DefaultRetention") or {}
        # AWS answers Days or Years, never both (each at least 1); moto answers both, the unset one 0.
        days = retention.get("Days") or (retention.get("Years") or 0) * DAYS_PER_YEAR or None
        return {
            "name": name,
            "trails": trails,
            "enabled": configuration.get("ObjectLockEnabled") == "Enabled",
            "mode": retention.get("Mode"),
            "days": days,
        }

    buckets = LogBuckets(clients, scope.region, scope.account_id)
    return [
        bucket_resource(scope, name, lambda name=name, trails=sources[TRAIL]: state(name, trails))
        for name, sources in buckets.sources(wanted, kinds=(TRAIL,)).items()
    ]


def not_required(scope: Scope, params: Mapping[str, Any]) -> str:
    return f"Object Lock is not required ({OBJECT_LOCK.name} is off)" if params[OBJECT_LOCK.name] == OFF else ""


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    wanted, state = params[OBJECT_LOCK.name], resource.state
    if wanted == OFF:
        return not_applicable(f"Object Lock is not required ({OBJECT_LOCK.name} is off)")
    of = f"the bucket of trail {', '.join(state['trails'])}"
    if not state["enabled"]:
        return failed(f"Object Lock is off: {of} lets anyone allowed to delete its log files do so")
    if state["mode"] is None or state["days"] is None:
        return failed(f"Object Lock is on but {of} has no default retention: new log files are not locked")
    if wanted == COMPLIANCE and state["mode"] != COMPLIANCE:
        return failed(f"{of} locks in {state['mode']} mode, which a permitted user can bypass; COMPLIANCE is required")
    floor, ceiling, days = params[FLOOR.name], params[CEILING.name], state["days"]
    if days < floor:
        return failed(f"{of} locks log files {days} days, below the floor of {floor}")
    if days > ceiling:
        return failed(f"{of} locks log files {days} days, above the ceiling of {ceiling}: they cannot be deleted")
    return passed(f"{of} locks log files {days} days in {state['mode']} mode")


CONTROL = Control(
    id="cloudtrail_bucket_object_lock",
    title="CloudTrail S3 buckets lock log files (Object Lock) within the retention bounds",
    description=(
        "Optional (trail_bucket_object_lock, off by default: NOT_AVAILABLE): the S3 bucket a trail delivers to has "
        "Object Lock on with a default retention in GOVERNANCE or COMPLIANCE mode (COMPLIANCE only, if so set) "
        "between the retention floor and ceiling. Judged in the account and region that own the bucket."
    ),
    severity=Severity.LOW,
    resource_type="AwsS3Bucket",
    related_requirements=(SEC04_BP01, "Security Hub S3.15"),
    collect=collect,
    evaluate=evaluate,
    resource_id=bucket_arn,
    remediation_text=(
        "Object Lock cannot be turned off again, and a COMPLIANCE retention cannot be shortened by anyone: the team "
        "decides. To lock: enable versioning and Object Lock on the trail bucket (PutObjectLockConfiguration with "
        "ObjectLockEnabled Enabled; or a new bucket created with Object Lock, then UpdateTrail to it), and set a "
        "default retention (Rule.DefaultRetention: Mode GOVERNANCE or COMPLIANCE, Days between the floor and "
        "ceiling). Test it on a copy first: a locked object is kept, and billed, until its retention ends."
    ),
    config_triggers=(ConfigTrigger("AWS::S3::Bucket"),),
    cloudtrail_triggers=(
        CloudTrailTrigger("s3.amazonaws.com", ("PutObjectLockConfiguration",), "requestParameters.bucketName"),
        *TRAIL_BUCKET_TRIGGERS,
    ),
    parameters=(OBJECT_LOCK, FLOOR, CEILING),
    inapplicable=not_required,
    read_actions=(
        "s3:ListAllMyBuckets",
        "cloudtrail:DescribeTrails",
        "s3:GetBucketPolicy",
        "s3:GetBucketObjectLockConfiguration",
    ),
)
