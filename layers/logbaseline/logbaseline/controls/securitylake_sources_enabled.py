"""Where the organization uses Amazon Security Lake, its data lake in each covered region collects CloudTrail
management events, VPC flow logs and Route 53 Resolver query logs of every account, and keeps them between the
baseline's floor and ceiling: a source left out is a log the lake's queries and subscribers never see."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls._policies import COVERED_ACCOUNTS
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control, Parameter
from logbaseline.controls.logs_log_group_retention_bounded import CEILING, FLOOR
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, not_applicable, passed

SECURITY_LAKE_ACCOUNT = Parameter(
    "security_lake_account_id",
    "",
    "The account holding the organization's Amazon Security Lake data lakes (its delegated administrator, or the "
    "one account using it), 12 digits. Empty: Security Lake is not used, and the control is not available.",
)
# The AWS sources SEC04-BP01 names as the foundation: API activity, network flows, DNS queries (AwsLogSourceName).
REQUIRED = {
    "CLOUD_TRAIL_MGMT": "CloudTrail management events",
    "VPC_FLOW": "VPC flow logs",
    "ROUTE53": "Route 53 Resolver query logs",
}
NOT_ENABLED = "ResourceNotFoundException"  # ListLogSources in a region without a data lake


def data_lake_arn(scope: Scope) -> str:
    return f"arn:{partition(scope.region)}:securitylake:{scope.region}:{scope.account_id}:data-lake/default"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    lake_client = clients("securitylake")
    state: dict[str, Any] = {"account": scope.account_id, "lake": None, "sources": {}}
    lakes = lake_client.list_data_lakes(regions=[scope.region]).get("dataLakes", [])
    if lakes:
        lake = lakes[0]
        expiration = ((lake.get("lifecycleConfiguration") or {}).get("expiration") or {}).get("days")
        state["lake"] = {"status": lake.get("createStatus", ""), "expiration_days": expiration}
        try:
            for page in lake_client.get_paginator("list_log_sources").paginate(regions=[scope.region]):
                for row in page.get("sources", []):
                    names = {s["awsLogSource"]["sourceName"] for s in row.get("sources", []) if "awsLogSource" in s}
                    state["sources"].setdefault(row["account"], set()).update(names)
        except ClientError as error:  # the lake was deleted between the two reads
            if error.response.get("Error", {}).get("Code") != NOT_ENABLED:
                raise
            state["lake"] = None
    state["sources"] = {account: sorted(names) for account, names in state["sources"].items()}
    return [Resource(scope.account_id, scope.region, data_lake_arn(scope), state)]


def _accounts(state: Mapping[str, Any], covered: str) -> list[str]:
    """Who must be collected: the covered accounts when listed, else every account the lake knows, and its own."""
    listed = [a.strip() for a in covered.split(",") if a.strip().isdigit()]  # "organization": none listed
    return sorted({state["account"], *(listed or state["sources"])})


def elsewhere(scope: Scope, params: Mapping[str, Any]) -> str:
    """Security Lake is read in the lake's account only: none is used, or this is another account."""
    lake_account = params[SECURITY_LAKE_ACCOUNT.name]
    if not lake_account:
        return f"Security Lake is not used: {SECURITY_LAKE_ACCOUNT.unset()}"
    return (
        "" if scope.account_id == lake_account else f"Security Lake's sources are judged in its account {lake_account}"
    )


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    lake_account, state = params[SECURITY_LAKE_ACCOUNT.name], resource.state
    if not lake_account:
        return not_applicable(f"Security Lake is not used: {SECURITY_LAKE_ACCOUNT.unset()}")
    if resource.account_id != lake_account:
        return not_applicable(f"Security Lake's sources are judged in its account {lake_account}")
    if state["lake"] is None:
        return failed(f"Security Lake has no data lake in {resource.region}: none of its logs are collected here")
    gaps = []
    if state["lake"]["status"] != "COMPLETED":
        gaps.append(f"the data lake's creation is {state['lake']['status']}, not COMPLETED")
    for account in _accounts(state, params[COVERED_ACCOUNTS.name]):
        missing = [label for name, label in REQUIRED.items() if name not in state["sources"].get(account, [])]
        if missing:
            gaps.append(f"account {account} does not send {', '.join(missing)}")
    floor, ceiling, days = params[FLOOR.name], params[CEILING.name], state["lake"]["expiration_days"]
    if days is None:
        gaps.append(f"the lake never expires its data, beyond the ceiling of {ceiling} days")
    elif days < floor:
        gaps.append(f"the lake expires its data after {days} days, below the floor of {floor}")
    elif days > ceiling:
        gaps.append(f"the lake expires its data after {days} days, above the ceiling of {ceiling}")
    if gaps:
        return failed("; ".join(gaps))
    return passed(f"the data lake collects {', '.join(REQUIRED.values())} and keeps them {days} days")


CONTROL = Control(
    id="securitylake_sources_enabled",
    title="Security Lake collects trail, flow and query logs within the retention bounds",
    description=(
        "With security_lake_account_id set, the data lake of that account in each covered region is COMPLETED, "
        "collects CloudTrail management events, VPC flow logs and Route 53 Resolver query logs for every account "
        "(the covered accounts when listed, else every account the lake collects from, and its own), and expires "
        "its data between the retention floor and ceiling. Other accounts, or no parameter: NOT_AVAILABLE."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=data_lake_arn,
    remediation_text=(
        "In the Security Lake account (the delegated administrator), add the missing sources for the named "
        "accounts and region (CreateAwsLogSource with sourceName CLOUD_TRAIL_MGMT, VPC_FLOW or ROUTE53, and the "
        "accounts), create the data lake in a region that has none (CreateDataLake), and set its expiration "
        "between the floor and ceiling (UpdateDataLake, lifecycleConfiguration); for new accounts, auto-enable "
        "the sources (CreateDataLakeOrganizationConfiguration). Collecting sources is billed: logbaseline never "
        "does it."
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "securitylake.amazonaws.com",
            ("CreateDataLake", "UpdateDataLake", "DeleteDataLake", "CreateAwsLogSource", "DeleteAwsLogSource"),
            every_region=True,  # one call configures several regions
        ),
    ),
    parameters=(SECURITY_LAKE_ACCOUNT, COVERED_ACCOUNTS, FLOOR, CEILING),
    read_actions=("securitylake:ListDataLakes", "securitylake:ListLogSources"),
    inapplicable=elsewhere,
)
