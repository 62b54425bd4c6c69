"""The service cannot be turned against the logs it protects: the abuse list, tried with the roles' real policies.

Every request is evaluated (tests/iam_policy.py) against the policies of the deployed roles, resolved from
template.yaml and stacksets/member.yaml as CloudFormation would (tests/cfn.py), once with no destination
configured and once with every destination set. Each abuse is either denied by IAM, or listed in RESIDUAL
with the reason IAM cannot deny it and the test that proves the code never does it.
"""

from __future__ import annotations

from typing import Any

import pytest
from logbaseline import sam_template
from logbaseline.aws import IMPLIED_ACTIONS
from logbaseline.controls import all_controls

from tests.cfn import Resolver
from tests.conftest import ROOT
from tests.iam_policy import Request, allowed, decide

TEMPLATE = sam_template.load(ROOT / "template.yaml")
MEMBER = sam_template.load(ROOT / "stacksets/member.yaml")
SECURITY, MEMBER_ACCOUNT, OTHER = "111122223333", "222233334444", "999988887777"
ORGANIZATION = "o-a1b2c3d4e5"
NOTHING: dict[str, str] = {}
EVERYTHING = {  # every destination set: the most the roles can hold
    "FlowLogDestination": "arn:aws:s3:::flow-logs",
    "QueryLogDestinationArn": "arn:aws:s3:::query-logs",
    "ElbAccessLogBucket": "elb-logs",
    "AccessLogBucket": "access-logs",
}
LOG_GROUP_DESTINATIONS = {  # the other kind of destination: log groups, with the delivery role
    "FlowLogDestination": "/vpc/flow-logs",
    "QueryLogDestinationArn": "arn:aws:logs:eu-west-1:{account}:log-group:/dns/queries",
    "ElbAccessLogBucket": "elb-logs",
    "AccessLogBucket": "access-logs",
}
MEMBER_PARAMETERS = {"SecurityAccountId": SECURITY, "OrganizationId": ORGANIZATION, "SecurityRegion": "eu-west-1"}
CONFIGURATIONS = {"nothing": NOTHING, "everything": EVERYTHING, "log groups": LOG_GROUP_DESTINATIONS}


def destinations(configuration: str, account: str) -> dict[str, str]:
    return {k: v.format(account=account) for k, v in CONFIGURATIONS[configuration].items()}


def policies(role: str, configuration: str) -> tuple[str, list[dict[str, Any]]]:
    """(account, the role's policies as deployed) for 'remediator', 'evaluator', 'member-remediation', 'member-read'."""
    if role.startswith("member-"):
        resolver = Resolver(MEMBER, MEMBER_PARAMETERS | destinations(configuration, MEMBER_ACCOUNT), MEMBER_ACCOUNT)
        logical_id = {"member-remediation": "MemberRemediationRole", "member-read": "MemberReadRole"}[role]
        return MEMBER_ACCOUNT, resolver.role_policies(logical_id)
    resolver = Resolver(TEMPLATE, destinations(configuration, SECURITY), SECURITY)
    logical_id = {"remediator": "RemediatorRole", "evaluator": "EvaluatorRole", "sweeper": "SweeperRole"}[role]
    return SECURITY, resolver.role_policies(logical_id)


def bucket(name: str, owner: str, action: str) -> Request:
    return Request(action, f"arn:aws:s3:::{name}", {"s3:ResourceAccount": owner})


def update_findings(**fields: Any) -> Request:
    """BatchUpdateFindings with the ASFFSyntaxPath keys AWS puts in the request context for these fields."""
    context = {f"securityhub:ASFFSyntaxPath/{k.replace('__', '.')}": v for k, v in fields.items()}
    return Request("securityhub:BatchUpdateFindings", "arn:aws:securityhub:eu-west-1:{account}:hub/default", context)


def in_account(request: Request, account: str) -> Request:
    context = {k: v.replace("{account}", account) if isinstance(v, str) else v for k, v in request.context.items()}
    return Request(request.action, request.resource.replace("{account}", account), context)


# --- the abuse list of the review, as requests -------------------------------------------------------------------
# (name, request, configurations in which IAM must deny it); {account} is the role's own account.
ABUSES = [
    ("a bucket policy on any bucket", bucket("victim", "{account}", "s3:PutBucketPolicy"), ("nothing", "log groups")),
    ("a bucket policy on a bucket not the query-log destination", bucket("victim", "{account}", "s3:PutBucketPolicy"),
     ("everything",)),
    ("a lifecycle on another account's bucket", bucket("victim", OTHER, "s3:PutLifecycleConfiguration"),
     CONFIGURATIONS),
    ("Block Public Access off on another account's bucket", bucket("victim", OTHER, "s3:PutBucketPublicAccessBlock"),
     CONFIGURATIONS),
    ("bucket logging of another account's bucket", bucket("victim", OTHER, "s3:PutBucketLogging"), CONFIGURATIONS),
    ("bucket logging without an AccessLogBucket", bucket("victim", "{account}", "s3:PutBucketLogging"),
     ("nothing",)),
    ("UpdateTrail of another account's trail",
     Request("cloudtrail:UpdateTrail", f"arn:aws:cloudtrail:eu-west-1:{OTHER}:trail/organization"), CONFIGURATIONS),
    ("UpdateDetector of another account",
     Request("guardduty:UpdateDetector", f"arn:aws:guardduty:eu-west-1:{OTHER}:detector/12abc"), CONFIGURATIONS),
    ("UpdateClusterConfig of another account",
     Request("eks:UpdateClusterConfig", f"arn:aws:eks:eu-west-1:{OTHER}:cluster/prod"), CONFIGURATIONS),
    ("ModifyLoadBalancerAttributes without an ElbAccessLogBucket",
     Request("elasticloadbalancing:ModifyLoadBalancerAttributes",
             "arn:aws:elasticloadbalancing:eu-west-1:{account}:loadbalancer/app/web/1"), ("nothing",)),
    ("DeleteLogDelivery without a vended destination", Request("logs:DeleteLogDelivery", "*"), ("nothing",)),
    ("PutResourcePolicy of CloudWatch Logs unless query logs go to a log group",
     Request("logs:PutResourcePolicy", "*"), ("nothing", "everything")),
    ("CreateFlowLogs without a FlowLogDestination",
     Request("ec2:CreateFlowLogs", "arn:aws:ec2:eu-west-1:{account}:vpc/vpc-1"), ("nothing",)),
    ("CreateFlowLogs in another account",
     Request("ec2:CreateFlowLogs", f"arn:aws:ec2:eu-west-1:{OTHER}:vpc/vpc-1"), CONFIGURATIONS),
    ("a log group other than the destination created",
     Request("logs:CreateLogGroup", "arn:aws:logs:eu-west-1:{account}:log-group:/anything"), CONFIGURATIONS),
    ("another service's linked role",
     Request("iam:CreateServiceLinkedRole", "arn:aws:iam::{account}:role/aws-service-role/ssm.amazonaws.com/X",
             {"iam:AWSServiceName": "ssm.amazonaws.com"}), CONFIGURATIONS),
    ("another role passed", Request("iam:PassRole", "arn:aws:iam::{account}:role/admin",
                                    {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}), CONFIGURATIONS),
    ("the delivery role passed to another service",
     Request("iam:PassRole", "arn:aws:iam::{account}:role/logbaseline-flow-logs-delivery",
             {"iam:PassedToService": "lambda.amazonaws.com"}), CONFIGURATIONS),
    ("a GuardDuty finding's severity changed", update_findings(Severity__Label="INFORMATIONAL"), CONFIGURATIONS),
    ("a finding's verification state changed", update_findings(VerificationState="FALSE_POSITIVE"), CONFIGURATIONS),
    ("a finding's types changed", update_findings(Types=["Unusual Behaviors"]), CONFIGURATIONS),
    ("a finding's criticality changed", update_findings(Criticality="0"), CONFIGURATIONS),
    ("a finding's confidence changed", update_findings(Confidence="0"), CONFIGURATIONS),
    ("related findings added", update_findings(RelatedFindings=["x"]), CONFIGURATIONS),
    ("user-defined fields set", update_findings(UserDefinedFields__key="x"), CONFIGURATIONS),
    ("a note in another name", update_findings(Note__Text="ok", Note__UpdatedBy="security-team"), CONFIGURATIONS),
    ("a workflow set to NOTIFIED", update_findings(Workflow__Status="NOTIFIED"), CONFIGURATIONS),
    ("API keys read (GET /apikeys returns their values)",
     Request("apigateway:GET", "arn:aws:apigateway:eu-west-1::/apikeys"), CONFIGURATIONS),
    ("an HTTP or WebSocket API stage changed",
     Request("apigateway:PATCH", "arn:aws:apigateway:eu-west-1::/apis/a1/stages/prod"), CONFIGURATIONS),
    ("a REST API itself changed", Request("apigateway:PATCH", "arn:aws:apigateway:eu-west-1::/restapis/a1"),
     CONFIGURATIONS),
    ("the account's API Gateway CloudWatch Logs role changed",
     Request("apigateway:PATCH", "arn:aws:apigateway:eu-west-1::/account"), CONFIGURATIONS),
]  # fmt: skip
# Destructive actions no role holds on anything, whatever is configured.
NEVER = [
    "cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:PutEventSelectors", "cloudtrail:CreateTrail",
    "cloudtrail:PutInsightSelectors", "config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel", "config:PutConfigurationRecorder", "config:PutDeliveryChannel",
    "guardduty:DeleteDetector", "guardduty:DisassociateFromAdministratorAccount", "ec2:DeleteFlowLogs",
    "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy", "logs:DisassociateKmsKey", "logs:DeleteResourcePolicy",
    "logs:DeleteLogStream", "logs:PutSubscriptionFilter", "s3:DeleteBucket", "s3:DeleteBucketPolicy",
    "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketAcl", "s3:PutObject", "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration", "s3:PutBucketObjectLockConfiguration", "wafv2:DeleteLoggingConfiguration",
    "wafv2:PutLoggingConfiguration", "route53resolver:DisassociateResolverQueryLogConfig",
    "route53resolver:DeleteResolverQueryLogConfig", "elasticloadbalancing:DeleteLoadBalancer",
    "eks:DeleteCluster", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy", "iam:PutRolePolicy",
    "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:CreateRole", "iam:DeleteRole",
    "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "dynamodb:DeleteTable",
    "dynamodb:UpdateTable", "sqs:DeleteQueue", "sqs:PurgeQueue", "sqs:SetQueueAttributes",
    "securityhub:DisableSecurityHub", "securityhub:DeleteActionTarget", "securityhub:UpdateStandardsControl",
    "organizations:LeaveOrganization", "sts:AssumeRole",
]  # fmt: skip
# Allowed by IAM in the role's own account, because AWS offers no condition key for what would make them harmful:
# the code is what keeps them harmless, and the named test proves it.
RESIDUAL = {
    "logs:PutRetentionPolicy": "no key for the days; the fix only raises to the floor (test_never_destructive.py)",
    "s3:PutLifecycleConfiguration": "no key for the rules; a rule only transitions, only where there is none "
    "(test_never_destructive.py)",
    "s3:PutBucketPublicAccessBlock": "no key for the settings; the fix sets all four on (test_never_destructive.py)",
    "cloudtrail:UpdateTrail": "no key for the parameters; the fixes only turn validation or the configured key on "
    "(test_never_destructive.py)",
    "guardduty:UpdateDetector": "no key for Enable; the fix only sets it to true (test_never_destructive.py)",
    "eks:UpdateClusterConfig": "no key for the log types; the fix only enables (test_never_destructive.py)",
    "elasticloadbalancing:ModifyLoadBalancerAttributes": "only with ElbAccessLogBucket; no key for the attributes; "
    "the fix only turns access logs on (test_never_destructive.py)",
    "logs:DeleteLogDelivery": "only with a vended destination: AWS checks it on CreateFlowLogs to S3 and "
    "CreateResolverQueryLogConfig; the code never calls it",
    "ec2:CreateFlowLogs": "only with FlowLogDestination; EC2 has no key for the destination: the code sends the "
    "configured one (test_vpc_flow_logs_enabled.py)",
    "apigateway:PATCH": "REST API stages only; no key for the patch operations, so a stage's logging could be "
    "lowered or its access logs removed; the fix only raises levels that log nothing to ERROR "
    "(test_never_destructive.py)",
    "securityhub:BatchUpdateFindings": "the ASFFSyntaxPath keys describe the update, not the finding: no key names "
    "its product or GeneratorId, so a workflow status or logbaseline's note can be set on any finding of the "
    "account; the engine only updates the findings it imported (test_workflow.py)",
}
ROLES = ("remediator", "member-remediation", "evaluator", "member-read", "sweeper")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "request_", "configurations"), ABUSES, ids=[a[0] for a in ABUSES])
def test_each_abuse_is_denied_by_iam(role, name, request_, configurations):
    for configuration in configurations:
        account, identity = policies(role, configuration)
        attempt = in_account(request_, account)
        assert not allowed(attempt, identity), f"{role} with {configuration} configured may: {name}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_no_role_holds_a_destructive_action(role, configuration):
    account, identity = policies(role, configuration)
    for action in NEVER:
        for resource in ("*", f"arn:aws:iam::{account}:role/logbaseline/logbaseline-remediator"):
            decision = decide(Request(action, resource, {"s3:ResourceAccount": account}), identity)
            assert decision != "allow", f"{role} may {action}"


def test_no_role_can_assume_any_role_but_the_member_roles():
    for configuration in CONFIGURATIONS:
        for role, member_role in (("evaluator", "logbaseline-member-read"),
                                  ("remediator", "logbaseline-member-remediation")):  # fmt: skip
            _, identity = policies(role, configuration)
            assert allowed(Request("sts:AssumeRole", f"arn:aws:iam::{MEMBER_ACCOUNT}:role/{member_role}"), identity)
            for other in ("OrganizationAccountAccessRole", "logbaseline-member-remediation-x", "admin"):
                assert not allowed(Request("sts:AssumeRole", f"arn:aws:iam::{MEMBER_ACCOUNT}:role/{other}"), identity)
        assert not allowed(Request("sts:AssumeRole", "arn:aws:iam::1:role/logbaseline-member-remediation"),
                           policies("evaluator", configuration)[1]), "the evaluator cannot fix"  # fmt: skip


@pytest.mark.parametrize("configuration", sorted(CONFIGURATIONS))
def test_the_residual_risks_are_exactly_those_documented(configuration):
    """What IAM still allows in the role's own account that could harm logs: exactly RESIDUAL, and docs/security.md
    names each of them."""
    own = {
        "logs:PutRetentionPolicy": Request("logs:PutRetentionPolicy", "arn:aws:logs:eu-west-1:{account}:log-group:a"),
        "s3:PutLifecycleConfiguration": bucket("b", "{account}", "s3:PutLifecycleConfiguration"),
        "s3:PutBucketPublicAccessBlock": bucket("b", "{account}", "s3:PutBucketPublicAccessBlock"),
        "cloudtrail:UpdateTrail": Request("cloudtrail:UpdateTrail", "arn:aws:cloudtrail:eu-west-1:{account}:trail/t"),
        "guardduty:UpdateDetector": Request(
            "guardduty:UpdateDetector", "arn:aws:guardduty:eu-west-1:{account}:detector/d"
        ),
        "eks:UpdateClusterConfig": Request("eks:UpdateClusterConfig", "arn:aws:eks:eu-west-1:{account}:cluster/c"),
        "elasticloadbalancing:ModifyLoadBalancerAttributes": Request(
            "elasticloadbalancing:ModifyLoadBalancerAttributes",
            "arn:aws:elasticloadbalancing:eu-west-1:{account}:loadbalancer/app/web/1",
        ),
        "logs:DeleteLogDelivery": Request("logs:DeleteLogDelivery", "*"),
        "ec2:CreateFlowLogs": Request("ec2:CreateFlowLogs", "arn:aws:ec2:eu-west-1:{account}:vpc/vpc-1"),
        "securityhub:BatchUpdateFindings": update_findings(Workflow__Status="SUPPRESSED"),
        "apigateway:PATCH": Request("apigateway:PATCH", "arn:aws:apigateway:eu-west-1::/restapis/a1/stages/prod"),
    }  # fmt: skip
    assert set(own) == set(RESIDUAL)
    account, identity = policies("member-remediation", configuration)
    still_allowed = {action for action, request in own.items() if allowed(in_account(request, account), identity)}
    conditional = {"elasticloadbalancing:ModifyLoadBalancerAttributes", "logs:DeleteLogDelivery", "ec2:CreateFlowLogs"}
    expected = set(RESIDUAL) - conditional if configuration == "nothing" else set(RESIDUAL)
    assert still_allowed == expected
    security = (ROOT / "docs/security.md").read_text()
    for action in RESIDUAL:
        assert f"`{action}`" in security, f"docs/security.md must say what {action} still allows"


# --- each fix's own calls are allowed ------------------------------------------------------------------------------

WRITE_REQUESTS = {  # the call a fix makes, on a resource of the role's own account
    "logs:PutRetentionPolicy": "arn:aws:logs:eu-west-1:{account}:log-group:/aws/lambda/orders-api",
    "ec2:CreateFlowLogs": "arn:aws:ec2:eu-west-1:{account}:vpc/vpc-1",
    "cloudtrail:StartLogging": "arn:aws:cloudtrail:eu-west-1:{account}:trail/management-events",
    "cloudtrail:UpdateTrail": "arn:aws:cloudtrail:eu-west-1:{account}:trail/management-events",
    "eks:UpdateClusterConfig": "arn:aws:eks:eu-west-1:{account}:cluster/prod",
    "config:StartConfigurationRecorder": "*",
    "guardduty:CreateDetector": "*",
    "guardduty:UpdateDetector": "arn:aws:guardduty:eu-west-1:{account}:detector/12abc",
    "route53resolver:AssociateResolverQueryLogConfig": "*",
    "route53resolver:CreateResolverQueryLogConfig": "*",
    "elasticloadbalancing:ModifyLoadBalancerAttributes":
        "arn:aws:elasticloadbalancing:eu-west-1:{account}:loadbalancer/app/web/1",
    "s3:PutBucketPublicAccessBlock": "arn:aws:s3:::trail-bucket",
    "s3:PutBucketLogging": "arn:aws:s3:::trail-bucket",
    "s3:PutLifecycleConfiguration": "arn:aws:s3:::trail-bucket",
    "cloudtrail:UpdateEventDataStore": "arn:aws:cloudtrail:eu-west-1:{account}:eventdatastore/EXAMPLE-f852",
    "apigateway:PATCH": "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/prod",
    "logs:PutMetricFilter": "arn:aws:logs:eu-west-1:{account}:log-group:cloudtrail",
    "cloudwatch:PutMetricAlarm": "arn:aws:cloudwatch:eu-west-1:{account}:alarm:logbaseline-CloudWatch.1-Root",
}  # fmt: skip


SCOPED_READS = {  # reads granted on resources of a kind, not on "*"
    "cloudwatch:DescribeAlarms": "arn:aws:cloudwatch:eu-west-1:{account}:alarm:cis-root-usage",
    "logs:DescribeMetricFilters": "arn:aws:logs:eu-west-1:{account}:log-group:cloudtrail",
    "sns:ListSubscriptionsByTopic": f"arn:aws:sns:eu-west-1:{OTHER}:security-alarms",  # another account's topic
    **{
        f"securityhub:{action}": "arn:aws:securityhub:eu-west-1:{account}:hub/default"
        for action in ("DescribeHub", "GetAdministratorAccount", "ListMembers")
    },
    "cloudtrail:GetEventDataStore": "arn:aws:cloudtrail:eu-west-1:{account}:eventdatastore/a1b2c3d4",
    "glue:GetDatabases": "arn:aws:glue:eu-west-1:{account}:catalog",
    "glue:GetTables": "arn:aws:glue:eu-west-1:{account}:table/cloudtrail/management_events",
    "glue:GetJob": "arn:aws:glue:eu-west-1:{account}:job/orders-etl",
    "fis:GetExperimentTemplate": "arn:aws:fis:eu-west-1:{account}:experiment-template/EXT2mWq7rTz9xKc4L",
    # other services' own logging: the account's resources of one kind only
    "appsync:GetGraphqlApi": "arn:aws:appsync:eu-west-1:{account}:apis/q7w3e5r2t8y4u6i9o1p0a2s4d6",
    "mq:DescribeBroker": "arn:aws:mq:eu-west-1:{account}:broker:orders-mq:b-3f2a7c1e-9d4b-4e6a-8c5f-1a2b3c4d5e6f",
    "transfer:DescribeConnector": "arn:aws:transfer:eu-west-1:{account}:connector/c-4a6c8e0a2c4e6a8c0",
    "transfer:DescribeServer": "arn:aws:transfer:eu-west-1:{account}:server/s-2b4d6f8a0c2e4a6b8",
    # Security Hub and AWS Config logging checks that the parity audit found missing
    "ssm:GetServiceSetting": "arn:aws:ssm:eu-west-1:{account}:servicesetting/ssm/automation/"
    "customer-script-log-destination",
    "datasync:DescribeTask": "arn:aws:datasync:eu-west-1:{account}:task/task-0a1b2c3d4e5f60718",
    "connect:DescribeInstanceAttribute": "arn:aws:connect:eu-west-1:{account}:instance/a1b2c3d4-5678-90ab-cdef",
    # Global Accelerator: accelerators are global (no region in their ARN)
    **{
        f"globalaccelerator:{action}": "arn:aws:globalaccelerator::{account}:accelerator/1234abcd-abcd-1234-abcd"
        for action in ("DescribeAcceleratorAttributes", "DescribeCustomRoutingAcceleratorAttributes")
    },
}


def fix_calls(configuration: str, account: str) -> list[Request]:
    requests = []
    for action in sorted({a for c in all_controls() if c.remediate for a in c.write_actions} - {"logs:CreateLogGroup"}):
        requests.append(Request(action, WRITE_REQUESTS[action], {"s3:ResourceAccount": account}))
    if configuration == "log groups":
        requests += [
            Request("logs:CreateLogGroup", f"arn:aws:logs:eu-west-1:{account}:log-group:/vpc/flow-logs"),
            Request("logs:CreateLogGroup", f"arn:aws:logs:eu-west-1:{account}:log-group:/dns/queries"),
            Request(
                "iam:PassRole",
                f"arn:aws:iam::{account}:role/logbaseline-flow-logs-delivery",
                {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"},
            ),  # fmt: skip
            Request("logs:PutResourcePolicy", "*"),
        ]
    else:
        requests += [Request("s3:PutBucketPolicy", "arn:aws:s3:::query-logs", {"s3:ResourceAccount": OTHER})]
    implied = {i for a in IMPLIED_ACTIONS for i in IMPLIED_ACTIONS[a] if i.startswith("logs:") and "Delivery" in i}
    requests += [Request(a, "*") for a in sorted(implied)]
    requests += [
        update_findings(Workflow__Status="RESOLVED", Note__Text="fix verified", Note__UpdatedBy="logbaseline"),
        update_findings(Workflow__Status="SUPPRESSED"),
        Request("securityhub:GetFindings", "arn:aws:securityhub:eu-west-1:{account}:hub/default"),
        Request("securityhub:BatchImportFindings", "arn:aws:securityhub:eu-west-1:{account}:product/{account}/default"),
    ]  # fmt: skip
    return [in_account(r, account) for r in requests]


@pytest.mark.parametrize("role", ["remediator", "member-remediation"])
@pytest.mark.parametrize("configuration", ["everything", "log groups"])
def test_each_fix_may_make_its_own_calls_when_its_destination_is_configured(role, configuration):
    account, identity = policies(role, configuration)
    for request in fix_calls(configuration, account):
        assert allowed(request, identity), f"{role} with {configuration} configured cannot {request}"


@pytest.mark.parametrize("role", ["evaluator", "member-read"])
def test_the_readers_may_read_and_keep_the_workflow_but_write_nothing(role):
    account, identity = policies(role, "everything")
    reads = {a for c in all_controls() for a in c.read_actions}
    for action in sorted(reads):
        resource = "arn:aws:s3:::any-bucket" if action.startswith(("s3:Get", "s3:List")) else "*"
        if action.startswith(("cloudtrail:Get",)):
            resource = f"arn:aws:cloudtrail:eu-west-1:{OTHER}:trail/organization"  # an organization trail
        if action == "eks:DescribeCluster":
            resource = f"arn:aws:eks:eu-west-1:{account}:cluster/prod"
        if action == "cloudtrail:GetEventDataStore":
            resource = f"arn:aws:cloudtrail:eu-west-1:{account}:eventdatastore/EXAMPLE-f852"
        if action == "s3:GetObject":  # the digest verifier: a trail's digest and log files, in any bucket and prefix
            resource = f"arn:aws:s3:::any-bucket/trails/AWSLogs/{account}/CloudTrail-Digest/eu-west-1/d.json.gz"
        if action == "apigateway:GET":  # stages, never the whole of API Gateway (GET /apikeys shows key values)
            resource = "arn:aws:apigateway:eu-west-1::/restapis/a1b2c3d4e5/stages/prod"
        resource = {  # reads granted on the account's own resources of one kind only
            "cloudfront:GetDistributionConfig": f"arn:aws:cloudfront::{account}:distribution/E2QWRUHEXAMPLE",
            "es:DescribeDomains": f"arn:aws:es:eu-west-1:{account}:domain/orders-search",
            "states:DescribeStateMachine": f"arn:aws:states:eu-west-1:{account}:stateMachine:orders-flow",
            "redshift:DescribeLoggingStatus": f"arn:aws:redshift:eu-west-1:{account}:cluster:orders-dw",
            "network-firewall:DescribeLoggingConfiguration": f"arn:aws:network-firewall:eu-west-1:{account}:firewall/e",
            "codebuild:BatchGetProjects": f"arn:aws:codebuild:eu-west-1:{account}:project/orders-build",
            "elasticbeanstalk:DescribeConfigurationSettings": (
                f"arn:aws:elasticbeanstalk:eu-west-1:{account}:environment/o/e"
            ),
        }.get(action, resource)
        resource = SCOPED_READS.get(action, resource).format(account=account)
        assert allowed(Request(action, resource), identity), f"{role} cannot {action}"
    if "s3:GetObject" in reads:  # but no other object of any bucket
        assert not allowed(Request("s3:GetObject", "arn:aws:s3:::any-bucket/payroll/2026.csv"), identity)
    writes = {a for c in all_controls() for a in c.write_actions}
    for request in fix_calls("everything", account):
        if request.action in writes:
            assert not allowed(request, identity), f"{role} may {request.action}"
    workflow = update_findings(Workflow__Status="NEW", Note__Text="n", Note__UpdatedBy="logbaseline")
    assert allowed(in_account(workflow, account), identity)


# --- who may assume the member roles ---------------------------------------------------------------------------------


def trust(role_id: str) -> dict[str, Any]:
    resolver = Resolver(MEMBER, MEMBER_PARAMETERS, MEMBER_ACCOUNT)
    return resolver.value(MEMBER["Resources"][role_id]["Properties"]["AssumeRolePolicyDocument"])


def assume(role_id: str, principal: str, organization: str = ORGANIZATION) -> str:
    target = f"arn:aws:iam::{MEMBER_ACCOUNT}:role/{MEMBER['Resources'][role_id]['Properties']['RoleName']}"
    context = {"aws:PrincipalArn": principal, "aws:PrincipalOrgID": organization}
    return decide(Request("sts:AssumeRole", target, context, principal=principal), [], resource_policy=trust(role_id))


@pytest.mark.parametrize(("role_id", "function"), [("MemberReadRole", "evaluator"),
                                                    ("MemberRemediationRole", "remediator")])  # fmt: skip
def test_only_the_functions_exact_role_may_assume_a_member_role(role_id, function):
    own = Resolver(TEMPLATE, {}, SECURITY, stack_name="logbaseline").role_arn(f"{function.title()}Role")
    assert own == f"arn:aws:iam::{SECURITY}:role/logbaseline/logbaseline-{function}"
    assert assume(role_id, own) == "allow"
    impostors = [
        f"arn:aws:iam::{SECURITY}:role/logbaseline-{function.title()}FunctionRole-ABC123",  # the old wildcard's match
        f"arn:aws:iam::{SECURITY}:role/logbaseline/logbaseline-{function}-copy",
        f"arn:aws:iam::{SECURITY}:role/logbaseline-{function}",  # the same name outside the path
        f"arn:aws:iam::{SECURITY}:role/Admin",
        f"arn:aws:iam::{OTHER}:role/logbaseline/logbaseline-{function}",  # the same role in another account
    ]
    for principal in impostors:
        assert assume(role_id, principal) != "allow", principal
    assert assume(role_id, own, organization="o-zzzzzzzzzz") != "allow", "outside the organization"


@pytest.mark.parametrize("template", ["stack", "member"])
def test_the_flow_log_delivery_role_writes_only_to_the_configured_log_group(template):
    document, account = (TEMPLATE, SECURITY) if template == "stack" else (MEMBER, MEMBER_ACCOUNT)
    extra = MEMBER_PARAMETERS if template == "member" else {}

    def delivery_policies(configuration: str) -> list[dict[str, Any]]:
        resolver = Resolver(document, extra | destinations(configuration, account), account)
        properties = resolver.value(document["Resources"]["FlowLogsDeliveryRole"]["Properties"])
        return [p["PolicyDocument"] for p in properties.get("Policies", [])]

    group = f"arn:aws:logs:eu-west-1:{account}:log-group"
    identity = delivery_policies("log groups")
    assert allowed(Request("logs:PutLogEvents", f"{group}:/vpc/flow-logs:log-stream:eni-1-all"), identity)
    assert allowed(Request("logs:CreateLogStream", f"{group}:/vpc/flow-logs:log-stream:eni-1-all"), identity)
    for other in ("/aws/lambda/orders-api", "/vpc/flow-logs-2", "/vpc"):
        assert not allowed(Request("logs:PutLogEvents", f"{group}:{other}:log-stream:x"), identity), other
    for configuration in ("nothing", "everything"):  # no destination, or flow logs to S3: no grant at all
        assert delivery_policies(configuration) == []


# --- queues accept only their producers; approvals are the evaluator's -------------------------------------------

STACK = Resolver(TEMPLATE, {}, SECURITY)
ADMIN = f"arn:aws:iam::{SECURITY}:role/Admin"
EVERYTHING_ALLOWED = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]


def as_role(name: str) -> tuple[str, list[dict[str, Any]]]:
    """(ARN, policies) of one of the stack's function roles, or of an administrator allowed everything."""
    if name == "admin":
        return ADMIN, EVERYTHING_ALLOWED
    logical_id = f"{name.title()}Role"
    return STACK.role_arn(logical_id), STACK.role_policies(logical_id)


def send(queue: str, role: str) -> str:
    arn, identity = as_role(role)
    policy = next(
        STACK.value(r["Properties"]["PolicyDocument"])
        for r in TEMPLATE["Resources"].values()
        if r["Type"] == "AWS::SQS::QueuePolicy" and {"Ref": queue} in r["Properties"]["Queues"]
    )
    request = Request("sqs:SendMessage", STACK.value({"Fn::GetAtt": [queue, "Arn"]}), {"aws:PrincipalArn": arn}, arn)
    return decide(request, identity, resource_policy=policy)


def test_only_the_evaluator_may_send_fix_requests():
    assert send("FixQueue", "evaluator") == "allow"
    for role in ("remediator", "sweeper", "admin"):
        assert send("FixQueue", role) == "explicit deny", role


def test_only_the_stacks_rules_the_sweeper_and_the_evaluators_own_work_reach_the_evaluation_queues():
    assert send("EvaluationQueue", "sweeper") == "allow"
    assert send("EvaluationQueue", "evaluator") == "allow"  # a sweep's next page, a later reconciliation
    for role in ("remediator", "admin"):
        assert send("EvaluationQueue", role) == "explicit deny", role
    for role in ("sweeper", "evaluator", "remediator", "admin"):
        assert send("PriorityEvaluationQueue", role) != "allow", role
    policy = STACK.value(TEMPLATE["Resources"]["EvaluationQueuePolicy"]["Properties"]["PolicyDocument"])
    rules = [i for i, r in TEMPLATE["Resources"].items() if r["Type"] == "AWS::Events::Rule"]
    assert len(rules) >= 5
    for queue_id in ("EvaluationQueue", "PriorityEvaluationQueue"):
        queue = STACK.value({"Fn::GetAtt": [queue_id, "Arn"]})
        for rule in rules:
            source = {"aws:SourceArn": STACK.value({"Fn::GetAtt": [rule, "Arn"]})}
            by_rule = Request("sqs:SendMessage", queue, source, principal_service="events.amazonaws.com")
            assert decide(by_rule, [], resource_policy=policy) == "allow", rule
        foreign = {"aws:SourceArn": f"arn:aws:events:eu-west-1:{SECURITY}:rule/someone-elses"}
        by_other_rule = Request("sqs:SendMessage", queue, foreign, principal_service="events.amazonaws.com")
        assert decide(by_other_rule, [], resource_policy=policy) == "explicit deny"


def test_only_the_evaluator_may_send_priority_fix_requests():
    assert send("PriorityFixQueue", "evaluator") == "allow"
    for role in ("remediator", "sweeper", "admin"):
        assert send("PriorityFixQueue", role) == "explicit deny", role


def test_only_the_evaluator_may_write_approvals_and_the_remediator_may_read_them():
    table = STACK.value({"Fn::GetAtt": ["ApprovalTable", "Arn"]})
    policy = STACK.value(TEMPLATE["Resources"]["ApprovalTable"]["Properties"]["ResourcePolicy"]["PolicyDocument"])

    def attempt(action: str, role: str) -> str:
        arn, identity = as_role(role)
        return decide(Request(action, table, {"aws:PrincipalArn": arn}, arn), identity, resource_policy=policy)

    assert attempt("dynamodb:PutItem", "evaluator") == "allow"
    assert attempt("dynamodb:GetItem", "remediator") == "allow"
    for role in ("remediator", "sweeper", "admin"):
        for action in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
            assert attempt(action, role) == "explicit deny", (role, action)


def test_the_dead_letter_queues_take_nothing_from_anyone_else():
    assert send("SweepDeadLetterQueue", "sweeper") == "allow"  # Lambda's failed invocations, with the sweeper's role
    for role in ("evaluator", "remediator", "admin"):
        assert send("SweepDeadLetterQueue", role) == "explicit deny", role
        assert send("FixDeadLetterQueue", role) != "allow", role


def test_the_security_review_lists_every_write_statement_of_the_remediator_and_no_other():
    """docs/security.md's table of the remediator's writes names exactly the statements the role holds."""
    review = (ROOT / "docs/security.md").read_text()
    after = review.split("The remediator's writes, statement by statement", 1)[1]
    table = after.split("| statement |", 1)[1].split("\n\n", 1)[0].splitlines()[2:]
    documented = {row.split("|")[1].strip().strip("`") for row in table}
    reads_and_engine = {"ReadLoggingState", "ReadExemptionTags", "ReadTrails", "ReadClusters", "ReadBuckets",
                        "ReadApiStages",
                        "ImportFindings", "FindingWorkflow", "ReadFindings", "FixMemberAccounts", "AuditTrail",
                        "CheckApprovals", "Idempotency", "ReadEventDataStores", "RecordExemptionTags",
                        "ReadExemptionRegister", "ReadOrganizationalUnits",
                        "ReadSecurityAlarms", "ReadAlarmsForMetric", "ReadAlarmTopicSubscribers",
                        "ReadLogBucketSources"}  # fmt: skip
    statements = {s["Sid"] for s in sam_template.policy_statements(TEMPLATE, "RemediatorFunction")}
    assert documented == statements - reads_and_engine
