"""A Route 53 public hosted zone logs the DNS queries it answers (query logging to CloudWatch Logs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# Route 53 is global: its calls are recorded, and its hosted zones judged, in us-east-1.
ROUTE53_REGION = "us-east-1"
ROUTE53_EVENT_SOURCE = "route53.amazonaws.com"


def zone_id(value: str) -> str:
    """Z0123 from Z0123, /hostedzone/Z0123 (as the API and CloudTrail give it) or the zone's ARN."""
    return value.rsplit("/", 1)[-1]


def zone_arn(scope: Scope) -> str:
    return f"arn:{partition(scope.region)}:route53:::hostedzone/{zone_id(scope.resource_id or '')}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    if scope.region != ROUTE53_REGION:
        return []
    route53 = clients("route53")
    pages = route53.get_paginator("list_hosted_zones").paginate()
    zones = [z for page in pages for z in page["HostedZones"] if not (z.get("Config") or {}).get("PrivateZone")]
    if scope.resource_id:
        zones = [z for z in zones if zone_id(z["Id"]) == zone_id(scope.resource_id)]
    if not zones:
        return []
    pages = route53.get_paginator("list_query_logging_configs").paginate()
    logging: dict[str, list[str]] = {}
    for config in (c for page in pages for c in page["QueryLoggingConfigs"]):
        logging.setdefault(zone_id(config["HostedZoneId"]), []).append(config["CloudWatchLogsLogGroupArn"])
    resources = []
    for zone in zones:
        found = zone_id(zone["Id"])
        state = {"id": found, "name": zone["Name"], "log_groups": sorted(logging.get(found, []))}
        arn = zone_arn(Scope(scope.account_id, scope.region, found))
        resources.append(Resource(scope.account_id, scope.region, arn, state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"public hosted zone {state['name']} ({state['id']})"
    if state["log_groups"]:
        return passed(f"{label} logs DNS queries to {', '.join(state['log_groups'])}")
    return failed(f"{label} has no query logging: the DNS queries it answers are not logged")


CONTROL = Control(
    id="route53_query_logging_enabled",
    title="Route 53 public hosted zones log DNS queries",
    description=(
        "A public hosted zone has a query logging configuration (to a CloudWatch Logs log group in us-east-1). "
        "Private zones are left to vpc_dns_query_logging_enabled (Resolver query logs of the VPCs that use them)."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsRoute53HostedZone",
    related_requirements=(SEC04_BP01, "Security Hub Route53.2"),
    collect=collect,
    evaluate=evaluate,
    resource_id=zone_arn,
    remediation_text=(
        "Create a query logging configuration for the zone (CreateQueryLoggingConfig) to a log group in us-east-1 "
        "whose resource policy lets route53.amazonaws.com write; logs_log_group_retention_bounded judges its retention."
    ),
    config_triggers=(ConfigTrigger("AWS::Route53::HostedZone", "resourceId"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            ROUTE53_EVENT_SOURCE,
            ("CreateHostedZone", "CreateQueryLoggingConfig"),
            "responseElements.hostedZone.id || requestParameters.hostedZoneId",
        ),
        # Names the configuration, not its zone: every public zone is re-judged.
        CloudTrailTrigger(ROUTE53_EVENT_SOURCE, ("DeleteQueryLoggingConfig",)),
    ),
    read_actions=("route53:ListHostedZones", "route53:ListQueryLoggingConfigs"),
    default_mode=Mode.OFF,
    fix_description="none: the log group and its resource policy for Route 53 are for a person to choose.",
)
