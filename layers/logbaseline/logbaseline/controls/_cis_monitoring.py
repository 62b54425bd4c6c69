"""The CIS AWS Foundations monitoring recommendations that Security Hub checks as CloudWatch.1 to CloudWatch.14:
each a metric filter on the CloudWatch Logs log group of a multi-region trail, and an alarm on its metric.

The patterns are copied as AWS publishes them, in each control's remediation steps, in the Security Hub user guide
"Security Hub CSPM controls for Amazon CloudWatch"
(https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html; its source,
awsdocs/aws-security-hub-user-guide, doc_source/cloudwatch-controls.md). Security Hub fails a control "if the exact
metric filters prescribed by CIS are not used": a filter counts here only when its pattern is the published one,
spacing and double quotes aside (CIS's own versions differ in both).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.controls.base import denied


@dataclass(frozen=True)
class MonitoringCheck:
    control: str  # Security Hub's control id
    metric: str  # the metric (and filter and alarm name suffix) the fix creates
    what: str
    pattern: str


def _any_event(*names: str) -> str:
    return " || ".join(f"($.eventName={name})" for name in names)


CHECKS: tuple[MonitoringCheck, ...] = (
    MonitoringCheck(
        "CloudWatch.1",
        "RootAccountUsage",
        'usage of the "root" user',
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}',
    ),
    MonitoringCheck(
        "CloudWatch.2",
        "UnauthorizedAPICalls",
        "unauthorized API calls",
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
    ),
    MonitoringCheck(
        "CloudWatch.3",
        "ConsoleSignInWithoutMFA",
        "Management Console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    ),
    MonitoringCheck(
        "CloudWatch.4",
        "IAMPolicyChanges",
        "IAM policy changes",
        "{"
        + _any_event(
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        )
        + "}",
    ),
    MonitoringCheck(
        "CloudWatch.5",
        "CloudTrailConfigurationChanges",
        "CloudTrail configuration changes",
        "{" + _any_event("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging") + "}",
    ),
    MonitoringCheck(
        "CloudWatch.6",
        "ConsoleAuthenticationFailures",
        "Management Console authentication failures",
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
    ),
    MonitoringCheck(
        "CloudWatch.7",
        "DisableOrDeleteCMK",
        "disabling or scheduled deletion of customer managed keys",
        "{($.eventSource=kms.amazonaws.com) && (" + _any_event("DisableKey", "ScheduleKeyDeletion") + ")}",
    ),
    MonitoringCheck(
        "CloudWatch.8",
        "S3BucketPolicyChanges",
        "S3 bucket policy changes",
        "{($.eventSource=s3.amazonaws.com) && ("
        + _any_event(
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        )
        + ")}",
    ),
    MonitoringCheck(
        "CloudWatch.9",
        "AWSConfigChanges",
        "AWS Config configuration changes",
        "{($.eventSource=config.amazonaws.com) && ("
        + _any_event(
            "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"
        )
        + ")}",
    ),
    MonitoringCheck(
        "CloudWatch.10",
        "SecurityGroupChanges",
        "security group changes",
        "{"
        + _any_event(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        )
        + "}",
    ),
    MonitoringCheck(
        "CloudWatch.11",
        "NACLChanges",
        "network access control list (NACL) changes",
        "{"
        + _any_event(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        )
        + "}",
    ),
    MonitoringCheck(
        "CloudWatch.12",
        "NetworkGatewayChanges",
        "network gateway changes",
        "{"
        + _any_event(
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        )
        + "}",
    ),
    MonitoringCheck(
        "CloudWatch.13",
        "RouteTableChanges",
        "route table changes",
        "{"
        + _any_event(
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        )
        + "}",
    ),
    MonitoringCheck(
        "CloudWatch.14",
        "VPCChanges",
        "VPC changes",
        "{"
        + _any_event(
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        )
        + "}",
    ),
)


def normalized(pattern: str) -> str:
    """A pattern without spacing or double quotes: CIS's published versions differ only in those."""
    return "".join(pattern.split()).replace('"', "")


def check_of(pattern: str) -> MonitoringCheck | None:
    """The check whose published pattern this is, if any."""
    wanted = normalized(pattern)
    return next((check for check in CHECKS if normalized(check.pattern) == wanted), None)


# --- reading a log group's filters and the alarms' topics, and judging them (pure) ---------------------


def metric_filters(logs: Any, group: str) -> list[dict[str, Any]]:
    pages = logs.get_paginator("describe_metric_filters").paginate(logGroupName=group)
    return [
        {"name": f["filterName"], "pattern": f.get("filterPattern", ""), "metrics": [
            f"{m['metricNamespace']}/{m['metricName']}" for m in f.get("metricTransformations", [])
        ]}
        for page in pages for f in page["metricFilters"]
    ]  # fmt: skip


def subscribers(sns: Any, topic: str) -> int | None:
    """Confirmed subscriptions (a pending one has no ARN yet); None: the topic's subscriptions cannot be read."""
    try:
        pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
        return sum(s["SubscriptionArn"].startswith("arn:") for page in pages for s in page["Subscriptions"])
    except ClientError as error:
        # SNS's denial is AuthorizationError (botocore's model), not one of the codes `denied` knows.
        if denied(error) or error.response.get("Error", {}).get("Code") in ("AuthorizationError", "NotFound"):
            return None
        raise


def _candidates(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Trails whose log group can carry the checks: logging all management events (read and write), as CIS asks."""
    return [t for t in state["trails"] if t["log_group"] and t["logging"] and t["management"] == ["read", "write"]]


def _gap(state: Mapping[str, Any], trail: Mapping[str, Any], check: MonitoringCheck) -> str:
    """What the check lacks on the trail's log group ("" when it has a filter and an alarm that notifies)."""
    metrics = [m for f in trail["filters"] if check_of(f["pattern"]) == check for m in f["metrics"]]
    if not metrics:
        return "no metric filter with the CIS pattern"
    alarms = [a for m in metrics for a in state["alarms"].get(m, [])]
    if not alarms:
        return "a metric filter but no alarm on its metric"
    topics = [t for a in alarms if a["enabled"] for t in a["actions"] if ":sns:" in t]
    counts = [state["subscribers"].get(t) for t in topics]
    if any(counts):
        return ""
    if None in counts:
        return "an alarm whose SNS topic's subscriptions cannot be read"
    return "an alarm, but none notifies an SNS topic with a confirmed subscriber"


def alerting_gaps(state: Mapping[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The candidate trail closest to complete (the fix's target) and, per check, its gap there."""
    best, best_gaps = None, {c.control: "no multi-region trail delivers to CloudWatch Logs" for c in CHECKS}
    for trail in sorted(_candidates(state), key=lambda t: t["arn"]):
        found = {c.control: gap for c in CHECKS if (gap := _gap(state, trail, c))}
        if best is None or len(found) < len(best_gaps):
            best, best_gaps = trail, found
    # A check met on any candidate is met (Security Hub passes it on any trail of the account).
    met = {c.control for t in _candidates(state) for c in CHECKS if not _gap(state, t, c)}
    return best, {control: gap for control, gap in best_gaps.items() if control not in met}
