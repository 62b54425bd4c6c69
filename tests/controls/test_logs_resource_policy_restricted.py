"""logs_resource_policy_restricted: the verdict over account and log-group policies, the two reads, and a round trip
on moto (which ignores policyScope and resourceArn: docs/emulator-gaps.md; the log-group read runs on a stub that
holds botocore's shapes)."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber
from logbaseline.aws import Clients
from logbaseline.controls._policies import outside_grants
from logbaseline.controls.logs_resource_policy_restricted import CONTROL
from logbaseline.engine import sweep_event
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

ME, STRANGER, ORG = "123456789012", "999988887777", "o-a1b2c3d4e5"
GROUP_ARN = f"arn:aws:logs:{REGION}:{ME}:log-group:/aws/route53/example.com"
PARAMS = {"organization_id": ORG, "accounts": ""}


def document(principal, condition=None) -> str:
    statement = {"Sid": "Deliver", "Effect": "Allow", "Principal": principal, "Action": "logs:PutLogEvents"}
    statement["Resource"] = f"arn:aws:logs:{REGION}:{ME}:log-group:*"
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [statement | ({"Condition": condition} if condition else {})]}
    )


ROUTE53 = {"Service": "route53.amazonaws.com"}
HELD = document(ROUTE53, {"StringEquals": {"aws:SourceAccount": ME}})
OPEN = document(ROUTE53)


def account(*policies) -> Resource:
    listed = [{"name": name, "log_group": group, "document": doc} for name, group, doc in policies]
    return Resource(ME, REGION, f"AWS::::Account:{ME}", {"policies": listed})


@pytest.mark.parametrize(
    ("resource", "status", "phrase"),
    [
        (account(), Status.PASSED, "no CloudWatch Logs resource policy in this region"),
        (account(("r53", "", HELD)), Status.PASSED, "1 CloudWatch Logs resource policy grants no one outside"),
        (account(("r53", "", OPEN)), Status.FAILED, "account policy r53: statement Deliver grants route53.amazonaws"),
        (account(("r53", GROUP_ARN, OPEN)), Status.FAILED, f"the policy of log group {GROUP_ARN} r53: statement"),
        (account(("all", "", document("*"))), Status.FAILED, "grants everyone (*) without an organization"),
        (account(("org", "", document("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}}))), Status.PASSED, "1 "),
        (account(("x", "", document({"AWS": STRANGER}))), Status.FAILED, f"grants account {STRANGER}"),
        (account(("r53", "", HELD), ("all", GROUP_ARN, document("*"))), Status.FAILED, "log group"),
    ],
)
def test_evaluate(resource, status, phrase):
    verdict = CONTROL.evaluate(resource, PARAMS)
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_every_principal_of_every_statement_is_judged_after_one_that_passes():
    org_only = {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    grants = [
        {"Effect": "Deny", "Principal": "*", "Action": "logs:DeleteLogGroup"},
        {"Effect": "Allow", "Principal": "*", "Action": "logs:*", "Condition": org_only},
        {"Sid": "Both", "Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com", "AWS": STRANGER},
         "Action": "logs:PutLogEvents", "Condition": {"StringEquals": {"aws:SourceAccount": ME}}},
        {"Sid": "Mine", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{ME}:root", "111122223333"]},
         "Action": "logs:PutLogEvents"},
    ]  # fmt: skip
    assert outside_grants({"Statement": grants}, ME, PARAMS) == [
        f"statement Both grants account {STRANGER}, which is not covered",
        "statement Mine grants account 111122223333, which is not covered",
    ]


@pytest.mark.parametrize(
    ("source_arn", "inside"),
    [
        ("arn:aws:route53:::hostedzone/Z1", False),  # names no account
        (f"arn:aws:route53:{REGION}:{ME}", True),  # the account field is read wherever there is one
        (f"arn:aws:route53:{REGION}:{STRANGER}", False),
        (f"arn:aws:route53:{REGION}", False),  # too short to name one: a finding, not a crash
    ],
)
def test_a_source_arn_holds_a_service_grant_only_when_its_account_field_is_covered(source_arn, inside):
    held = {"StringEquals": {"aws:SourceArn": source_arn}}
    grant = {"Effect": "Allow", "Principal": ROUTE53, "Action": "logs:PutLogEvents", "Condition": held}
    assert (outside_grants({"Statement": [grant]}, ME, PARAMS) == []) is inside


@pytest.mark.parametrize(
    ("paths", "organization", "inside"),
    [
        ([f"{ORG}/r-ab12/ou-ab12-11111111/*"], ORG, True),
        ([f"{ORG}/r-ab12/*", "o-z9y8x7w6v5/r-cd34/*"], ORG, False),  # another organization's path too
        (["o-z9y8x7w6v5/r-cd34/*"], ORG, False),
        ([f"{ORG}/r-ab12/*"], "", False),  # the organization not named: it may be anyone's
    ],
)
def test_an_organization_path_holds_a_grant_only_inside_the_named_organization(paths, organization, inside):
    held = {"StringLike": {"aws:PrincipalOrgPaths": paths}}
    grant = {"Effect": "Allow", "Principal": "*", "Action": "logs:PutLogEvents", "Condition": held}
    params = PARAMS | {"organization_id": organization}
    assert (outside_grants({"Statement": [grant]}, ME, params) == []) is inside


@pytest.mark.parametrize(
    ("operator", "inside"),
    [
        ("StringEquals", True),
        ("ForAnyValue:StringEquals", True),  # false when the key is missing
        ("ForAllValues:StringEquals", False),  # true when the key is missing: a principal of no organization gets in
        ("StringEqualsIfExists", False),
        ("StringNotEquals", False),
    ],
)
def test_an_organization_condition_holds_a_grant_only_with_an_operator_a_missing_key_fails(operator, inside):
    grant = {"Effect": "Allow", "Principal": "*", "Action": "logs:PutLogEvents"}
    grant["Condition"] = {operator: {"aws:PrincipalOrgID": ORG}}
    assert (outside_grants({"Statement": [grant]}, ME, PARAMS) == []) is inside


def test_no_fix_and_mode_off():
    assert CONTROL.remediate is None and CONTROL.default_mode is Mode.OFF and CONTROL.write_actions == ()


class StubbedClients:
    """Clients whose logs client answers from botocore's Stubber: each request and response is checked against the
    service model, and the reads are exactly the ones expected, in order."""

    def __init__(self) -> None:
        self.clients = Clients(REGION, config=NO_RETRY)
        self.logs = self.clients("logs")
        self.stubber = Stubber(self.logs)

    def __call__(self, service: str, region: str | None = None):
        assert service == "logs"
        return self.logs


def test_collect_reads_the_account_policies_and_each_log_groups_policy():
    """ACCOUNT, then RESOURCE scope; an answer in the wrong scope (as moto gives) is not counted twice."""
    clients = StubbedClients()
    account_policy = {"policyName": "r53", "policyDocument": HELD, "policyScope": "ACCOUNT"}
    group_policy = {"policyName": "group", "policyDocument": OPEN, "policyScope": "RESOURCE"}
    group_policy |= {"resourceArn": GROUP_ARN, "revisionId": "1"}
    clients.stubber.add_response(
        "describe_resource_policies", {"resourcePolicies": [account_policy]}, {"policyScope": "ACCOUNT"}
    )
    clients.stubber.add_response(
        "describe_resource_policies", {"resourcePolicies": [group_policy, account_policy]}, {"policyScope": "RESOURCE"}
    )
    with clients.stubber:
        [resource] = CONTROL.collect(clients, Scope(ME, REGION))
    clients.stubber.assert_no_pending_responses()
    assert resource.resource_id == f"AWS::::Account:{ME}"
    assert resource.state["policies"] == [
        {"name": "r53", "log_group": "", "document": HELD},
        {"name": "group", "log_group": GROUP_ARN, "document": OPEN},
    ]
    verdict = CONTROL.evaluate(resource, PARAMS)
    assert verdict.status is Status.FAILED and f"log group {GROUP_ARN} group" in verdict.reason


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_an_unconditioned_service_grant_fails_then_passes_once_held(aws, account_id):
    """PutResourcePolicy (Route 53, no condition) -> FAILED, no fix; the policy held to the account -> PASSED."""
    aws("logs").put_resource_policy(policyName="route53-query-logging", policyDocument=OPEN.replace(ME, account_id))
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")
    report = service.evaluate_event(load_event("cloudtrail/logs-PutResourcePolicy.json"))
    [outcome] = mine(report)
    assert (outcome.verdict.status, outcome.resource_id) == (Status.FAILED, f"AWS::::Account:{account_id}")
    assert "route53.amazonaws.com without a covered aws:SourceAccount" in outcome.verdict.reason
    finding = findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "HIGH")
    assert report.fixes_requested == []

    aws("logs").put_resource_policy(policyName="route53-query-logging", policyDocument=HELD.replace(ME, account_id))
    [again] = mine(service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id])))
    assert again.verdict.status is Status.PASSED
    finding = findings_by_resource(aws)[(CONTROL.id, f"AWS::::Account:{account_id}")]
    assert finding["Compliance"]["Status"] == "PASSED"
