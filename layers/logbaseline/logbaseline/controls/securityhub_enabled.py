"""Security Hub (CSPM) is enabled in the account and region, and the account is a member of the organization's
Security Hub administrator (or is it): the findings of every account, logbaseline's among them, reach one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control, Parameter
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

ADMINISTRATOR = Parameter(
    "securityhub_administrator_account_id",
    "",
    "Account id of the Security Hub (CSPM) administrator every covered account must be a member of (or be). "
    "Empty: any administrator will do, but each account must have one or be one.",
)
NOT_ENABLED = "InvalidAccessException"  # what Security Hub answers in an account and region where it is off


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    hub = clients("securityhub")
    state: dict[str, Any] = {"account": scope.account_id, "enabled": False}
    try:
        state |= {"enabled": True, "hub": hub.describe_hub()["HubArn"]}
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != NOT_ENABLED:
            raise
        return [Resource(scope.account_id, scope.region, account_id(scope), state)]
    administrator = hub.get_administrator_account().get("Administrator") or {}
    state["administrator"] = administrator.get("AccountId")
    state["member_status"] = administrator.get("MemberStatus")
    # An administrator lists its members; a member or a standalone account lists none.
    state["has_members"] = bool(hub.list_members(OnlyAssociated=True, MaxResults=1).get("Members"))
    return [Resource(scope.account_id, scope.region, account_id(scope), state)]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state, wanted = resource.state, params[ADMINISTRATOR.name]
    if not state["enabled"]:
        return failed(
            "Security Hub is not enabled in this region: no finding of this account and region is collected "
            "(this one included, which Security Hub cannot take: it is in logbaseline's report and logs)"
        )
    administrator, status = state["administrator"], (state["member_status"] or "").lower()
    if (wanted and state["account"] == wanted) or (not wanted and not administrator and state["has_members"]):
        return passed("Security Hub is enabled, and this account is the Security Hub administrator")
    if administrator and status == "enabled" and (not wanted or administrator == wanted):
        return passed(f"Security Hub is enabled, and this account is a member of administrator {administrator}")
    if administrator and status != "enabled":
        return failed(
            f"Security Hub is enabled, but the membership of administrator {administrator} is "
            f"{state['member_status']}, not Enabled: its findings do not reach the administrator"
        )
    if administrator:
        return failed(f"Security Hub's administrator is {administrator}, not {wanted} ({ADMINISTRATOR.name})")
    return failed(
        "Security Hub is enabled, but the account is not a member of a Security Hub administrator: its findings "
        "are seen only in this account"
    )


CONTROL = Control(
    id="securityhub_enabled",
    title="Security Hub is enabled and reports to the administrator",
    description=(
        "Security Hub (CSPM) is enabled in the account and region, and the account is a member of the "
        "organization's Security Hub administrator (or is the administrator), so findings are seen in one place."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "From the organization's management account, designate a Security Hub delegated administrator "
        "(EnableOrganizationAdminAccount), then in the administrator turn on central configuration or "
        "auto-enable (UpdateOrganizationConfiguration) so every account and region is enabled and a member; "
        "outside an organization, enable Security Hub (EnableSecurityHub) and accept the administrator's "
        "invitation (AcceptAdministratorInvitation). Enabling it is the organization's decision (it is billed): "
        "logbaseline never does."
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "securityhub.amazonaws.com",
            ("EnableSecurityHub", "DisableSecurityHub", "DisassociateFromAdministratorAccount"),
        ),
    ),
    parameters=(ADMINISTRATOR,),
    read_actions=("securityhub:DescribeHub", "securityhub:GetAdministratorAccount", "securityhub:ListMembers"),
    default_mode=Mode.OFF,
)
