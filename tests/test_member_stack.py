"""The member StackSet mirrors the logbaseline stack: the same grants, the same event patterns, trust pinned down."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from logbaseline import emulator, sam_template
from logbaseline.controls import all_controls

from tests.cfn import FORWARDED_RULES, Resolver
from tests.conftest import ROOT

TEMPLATE = sam_template.load(ROOT / "template.yaml")
MEMBER = sam_template.load(ROOT / "stacksets/member.yaml")
RESOURCES = MEMBER["Resources"]

# Grants on the security account's own resources (queues, tables, keys), the hop into a member account and the
# account list of the organization: they stay with the functions, a member role never needs them.
SECURITY_SIDE_SERVICES = {"sqs", "dynamodb", "kms", "sts", "organizations"}
SECURITY_SIDE_STATEMENTS = {"ReadExemptionRegister"}  # the register lives in the security account's bucket
MEMBER_DELIVERY_ROLE_ARN = {
    "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/logbaseline-flow-logs-delivery"
}
SECURITY_BUS_ARN = {"Fn::Sub": "arn:${AWS::Partition}:events:${SecurityRegion}:${SecurityAccountId}:event-bus/default"}
# role in member.yaml -> (its fixed name, the function of template.yaml whose grants it mirrors)
MEMBER_ROLES = {
    "MemberReadRole": ("logbaseline-member-read", "EvaluatorFunction"),
    "MemberRemediationRole": ("logbaseline-member-remediation", "RemediatorFunction"),
}

Grant = tuple[str, str, str]  # (action, resource, condition), the last two as canonical JSON


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def role_statements(logical_id: str) -> list[dict[str, Any]]:
    policies = RESOURCES[logical_id]["Properties"].get("Policies", [])
    return [s for p in policies for s in sam_template.unconditional(p["PolicyDocument"]["Statement"])]


def all_statements(document: Any) -> Iterator[dict[str, Any]]:
    """Every policy statement anywhere in a template: inline, trust, queue, bus and key policies."""
    if isinstance(document, dict):
        if "Effect" in document and ("Action" in document or "NotAction" in document):
            yield document
        for value in document.values():
            yield from all_statements(value)
    elif isinstance(document, list):
        for value in document:
            yield from all_statements(value)


def grants(statements: list[dict[str, Any]]) -> set[Grant]:
    return {
        (action, canonical(resource), canonical(s.get("Condition", {})))
        for s in statements
        if s["Effect"] == "Allow"
        for action in as_list(s["Action"])
        for resource in as_list(s["Resource"])
    }


def member_side_grants(function_id: str) -> set[Grant]:
    """The function's grants that act in the account a resource belongs to, as a member role must hold them.

    `${AWS::AccountId}` reads the same in both templates (there the security account, here the member); the
    flow-log delivery role the stack creates becomes the member's own, fixed-name one.
    """
    statements = []
    for statement in sam_template.policy_statements(TEMPLATE, function_id):
        if statement.get("Sid") in SECURITY_SIDE_STATEMENTS:
            continue
        actions = [a for a in as_list(statement["Action"]) if a.split(":")[0] not in SECURITY_SIDE_SERVICES]
        if not actions:
            continue
        resources = [
            MEMBER_DELIVERY_ROLE_ARN if r == {"Fn::GetAtt": ["FlowLogsDeliveryRole", "Arn"]} else r
            for r in as_list(statement["Resource"])
        ]
        statements.append({**statement, "Action": actions, "Resource": resources})
    return grants(statements)


def actions_of(grant_set: set[Grant]) -> set[str]:
    return {action for action, _, _ in grant_set}


@pytest.mark.parametrize("role_id", sorted(MEMBER_ROLES))
def test_member_role_holds_exactly_the_actions_its_function_uses_in_an_account(role_id):
    _, function_id = MEMBER_ROLES[role_id]
    expected = actions_of(member_side_grants(function_id))
    assert expected, "the function grants something to mirror"
    assert actions_of(grants(role_statements(role_id))) == expected


@pytest.mark.parametrize("role_id", sorted(MEMBER_ROLES))
def test_member_role_scopes_each_action_as_its_function_does(role_id):
    _, function_id = MEMBER_ROLES[role_id]
    assert grants(role_statements(role_id)) == member_side_grants(function_id)


def test_the_read_role_cannot_write_what_the_remediation_role_fixes():
    reads = actions_of(grants(role_statements("MemberReadRole")))
    remediation_only = actions_of(grants(role_statements("MemberRemediationRole"))) - reads
    assert remediation_only and not remediation_only & reads
    assert "iam:PassRole" in remediation_only and "ec2:CreateFlowLogs" in remediation_only


def test_findings_go_to_the_members_own_product_and_hub():
    for role_id in MEMBER_ROLES:
        by_action = {a: json.loads(r) for a, r, _ in grants(role_statements(role_id))}
        account = "arn:${AWS::Partition}:securityhub:*:${AWS::AccountId}"
        assert by_action["securityhub:BatchImportFindings"] == {
            "Fn::Sub": f"{account}:product/${{AWS::AccountId}}/default"
        }
        assert by_action["securityhub:BatchUpdateFindings"] == {"Fn::Sub": f"{account}:hub/default"}
        assert by_action["securityhub:GetFindings"] == {"Fn::Sub": f"{account}:hub/default"}


def principals(document: Any) -> Iterator[dict[str, Any]]:
    """Every mapping that names a principal: policy statements, and the short form of an event bus policy."""
    if isinstance(document, dict):
        if "Principal" in document or "NotPrincipal" in document:
            yield document
        for value in document.values():
            yield from principals(value)
    elif isinstance(document, list):
        for value in document:
            yield from principals(value)


def is_wildcard(principal: Any) -> bool:
    if isinstance(principal, dict):
        return any("*" in str(v) for values in principal.values() for v in as_list(values))
    return "*" in str(principal)


def limited_to_the_organization(granting: dict[str, Any]) -> bool:
    condition = granting.get("Condition", {})
    short_form = condition.get("Key") == "aws:PrincipalOrgID" and condition.get("Type") == "StringEquals"
    return short_form or "aws:PrincipalOrgID" in condition.get("StringEquals", {})


def test_the_member_stack_names_no_wildcard_principal():
    named = list(principals(MEMBER))
    assert len(named) >= len(MEMBER_ROLES)
    for granting in named:
        assert "NotPrincipal" not in granting and not is_wildcard(granting["Principal"]), granting


def test_the_stack_allows_a_wildcard_principal_only_for_the_organization():
    # An organization-wide bus policy can only say "anyone of the organization": * with aws:PrincipalOrgID.
    # A Deny may name everyone: the queue and table policies deny all but their one writer.
    for granting in principals(TEMPLATE):
        assert "NotPrincipal" not in granting, granting
        if is_wildcard(granting["Principal"]) and granting.get("Effect") != "Deny":
            assert limited_to_the_organization(granting), granting


def test_no_wildcard_action_in_the_member_stack():
    statements = list(all_statements(MEMBER))
    assert statements
    for statement in statements:
        assert "NotAction" not in statement
        for action in as_list(statement["Action"]):
            assert "*" not in action, statement
            assert not action.startswith("iam:") or action in {"iam:PassRole", "iam:CreateServiceLinkedRole"}


def trust_statements(role_id: str) -> list[dict[str, Any]]:
    return RESOURCES[role_id]["Properties"]["AssumeRolePolicyDocument"]["Statement"]


@pytest.mark.parametrize("role_id", sorted(MEMBER_ROLES))
def test_member_roles_trust_only_their_function_in_the_security_account_of_the_organization(role_id):
    _, function_id = MEMBER_ROLES[role_id]
    statement, *source_identity = trust_statements(role_id)
    assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${SecurityAccountId}:root"}}
    role = TEMPLATE["Resources"][sam_template.role_id(TEMPLATE, function_id)]["Properties"]
    # The exact ARN of the function's role as the stack names it, with the stack's name as SecurityStackName.
    stack_role_name = role["RoleName"]["Fn::Sub"].replace("${AWS::StackName}", "${SecurityStackName}")
    expected_arn = f"arn:${{AWS::Partition}}:iam::${{SecurityAccountId}}:role{role['Path']}{stack_role_name}"
    assert statement["Condition"] == {
        "StringEquals": {
            "aws:PrincipalArn": {"Fn::Sub": expected_arn},
            "aws:PrincipalOrgID": {"Ref": "OrganizationId"},
        }
    }
    assert "*" not in expected_arn and "?" not in expected_arn
    # The remediator's fix sessions name their request (engine/sessions.py): it alone may set a SourceIdentity,
    # and only one of logbaseline's.
    if function_id == "RemediatorFunction":
        (setter,) = source_identity
        assert setter["Action"] == "sts:SetSourceIdentity" and setter["Principal"] == statement["Principal"]
        assert setter["Condition"] == statement["Condition"] | {"StringLike": {"sts:SourceIdentity": "logbaseline-*"}}
    else:
        assert source_identity == [], "the evaluator's account sessions set no SourceIdentity"


def test_the_function_role_names_fit_iam_for_every_stack_name_the_member_stack_accepts():
    longest = "s" * MEMBER["Parameters"]["SecurityStackName"]["MaxLength"]
    for function_id in ("EvaluatorFunction", "RemediatorFunction"):
        role = TEMPLATE["Resources"][sam_template.role_id(TEMPLATE, function_id)]["Properties"]
        assert len(role["RoleName"]["Fn::Sub"].replace("${AWS::StackName}", longest)) <= 64  # IAM's limit


def test_every_trust_policy_is_pinned_to_an_account():
    roles = [i for i, r in RESOURCES.items() if r["Type"] == "AWS::IAM::Role"]
    assert set(MEMBER_ROLES) < set(roles)
    for role_id in roles:
        for statement in trust_statements(role_id):
            condition = statement["Condition"]
            if "AWS" in statement["Principal"]:
                assert condition["StringEquals"]["aws:PrincipalOrgID"] == {"Ref": "OrganizationId"}, role_id
                arn = condition["StringEquals"]["aws:PrincipalArn"]["Fn::Sub"]
                assert arn.startswith("arn:${AWS::Partition}:iam::${SecurityAccountId}:role/logbaseline/"), role_id
                assert set(condition) - {"StringLike"} == {"StringEquals"}, "no ArnLike: exact ARNs only"
                assert set(condition.get("StringLike", {})) <= {"sts:SourceIdentity"}, "no StringLike on principals"
            else:  # a service acting for this account only (confused deputy)
                assert condition["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}, role_id


def test_flow_logs_delivery_role_is_the_stacks_own_under_the_fixed_name():
    member = RESOURCES["FlowLogsDeliveryRole"]["Properties"]
    own = TEMPLATE["Resources"]["FlowLogsDeliveryRole"]["Properties"]
    assert member["RoleName"] == "logbaseline-flow-logs-delivery"
    assert member["AssumeRolePolicyDocument"] == own["AssumeRolePolicyDocument"]
    assert member["Policies"] == own["Policies"]


def test_pass_role_only_of_the_delivery_role_and_only_to_flow_logs():
    passing = [s for s in all_statements(MEMBER) if "iam:PassRole" in as_list(s["Action"])]
    assert len(passing) == 1
    (statement,) = passing
    assert as_list(statement["Action"]) == ["iam:PassRole"]
    assert statement["Resource"] == MEMBER_DELIVERY_ROLE_ARN
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}}


def test_global_roles_are_made_once_in_the_role_region_and_regional_ones_everywhere():
    assert MEMBER["Conditions"]["CreateRoles"] == {"Fn::Equals": [{"Ref": "AWS::Region"}, {"Ref": "RoleRegion"}]}
    for logical_id, resource in RESOURCES.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        if "RoleName" in resource["Properties"]:  # the write roles also need ReadOnly off (CreateWriteRoles)
            assert resource.get("Condition") in ("CreateRoles", "CreateWriteRoles"), logical_id
        else:
            assert "Condition" not in resource, logical_id
    names = {RESOURCES[role_id]["Properties"]["RoleName"] for role_id in MEMBER_ROLES}
    assert names == {name for name, _ in MEMBER_ROLES.values()}
    for output in ("ReadRoleArn", "RemediationRoleArn", "FlowLogsDeliveryRoleArn"):
        assert MEMBER["Outputs"][output]["Condition"] in ("CreateRoles", "CreateWriteRoles")


@pytest.mark.parametrize("read_only", ["true", "false"])
def test_a_read_only_member_stack_creates_no_role_that_can_change_the_account(read_only):
    """The management account's stack (docs/organization.md): the read role only, and the event forwarding."""
    parameters = {"SecurityAccountId": "111122223333", "OrganizationId": "o-a1b2c3d4e5", "SecurityRegion": "eu-west-1",
                  "RoleRegion": "eu-west-1", "ReadOnly": read_only}  # fmt: skip
    stack = Resolver(MEMBER, parameters, "222233334444", region="eu-west-1")
    created = {i for i, r in RESOURCES.items() if "Condition" not in r or stack.condition(r["Condition"])}
    writers = {"MemberRemediationRole", "FlowLogsDeliveryRole"}
    assert "MemberReadRole" in created and "EventForwardingRole" in created
    assert (created & writers == set()) is (read_only == "true")
    outputs = {o for o, v in MEMBER["Outputs"].items() if "Condition" not in v or stack.condition(v["Condition"])}
    assert ("RemediationRoleArn" in outputs) is (read_only == "false")
    read_policies = stack.role_policies("MemberReadRole")
    writes = {a for c in all_controls() for a in c.write_actions}
    granted = {a for p in read_policies for s in p["Statement"] for a in as_list(s["Action"])}
    assert not granted & writes, "the read role writes nothing"


def test_forwarded_patterns_are_the_stacks_own():
    own = {rule.logical_id: rule.pattern for rule in sam_template.event_rules(TEMPLATE)}
    forwarded = {i: r["Properties"]["EventPattern"] for i, r in RESOURCES.items() if r["Type"] == "AWS::Events::Rule"}
    assert set(forwarded) == set(FORWARDED_RULES), "the custom action rule stays in the security account"
    for rule_id in FORWARDED_RULES:
        assert forwarded[rule_id] == own[rule_id], rule_id


def test_rules_forward_to_the_security_bus_with_a_role_that_may_only_put_events_there():
    for rule_id in FORWARDED_RULES:
        (target,) = RESOURCES[rule_id]["Properties"]["Targets"]
        assert target["Arn"] == SECURITY_BUS_ARN, rule_id
        assert target["RoleArn"] == {"Fn::GetAtt": ["EventForwardingRole", "Arn"]}, rule_id
    (trust,) = trust_statements("EventForwardingRole")
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    assert grants(role_statements("EventForwardingRole")) == {
        ("events:PutEvents", canonical(SECURITY_BUS_ARN), canonical({}))
    }


@pytest.mark.parametrize(
    ("parameter", "good", "bad"),
    [
        ("SecurityAccountId", ["111122223333"], ["11112222333", "1111222233334", "11112222333a", ""]),
        ("OrganizationId", ["o-a1b2c3d4e5", "o-exampleorgid01"], ["a1b2c3d4e5", "o-ABCDEFGHIJ", "o-abc", ""]),
        ("SecurityRegion", ["eu-west-1", "us-gov-west-1"], ["eu-west", "EU-WEST-1", ""]),
        ("RoleRegion", ["us-east-1"], ["us-east", ""]),
        ("SecurityStackName", ["logbaseline", "logbaseline-prod"], ["1stack", "my_stack", ""]),
    ],
)
def test_parameters_refuse_malformed_values(parameter, good, bad):
    pattern = re.compile(MEMBER["Parameters"][parameter]["AllowedPattern"])
    for value in good:
        assert pattern.fullmatch(value), value
    for value in bad:
        assert not pattern.fullmatch(value), value


def test_the_organization_guide_names_only_parameters_the_templates_have():
    guide = (ROOT / "docs/organization.md").read_text()
    stack_parameters = set(re.findall(r"'(\w+)=\"", guide))  # samconfig.toml entries
    member_parameters = set(re.findall(r"ParameterKey=(\w+)", guide))
    assert stack_parameters and stack_parameters <= set(TEMPLATE["Parameters"])
    assert member_parameters == set(MEMBER["Parameters"])


# --- on the emulator: the documents are valid IAM, and the security account gets the member's role ----------

SECURITY_ACCOUNT = "123456789012"  # moto's default account plays the security account
MEMBER_ACCOUNT = "222233334444"
STACK_VALUES = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::AccountId": MEMBER_ACCOUNT,
    "SecurityAccountId": SECURITY_ACCOUNT,
    "OrganizationId": "o-a1b2c3d4e5",
    "SecurityStackName": "logbaseline",
    "SecurityRegion": "eu-west-1",
}


def resolve(value: Any) -> Any:
    """The member stack's intrinsic functions as CloudFormation would resolve them in MEMBER_ACCOUNT, with every
    destination set (so that every conditional grant is there to be validated)."""
    parameters = {k: v for k, v in STACK_VALUES.items() if not k.startswith("AWS::")} | {
        "FlowLogDestination": "/vpc/flow-logs",
        "QueryLogDestinationArn": "arn:aws:s3:::query-logs",
        "ElbAccessLogBucket": "elb-logs",
        "AccessLogBucket": "access-logs",
    }
    return Resolver(MEMBER, parameters, MEMBER_ACCOUNT, STACK_VALUES["AWS::Region"]).value(value)


def session_in(sts: Any, role_arn: str, name: str) -> boto3.Session:
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=name)["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=STACK_VALUES["AWS::Region"],
    )


def test_roles_are_valid_iam_and_the_security_account_reaches_the_members_read_role(moto_endpoint):
    # moto checks the policy grammar and keeps accounts apart, but it does not evaluate trust policies:
    # who may assume the roles is pinned by the tests above, not here.
    emulator.reset(moto_endpoint)
    security_sts = boto3.client("sts", region_name=STACK_VALUES["AWS::Region"])
    assert security_sts.get_caller_identity()["Account"] == SECURITY_ACCOUNT
    iam = session_in(security_sts, f"arn:aws:iam::{MEMBER_ACCOUNT}:role/stackset-exec", "stackset").client("iam")
    for logical_id, resource in RESOURCES.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        properties = resolve(resource["Properties"])
        name = properties.get("RoleName", logical_id)
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(properties["AssumeRolePolicyDocument"]))
        for policy in properties["Policies"]:
            iam.put_role_policy(
                RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(policy["PolicyDocument"])
            )

    read = session_in(security_sts, f"arn:aws:iam::{MEMBER_ACCOUNT}:role/logbaseline-member-read", "evaluator")
    identity = read.client("sts").get_caller_identity()
    assert identity["Account"] == MEMBER_ACCOUNT
    assert identity["Arn"] == f"arn:aws:sts::{MEMBER_ACCOUNT}:assumed-role/logbaseline-member-read/evaluator"
    assert not boto3.client("iam").list_roles()["Roles"], "the roles exist in the member account only"


def test_the_organization_guide_puts_no_write_role_in_the_management_account():
    guide = (ROOT / "docs/organization.md").read_text()
    section = re.split(r"\n## \d+\. The management account", guide, maxsplit=1)[1].split("\n## ", 1)[0]
    [command] = [block for block in section.split("```")[1::2] if "stacksets/member.yaml" in block]
    assert "ReadOnly=true" in command, "the management account's member stack is read only"
    assert "RemediationAccountsDeny" in section and "RemediationAccountsDeny" in TEMPLATE["Parameters"]
    assert "ReadOnly=true" not in guide.replace(section, ""), "members keep their remediation role"
