"""Every VPC's DNS queries are logged: the VPC is associated with a Route 53 Resolver query log configuration."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._destinations import LOG_GROUP_KMS_KEY, ensure_log_group
from logbaseline.controls._vpcs import read_vpcs, vpc_arn
from logbaseline.controls.base import (
    SEC04_BP01,
    Changes,
    CloudTrailTrigger,
    ConfigTrigger,
    Control,
    FixFailed,
    Parameter,
)
from logbaseline.controls.logs_log_group_retention_bounded import FLOOR, log_group_name
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

CONFIG_ID = Parameter("query_log_config_id", "", "Resolver query log configuration (rqlc-...) the fix associates.")
DESTINATION = Parameter(
    "query_log_destination_arn",
    "",
    "Without query_log_config_id: the S3 bucket, log group (created with the retention floor) or Firehose ARN, in the "
    "VPC's region, of the logbaseline-query-logs configuration the fix creates once. Both empty: no fix.",
)
CONFIG_NAME = "logbaseline-query-logs"
LOGGING = ("ACTIVE", "CREATING")  # association statuses that log, or are about to
USABLE = ("CREATED", "CREATING")  # configuration statuses a VPC can be associated with


def _list(clients: Clients, operation: str, **query: Any) -> list[dict[str, Any]]:
    key = "".join(word.title() for word in operation.split("_")[1:])  # list_resolver_x -> ResolverX
    return [i for page in clients("route53resolver").get_paginator(operation).paginate(**query) for i in page[key]]


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    vpcs = read_vpcs(clients, scope)
    if not vpcs:
        return []
    query = {"Filters": [{"Name": "ResourceId", "Values": list(vpcs)}]} if scope.resource_id else {}
    associations: dict[str, list[dict[str, Any]]] = {v: [] for v in vpcs}
    for a in _list(clients, "list_resolver_query_log_config_associations", **query):
        if a.get("ResourceId") in associations:
            error = a.get("ErrorMessage") or (a.get("Error") if a.get("Error") != "NONE" else None)
            associations[a["ResourceId"]].append(
                {"id": a["Id"], "config_id": a["ResolverQueryLogConfigId"], "status": a["Status"], "error": error}
            )
    arn = vpc_arn(Scope(scope.account_id, scope.region, "{}"))
    return [
        Resource(scope.account_id, scope.region, arn.format(v), {"vpc_id": v, "associations": a}, tags=vpcs[v])
        for v, a in associations.items()
    ]


def baseline_configs(clients: Clients, account_id: str) -> list[dict[str, Any]]:
    """The account's own configurations named like the one the fix creates (to re-use, never duplicate). Read
    by the fix only: an evaluation does not need them."""
    named = {"Filters": [{"Name": "Name", "Values": [CONFIG_NAME]}]}
    return [
        {"id": c["Id"], "destination": c.get("DestinationArn"), "status": c.get("Status")}
        for c in _list(clients, "list_resolver_query_log_configs", **named)
        if c.get("Name") == CONFIG_NAME and c.get("OwnerId", account_id) == account_id
    ]


def destination_kind(destination: str) -> str:
    """The kind of destination ARN the fix can use (s3, logs or firehose), or "" for anything else."""
    kinds = {":s3:::": "s3", ":log-group:": "logs", ":firehose:": "firehose"}
    return next((kind for mark, kind in kinds.items() if destination.startswith("arn:") and mark in destination), "")


def _fix_configured(params: Mapping[str, Any]) -> bool:
    return bool(params[CONFIG_ID.name]) or bool(destination_kind(params[DESTINATION.name]))


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    associations = resource.state["associations"]
    logging = [a for a in associations if a["status"] in LOGGING]
    if logging:
        return passed(f"DNS queries are logged through {logging[0]['config_id']} ({logging[0]['status']})")
    fixable = _fix_configured(params)
    blocked = "" if fixable else f"{CONFIG_ID.unset()}, and {DESTINATION.unset()} (an S3, log group or Firehose ARN)"
    if not associations:
        reason = "DNS queries are not logged: no Resolver query log configuration is associated"
        return failed(reason, fixable=fixable, blocked=blocked)
    problems = "; ".join(
        f"{a['config_id']}: {a['status']}" + (f" ({a['error']})" if a["error"] else "") for a in associations
    )
    return failed(f"no query log association is active ({problems})", fixable=fixable, blocked=blocked)


def _baseline_config(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> str:
    """The id of the logbaseline-query-logs configuration to the destination, created once if missing."""
    destination = params[DESTINATION.name].removesuffix(":*")
    kind = destination_kind(destination)
    if not kind:
        raise FixFailed("set query_log_config_id, or query_log_destination_arn to an S3, log group or Firehose ARN")
    existing = baseline_configs(changes.clients, resource.account_id)
    for config in existing:
        if config["destination"] == destination and config["status"] in USABLE:
            return config["id"]
    if existing:
        other = existing[0]
        raise FixFailed(
            f"{CONFIG_NAME} ({other['id']}) exists, {other['status']}, to {other['destination']}, not to {destination}"
        )
    if kind == "logs":
        if destination.split(":")[3:5] != [resource.region, resource.account_id]:
            raise FixFailed(f"log group {destination} is not in the VPC's region and account")
        ensure_log_group(changes, log_group_name(destination), params[FLOOR.name], params[LOG_GROUP_KMS_KEY.name])
    token = "logbaseline-" + hashlib.sha256(destination.encode()).hexdigest()[:32]  # retries create it only once
    request = {"Name": CONFIG_NAME, "DestinationArn": destination, "CreatorRequestId": token}
    created = changes.call("route53resolver", "create_resolver_query_log_config", **request)
    return created.get("ResolverQueryLogConfig", {}).get("Id", f"(the new {CONFIG_NAME})")


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    config_id = params[CONFIG_ID.name] or _baseline_config(changes, resource, params)
    for a in resource.state["associations"]:
        if a["config_id"] == config_id:
            raise FixFailed(f"association {a['id']} to {config_id} exists but is {a['status']}: {a['error']}")
    request = {"ResolverQueryLogConfigId": config_id, "ResourceId": resource.state["vpc_id"]}
    changes.call("route53resolver", "associate_resolver_query_log_config", **request)


RESOLVER = "route53resolver.amazonaws.com"
CONTROL = Control(
    id="vpc_dns_query_logging_enabled",
    title="VPCs log their DNS queries",
    description="Every VPC is associated with a Route 53 Resolver query log configuration (ACTIVE or CREATING).",
    severity=Severity.MEDIUM,
    resource_type="AwsEc2Vpc",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=vpc_arn,
    remediation_text="Associate the VPC with a Route 53 Resolver query log configuration.",
    config_triggers=(ConfigTrigger("AWS::EC2::VPC"),),
    cloudtrail_triggers=(
        CloudTrailTrigger("ec2.amazonaws.com", ("CreateVpc",), "responseElements.vpc.vpcId"),
        CloudTrailTrigger(
            RESOLVER,
            ("AssociateResolverQueryLogConfig", "DisassociateResolverQueryLogConfig"),
            "requestParameters.resourceId",
        ),
        # DeleteResolverQueryLogConfig names a configuration, not VPCs: re-evaluate every VPC of the region.
        CloudTrailTrigger(RESOLVER, ("DeleteResolverQueryLogConfig",)),
    ),
    parameters=(CONFIG_ID, DESTINATION, FLOOR, LOG_GROUP_KMS_KEY),
    read_actions=(
        "ec2:DescribeVpcs",
        "route53resolver:ListResolverQueryLogConfigAssociations",
        "route53resolver:ListResolverQueryLogConfigs",
        "logs:DescribeLogGroups",
    ),
    write_actions=(
        "route53resolver:AssociateResolverQueryLogConfig",
        "route53resolver:CreateResolverQueryLogConfig",
        "logs:CreateLogGroup",
        "logs:PutRetentionPolicy",
    ),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description=f"Associate the configured configuration, or {CONFIG_NAME} to the destination, created once.",
)
