"""securityhub_enabled: the pure verdict, no fix, and round trips on moto (enabled, standalone, a member of an
administrator through the organization, disabled)."""

from __future__ import annotations

import boto3
import pytest
from logbaseline.aws import Clients
from logbaseline.controls.securityhub_enabled import ADMINISTRATOR, CONTROL
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

ME, ADMIN, OTHER = "123456789012", "111122223333", "444455556666"


def account(enabled=True, administrator=None, status=None, has_members=False, me=ME) -> Resource:
    state = {"account": me, "enabled": enabled}
    if enabled:
        hub = f"arn:aws:securityhub:{REGION}:{me}:hub/default"
        state |= {"hub": hub, "administrator": administrator, "member_status": status, "has_members": has_members}
    return Resource(me, REGION, f"AWS::::Account:{me}", state)


@pytest.mark.parametrize(
    ("resource", "wanted", "status", "phrase"),
    [
        (account(enabled=False), "", Status.FAILED, "Security Hub is not enabled in this region"),
        (account(enabled=False), ADMIN, Status.FAILED, "cannot take: it is in logbaseline's report"),
        (account(), "", Status.FAILED, "not a member of a Security Hub administrator"),
        (account(administrator=ADMIN, status="Enabled"), "", Status.PASSED, f"a member of administrator {ADMIN}"),
        (account(administrator=ADMIN, status="ENABLED"), ADMIN, Status.PASSED, "a member"),  # moto's spelling
        (account(administrator=ADMIN, status="Invited"), "", Status.FAILED, "is Invited, not Enabled"),
        (account(administrator=ADMIN, status="Resigned"), ADMIN, Status.FAILED, "is Resigned, not Enabled"),
        (account(administrator=OTHER, status="Enabled"), ADMIN, Status.FAILED, f"is {OTHER}, not {ADMIN}"),
        (account(has_members=True), "", Status.PASSED, "this account is the Security Hub administrator"),
        (account(me=ADMIN), ADMIN, Status.PASSED, "this account is the Security Hub administrator"),
        (account(has_members=True), ADMIN, Status.FAILED, "not a member"),  # an administrator, but not the one
    ],
)
def test_evaluate(resource, wanted, status, phrase):
    verdict = CONTROL.evaluate(resource, {ADMINISTRATOR.name: wanted})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_no_fix_and_the_steps_in_the_finding():
    assert (CONTROL.remediate, CONTROL.write_actions, CONTROL.default_mode) == (None, (), Mode.OFF)
    for step in ("EnableOrganizationAdminAccount", "UpdateOrganizationConfiguration", "AcceptAdministratorInvitation"):
        assert step in CONTROL.remediation_text


# --- round trips on the moto server -------------------------------------------------------------------------------


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_a_standalone_account_fails_with_no_fix(aws, account_id):
    """The emulator's account has Security Hub on (the fixture enables it) and no administrator."""
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")  # no fix exists anyway
    report = service.evaluate_event(load_event("cloudtrail/securityhub-EnableSecurityHub.json"))
    [outcome] = mine(report)
    resource_id = f"AWS::::Account:{account_id}"
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (resource_id, Status.FAILED, False)
    assert outcome.resource.state["hub"] == f"arn:aws:securityhub:{REGION}:{account_id}:hub/default"
    finding = findings_by_resource(aws)[(CONTROL.id, resource_id)]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "MEDIUM")
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []


def test_round_trip_disabled_is_read_as_disabled(aws, account_id):
    """DescribeHub's InvalidAccessException is "not enabled", not a read failure."""
    aws("securityhub").disable_security_hub()
    [resource] = CONTROL.collect(Clients(REGION, config=NO_RETRY), Scope(account_id, REGION))
    assert resource.state == {"account": account_id, "enabled": False}
    assert "not enabled" in CONTROL.evaluate(resource, {ADMINISTRATOR.name: ""}).reason


def test_round_trip_a_member_of_the_organization_administrator_passes(aws, account_id):
    """The management account designates an administrator; a member account then reports it, Enabled."""
    organizations = aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    created = organizations.create_account(AccountName="security", Email="security@example.com")
    admin = created["CreateAccountStatus"]["AccountId"]
    member = organizations.create_account(AccountName="app", Email="app@example.com")["CreateAccountStatus"]
    aws("securityhub").enable_organization_admin_account(AdminAccountId=admin)
    # The member's view: assume a role into it (moto partitions resources per account).
    credentials = aws("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member['AccountId']}:role/OrganizationAccountAccessRole", RoleSessionName="check"
    )["Credentials"]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )
    clients = Clients(REGION, session, NO_RETRY)
    clients("securityhub").enable_security_hub(EnableDefaultStandards=False)
    [resource] = CONTROL.collect(clients, Scope(member["AccountId"], REGION))
    assert (resource.state["administrator"], resource.state["member_status"]) == (admin, "ENABLED")
    verdict = CONTROL.evaluate(resource, {ADMINISTRATOR.name: admin})
    assert verdict.status is Status.PASSED and admin in verdict.reason
