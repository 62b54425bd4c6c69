"""The guard rails outside the stack (stacksets/policies/): a resource control policy and service control policies
that an organization attaches itself (docs/security.md says how).

Each document is valid policy grammar for its kind, fits AWS Organizations' size limit once its placeholders are
filled with the longest values the stacks accept, names no account, and, evaluated with tests/iam_policy.py, denies
what it says to everyone but the principals it names, on the resources the templates actually create.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from logbaseline import sam_template

from tests.cfn import Resolver
from tests.conftest import ROOT
from tests.iam_policy import Request, decide

POLICIES = ROOT / "stacksets/policies"
TEMPLATE = sam_template.load(ROOT / "template.yaml")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# What the person attaching a document fills in (docs/security.md lists each).
PLACEHOLDERS = {
    "Partition",
    "SecurityAccountId",
    "SecurityStackName",
    "LayerName",
    "DeployerRoleArn",
    "StackSetExecutionRoleName",
    "MemberStackSetName",
    "SecurityTeamRoleArn",
}
SECURITY, MEMBER, OTHER = "111122223333", "222233334444", "999988887777"
VALUES = {
    "Partition": "aws",
    "SecurityAccountId": SECURITY,
    "SecurityStackName": "logbaseline",
    "LayerName": "LogbaselineLayer",
    "DeployerRoleArn": f"arn:aws:iam::{SECURITY}:role/logbaseline-deployer",
    "StackSetExecutionRoleName": "stacksets-exec-*",
    "MemberStackSetName": "logbaseline-member",
    "SecurityTeamRoleArn": f"arn:aws:iam::{SECURITY}:role/security-team",
}
ORGANIZATIONS_MAX_CHARS = 5120  # an SCP's or RCP's document, whitespace included
RCP_SERVICES = {"s3", "sts", "sqs", "kms", "secretsmanager"}  # the services RCPs apply to
ADMIN_ALLOWED = [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]


def documents() -> list[Path]:
    return sorted(POLICIES.glob("*.json"))


def render(path: Path, values: dict[str, str] = VALUES) -> dict[str, Any]:
    return json.loads(PLACEHOLDER.sub(lambda m: values[m.group(1)], path.read_text()))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_documents_are_there():
    assert [p.name for p in documents()] == [
        "rcp-member-roles.json",
        "scp-exempt-tag.json",
        "scp-member-accounts.json",
        "scp-security-account.json",
    ]


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.name)
def test_each_document_is_parameterised_and_names_no_account(path):
    text = path.read_text()
    assert set(PLACEHOLDER.findall(text)) <= PLACEHOLDERS
    assert not re.search(r"\d{12}", text), "no account id: {{SecurityAccountId}}"
    assert "arn:aws:" not in text, "no partition: {{Partition}}"
    security = (ROOT / "docs/security.md").read_text()
    assert f"`stacksets/policies/{path.name}`" in security, "docs/security.md says how to attach it"
    for name in PLACEHOLDER.findall(text):
        assert f"`{{{{{name}}}}}`" in security, f"docs/security.md says what {{{{{name}}}}} is"


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.name)
def test_each_document_is_valid_grammar_for_its_kind_and_fits_organizations_limit(path):
    longest = VALUES | {
        "SecurityStackName": "s" * 53,
        "DeployerRoleArn": f"arn:aws-us-gov:iam::{SECURITY}:role/" + "d" * 64,
    }
    rendered = PLACEHOLDER.sub(lambda m: longest[m.group(1)], path.read_text())
    assert len(rendered) <= ORGANIZATIONS_MAX_CHARS, f"{len(rendered)} characters"
    policy = json.loads(rendered)
    assert set(policy) == {"Version", "Statement"} and policy["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(set(sids)) == len(sids) and all(re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids)
    resource_control = path.name.startswith("rcp-")
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Deny", "a guard rail only denies; the accounts' own policies allow"
        assert set(statement) <= {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}
        actions = as_list(statement["Action"])
        assert actions == sorted(actions) and len(set(actions)) == len(actions)
        for action in actions:
            assert re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z]+", action), action
        if resource_control:  # RCPs: Principal "*", only the services RCPs cover
            assert statement["Principal"] == "*"
            assert {a.split(":")[0] for a in actions} <= RCP_SERVICES
        else:
            assert "Principal" not in statement, "an SCP names no principal"
        for resource in as_list(statement["Resource"]):
            assert resource == "*" or resource.startswith("arn:"), resource


# --- what each document denies, evaluated --------------------------------------------------------------------------

RCP = render(POLICIES / "rcp-member-roles.json")
FUNCTION_ROLE = f"arn:aws:iam::{SECURITY}:role/logbaseline/logbaseline-{{}}"


def assume(role: str, principal: str, action: str = "sts:AssumeRole") -> str:
    target = f"arn:aws:iam::{MEMBER}:role/{role}"
    context = {"aws:PrincipalArn": principal, "aws:PrincipalIsAWSService": "false"}
    return decide(Request(action, target, context, principal=principal), ADMIN_ALLOWED, resource_policy=RCP)


def test_the_rcp_lets_only_each_function_assume_its_member_role():
    assert assume("logbaseline-member-read", FUNCTION_ROLE.format("evaluator")) == "allow"
    assert assume("logbaseline-member-remediation", FUNCTION_ROLE.format("remediator")) == "allow"
    assert (
        assume("logbaseline-member-remediation", FUNCTION_ROLE.format("remediator"), "sts:SetSourceIdentity") == "allow"
    )
    impostors = [
        FUNCTION_ROLE.format("sweeper"),
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",  # the member's own administrator
        f"arn:aws:iam::{SECURITY}:role/Admin",
        f"arn:aws:iam::{OTHER}:role/logbaseline/logbaseline-remediator",
    ]
    for principal in impostors + [FUNCTION_ROLE.format("evaluator")]:
        assert assume("logbaseline-member-remediation", principal) == "explicit deny", principal
    for principal in impostors + [FUNCTION_ROLE.format("remediator")]:
        assert assume("logbaseline-member-read", principal) == "explicit deny", principal
    assert assume("some-other-role", f"arn:aws:iam::{SECURITY}:role/Admin") == "allow", "only the member roles"


def created(kind: str) -> list[str]:
    return [logical_id for logical_id, r in TEMPLATE["Resources"].items() if r["Type"] == kind]


def stack_resources() -> dict[str, list[str]]:
    """ARNs of what the stack creates, named as CloudFormation names what the template leaves unnamed."""
    at = f"eu-west-1:{SECURITY}"
    stack = Resolver(TEMPLATE, {}, SECURITY, stack_name="logbaseline")
    named = [i for i in created("AWS::IAM::Role") if "RoleName" in TEMPLATE["Resources"][i]["Properties"]]
    return {
        "role": [stack.role_arn(i) for i in named],
        "function": [
            f"arn:aws:lambda:{at}:function:logbaseline-{i}-AbC123dEf" for i in created("AWS::Serverless::Function")
        ],
        "layer": [f"arn:aws:lambda:{at}:layer:{i}:7" for i in created("AWS::Serverless::LayerVersion")],
        "queue": [f"arn:aws:sqs:{at}:logbaseline-{i}-AbC123dEf" for i in created("AWS::SQS::Queue")],
        "table": [f"arn:aws:dynamodb:{at}:table/logbaseline-{i}-AbC123dEf" for i in created("AWS::DynamoDB::Table")],
        "stack": [f"arn:aws:cloudformation:{at}:stack/logbaseline/0a1b2c3d-0000-1111-2222-333344445555"],
    }


CHANGES = {
    "role": ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:PassRole",
             "iam:DeleteRole"],
    "function": ["lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:InvokeFunction",
                 "lambda:DeleteFunction", "lambda:AddPermission", "lambda:PutFunctionCodeSigningConfig"],
    "layer": ["lambda:PublishLayerVersion", "lambda:DeleteLayerVersion", "lambda:AddLayerVersionPermission"],
    "queue": ["sqs:SetQueueAttributes", "sqs:AddPermission", "sqs:PurgeQueue", "sqs:DeleteQueue"],
    "table": ["dynamodb:PutResourcePolicy", "dynamodb:DeleteResourcePolicy", "dynamodb:UpdateTable",
              "dynamodb:DeleteTable"],
    "stack": ["cloudformation:UpdateStack", "cloudformation:DeleteStack", "cloudformation:ExecuteChangeSet",
              "cloudformation:SetStackPolicy"],
}  # fmt: skip


def as_principal(principal: str, action: str, resource: str, policy: dict[str, Any], **context: str) -> str:
    request = Request(action, resource, {"aws:PrincipalArn": principal, **context}, principal=principal)
    return decide(request, [*ADMIN_ALLOWED, policy])


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_the_security_account_scp_protects_what_the_stack_creates_from_everyone_but_the_deployer(kind):
    scp = render(POLICIES / "scp-security-account.json")
    resources = stack_resources()[kind]
    assert resources, kind
    admin, deployer = f"arn:aws:iam::{SECURITY}:role/Admin", VALUES["DeployerRoleArn"]
    for resource in resources:
        for action in CHANGES[kind]:
            assert as_principal(admin, action, resource, scp) == "explicit deny", (action, resource)
            assert as_principal(deployer, action, resource, scp) == "allow", (action, resource)
    unrelated = {
        "role": f"arn:aws:iam::{SECURITY}:role/app",
        "function": f"arn:aws:lambda:eu-west-1:{SECURITY}:function:app",
    }
    if kind in unrelated:
        assert as_principal(admin, CHANGES[kind][0], unrelated[kind], scp) == "allow", "only logbaseline's"


def test_the_security_account_scp_keeps_the_functions_queue_subscriptions():
    scp = render(POLICIES / "scp-security-account.json")
    function = stack_resources()["function"][0]
    for action in ("lambda:DeleteEventSourceMapping", "lambda:UpdateEventSourceMapping"):
        context = {"lambda:FunctionArn": function}
        assert as_principal(f"arn:aws:iam::{SECURITY}:role/Admin", action, "*", scp, **context) == "explicit deny"
        assert as_principal(VALUES["DeployerRoleArn"], action, "*", scp, **context) == "allow"


def test_the_member_scp_leaves_the_member_roles_and_stack_to_the_stackset():
    scp = render(POLICIES / "scp-member-accounts.json")
    admin, stackset = (
        f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole",
        f"arn:aws:iam::{MEMBER}:role/stacksets-exec-0a1b2c",
    )
    member = sam_template.load(ROOT / "stacksets/member.yaml")
    names = [r["Properties"].get("RoleName") for r in member["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    for name in ("logbaseline-member-read", "logbaseline-member-remediation"):
        assert name in names
        role = f"arn:aws:iam::{MEMBER}:role/{name}"
        for action in CHANGES["role"]:
            assert as_principal(admin, action, role, scp) == "explicit deny", (action, name)
            assert as_principal(stackset, action, role, scp) == "allow", (action, name)
    stack = f"arn:aws:cloudformation:eu-west-1:{MEMBER}:stack/StackSet-logbaseline-member-0a1b2c/0a1b2c3d"
    for action in CHANGES["stack"]:
        assert as_principal(admin, action, stack, scp) == "explicit deny", action
        assert as_principal(stackset, action, stack, scp) == "allow", action


def test_the_exemption_tag_scp_leaves_the_tag_to_the_security_team():
    scp = render(POLICIES / "scp-exempt-tag.json")
    vpc = f"arn:aws:ec2:eu-west-1:{MEMBER}:vpc/vpc-1"
    owner, team = f"arn:aws:iam::{MEMBER}:role/app-owner", VALUES["SecurityTeamRoleArn"]
    exempt = {"aws:TagKeys": ["logbaseline:exempt"]}
    for action in ("ec2:CreateTags", "ec2:DeleteTags", "tag:TagResources", "logs:TagResource"):
        assert (
            decide(Request(action, vpc, {"aws:PrincipalArn": owner, **exempt}), [*ADMIN_ALLOWED, scp])
            == "explicit deny"
        )
        assert decide(Request(action, vpc, {"aws:PrincipalArn": team, **exempt}), [*ADMIN_ALLOWED, scp]) == "allow"
    other_tag = {"aws:PrincipalArn": owner, "aws:TagKeys": ["team", "cost-centre"]}
    assert decide(Request("ec2:CreateTags", vpc, other_tag), [*ADMIN_ALLOWED, scp]) == "allow", "other tags are free"


# --- Lambda code signing, an option ----------------------------------------------------------------------------

PROFILE = "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/logbaseline/a1B2c3D4e5"


@pytest.mark.parametrize("profile", ["", PROFILE])
def test_code_signing_is_on_exactly_when_a_profile_is_given_and_covers_every_function(profile):
    stack = Resolver(TEMPLATE, {"CodeSigningProfileVersionArn": profile}, SECURITY)
    assert stack.condition("SignsCode") is bool(profile)
    config = TEMPLATE["Resources"]["CodeSigningConfig"]
    assert config["Condition"] == "SignsCode"
    functions = created("AWS::Serverless::Function")
    assert len(functions) == 3
    for function_id in functions:
        properties = stack.value(TEMPLATE["Resources"][function_id]["Properties"])
        if profile:
            assert properties["CodeSigningConfigArn"] == stack.value(
                {"Fn::GetAtt": ["CodeSigningConfig", "CodeSigningConfigArn"]}
            ), function_id
        else:
            assert "CodeSigningConfigArn" not in properties, function_id
    if profile:
        resolved = stack.value(config["Properties"])
        assert resolved["AllowedPublishers"] == {"SigningProfileVersionArns": [PROFILE]}
        assert resolved["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Enforce"}


def test_the_signing_profile_parameter_takes_a_profile_version_or_nothing():
    pattern = re.compile(TEMPLATE["Parameters"]["CodeSigningProfileVersionArn"]["AllowedPattern"])
    for good in ("", PROFILE, "arn:aws-us-gov:signer:us-gov-west-1:111122223333:/signing-profiles/p_1/0123456789"):
        assert pattern.fullmatch(good), good
    for bad in ("logbaseline", f"{PROFILE}x", "arn:aws:signer:eu-west-1:111122223333:/signing-profiles/logbaseline"):
        assert not pattern.fullmatch(bad), bad


def test_the_deployment_guide_signs_every_function_and_the_layer():
    guide = (ROOT / "docs/deployment.md").read_text()
    [line] = [x for x in guide.splitlines() if "--signing-profiles" in x]
    signed = {item.split("=")[0] for item in line.split("--signing-profiles", 1)[1].split()}
    assert signed == set(created("AWS::Serverless::Function")) | set(created("AWS::Serverless::LayerVersion"))
    assert "CodeSigningProfileVersionArn" in guide
