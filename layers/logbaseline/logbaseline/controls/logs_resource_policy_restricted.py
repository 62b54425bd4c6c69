"""CloudWatch Logs resource policies, of the account and of each log group, let no one outside the organization
write into its log groups: a `*` or a service principal without an organization or source-account condition lets
any account's deliveries (a confused deputy) add events to the logs a team investigates with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._policies import COVERED_ACCOUNTS, ORGANIZATION_ID, outside_grants
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, passed

LOGS_EVENT_SOURCE = "logs.amazonaws.com"


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def read_policies(clients: Clients, scope_name: str) -> list[dict[str, Any]]:
    """The region's resource policies of one scope: ACCOUNT ones (no resourceArn), or RESOURCE ones, each with the
    ARN of the log group it is attached to (DescribeResourcePolicies, policyScope)."""
    pages = clients("logs").get_paginator("describe_resource_policies").paginate(policyScope=scope_name)
    found = [p for page in pages for p in page.get("resourcePolicies", [])]
    # A resource-scoped policy names its log group; an answer without one is the account's (listed in the other).
    return [p for p in found if bool(p.get("resourceArn")) == (scope_name == "RESOURCE")]


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    policies = [
        {"name": p["policyName"], "log_group": p.get("resourceArn", ""), "document": p.get("policyDocument", "")}
        for scope_name in ("ACCOUNT", "RESOURCE")
        for p in read_policies(clients, scope_name)
    ]
    return [Resource(scope.account_id, scope.region, account_id(scope), {"policies": policies})]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    policies = resource.state["policies"]
    problems = []
    for policy in policies:
        where = f"the policy of log group {policy['log_group']}" if policy["log_group"] else "account policy"
        for problem in outside_grants(policy["document"], resource.account_id, params):
            problems.append(f"{where} {policy['name']}: {problem}")
    if problems:
        return failed("; ".join(problems))
    if not policies:
        return passed("no CloudWatch Logs resource policy in this region")
    grant = "policy grants" if len(policies) == 1 else "policies grant"
    return passed(f"{len(policies)} CloudWatch Logs resource {grant} no one outside the organization")


CONTROL = Control(
    id="logs_resource_policy_restricted",
    title="CloudWatch Logs resource policies grant no one outside the organization",
    description=(
        "Each CloudWatch Logs resource policy of the account (DescribeResourcePolicies) and of its log groups grants "
        "no * principal without an organization or account condition, no account that is not covered, and no "
        "service principal without an aws:SourceAccount or aws:SourceArn condition naming a covered account. "
        "Such a grant lets another account's deliveries write into the log groups."
    ),
    severity=Severity.HIGH,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "Hold each statement to the organization (aws:PrincipalOrgID), to covered accounts, or, for a service "
        "principal, to aws:SourceAccount or aws:SourceArn (PutResourcePolicy); no fix rewrites a policy."
    ),
    # The policies of every log group are read in one call: the account and region is judged as a whole.
    cloudtrail_triggers=(CloudTrailTrigger(LOGS_EVENT_SOURCE, ("PutResourcePolicy", "DeleteResourcePolicy")),),
    parameters=(ORGANIZATION_ID, COVERED_ACCOUNTS),
    read_actions=("logs:DescribeResourcePolicies",),
)
