"""The CIS monitoring checks (Security Hub CloudWatch.1-14) each have a metric filter on the log group of a
multi-region trail and an alarm on its metric that notifies an SNS topic with a subscriber: logs used for alerting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls import _cis_monitoring as cis
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, management_events, own_trails
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, Control, FixFailed, Parameter
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

TOPIC = Parameter(
    "security_alarm_topic_arn",
    "",
    "SNS topic (ARN) the alarms the fix creates notify; it needs a confirmed subscriber. Empty: no fix.",
)
NAMESPACE = "logbaseline/CISMonitoring"  # the fix's own metrics, apart from any the account already has


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def alarm_name(check: cis.MonitoringCheck) -> str:
    return f"logbaseline-{check.control}-{check.metric}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    trails = [t for t in own_trails(clients, Scope(scope.account_id, scope.region)) if t.get("IsMultiRegionTrail")]
    if not trails:
        return []  # as Security Hub: a multi-region trail is judged in its home region only
    cloudtrail, cloudwatch = clients("cloudtrail"), clients("cloudwatch")
    state: dict[str, Any] = {"trails": [], "alarms": {}, "subscribers": {}}
    for trail in trails:
        group = (trail.get("CloudWatchLogsLogGroupArn") or "").split(":")[6:7]
        state["trails"].append({
            "arn": trail["TrailARN"],
            "logging": bool(cloudtrail.get_trail_status(Name=trail["TrailARN"]).get("IsLogging")),
            "management": management_events(cloudtrail.get_event_selectors(TrailName=trail["TrailARN"])),
            "log_group": group[0] if group else None,
            "filters": cis.metric_filters(clients("logs"), group[0]) if group else [],
        })  # fmt: skip
    metrics = {m for t in state["trails"] for f in t["filters"] if cis.check_of(f["pattern"]) for m in f["metrics"]}
    for metric in sorted(metrics):
        namespace, name = metric.rsplit("/", 1)
        found = cloudwatch.describe_alarms_for_metric(MetricName=name, Namespace=namespace)["MetricAlarms"]
        state["alarms"][metric] = [
            {"name": a["AlarmName"], "enabled": a.get("ActionsEnabled", True), "actions": a.get("AlarmActions", [])}
            for a in found
        ]
    topics = {t for alarms in state["alarms"].values() for a in alarms for t in a["actions"] if ":sns:" in t}
    state["subscribers"] = {topic: cis.subscribers(clients("sns"), topic) for topic in sorted(topics)}
    names = [alarm_name(check) for check in cis.CHECKS]
    state["alarm_names"] = [a["AlarmName"] for a in cloudwatch.describe_alarms(AlarmNames=names)["MetricAlarms"]]
    return [Resource(scope.account_id, scope.region, account_id(scope), state)]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    trail, gaps = cis.alerting_gaps(resource.state)
    if trail is None:
        return failed(
            "no multi-region trail homed here delivers all management events to CloudWatch Logs while logging, "
            "so there is no log group for the CIS metric filters"
        )
    if not gaps:
        return passed(f"all {len(cis.CHECKS)} CIS monitoring checks have a metric filter and a notifying alarm")
    missing = "; ".join(f"{control} {gap}" for control, gap in gaps.items())
    configured, group = bool(params[TOPIC.name]), trail["log_group"]
    # Where logbaseline's own alarm exists already (its topic lost its subscriber, say), the fix has nothing to add.
    addable = [c for c in cis.CHECKS if c.control in gaps and alarm_name(c) not in resource.state["alarm_names"]]
    return failed(
        f"{len(gaps)} of {len(cis.CHECKS)} CIS monitoring checks lack alerting on log group {group}: {missing}",
        fixable=bool(addable),
        blocked="" if configured else TOPIC.unset(),
    )


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    topic = params[TOPIC.name]
    if not topic:
        raise FixFailed(f"no SNS topic configured ({TOPIC.name})")
    state = resource.state
    trail, gaps = cis.alerting_gaps(state)
    if trail is None or not gaps:
        raise FixFailed("refused: no log group to put the filters on" if trail is None else "nothing is missing")
    group = trail["log_group"]
    taken = {f["name"] for t in state["trails"] if t["log_group"] == group for f in t["filters"]}  # never replaced
    left = []
    for check in (c for c in cis.CHECKS if c.control in gaps):
        if alarm_name(check) in state["alarm_names"]:
            left.append(f"alarm {alarm_name(check)} exists and is left as it is")  # never changed
            continue
        metric = next((f["metrics"][0] for f in trail["filters"] if cis.check_of(f["pattern"]) == check), None)
        if not metric:
            name = f"logbaseline-{check.control}-{check.metric}"
            if name in taken:
                left.append(f"filter {name} exists with another pattern and is left as it is")
                continue
            transformation = {"metricName": check.metric, "metricNamespace": NAMESPACE, "metricValue": "1"}
            changes.call(
                "logs", "put_metric_filter", logGroupName=group, filterName=name,
                filterPattern=check.pattern, metricTransformations=[transformation],
            )  # fmt: skip
            metric = f"{NAMESPACE}/{check.metric}"
        namespace, metric_name = metric.rsplit("/", 1)
        changes.call(
            "cloudwatch", "put_metric_alarm", AlarmName=alarm_name(check),
            AlarmDescription=f"{check.control}: {check.what} (CIS monitoring), from log group {group}",
            ActionsEnabled=True, AlarmActions=[topic], MetricName=metric_name, Namespace=namespace,
            Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1.0,
            ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
        )  # fmt: skip
    if left:
        raise FixFailed("; ".join(left))


CONTROL = Control(
    id="cloudtrail_security_alarms",
    title="CloudTrail events raise the CIS monitoring alarms",
    description=(
        "Each CIS monitoring check that Security Hub runs as CloudWatch.1-14 (root use, unauthorized calls, sign-in "
        "without MFA, IAM policy, CloudTrail, Config, KMS, bucket policy and network changes) has a metric filter "
        "with the CIS pattern on the log group of a logging multi-region trail that records all management events, "
        "and an alarm on its metric that notifies an SNS topic with a confirmed subscriber."
    ),
    severity=Severity.LOW,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01, *(f"Security Hub {check.control}" for check in cis.CHECKS)),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "On the CloudWatch Logs log group of a logging multi-region trail, create each missing metric filter with the "
        "CIS pattern (Security Hub's CloudWatch controls list them) and an alarm (Sum >= 1 over 5 minutes) on its "
        "metric that notifies an SNS topic with a confirmed subscriber."
    ),
    # Alarm and subscription changes (CloudWatch, SNS) have no trigger: the scheduled sweep judges them.
    cloudtrail_triggers=(
        CloudTrailTrigger(TRAIL_EVENT_SOURCE, ("CreateTrail", "UpdateTrail", "DeleteTrail")),
        CloudTrailTrigger("logs.amazonaws.com", ("PutMetricFilter", "DeleteMetricFilter")),
    ),
    parameters=(TOPIC,),
    read_actions=(
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "logs:DescribeMetricFilters",
        "cloudwatch:DescribeAlarmsForMetric",
        "cloudwatch:DescribeAlarms",
        "sns:ListSubscriptionsByTopic",
    ),
    write_actions=("logs:PutMetricFilter", "cloudwatch:PutMetricAlarm"),
    remediate=remediate,
    default_mode=Mode.DRY_RUN,
    fix_description=(
        "PutMetricFilter with the CIS pattern where none exists, and PutMetricAlarm notifying the configured topic; "
        "never changes or deletes an existing filter or alarm."
    ),
)
