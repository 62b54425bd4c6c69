"""Reading VPCs, shared by the VPC controls."""

from __future__ import annotations

from logbaseline.aws import Clients, partition
from logbaseline.models import Scope

VPC_ID = r"vpc-[0-9a-f]+"  # a flow log's resource may also be subnet-..., eni-..., tgw-..., tgw-attach-...
NOT_SUBNETS = "flow logs on its subnets or network interfaces do not count"
VPC_FLOW_LOGS_ONLY = (
    "Only a flow log on the VPC itself counts: flow logs on its subnets or network interfaces do not, even on every "
    "subnet, since a subnet added later would not be logged (as Security Hub EC2.6 judges). Events about flow logs "
    "of subnets, network interfaces and transit gateways are ignored (the routing logs why)."
)


def vpc_id(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]  # vpc-... or arn:aws:ec2:region:account:vpc/vpc-...


def vpc_arn(scope: Scope) -> str:
    return f"arn:{partition(scope.region)}:ec2:{scope.region}:{scope.account_id}:vpc/{vpc_id(scope.resource_id or '')}"


def read_vpcs(clients: Clients, scope: Scope) -> dict[str, dict[str, str]]:
    """VPC id -> its tags (EC2 returns them with the VPC, so the exemption tag needs no other read): the scope's
    VPC, or every VPC of the region. Both VPC controls make this same request, which an evaluation shares."""
    vpc_filter = {"Filters": [{"Name": "vpc-id", "Values": [vpc_id(scope.resource_id)]}]} if scope.resource_id else {}
    pages = clients("ec2").get_paginator("describe_vpcs").paginate(**vpc_filter)
    return {v["VpcId"]: {t["Key"]: t["Value"] for t in v.get("Tags", [])} for page in pages for v in page["Vpcs"]}
