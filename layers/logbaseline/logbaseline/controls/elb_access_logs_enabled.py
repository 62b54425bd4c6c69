"""Load balancers write access logs: Application, Network and Classic (Gateway Load Balancers have none)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import (
    SEC04_BP01,
    Changes,
    CloudTrailTrigger,
    ConfigTrigger,
    Control,
    FixFailed,
    Parameter,
)
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, not_applicable, passed

BUCKET = Parameter(
    "elb_access_log_bucket",
    "",
    "S3 bucket (name or arn:aws:s3:::name) the fix sends access logs to; its policy must let Elastic Load Balancing "
    "write to it. Empty: no fix.",
)
PREFIX = Parameter("elb_access_log_prefix", "elb-access-logs", "Key prefix of the access logs in that bucket.")
KINDS = {"application": "Application", "network": "Network", "gateway": "Gateway", "classic": "Classic"}
NLB_NOTE = " (a Network Load Balancer logs its TLS listeners only)"


def lb_arn(scope: Scope) -> str:
    """The ARN as given, or a Classic Load Balancer's ARN rebuilt from its name."""
    name = scope.resource_id or ""
    if name.startswith("arn:"):
        return name
    return f"arn:{partition(scope.region)}:elasticloadbalancing:{scope.region}:{scope.account_id}:loadbalancer/{name}"


def _v2(clients: Clients, query: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    elbv2 = clients("elbv2")
    try:
        pages = elbv2.get_paginator("describe_load_balancers").paginate(**query)
        balancers = [lb for page in pages for lb in page["LoadBalancers"]]
    except elbv2.exceptions.LoadBalancerNotFoundException:
        return []
    found = []
    for lb in balancers:
        state = {"kind": lb["Type"], "name": lb["LoadBalancerName"], "enabled": False, "bucket": "", "prefix": ""}
        if lb["Type"] != "gateway":
            response = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])
            attributes = {a["Key"]: a["Value"] for a in response["Attributes"]}
            state["enabled"] = attributes.get("access_logs.s3.enabled", "false") == "true"  # absent in the emulator
            state["bucket"] = attributes.get("access_logs.s3.bucket", "")
            state["prefix"] = attributes.get("access_logs.s3.prefix", "")
        found.append((lb["LoadBalancerArn"], state))
    return found


def _classic(clients: Clients, scope: Scope, names: list[str]) -> list[tuple[str, dict[str, Any]]]:
    elb = clients("elb")
    try:
        pages = elb.get_paginator("describe_load_balancers").paginate(**({"LoadBalancerNames": names} if names else {}))
        balancers = [lb["LoadBalancerName"] for page in pages for lb in page["LoadBalancerDescriptions"]]
    except elb.exceptions.AccessPointNotFoundException:
        return []
    found = []
    for name in balancers:
        attributes = elb.describe_load_balancer_attributes(LoadBalancerName=name)["LoadBalancerAttributes"]
        log = attributes.get("AccessLog", {})
        state = {"kind": "classic", "name": name, "enabled": bool(log.get("Enabled"))}
        state |= {"bucket": log.get("S3BucketName", ""), "prefix": log.get("S3BucketPrefix", "")}
        found.append((lb_arn(Scope(scope.account_id, scope.region, name)), state))
    return found


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    given = scope.resource_id or ""
    tail = given.split(":loadbalancer/", 1)[-1]  # app|net|gwy/NAME/ID for ELBv2, NAME for Classic
    if not given:
        found = _v2(clients, {}) + _classic(clients, scope, [])
    elif given.startswith("arn:") and "/" in tail:
        found = _v2(clients, {"LoadBalancerArns": [given]})
    elif given.startswith("arn:"):
        found = _classic(clients, scope, [tail])
    else:  # a bare name: either kind
        found = _v2(clients, {"Names": [given]}) + _classic(clients, scope, [given])
    return [
        Resource(scope.account_id, scope.region, arn, state, "AwsElbLoadBalancer" if state["kind"] == "classic" else "")
        for arn, state in found
    ]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"{KINDS.get(state['kind'], state['kind'])} Load Balancer {state['name']}"
    if state["kind"] == "gateway":
        return not_applicable(f"{label}: Gateway Load Balancers have no access logs")
    note = NLB_NOTE if state["kind"] == "network" else ""
    if state["enabled"]:
        return passed(f"{label} writes access logs to s3://{state['bucket']}/{state['prefix']}{note}")
    blocked = "" if params[BUCKET.name] else BUCKET.unset()
    return failed(f"{label} does not write access logs{note}", fixable=True, blocked=blocked)


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    state, bucket, prefix = resource.state, params[BUCKET.name].split(":::", 1)[-1], params[PREFIX.name]
    if not bucket:
        raise FixFailed("no elb_access_log_bucket is configured")
    if state["enabled"] or state["kind"] == "gateway":
        raise FixFailed(f"nothing to do: access logs are {'on' if state['enabled'] else 'not available'}")
    if state["kind"] == "classic":
        access_log = {"Enabled": True, "S3BucketName": bucket, "S3BucketPrefix": prefix}
        changes.call(
            "elb",
            "modify_load_balancer_attributes",
            LoadBalancerName=state["name"],
            LoadBalancerAttributes={"AccessLog": access_log},
        )
        return
    attributes = {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": bucket, "access_logs.s3.prefix": prefix}
    changes.call(
        "elbv2",
        "modify_load_balancer_attributes",
        LoadBalancerArn=resource.resource_id,
        Attributes=[{"Key": k, "Value": v} for k, v in attributes.items()],
    )


LB_ID = "responseElements.loadBalancers[].loadBalancerArn || requestParameters.loadBalancerArn"
CONTROL = Control(
    id="elb_access_logs_enabled",
    title="Load balancers write access logs",
    description=(
        "Application, Network and Classic Load Balancers write access logs to S3. Network Load Balancers log only "
        "their TLS listeners; Gateway Load Balancers have no access logs and are not judged. Classic Load Balancers' "
        "findings carry the AwsElbLoadBalancer type."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsElbv2LoadBalancer",
    related_requirements=(SEC04_BP01, "Security Hub ELB.5"),
    collect=collect,
    evaluate=evaluate,
    resource_id=lb_arn,
    remediation_text="Turn on access logs to an S3 bucket whose policy lets Elastic Load Balancing write to it.",
    config_triggers=(
        ConfigTrigger("AWS::ElasticLoadBalancingV2::LoadBalancer", "ARN || resourceId"),
        ConfigTrigger("AWS::ElasticLoadBalancing::LoadBalancer", "ARN || resourceId"),
    ),
    cloudtrail_triggers=(
        # ELBv2 (2015-12-01) names the load balancer by ARN, Classic (2012-06-01) by name; both share the source.
        CloudTrailTrigger(
            "elasticloadbalancing.amazonaws.com",
            ("CreateLoadBalancer", "ModifyLoadBalancerAttributes"),
            f"{LB_ID} || requestParameters.loadBalancerName",
        ),
    ),
    parameters=(BUCKET, PREFIX),
    read_actions=("elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes"),
    write_actions=("elasticloadbalancing:ModifyLoadBalancerAttributes",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description="Turn on access logs to the configured bucket and prefix; never turns access logs off.",
)
