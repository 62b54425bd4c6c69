"""A CloudFront distribution logs the requests it serves: standard logging (legacy, to S3), standard logging v2 (a
CloudWatch Logs delivery), or real-time logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# CloudFront is global: its calls are recorded, its v2 log deliveries made, and its distributions judged in us-east-1.
CLOUDFRONT_REGION = "us-east-1"


def distribution_arn(scope: Scope) -> str:
    """The finding's resource id: the ARN, from an ARN or a distribution id."""
    given = scope.resource_id or ""
    if given.startswith("arn:"):
        return given
    return f"arn:{partition(scope.region)}:cloudfront::{scope.account_id}:distribution/{given}"


def delivered(clients: Clients) -> set[str]:
    """The resource ARNs whose ACCESS_LOGS delivery source has a delivery (standard logging v2)."""
    logs = clients("logs")
    pages = logs.get_paginator("describe_delivery_sources").paginate()
    found = [source for page in pages for source in page.get("deliverySources", [])]
    sources = {s["name"]: s for s in found if s.get("logType") == "ACCESS_LOGS"}
    pages = logs.get_paginator("describe_deliveries").paginate()
    used = {d["deliverySourceName"] for page in pages for d in page.get("deliveries", [])}
    return {arn for name in used & set(sources) for arn in sources[name].get("resourceArns", [])}


def realtime(config: Mapping[str, Any]) -> list[str]:
    """The real-time log configurations of the default and the other cache behaviors."""
    behaviors = [config.get("DefaultCacheBehavior") or {}, *((config.get("CacheBehaviors") or {}).get("Items") or [])]
    return sorted({b["RealtimeLogConfigArn"] for b in behaviors if b.get("RealtimeLogConfigArn")})


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    if scope.region != CLOUDFRONT_REGION:
        return []
    cloudfront = clients("cloudfront")
    pages = cloudfront.get_paginator("list_distributions").paginate()
    summaries = [d for page in pages for d in (page.get("DistributionList") or {}).get("Items") or []]
    given = scope.resource_id
    summaries = [d for d in summaries if not given or given in (d["Id"], d["ARN"])]
    v2 = delivered(clients) if summaries else set()
    resources = []
    for summary in summaries:
        try:
            config = cloudfront.get_distribution_config(Id=summary["Id"])["DistributionConfig"]
        except cloudfront.exceptions.NoSuchDistribution:
            continue  # deleted since the listing
        legacy = config.get("Logging") or {}
        state = {
            "id": summary["Id"],
            "domain": summary.get("DomainName", ""),
            "bucket": legacy.get("Bucket", "") if legacy.get("Enabled") else "",
            "v2": summary["ARN"] in v2,
            "realtime": realtime(config),
        }
        resources.append(Resource(scope.account_id, scope.region, summary["ARN"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"distribution {state['id']} ({state['domain']})"
    kinds = [f"standard logging to {state['bucket']}"] if state["bucket"] else []
    kinds += ["standard logging v2 (a log delivery)"] if state["v2"] else []
    kinds += [f"real-time logs to {', '.join(state['realtime'])}"] if state["realtime"] else []
    if kinds:
        return passed(f"{label} has {'; '.join(kinds)}")
    return failed(f"{label} has no standard or real-time logging: the requests it serves are not logged")


CONTROL = Control(
    id="cloudfront_distribution_logging_enabled",
    title="CloudFront distributions log the requests they serve",
    description=(
        "A CloudFront distribution has standard logging (legacy, to S3), a standard logging v2 delivery (CloudWatch "
        "Logs, S3 or Firehose) or real-time logs. Judged in us-east-1, where CloudFront records its calls; a change "
        "to a v2 delivery is caught by the drift sweep."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsCloudFrontDistribution",
    related_requirements=(SEC04_BP01, "Security Hub CloudFront.5"),
    collect=collect,
    evaluate=evaluate,
    resource_id=distribution_arn,
    remediation_text=(
        "Turn on standard logging for the distribution (to a CloudWatch Logs, S3 or Firehose destination of your "
        "choice) or attach a real-time log configuration. The destination's retention is judged by the retention "
        "and lifecycle controls."
    ),
    config_triggers=(ConfigTrigger("AWS::CloudFront::Distribution", "ARN || resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "cloudfront.amazonaws.com",
            ("CreateDistribution", "CreateDistributionWithTags", "UpdateDistribution"),
            "responseElements.distribution.aRN || requestParameters.id",
        ),
    ),
    read_actions=(
        "cloudfront:ListDistributions",
        "cloudfront:GetDistributionConfig",
        "logs:DescribeDeliverySources",
        "logs:DescribeDeliveries",
    ),
    default_mode=Mode.OFF,
    fix_description="none: the destination and the fields to log are for a person to choose.",
)
