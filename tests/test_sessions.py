"""Each fix runs with exactly its own authority: the member remediation role narrowed by the fix's session policy.

AWS grants an assumed-role session the intersection of the role's policies and the session policy
(tests/iam_policy.py, `session=`). For every control with a fix, in every configuration of the destinations, the
session may make the fix's own calls on the request's resource, not the same calls on another resource of the same
type (where the service has resource-level permissions), no other control's writes, and nothing of the abuse list.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest
from botocore.exceptions import ClientError
from logbaseline.controls import all_controls, load
from logbaseline.engine.sessions import (
    MAX_NAME_CHARS,
    MAX_POLICY_CHARS,
    FixSession,
    SessionPolicyRefused,
    account_policy,
    fix_policy,
)
from logbaseline.local import LocalStack

from tests.conftest import ROOT, load_event
from tests.doubles import FIX_ROLE, MemberRoles, member_clients
from tests.iam_policy import Request, allowed
from tests.test_least_authority import (
    ABUSES,
    CONFIGURATIONS,
    MEMBER_ACCOUNT,
    NEVER,
    destinations,
    fix_calls,
    in_account,
    policies,
)

REGION = "eu-west-1"
RETENTION = "logs_log_group_retention_bounded"
A = MEMBER_ACCOUNT
FIXES = sorted(c.id for c in all_controls() if c.remediate)
BUCKET, OTHER_BUCKET = "arn:aws:s3:::trail-bucket", "arn:aws:s3:::other-bucket"
# Per control: the request's resource, and each write as AWS authorizes it (action, resource, context), on that
# resource; "{other}" marks the same call on another resource of the same type, in the same account.
TRAIL = f"arn:aws:cloudtrail:{REGION}:{A}:trail/management-events"
VPC = f"arn:aws:ec2:{REGION}:{A}:vpc/vpc-0123456789abcdef0"
FLOW_GROUP = f"arn:aws:logs:{REGION}:{A}:log-group:/vpc/flow-logs"
QUERY_GROUP = f"arn:aws:logs:{REGION}:{A}:log-group:/dns/queries"
SAMPLES = {
    "logs_log_group_retention_bounded": (
        f"arn:aws:logs:{REGION}:{A}:log-group:/aws/lambda/orders-api",
        [("logs:PutRetentionPolicy", "{own}"), ("logs:PutRetentionPolicy", "{own}:*")],
        f"arn:aws:logs:{REGION}:{A}:log-group:/aws/lambda/other",
    ),
    "vpc_flow_logs_enabled": (
        VPC,
        [("ec2:CreateFlowLogs", "{own}"), ("ec2:CreateFlowLogs", f"arn:aws:ec2:{REGION}:{A}:vpc-flow-log/fl-1"),
         ("logs:CreateLogGroup", FLOW_GROUP), ("logs:PutRetentionPolicy", FLOW_GROUP)],
        f"arn:aws:ec2:{REGION}:{A}:vpc/vpc-other",
    ),
    "vpc_dns_query_logging_enabled": (
        VPC,
        [("route53resolver:AssociateResolverQueryLogConfig", "*"),
         ("route53resolver:CreateResolverQueryLogConfig", "*"),
         ("logs:CreateLogGroup", QUERY_GROUP), ("logs:PutRetentionPolicy", QUERY_GROUP)],
        None,
    ),
    "cloudtrail_multi_region_logging": (A, [("cloudtrail:StartLogging", TRAIL)], None),
    "cloudtrail_log_file_validation_enabled": (TRAIL, [("cloudtrail:UpdateTrail", "{own}")],
                                               f"arn:aws:cloudtrail:{REGION}:{A}:trail/other"),
    "cloudtrail_kms_encryption_enabled": (TRAIL, [("cloudtrail:UpdateTrail", "{own}")],
                                          f"arn:aws:cloudtrail:us-east-1:{A}:trail/organization"),
    "eks_control_plane_audit_logging_enabled": (
        f"arn:aws:eks:{REGION}:{A}:cluster/prod", [("eks:UpdateClusterConfig", "{own}")],
        f"arn:aws:eks:{REGION}:{A}:cluster/staging",
    ),
    "elb_access_logs_enabled": (
        f"arn:aws:elasticloadbalancing:{REGION}:{A}:loadbalancer/app/web/1",
        [("elasticloadbalancing:ModifyLoadBalancerAttributes", "{own}")],
        f"arn:aws:elasticloadbalancing:{REGION}:{A}:loadbalancer/app/payments/2",
    ),
    "cloudtrail_lake_retention_bounded": (
        f"arn:aws:cloudtrail:{REGION}:{A}:eventdatastore/EXAMPLE-f852",
        [("cloudtrail:UpdateEventDataStore", "{own}")],
        f"arn:aws:cloudtrail:{REGION}:{A}:eventdatastore/EXAMPLE-other",
    ),
    "config_recorder_active": (A, [("config:StartConfigurationRecorder", "*")], None),
    "guardduty_enabled": (
        A,
        [("guardduty:CreateDetector", "*"),
         ("guardduty:UpdateDetector", f"arn:aws:guardduty:{REGION}:{A}:detector/12abc")],
        None,
    ),
    "cloudtrail_bucket_not_public": (BUCKET, [("s3:PutBucketPublicAccessBlock", "{own}")], OTHER_BUCKET),
    "s3_log_bucket_not_public": (BUCKET, [("s3:PutBucketPublicAccessBlock", "{own}")], OTHER_BUCKET),
    "cloudtrail_bucket_access_logging_enabled": (BUCKET, [("s3:PutBucketLogging", "{own}")], OTHER_BUCKET),
    "s3_log_bucket_lifecycle_bounded": (BUCKET, [("s3:PutLifecycleConfiguration", "{own}")], OTHER_BUCKET),
    "s3_bucket_server_access_logging_enabled": (BUCKET, [("s3:PutBucketLogging", "{own}")], OTHER_BUCKET),
    "apigateway_execution_logging_enabled": (
        f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3d4e5/stages/prod", [("apigateway:PATCH", "{own}")],
        f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3d4e5/stages/dev",
    ),
    # The account's CIS filters and logbaseline's own alarms: no single resource to narrow to (docs/security.md).
    "cloudtrail_security_alarms": (
        A,
        [("logs:PutMetricFilter", f"arn:aws:logs:{REGION}:{A}:log-group:aws-cloudtrail-logs"),
         ("cloudwatch:PutMetricAlarm", f"arn:aws:cloudwatch:{REGION}:{A}:alarm:logbaseline-CloudWatch.1-Root")],
        None,
    ),
}  # fmt: skip
FIX_CONFIGURATIONS = ("everything", "log groups")  # where every fix's destination is configured


def read_resource(action: str) -> str:
    """A resource a read is authorized on, as the roles' read statements name them."""
    scoped = {  # reads granted on resources of a kind
        "logs:DescribeMetricFilters": f"arn:aws:logs:{REGION}:{A}:log-group:aws-cloudtrail-logs",
        "cloudwatch:DescribeAlarms": f"arn:aws:cloudwatch:{REGION}:{A}:alarm:root-usage",
        "sns:ListSubscriptionsByTopic": f"arn:aws:sns:{REGION}:{A}:security-alarms",
        "cloudtrail:GetEventDataStore": f"arn:aws:cloudtrail:{REGION}:{A}:eventdatastore/a1b2c3d4",
        "glue:GetDatabases": f"arn:aws:glue:{REGION}:{A}:catalog",
        "glue:GetTables": f"arn:aws:glue:{REGION}:{A}:table/security/cloudtrail_logs",
        **{f"securityhub:{a}": f"arn:aws:securityhub:{REGION}:{A}:hub/default"
           for a in ("DescribeHub", "GetAdministratorAccount", "ListMembers")},
        # Security Hub and AWS Config logging checks that the parity audit found missing
        "ssm:GetServiceSetting":
            f"arn:aws:ssm:{REGION}:{A}:servicesetting/ssm/automation/customer-script-log-group-name",
        "datasync:DescribeTask": f"arn:aws:datasync:{REGION}:{A}:task/task-0a1b2c3d4e5f60718",
        "connect:DescribeInstanceAttribute": f"arn:aws:connect:{REGION}:{A}:instance/a1b2c3d4-5678-90ab-cdef-EXAMPLE1",
    }  # fmt: skip
    if action in scoped:
        return scoped[action]
    if action == "s3:GetObject":  # the digest verifier: CloudTrail's own files in a trail bucket
        return f"{BUCKET}/AWSLogs/{A}/CloudTrail-Digest/{REGION}/d.json.gz"
    if action.startswith(("s3:Get", "s3:List")):
        return BUCKET
    if action == "cloudtrail:GetEventDataStore":
        return f"arn:aws:cloudtrail:{REGION}:{A}:eventdatastore/EXAMPLE-f852"
    if action.startswith("cloudtrail:Get"):
        return TRAIL
    scoped = {  # reads granted on the account's own resources of one kind only
        "apigateway:GET": f"arn:aws:apigateway:{REGION}::/restapis/a1b2c3d4e5/stages/prod",
        "cloudfront:GetDistributionConfig": f"arn:aws:cloudfront::{A}:distribution/E2QWRUHEXAMPLE",
        "es:DescribeDomains": f"arn:aws:es:{REGION}:{A}:domain/orders-search",
        "states:DescribeStateMachine": f"arn:aws:states:{REGION}:{A}:stateMachine:orders-flow",
        "network-firewall:DescribeLoggingConfiguration": f"arn:aws:network-firewall:{REGION}:{A}:firewall/edge",
        "redshift:DescribeLoggingStatus": f"arn:aws:redshift:{REGION}:{A}:cluster:orders-dw",
        "glue:GetJob": f"arn:aws:glue:{REGION}:{A}:job/orders-etl",
        "fis:GetExperimentTemplate": f"arn:aws:fis:{REGION}:{A}:experiment-template/EXT2mWq7rTz9xKc4L",
        # other services' own logging
        "appsync:GetGraphqlApi": f"arn:aws:appsync:{REGION}:{A}:apis/q7w3e5r2t8y4u6i9o1p0a2s4d6",
        "mq:DescribeBroker": f"arn:aws:mq:{REGION}:{A}:broker:orders-mq:b-3f2a7c1e-9d4b-4e6a-8c5f-1a2b3c4d5e6f",
        "transfer:DescribeConnector": f"arn:aws:transfer:{REGION}:{A}:connector/c-4a6c8e0a2c4e6a8c0",
        "transfer:DescribeServer": f"arn:aws:transfer:{REGION}:{A}:server/s-2b4d6f8a0c2e4a6b8",
        "codebuild:BatchGetProjects": f"arn:aws:codebuild:{REGION}:{A}:project/orders-build",
        "elasticbeanstalk:DescribeConfigurationSettings": f"arn:aws:elasticbeanstalk:{REGION}:{A}:environment/o/web",
        # accelerators are global: no region in their ARN
        **{
            f"globalaccelerator:{action}": f"arn:aws:globalaccelerator::{A}:accelerator/1234abcd"
            for action in ("DescribeAcceleratorAttributes", "DescribeCustomRoutingAcceleratorAttributes")
        },
    }
    if action in scoped:
        return scoped[action]
    return f"arn:aws:eks:{REGION}:{A}:cluster/prod" if action == "eks:DescribeCluster" else "*"


def request(action: str, resource: str) -> Request:
    return Request(action, resource, {"s3:ResourceAccount": A})


def session_of(control_id: str, configuration: str = "log groups") -> dict:
    """The session policy of the control's fix, with the destinations of a configuration as the settings."""
    configured = destinations(configuration, A)
    params = {"flow_log_destination": configured.get("FlowLogDestination", ""),
              "query_log_destination_arn": configured.get("QueryLogDestinationArn", "")}  # fmt: skip
    params = {p.name: params[p.name] for p in load(control_id).parameters if p.name in params}
    return json.loads(fix_policy(load(control_id), A, REGION, SAMPLES[control_id][0], params))


def test_every_control_with_a_fix_has_its_calls_here():
    assert sorted(SAMPLES) == FIXES
    for control_id, (_, calls, _) in SAMPLES.items():
        assert {action for action, _ in calls} == set(load(control_id).write_actions), control_id


@pytest.mark.parametrize("configuration", FIX_CONFIGURATIONS)
@pytest.mark.parametrize("control_id", FIXES)
def test_a_fix_session_may_make_the_fixs_calls_on_its_resource(control_id, configuration):
    own, calls, _ = SAMPLES[control_id]
    _, role = policies("member-remediation", configuration)
    session = session_of(control_id, configuration)
    for action, resource in calls:
        if configuration == "everything" and resource in (FLOW_GROUP, QUERY_GROUP):
            continue  # destinations in S3: no log group to create
        assert allowed(request(action, resource.replace("{own}", own)), role, session=session), (action, resource)
    control = load(control_id)
    for read in control.read_actions:  # the re-read before and the verification after
        assert allowed(request(read, read_resource(read)), role, session=session), read


@pytest.mark.parametrize("configuration", FIX_CONFIGURATIONS)
@pytest.mark.parametrize("control_id", [c for c in FIXES if SAMPLES[c][2]])  # the others: docs/security.md's table
def test_a_fix_session_may_not_make_the_same_calls_on_another_resource(control_id, configuration):
    _, calls, other = SAMPLES[control_id]
    _, role = policies("member-remediation", configuration)
    session = session_of(control_id, configuration)
    for action, resource in calls:
        if "{own}" in resource:
            attempt = request(action, resource.replace("{own}", other))
            assert allowed(attempt, role), "the role alone allows it: the session is what denies it"
            assert not allowed(attempt, role, session=session), (action, other)


@pytest.mark.parametrize("control_id", ["vpc_flow_logs_enabled", "vpc_dns_query_logging_enabled"])
def test_a_destination_fix_session_keeps_only_its_destination_log_group(control_id):
    """The role may set any log group's retention (the retention fix): a flow-log or query-log fix session only
    its configured destination's."""
    _, role = policies("member-remediation", "log groups")
    other = request("logs:PutRetentionPolicy", f"arn:aws:logs:{REGION}:{A}:log-group:/aws/lambda/orders-api")
    assert allowed(other, role)
    assert not allowed(other, role, session=session_of(control_id, "log groups"))
    without = session_of(control_id, "everything")  # destinations in S3: no log-group write at all
    writes = {"logs:CreateLogGroup", "logs:PutRetentionPolicy"}
    assert not any(a in writes for statement in without["Statement"] for a in statement["Action"])


@pytest.mark.parametrize("control_id", FIXES)
def test_a_fix_session_may_not_make_another_controls_writes(control_id):
    _, role = policies("member-remediation", "everything")
    session = session_of(control_id)
    mine = set(load(control_id).write_actions)
    for own, calls, _ in SAMPLES.values():
        for action, resource in calls:
            if action not in mine:
                attempt = request(action, resource.replace("{own}", own))
                assert not allowed(attempt, role, session=session), f"{control_id}'s session may {action}"


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
@pytest.mark.parametrize("control_id", FIXES)
def test_a_fix_session_holds_nothing_of_the_abuse_list(control_id, configuration):
    account, role = policies("member-remediation", configuration)
    session = session_of(control_id, configuration)
    for name, attempt, configurations in ABUSES:
        if configuration in configurations:
            assert not allowed(in_account(attempt, account), role, session=session), name
    for action in NEVER:
        assert not allowed(request(action, "*"), role, session=session), action


@pytest.mark.parametrize("configuration", FIX_CONFIGURATIONS)
def test_the_implied_calls_of_the_fixes_still_pass_the_role_and_the_session(configuration):
    """PassRole of the delivery role, log deliveries, the query-log destination's policy: the session names them
    on `*`, and the role's own statement keeps each to its configured destination."""
    account, role = policies("member-remediation", configuration)
    implied = [r for r in fix_calls(configuration, account) if r.action.split(":")[0] in ("iam", "logs", "s3")]
    implied = [r for r in implied if r.action not in {a for c in all_controls() for a in c.write_actions}]
    assert implied
    for attempt in implied:
        controls = [c for c in FIXES if allowed(attempt, role, session=session_of(c, configuration))]
        assert controls, f"no fix session may {attempt.action}"


def test_the_account_session_reads_and_reports_and_writes_nothing():
    session = json.loads(account_policy())
    for role_name in ("member-read", "member-remediation"):
        account, role = policies(role_name, "everything")
        for read in sorted({a for c in all_controls() for a in c.read_actions}):
            if role_name == "member-read" or any(read in load(c).read_actions for c in FIXES):
                assert allowed(request(read, read_resource(read)), role, session=session), (role_name, read)
        for own, calls, _ in SAMPLES.values():
            for action, resource in calls:
                assert not allowed(request(action, resource.replace("{own}", own)), role, session=session), action


# --- what AWS accepts --------------------------------------------------------------------------------------------

LONGEST = {  # the longest names AWS allows for each kind of resource (a log group's name: 512 characters)
    "logs_log_group_retention_bounded": f"arn:aws-us-gov:logs:us-gov-west-1:{A}:log-group:{'/' * 512}",
    "eks_control_plane_audit_logging_enabled": f"arn:aws:eks:ap-southeast-2:{A}:cluster/{'c' * 100}",
    "elb_access_logs_enabled": f"arn:aws:elasticloadbalancing:ap-southeast-2:{A}:loadbalancer/app/{'l' * 32}/"
    + "f" * 16,
    "cloudtrail_kms_encryption_enabled": f"arn:aws:cloudtrail:ap-southeast-2:{A}:trail/{'t' * 128}",
    "cloudtrail_log_file_validation_enabled": f"arn:aws:cloudtrail:ap-southeast-2:{A}:trail/{'t' * 128}",
}


LONGEST_QUERY_LOG_GROUP = f"arn:aws:logs:ap-southeast-2:{A}:log-group:{'/' * 512}"


def largest_session_policy() -> tuple[int, str]:
    sizes = []
    for control_id in FIXES:
        default = SAMPLES[control_id][0]
        resource_id = LONGEST.get(control_id, default.replace("trail-bucket", "b" * 63))
        parts = resource_id.split(":")
        region = parts[3] if len(parts) > 3 and parts[3] else REGION
        longest = {"flow_log_destination": "/" * 512, "query_log_destination_arn": LONGEST_QUERY_LOG_GROUP}
        params = {p.name: longest[p.name] for p in load(control_id).parameters if p.name in longest}
        sizes.append((len(fix_policy(load(control_id), A, region, resource_id, params)), control_id))
    return max(sizes)


def test_every_session_policy_fits_stss_limit_for_the_longest_names():
    size, control_id = largest_session_policy()
    assert size <= MAX_POLICY_CHARS, f"{control_id}: {size} characters"
    assert size > 1000, "the log group's 512-character name is in it twice"
    assert len(account_policy()) <= MAX_POLICY_CHARS


def test_a_session_policy_over_the_limit_or_naming_a_wildcard_is_refused():
    control = load("logs_log_group_retention_bounded")
    too_long = f"arn:aws:logs:{REGION}:{A}:log-group:{'x' * 1100}"  # longer than AWS allows: the guard still holds
    with pytest.raises(SessionPolicyRefused, match="2048"):
        fix_policy(control, A, REGION, too_long)
    for wildcard in (f"arn:aws:logs:{REGION}:{A}:log-group:*", "arn:aws:s3:::log?"):
        with pytest.raises(SessionPolicyRefused, match="wildcard"):
            fix_policy(control, A, REGION, wildcard)


@pytest.mark.parametrize("trigger", ["", "0c6ab8e5-0d2e-4e7b-9a58-8c5b0a5d4f3e", "x" * 200, "a b/c:d#e"])
@pytest.mark.parametrize("control_id", FIXES)
def test_session_names_and_source_identities_fit_sts(control_id, trigger):
    sts_name = re.compile(rf"[\w+=,.@-]{{2,{MAX_NAME_CHARS}}}")
    fix = FixSession.of(load(control_id), A, REGION, LONGEST.get(control_id, SAMPLES[control_id][0]), trigger)
    assert sts_name.fullmatch(fix.name) and sts_name.fullmatch(fix.source_identity), fix
    assert fix.name.startswith(control_id[:40]) and fix.source_identity.startswith("logbaseline-")
    again = FixSession.of(load(control_id), A, REGION, LONGEST.get(control_id, SAMPLES[control_id][0]), trigger)
    assert again == fix, "the same request, the same session"
    other = FixSession.of(load(control_id), A, REGION, LONGEST.get(control_id, SAMPLES[control_id][0]), trigger + "2")
    assert other.name != fix.name, "another request, another session name"


# --- docs/security.md names every fix whose session cannot be narrowed to the request's resource ------------------


def test_the_security_review_lists_the_writes_a_session_cannot_narrow_to_the_resource():
    wider = set()
    for control_id in FIXES:
        own, writes = SAMPLES[control_id][0], set(load(control_id).write_actions)
        for statement in session_of(control_id)["Statement"]:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if own not in resources:
                wider |= {(control_id, a) for a in statement["Action"] if a in writes}
    table = (ROOT / "docs/security.md").read_text().split("| fix | write | session resource |", 1)[1]
    rows = table.split("\n\n", 1)[0].splitlines()[2:]
    documented = {(r.split("|")[1].strip(" `"), r.split("|")[2].strip(" `")) for r in rows}
    assert documented == wider


# --- through the stack's handlers, on the emulator (moto ignores session policies: tests/doubles.py checks them) --


def test_each_fix_assumes_the_member_role_with_its_own_session(aws, monkeypatch):
    """Three gaps in a member: the remediator assumes the role once per account for its findings (reads and
    reports only) and once per fix, each named by its request and allowed only its own log group."""
    roles = MemberRoles.install(monkeypatch)
    member = "200000000042"
    roles.deploy_member_stack(member)
    names = ["/app/a", "/app/b", "/app/c"]
    for name in names:
        member_clients(member, aws.region)("logs").create_log_group(logGroupName=name)
    stack = LocalStack(
        ROOT,
        aws.region,
        {
            "LOGBASELINE_ACCOUNTS": member,
            "LOGBASELINE_CONTROLS": RETENTION,
            "LOGBASELINE_REMEDIATION_MODES": f"{RETENTION}=auto",
        },
    )
    stack.invoke("sweeper", load_event("schedule/scheduled-event.json"))
    stack.drain("EvaluationQueue", "evaluator")
    assert stack.drain("FixQueue", "remediator").delivered == len(names)
    for name in names:
        [group] = member_clients(member, aws.region)("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        assert group["retentionInDays"] == 365, name

    by_function: dict[str, list[dict]] = {}
    for function, params in roles.requests:
        by_function.setdefault(function, []).append(params)
    [evaluator] = by_function["evaluator"]
    assert evaluator["Policy"] == account_policy() and "SourceIdentity" not in evaluator
    remediator = by_function["remediator"]
    accounts = [p for p in remediator if "SourceIdentity" not in p]
    fixes = [p for p in remediator if "SourceIdentity" in p]
    assert len(accounts) == 1 and accounts[0]["Policy"] == account_policy(), "one account session, for findings"
    assert len(fixes) == len(names), "one session per fix"
    assert len({p["RoleSessionName"] for p in fixes}) == len(names)
    for name in names:
        arn = f"arn:aws:logs:{aws.region}:{member}:log-group:{name}"
        [fix] = [p for p in fixes if f'"{arn}"' in p["Policy"]]
        assert fix["RoleSessionName"].startswith(RETENTION) and fix["SourceIdentity"].startswith("logbaseline-")
        others = [f"arn:aws:logs:{aws.region}:{member}:log-group:{n}" for n in names if n != name]
        assert not any(f'"{o}"' in fix["Policy"] for o in others), "each session names its own log group only"


def assume_as(function: str, **extra: str) -> None:
    """AssumeRole of the member remediation role by one of the stack's functions, with these parameters."""
    from tests.conftest import NO_RETRY, current_role

    token = current_role.set(function)
    try:
        boto3.client("sts", config=NO_RETRY).assume_role(
            RoleArn=f"arn:aws:iam::200000000042:role/{FIX_ROLE}", **({"RoleSessionName": "fix-1"} | extra)
        )
    finally:
        current_role.reset(token)


def test_the_member_roles_double_refuses_what_sts_refuses(aws, monkeypatch):
    MemberRoles.install(monkeypatch).deploy_member_stack("200000000042")
    assume_as("remediator", SourceIdentity="logbaseline-0c6ab8e5", Policy=account_policy())  # what the code does
    refused = {
        "a session policy over 2048 characters": {"Policy": json.dumps({"Statement": [], "x": "y" * 2048})},
        "a session name STS does not take": {"RoleSessionName": "a b"},
        "a source identity the trust does not allow": {"SourceIdentity": "someone-else"},
    }
    for what, extra in refused.items():
        with pytest.raises(ClientError) as raised:
            assume_as("remediator", **extra)
        assert raised.value.response["Error"]["Code"] in ("ValidationError", "AccessDenied"), what
    with pytest.raises(ClientError, match="SetSourceIdentity"):
        assume_as("evaluator", SourceIdentity="logbaseline-0c6ab8e5")  # only the remediator's role may set one
