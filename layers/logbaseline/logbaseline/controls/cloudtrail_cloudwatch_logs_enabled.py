"""A trail sends its events to CloudWatch Logs, and did so within the last day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, own_trails, read_trail, trail_arn
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

MAX_DELIVERY_AGE_HOURS = 24  # as CIS AWS Foundations: delivered within the last day


def _delivery(cloudtrail: Any, arn: str, now: datetime) -> dict[str, Any]:
    """The age of the last delivery to CloudWatch Logs, in hours (None: GetTrailStatus reports none)."""
    status = cloudtrail.get_trail_status(Name=arn)
    delivered = status.get("LatestCloudWatchLogsDeliveryTime")
    age = round(max((now - delivered).total_seconds(), 0) / 3600, 1) if isinstance(delivered, datetime) else None
    return {
        "delivery_age_hours": age,
        "delivery_error": status.get("LatestCloudWatchLogsDeliveryError") or None,
        "logging": bool(status.get("IsLogging")),
    }


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    now = datetime.now(UTC)
    resources = []
    for trail in own_trails(clients, scope):  # judged once, in the account and home region that own it
        group = trail.get("CloudWatchLogsLogGroupArn") or None
        state = {"name": trail["Name"], "log_group_arn": group}
        if group:
            delivery = read_trail(scope, trail, lambda t=trail: _delivery(clients("cloudtrail"), t["TrailARN"], now))
            if isinstance(delivery, Resource):
                resources.append(delivery)  # its status could not be read: its own read failure
                continue
            state |= delivery
        resources.append(Resource(scope.account_id, scope.region, trail["TrailARN"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    group = state["log_group_arn"]
    if not group:
        return failed("the trail does not send its events to CloudWatch Logs (no log group configured)")
    age = state["delivery_age_hours"]
    notes = "".join(
        [
            "" if state["logging"] else "; the trail is not logging",
            f"; last delivery error: {state['delivery_error']}" if state["delivery_error"] else "",
        ]
    )
    if age is None:
        # AWS omits LatestCloudWatchLogsDeliveryTime until the first delivery: no delivery is no delivery,
        # however new the trail is; the next evaluation (or the sweep) passes it once events arrive.
        return failed(
            f"the trail names log group {group} but has delivered nothing to it yet "
            f"(GetTrailStatus has no LatestCloudWatchLogsDeliveryTime){notes}"
        )
    if age > MAX_DELIVERY_AGE_HOURS:
        return failed(
            f"the last delivery to log group {group} was {age} hours ago, more than {MAX_DELIVERY_AGE_HOURS}{notes}"
        )
    return passed(f"the trail delivers to log group {group}; last delivery {age} hours ago")


CONTROL = Control(
    id="cloudtrail_cloudwatch_logs_enabled",
    title="CloudTrail trails deliver to CloudWatch Logs",
    description=(
        f"A trail sends its events to a CloudWatch Logs log group and delivered to it within the last "
        f"{MAX_DELIVERY_AGE_HOURS} hours, so metric filters and alarms can act on them in near real time."
    ),
    severity=Severity.LOW,
    resource_type="AwsCloudTrailTrail",
    related_requirements=(SEC04_BP01, "Security Hub CloudTrail.5", *cis(v14="3.4")),
    collect=collect,
    evaluate=evaluate,
    resource_id=trail_arn,
    remediation_text=(
        "Configure the trail to deliver to a CloudWatch Logs log group (with a delivery role CloudTrail can assume), "
        "then check that deliveries arrive and carry no error."
    ),
    config_triggers=(ConfigTrigger("AWS::CloudTrail::Trail", "ARN || resourceName"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(TRAIL_EVENT_SOURCE, ("CreateTrail", "UpdateTrail", "DeleteTrail"), "requestParameters.name"),
    ),
    read_actions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
    default_mode=Mode.OFF,
)
