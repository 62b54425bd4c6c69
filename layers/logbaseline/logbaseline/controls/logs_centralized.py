"""Each account's CloudTrail, VPC flow logs and Resolver query logs reach the log archive account: logs kept only
where they are made can be deleted or altered by whoever controls that account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._destinations import is_s3_arn
from logbaseline.controls._log_buckets import bucket_name
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, describe_trails
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control, Parameter
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, not_applicable, passed

LOG_ARCHIVE = Parameter(
    "log_archive_account_id",
    "",
    "The log archive account (12 digits) that every account's trail, flow and query logs must reach. Empty: the "
    "control is not available (NOT_AVAILABLE).",
)
CENTRAL, LOCAL = "central", "local"


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def _where(destination: str, own_buckets: set[str], account: str) -> str:
    """Whose is a destination: an ARN names its account, except an S3 one; a bucket of another account is taken to
    be the archive's (S3 tells no one else a bucket's owner: the archive account's own evaluation judges it)."""
    if is_s3_arn(destination) or not destination.startswith("arn:"):
        return LOCAL if bucket_name(destination) in own_buckets else CENTRAL
    owner = destination.split(":")[4]
    return LOCAL if owner in ("", account) else owner


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    own = {b["Name"] for page in clients("s3").get_paginator("list_buckets").paginate() for b in page["Buckets"]}
    me = scope.account_id
    trails = []
    for trail in describe_trails(clients):  # shadow copies: multi-region and organization trails record here too
        if trail.get("IsOrganizationTrail"):
            # Central by design; a member cannot read its status (CloudTrailARNInvalidException), and whether it
            # logs is cloudtrail_multi_region_logging's verdict.
            trails.append({"id": trail["Name"], "where": CENTRAL})
            continue
        status = clients("cloudtrail", trail["HomeRegion"]).get_trail_status(Name=trail["TrailARN"])
        if status.get("IsLogging") and trail.get("S3BucketName"):
            trails.append({"id": trail["Name"], "where": _where(trail["S3BucketName"], own, me)})
    flow_logs = []
    for page in clients("ec2").get_paginator("describe_flow_logs").paginate():
        for log in page["FlowLogs"]:
            # A log group by name only is the account's own; an ARN (S3, Firehose, a log group) names its account.
            destination = log.get("LogDestination", "")
            where = _where(destination, own, me) if destination.startswith("arn:") else LOCAL
            flow_logs.append({"id": f"{log['FlowLogId']} of {log['ResourceId']}", "where": where})
    pages = clients("route53resolver").get_paginator("list_resolver_query_log_configs").paginate()
    query_logs = [
        {"id": config["Id"], "where": _where(config.get("DestinationArn", ""), own, me)}
        for page in pages
        for config in page["ResolverQueryLogConfigs"]
        if config.get("OwnerId", me) == me  # one shared by the archive account is judged there
    ]
    state = {"trails": trails, "flow_logs": flow_logs, "query_logs": query_logs}
    return [Resource(scope.account_id, scope.region, account_id(scope), state)]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    archive = params[LOG_ARCHIVE.name]
    if not archive:
        return not_applicable(f"no log archive account is configured: {LOG_ARCHIVE.unset()}")
    if resource.account_id == archive:
        return passed("this is the log archive account: its logs are central where they are made")
    state, problems = resource.state, []

    def elsewhere(where: str) -> bool:
        return where in (CENTRAL, archive)

    if state["trails"] and not any(elsewhere(t["where"]) for t in state["trails"]):
        named = ", ".join(t["id"] for t in state["trails"])
        problems.append(f"CloudTrail logs only locally (trail {named})")
    for kind, label in (("flow_logs", "VPC flow log"), ("query_logs", "Resolver query log configuration")):
        for source in state[kind]:
            if not elsewhere(source["where"]):
                to = "this account" if source["where"] == LOCAL else f"account {source['where']}"
                problems.append(f"{label} {source['id']} logs to {to}, not the log archive {archive}")
    if problems:
        return failed("; ".join(problems))
    counted = sum(len(state[k]) for k in ("trails", "flow_logs", "query_logs"))
    return passed(f"all {counted} logging trails, flow logs and query log configurations reach another account")


CONTROL = Control(
    id="logs_centralized",
    title="Trail, flow and query logs reach the log archive account",
    description=(
        "With log_archive_account_id set, every account's logging trails (an organization trail counts), VPC flow "
        "logs and Route 53 Resolver query log configurations deliver to a destination in the log archive account; "
        "a source that logs only to its own account fails, named. A bucket of another account is taken as the "
        "archive's (S3 tells no other account a bucket's owner). Without the parameter: NOT_AVAILABLE."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "Deliver the named sources to the log archive account: an organization trail, and flow and query logs to "
        "its bucket (with a bucket policy for the organization's log delivery)."
    ),
    config_triggers=(ConfigTrigger("AWS::CloudTrail::Trail", None, every_region=True),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            TRAIL_EVENT_SOURCE,
            ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
            every_region=True,
        ),
        CloudTrailTrigger("ec2.amazonaws.com", ("CreateFlowLogs",)),
        CloudTrailTrigger("route53resolver.amazonaws.com", ("CreateResolverQueryLogConfig",)),
    ),
    parameters=(LOG_ARCHIVE,),
    read_actions=(
        "s3:ListAllMyBuckets",
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "ec2:DescribeFlowLogs",
        "route53resolver:ListResolverQueryLogConfigs",
    ),
)
