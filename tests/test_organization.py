"""One deployment, many accounts, through the stack's own queues and handlers on the moto server.

moto partitions resources by account under AssumeRole, so each member's gaps, fixes and findings are
its own. moto lets any role be assumed; `tests/doubles.py` `MemberRoles` refuses a role that does not
exist in the member account, with AWS's AccessDenied, as AWS does.
"""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY
from logbaseline.engine import Service
from logbaseline.engine.accounts import AccountUnreachable, Coverage, MemberClients, UnknownAccount
from logbaseline.engine.findings import REACHABILITY_CONTROL
from logbaseline.engine.messages import sweep_event
from logbaseline.engine.remediation import FixRequest
from logbaseline.engine.settings import Settings
from logbaseline.local import LocalStack

from tests.conftest import NO_RETRY, REGION, ROOT, findings_by_resource, load_event
from tests.doubles import FIX_ROLE, READ_ROLE, MemberRoles, member_clients

RETENTION = "logs_log_group_retention_bounded"
MEMBERS = [f"2000000000{n:02d}" for n in range(20)]
REGIONS = ("us-east-1", "eu-west-1")
ONLY_RETENTION_FIXED = ",".join(f"{c}=off" for c in REGISTRY if c != RETENTION) + f",{RETENTION}=auto"


@pytest.fixture
def roles(aws, monkeypatch) -> MemberRoles:
    return MemberRoles.install(monkeypatch)


def group_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{name}"


def test_twenty_accounts_in_two_regions_each_judged_and_fixed_in_its_own_account(aws, roles):
    missing = MEMBERS[-1]  # its member stack was never deployed
    for account in MEMBERS:
        if account != missing:
            roles.deploy_member_stack(account)
        for region in REGIONS:
            member_clients(account, region)("logs").create_log_group(logGroupName=f"/app/{account}/{region}")
    stack = LocalStack(
        ROOT,
        REGION,
        {
            "LOGBASELINE_ACCOUNTS": ",".join(MEMBERS),
            "LOGBASELINE_REGIONS": ",".join(REGIONS),
            "LOGBASELINE_REMEDIATION_MODES": ONLY_RETENTION_FIXED,
            "LOGBASELINE_CONTROLS": RETENTION,  # a deployment scoped to one log source
        },
    )

    sweep = stack.invoke("sweeper", load_event("schedule/scheduled-event.json"))
    assert sweep == {"requests": (len(MEMBERS) + 1) * len(REGIONS)}, "one message per account and region"
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    assert stack.queue_depth("EvaluationDeadLetterQueue") == 0, "an unreachable account is reported, not retried"

    for account in MEMBERS[:-1]:
        for region in REGIONS:
            hub = findings_by_resource(member_clients(account, region))
            finding = hub[(RETENTION, group_arn(account, region, f"/app/{account}/{region}"))]
            assert (finding["AwsAccountId"], finding["Region"]) == (account, region)
            assert finding["ProductArn"].endswith(f":{account}:product/{account}/default")
            assert finding["Compliance"]["Status"] == "FAILED"
            assert {f["AwsAccountId"] for f in hub.values()} == {account}, "no other account's findings here"
    assert not findings_by_resource(member_clients(missing, REGION)), "nothing judged in the unreachable account"
    [unreachable] = [
        f
        for (control_id, resource), f in findings_by_resource(aws).items()
        if control_id == REACHABILITY_CONTROL and resource == f"AWS::::Account:{missing}"
    ]
    assert unreachable["Compliance"]["Status"] == "FAILED" and unreachable["RecordState"] == "ACTIVE"
    assert "AccessDenied" in unreachable["ProductFields"]["logbaseline/Reason"]

    assert stack.queue_depth("FixQueue") == (len(MEMBERS) - 1) * len(REGIONS)
    assert stack.drain("FixQueue", "remediator").failed == []
    for account in MEMBERS[:-1]:
        for region in REGIONS:
            [group] = member_clients(account, region)("logs").describe_log_groups(
                logGroupNamePrefix=f"/app/{account}/{region}"
            )["logGroups"]
            assert group["retentionInDays"] == 365, f"fixed in {account}/{region}"
    assumed = roles.assumed_by_function()
    assert assumed["evaluator"] == {f"arn:aws:iam::{a}:role/{READ_ROLE}" for a in MEMBERS}
    assert assumed["remediator"] == {f"arn:aws:iam::{a}:role/{FIX_ROLE}" for a in MEMBERS[:-1]}

    # The member stack arrives: the next sweep reads the account and archives the "cannot reach" finding.
    roles.deploy_member_stack(missing)
    stack.invoke("sweeper", load_event("schedule/scheduled-event.json"))
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    reachable = findings_by_resource(aws)[(REACHABILITY_CONTROL, f"AWS::::Account:{missing}")]
    assert reachable["RecordState"] == "ARCHIVED" and reachable["Compliance"]["Status"] == "PASSED"
    assert findings_by_resource(member_clients(missing, REGION)), "judged once reachable"


def test_the_organization_is_listed_and_a_members_forwarded_event_is_judged_in_that_account(aws, roles):
    organizations = aws("organizations")
    organizations.create_organization(FeatureSet="ALL")
    created = [
        organizations.create_account(AccountName=f"member{n}", Email=f"member{n}@example.com")["CreateAccountStatus"]
        for n in range(3)
    ]
    members = [c["AccountId"] for c in created]
    for account in members:
        roles.deploy_member_stack(account)
    stack = LocalStack(ROOT, REGION, {"LOGBASELINE_ACCOUNTS": "organization"})
    assert stack.invoke("sweeper", load_event("schedule/scheduled-event.json")) == {"requests": 4}
    sweeps = stack.clients("sqs").receive_message(QueueUrl=stack.queues["EvaluationQueue"], MaxNumberOfMessages=10)
    swept = {json.loads(m["Body"])["detail"]["account_id"] for m in sweeps["Messages"]}
    assert swept == {*members, stack.account_id}, "every active account of the organization, the home one too"

    # A member's CloudTrail event, forwarded by the member stack's rule: it carries the member's account.
    member = members[0]
    member_clients(member, REGION)("logs").create_log_group(logGroupName="/aws/lambda/orders-api")
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    event["account"] = event["detail"]["recipientAccountId"] = member
    stack.clients("sqs").purge_queue(QueueUrl=stack.queues["EvaluationQueue"])
    stack.clients("sqs").send_message(QueueUrl=stack.queues["EvaluationQueue"], MessageBody=json.dumps(event))
    assert stack.drain("EvaluationQueue", "evaluator").failed == []
    finding = findings_by_resource(member_clients(member, REGION))[
        (RETENTION, group_arn(member, REGION, "/aws/lambda/orders-api"))
    ]
    assert finding["AwsAccountId"] == member

    # An event of one member that names another member's resources is refused, never read with that role.
    forged = load_event("cloudtrail/logs-CreateLogGroup.json")
    forged["account"], forged["detail"]["recipientAccountId"] = member, members[1]
    stack.clients("sqs").send_message(QueueUrl=stack.queues["EvaluationQueue"], MessageBody=json.dumps(forged))
    assert stack.drain("EvaluationQueue", "evaluator").delivered == 0
    assert stack.queue_depth("EvaluationDeadLetterQueue") == 1
    assert not findings_by_resource(member_clients(members[1], REGION))
    assert not any(r == group_arn(member, REGION, "/aws/lambda/orders-api") for _, r in findings_by_resource(aws))


def test_a_missing_member_role_is_unreachable_and_nothing_is_cached_from_the_refusal(aws, account_id, roles):
    clients = MemberClients(Coverage(account_id, frozenset({"200000000099"})), READ_ROLE)
    with pytest.raises(AccountUnreachable, match="AccessDenied.*not authorized to perform: sts:AssumeRole"):
        clients("200000000099", REGION)
    roles.deploy_member_stack("200000000099")
    member = clients("200000000099", REGION)
    assert member("sts").get_caller_identity()["Account"] == "200000000099"
    with pytest.raises(UnknownAccount, match="not covered"):
        clients("200000000098", REGION)


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "12345678901a", "abcdefghijkl"])
def test_the_account_list_takes_12_digit_ids_or_organization(bad):
    with pytest.raises(ValueError, match=f"LOGBASELINE_ACCOUNTS: {bad} is not a 12-digit account id or 'organization'"):
        Coverage.parse("111122223333", f"444455556666,{bad}")
    assert Coverage.parse("111122223333", " 444455556666 ,").accounts == {"444455556666"}
    assert Coverage.parse("111122223333", "Organization").organization


def test_an_unreachable_member_is_reported_and_the_first_sweep_that_reaches_it_archives_the_report(aws, roles):
    member = "200000000077"
    stack = LocalStack(ROOT, REGION, {"LOGBASELINE_ACCOUNTS": member, "LOGBASELINE_CONTROLS": RETENTION})

    def reachability() -> list[str]:
        found = findings_by_resource(aws)
        return [f["RecordState"] for (control, _), f in found.items() if control == REACHABILITY_CONTROL]

    for deployed in (False, True):
        if deployed:
            roles.deploy_member_stack(member)
        assert stack.invoke("sweeper", load_event("schedule/scheduled-event.json")) == {"requests": 2}
        assert stack.drain("EvaluationQueue", "evaluator").failed == []
        assert reachability() == (["ARCHIVED"] if deployed else ["ACTIVE"])


def test_a_fix_in_a_member_that_cannot_be_reached_is_reported_in_the_security_account_and_then_fails(
    aws, account_id, roles
):
    member = "200000000066"
    service = Service(
        Settings.from_env({}), MemberClients(Coverage(account_id, frozenset({member})), FIX_ROLE), aws, workflow=True
    )
    with pytest.raises(AccountUnreachable, match="AccessDenied"):
        service.fix(FixRequest(RETENTION, member, REGION, group_arn(member, REGION, "/app/a")))
    [(resource, finding)] = [(r, f) for (c, r), f in findings_by_resource(aws).items() if c == REACHABILITY_CONTROL]
    assert member in resource and finding["AwsAccountId"] == account_id, "reported in the deployment's own account"
    assert (
        finding["Compliance"]["Status"] == "FAILED" and "AccessDenied" in finding["ProductFields"]["logbaseline/Reason"]
    )


def test_a_member_unreachable_in_another_region_is_reported_in_that_region(aws, account_id, roles):
    member = "200000000067"
    coverage = Coverage(account_id, frozenset({member}))
    service = Service(Settings.from_env({}), MemberClients(coverage, READ_ROLE), aws, workflow=True)
    report = service.evaluate_event(sweep_event(member, "eu-west-1", [RETENTION]))
    assert [e.account_id for e in report.unreachable] == [member]
    [finding] = findings_by_resource(Clients("eu-west-1", config=NO_RETRY)).values()
    assert (finding["AwsAccountId"], finding["Region"]) == (account_id, "eu-west-1")
    assert finding["Resources"][0]["Id"] == f"AWS::::Account:{member}"
    assert not findings_by_resource(aws), "not in the deployment's own region"
