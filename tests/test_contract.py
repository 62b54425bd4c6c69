"""Contracts between the registry, the control modules, the template and the IAM grants."""

from __future__ import annotations

import ast
import copy
import importlib
import json
import re
from pathlib import Path

import pytest
from botocore.client import BaseClient
from logbaseline import demo, sam_template
from logbaseline.aws import AUTHORIZED_AS, IMPLIED_ACTIONS
from logbaseline.controls import REGISTRY, all_controls, load
from logbaseline.engine.routing import TAMPER_EVENTS
from logbaseline.engine.settings import Settings
from logbaseline.engine.tagging import TAGGING_CALLS
from logbaseline.models import Mode, Scope

from tests.cfn import API_CALL_RULES
from tests.conftest import CALLS, REGION, ROOT, current_role

CONTROLS_DIR = ROOT / "layers/logbaseline/logbaseline/controls"
TEMPLATE = sam_template.load(ROOT / "template.yaml")
RULES = {rule.logical_id: rule for rule in sam_template.event_rules(TEMPLATE)}
# Every function's own calls beyond the controls' (queues, findings, idempotency records).
ENGINE_ACTIONS = {
    "EvaluatorFunction": {
        "securityhub:BatchImportFindings",
        "securityhub:BatchUpdateFindings",
        "securityhub:GetFindings",
        "sqs:SendMessage",
        "dynamodb:PutItem",  # approvals; the digest verifier's checkpoints; exemption tags' records (ExemptionTagTable)
        "dynamodb:GetItem",  # the digest verifier's checkpoints
        "dynamodb:Query",  # since when an exemption tag has been set (engine/tag_records.py)
        "sts:AssumeRole",  # the member read role only (test_member_roles_are_the_only_roles_assumed)
        "tag:GetResources",
        "s3:GetObject",  # the exemption register's one object (docs/exemptions.md)
        "organizations:ListParents",  # the OUs of an account, for register entries that name OUs
    },
    "RemediatorFunction": {
        "sts:AssumeRole",
        "sts:SetSourceIdentity",  # each fix session names its request (engine/sessions.py)
        "securityhub:BatchImportFindings",
        "tag:GetResources",
        "securityhub:GetFindings",
        "securityhub:GetFindingHistory",  # who suppressed a finding (a member's suppression never stops a fix)
        "s3:GetObject",  # the exemption register's one object
        "organizations:ListParents",
        "securityhub:BatchUpdateFindings",
        "dynamodb:Query",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    },
    "SweeperFunction": {"sqs:SendMessage", "organizations:ListAccounts"},
}
MEMBER_ROLES = {"EvaluatorFunction": "logbaseline-member-read", "RemediatorFunction": "logbaseline-member-remediation"}


def control_modules() -> list[str]:
    return sorted(p.stem for p in CONTROLS_DIR.glob("*.py") if not p.stem.startswith("_") and p.stem != "base")


def test_every_control_module_is_registered_once_under_its_own_name():
    assert sorted(REGISTRY) == control_modules()
    for control_id, module in REGISTRY.items():
        assert module == f"logbaseline.controls.{control_id}"
        assert importlib.import_module(module).CONTROL.id == control_id


@pytest.mark.parametrize("control_id", sorted(REGISTRY))
def test_control_module_stays_small_and_evaluate_never_touches_boto3(control_id):
    source = (CONTROLS_DIR / f"{control_id}.py").read_text()
    assert sum(1 for line in source.splitlines() if line.strip()) <= 150, "about 150 lines at most"
    tree = ast.parse(source)
    evaluate = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "evaluate")
    names = {n.id for n in ast.walk(evaluate) if isinstance(n, ast.Name)}
    assert not names & {"clients", "boto3", "changes"}, "evaluate() must be pure"
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    assert "boto3" not in imported and "os" not in imported


def test_each_control_reads_only_what_it_declares_and_its_evaluate_calls_nothing(aws, account_id, monkeypatch):
    """The grants are computed from the controls' declared actions (below): here the declarations are held
    to the calls collect() really makes on the demo's account, which has a gap for every control. Then
    evaluate() runs with every AWS call refused, twice on each resource, and must leave the state as it was."""
    demo.seed_gaps(aws)
    collected = {}
    judged_in = {"globalaccelerator_flow_logs_enabled": "us-west-2"}  # a global service's one region, not REGION
    for control in all_controls():
        region = judged_in.get(control.id, REGION)
        clients = aws if region == REGION else aws.for_region(region)
        token = current_role.set(f"collect:{control.id}")
        try:
            collected[control.id] = control.collect(clients, Scope(account_id, region))
        finally:
            current_role.reset(token)
        called = {AUTHORIZED_AS.get(a, a) for a in CALLS.pop(f"collect:{control.id}", set())}
        assert called and called <= set(control.read_actions), (control.id, called - set(control.read_actions))
        if control.id not in demo.NOT_SEEDED:  # the emulator lacks the read their resources are judged by
            assert collected[control.id], f"{control.id}: the demo's account has none of its resources"

    def refuse(client, operation_name, api_params):
        raise AssertionError(f"evaluate() called {client.meta.service_model.service_name}:{operation_name}")

    monkeypatch.setattr(BaseClient, "_make_api_call", refuse)
    settings = Settings.from_env({})
    for control in all_controls():
        params = settings.params(control)
        for resource in collected[control.id]:
            state = copy.deepcopy(resource.state)
            verdict = control.evaluate(resource, params)
            assert control.evaluate(resource, params) == verdict, f"{control.id}: the same state, another verdict"
            assert resource.state == state, f"{control.id}: evaluate() changed the state it judged"


@pytest.mark.parametrize("control", all_controls(), ids=lambda c: c.id)
def test_metadata_is_complete(control):
    assert control.title and control.description and control.remediation_text
    assert any("SEC04-BP01" in r for r in control.related_requirements)
    assert control.read_actions, "collect() reads something"
    assert bool(control.remediate) == bool(control.write_actions)
    if control.remediate is None:
        assert control.default_mode is Mode.OFF
    assert control.config_triggers or control.cloudtrail_triggers


EVENT_PATTERN_MOST_CHARACTERS = 2048  # EventBridge quotas, "Event pattern size" (default; adjustable to 4,096)


def event_sources(pattern: dict) -> set[str]:
    """The CloudTrail event sources a rule admits: EventBridge's `source` of an API-call event is `aws.` and the
    event source's first label (s3.amazonaws.com: aws.s3), so a rule names each service once, in `source`."""
    return {source.removeprefix("aws.") + ".amazonaws.com" for source in pattern["source"]}


def test_every_cloudtrail_trigger_is_in_one_template_pattern_and_nothing_more():
    api, tamper = [RULES[r].pattern for r in API_CALL_RULES], RULES["TamperEventRule"].pattern
    triggers = {(t.event_source, name) for c in all_controls() for t in c.cloudtrail_triggers for name in t.event_names}
    triggers |= {(c.event_source, c.event_name) for c in TAGGING_CALLS}  # the engine's: exemption tags (engine/tagging)
    names = {name for rule in api for name in rule["detail"]["eventName"]}
    tamper_names = set(tamper["detail"]["eventName"])
    assert tamper_names == TAMPER_EVENTS, "the priority rule matches exactly the tamper events"
    assert not names & tamper_names, "each call reaches one queue"
    assert {name for _, name in triggers} == names | tamper_names
    for source, name in triggers:
        rules = (*api, tamper)
        matching = [r for r in rules if source in event_sources(r) and name in r["detail"]["eventName"]]
        assert len(matching) == 1, f"{source} {name}: matched by {len(matching)} rules, not one"
    assert {source for source, _ in triggers} == event_sources(tamper)
    sources = [event_sources(rule) for rule in api]
    assert set.union(*sources) == {source for source, _ in triggers} and not set.intersection(*sources)
    for rule in (*api, tamper):
        assert "eventSource" not in rule["detail"], "`source` names the services; the same list twice only costs size"
        assert rule["detail"]["errorCode"] == [{"exists": False}], "failed calls change nothing"
    for rule, pattern in zip(API_CALL_RULES, api, strict=True):
        own = {name for source, name in triggers if source in event_sources(pattern)} - tamper_names
        assert set(pattern["detail"]["eventName"]) == own, f"{rule}: only its own sources' calls"


@pytest.mark.parametrize("path", ["template.yaml", "stacksets/member.yaml", "stacksets/forwarder.yaml"])
def test_every_event_pattern_fits_eventbridges_size(path):
    """Counted with JSON's default spacing, the longer of the ways a pattern's text may be written."""
    resources = sam_template.load(ROOT / path)["Resources"].items()
    patterns = {name: r["Properties"]["EventPattern"] for name, r in resources if "EventPattern" in r["Properties"]}
    rules = {name: len(json.dumps(pattern)) for name, pattern in patterns.items()}
    assert rules and max(rules.values()) <= EVENT_PATTERN_MOST_CHARACTERS, rules


def test_issue_trigger_list_is_covered():
    required = {
        "CreateLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy", "CreateVpc", "CreateFlowLogs",
        "DeleteFlowLogs", "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging",
    }  # fmt: skip
    both = (RULES[r].pattern["detail"]["eventName"] for r in (*API_CALL_RULES, "TamperEventRule"))
    assert required <= {name for names in both for name in names}


def test_every_config_trigger_is_in_both_config_patterns_and_nothing_more():
    types = {t.resource_type for c in all_controls() for t in c.config_triggers}
    item = RULES["ConfigItemChangeRule"].pattern["detail"]
    summary = RULES["ConfigOversizedItemChangeRule"].pattern["detail"]
    assert set(item["configurationItem"]["resourceType"]) == types
    assert set(summary["configurationItemSummary"]["resourceType"]) == types
    assert item["messageType"] == ["ConfigurationItemChangeNotification"]
    assert summary["messageType"] == ["OversizedConfigurationItemChangeNotification"]


def test_rules_deliver_to_an_evaluation_queue_with_a_dead_letter_queue():
    for logical_id, rule in RULES.items():
        queue = "PriorityEvaluationQueue" if logical_id == "TamperEventRule" else "EvaluationQueue"
        assert rule.target_ids == (queue,), logical_id
        (target,) = TEMPLATE["Resources"][logical_id]["Properties"]["Targets"]
        assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["EvaluationDeadLetterQueue", "Arn"]}
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in TEMPLATE["Resources"].values()
        if alarm["Type"] == "AWS::CloudWatch::Alarm"
        and alarm["Properties"].get("MetricName") == "ApproximateAgeOfOldestMessage"
    }
    for queue in ("EvaluationQueue", "PriorityEvaluationQueue", "FixQueue", "PriorityFixQueue"):
        properties = TEMPLATE["Resources"][queue]["Properties"]
        assert properties["SqsManagedSseEnabled"] is True
        assert 1 <= properties["RedrivePolicy"]["maxReceiveCount"] <= 5
        assert properties["MessageRetentionPeriod"] == 14 * 24 * 3600, "SQS's longest: nothing expires unseen"
        assert queue in alarmed, f"{queue}: an alarm on the age of its oldest message"


@pytest.mark.parametrize(
    ("function", "priority", "ordinary", "parameter"),
    [
        ("EvaluatorFunction", "PriorityEvaluation", "Evaluation", "EvaluatorConcurrency"),
        ("RemediatorFunction", "PriorityFixes", "Fixes", "RemediatorConcurrency"),
    ],
)
def test_tamper_events_and_their_fixes_have_concurrency_no_flood_can_take(function, priority, ordinary, parameter):
    properties = TEMPLATE["Resources"][function]["Properties"]
    events = properties["Events"]
    assert list(events)[0] == priority, "listed first: the local stack drains in this order"
    assert events[priority]["Properties"]["ScalingConfig"]["MaximumConcurrency"] == 2
    assert events[ordinary]["Properties"]["ScalingConfig"]["MaximumConcurrency"] == {"Ref": parameter}
    reserved = TEMPLATE["Mappings"][parameter]
    allowed = TEMPLATE["Parameters"][parameter]["AllowedValues"]
    assert {str(v): {"Reserved": v + 2} for v in allowed} == reserved, "the queue's share plus the priority's 2"
    assert properties["ReservedConcurrentExecutions"]["Fn::If"][1] == {
        "Fn::FindInMap": [parameter, {"Ref": parameter}, "Reserved"]
    }


def needed_actions(function_id: str) -> set[str]:
    reads = {a for c in all_controls() for a in c.read_actions}
    rereads = {a for c in all_controls() if c.remediate for a in c.read_actions}  # a fix re-reads to verify
    writes = {a for c in all_controls() for a in c.write_actions}
    implied = {i for a in writes for i in IMPLIED_ACTIONS.get(a, ())}
    controls = {"EvaluatorFunction": reads, "RemediatorFunction": rereads | writes | implied, "SweeperFunction": set()}
    return controls[function_id] | ENGINE_ACTIONS[function_id]


@pytest.mark.parametrize("function_id", sorted(ENGINE_ACTIONS))
def test_each_role_is_granted_exactly_what_its_function_needs(function_id):
    assert sam_template.granted_actions(TEMPLATE, function_id) == needed_actions(function_id)


def test_member_roles_are_the_only_roles_assumed():
    for function_id, role_name in MEMBER_ROLES.items():
        [statement] = [
            s for s in sam_template.policy_statements(TEMPLATE, function_id) if "sts:AssumeRole" in str(s["Action"])
        ]
        fixes = function_id == "RemediatorFunction"  # a fix session carries a SourceIdentity
        assert statement["Action"] == (["sts:AssumeRole", "sts:SetSourceIdentity"] if fixes else "sts:AssumeRole")
        assert statement["Resource"] == {"Fn::Sub": f"arn:${{AWS::Partition}}:iam::*:role/{role_name}"}
        variables = TEMPLATE["Resources"][function_id]["Properties"]["Environment"]["Variables"]
        assert variables["LOGBASELINE_MEMBER_ROLE_NAME"] == role_name


# What Lambda does with each role on the function's behalf: its own log group, traces, its event source.
RUNTIME = {
    "EvaluatorFunction": ("EvaluatorLogGroup", ("EvaluationQueue", "PriorityEvaluationQueue"), None),
    "RemediatorFunction": ("RemediatorLogGroup", ("FixQueue", "PriorityFixQueue"), None),
    "SweeperFunction": ("SweeperLogGroup", (), "SweepDeadLetterQueue"),
}


@pytest.mark.parametrize("function_id", sorted(RUNTIME))
def test_each_function_has_its_own_named_role_and_the_runtime_grants_only_its_own_log_group_and_queue(function_id):
    properties = TEMPLATE["Resources"][function_id]["Properties"]
    assert "Policies" not in properties, "no role generated by SAM: the role in the template is the whole grant"
    role = TEMPLATE["Resources"][sam_template.role_id(TEMPLATE, function_id)]
    assert role["Type"] == "AWS::IAM::Role" and role["Properties"]["Path"] == "/logbaseline/"
    assert role["Properties"]["RoleName"]["Fn::Sub"].startswith("${AWS::StackName}-")
    (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    log_group, queues, dead_letter = RUNTIME[function_id]
    sources = [e["Properties"]["Queue"]["Fn::GetAtt"][0] for e in properties.get("Events", {}).values()
               if e["Type"] == "SQS"]  # fmt: skip
    assert sorted(sources) == sorted(queues), "the runtime may poll exactly the function's event sources"
    expected = {
        ("logs:CreateLogStream", str({"Fn::GetAtt": [log_group, "Arn"]})),
        ("logs:PutLogEvents", str({"Fn::GetAtt": [log_group, "Arn"]})),
        ("xray:PutTelemetryRecords", "*"),
        ("xray:PutTraceSegments", "*"),
    }
    if queues:
        expected |= {(a, str([{"Fn::GetAtt": [q, "Arn"]} for q in queues])) for a in RECEIVE_ACTIONS}
    if dead_letter:
        expected.add(("sqs:SendMessage", str({"Fn::GetAtt": [dead_letter, "Arn"]})))
    granted = {
        (action, str(statement["Resource"]))
        for statement in sam_template.runtime_statements(TEMPLATE, function_id)
        for action in (statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])
    }
    assert granted == expected


RECEIVE_ACTIONS = ("sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage")


def test_evaluator_and_sweeper_cannot_write_logging_state():
    writes = {a for c in all_controls() for a in c.write_actions}
    for function_id in ("EvaluatorFunction", "SweeperFunction"):
        assert not sam_template.granted_actions(TEMPLATE, function_id) & writes


def test_no_wildcard_actions_and_pass_role_only_for_flow_logs():
    for function_id in ENGINE_ACTIONS:
        for statement in sam_template.policy_statements(TEMPLATE, function_id):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any("*" in a for a in actions)
            if "iam:PassRole" in actions:
                assert actions == ["iam:PassRole"]
                assert statement["Resource"] == {"Fn::GetAtt": ["FlowLogsDeliveryRole", "Arn"]}
                assert statement["Condition"] == {
                    "StringEquals": {"iam:PassedToService": "vpc-flow-logs.amazonaws.com"}
                }


def test_every_control_with_a_fix_has_a_mode_parameter_in_the_template():
    modes = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["LOGBASELINE_REMEDIATION_MODES"]["Fn::Sub"]
    for control in all_controls():
        if control.remediate:
            assert f"{control.id}=${{" in modes
    for name, parameter in TEMPLATE["Parameters"].items():
        if name.endswith("RemediationMode"):
            assert parameter["AllowedValues"] == [m.value for m in Mode]


def test_every_control_parameter_reaches_the_functions():
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    for control in all_controls():
        for parameter in control.parameters:
            assert f"LOGBASELINE_{parameter.name.upper()}" in variables, parameter.name


def test_functions_use_the_layer_and_their_own_log_groups_with_retention():
    assert TEMPLATE["Globals"]["Function"]["Layers"] == [{"Ref": "LogbaselineLayer"}]
    assert TEMPLATE["Globals"]["Function"]["Runtime"] == "python3.13"
    assert TEMPLATE["Globals"]["Function"]["Architectures"] == ["arm64"]
    assert TEMPLATE["Resources"]["LogbaselineLayer"]["Metadata"]["BuildMethod"] == "makefile"  # tests/test_layer.py
    assert TEMPLATE["Resources"]["LogbaselineLayer"]["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    for function_id in ENGINE_ACTIONS:
        group = TEMPLATE["Resources"][function_id]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert TEMPLATE["Resources"][group]["Properties"]["RetentionInDays"] == {"Ref": "RetentionFloorDays"}


def test_handlers_are_thin():
    for app in (ROOT / "functions").glob("*/app.py"):
        source = app.read_text()
        assert len(source.splitlines()) <= 45, app
        assert "boto3" not in source, app


def test_samconfig_shows_every_template_parameter_with_its_default():
    text = (ROOT / "samconfig.toml").read_text()
    for name, parameter in TEMPLATE["Parameters"].items():
        if name != "LogLevel":
            # Quoted: SAM CLI refuses `Name=` and cuts unquoted values at a space.
            assert f"'{name}=\"{parameter.get('Default', '')}\"'" in text, name


def test_each_mode_parameter_defaults_to_its_controls_default_mode():
    modes = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["LOGBASELINE_REMEDIATION_MODES"]["Fn::Sub"]
    pairs = dict(item.strip().split("=") for item in modes.split(","))
    assert set(pairs) == {c.id for c in all_controls() if c.remediate}
    for control_id, reference in pairs.items():
        parameter = TEMPLATE["Parameters"][reference.removeprefix("${").removesuffix("}")]
        assert parameter["Default"] == load(control_id).default_mode.value, control_id


def test_controls_do_not_read_environment_or_make_clients_at_import():
    for path in Path(CONTROLS_DIR).glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.Expr):
                calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
                text = ast.unparse(node)
                # os.environ or getenv, not the word "environment" (Elastic Beanstalk's resources are environments)
                assert not re.search(r"\benviron\b|getenv", text) and ".client(" not in text, (path.name, text)
                assert not any(isinstance(c.func, ast.Name) and c.func.id == "Clients" for c in calls)


def test_the_dashboard_shows_the_metrics_the_functions_emit():
    import json
    import re

    from logbaseline.engine.runtime import FIX_METRICS

    body = re.sub(r"\$\{[^}]+\}", "x", TEMPLATE["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    widgets = json.loads(body)["widgets"]
    text = json.dumps(widgets)
    for name in [
        *FIX_METRICS.values(),
        "FixesFailed",
        "FixesRequested",
        "ExemptionsApplied",
        "SuppressedWithoutExemption",
    ]:
        assert f'"{name}"' in text, name
    assert 'MetricName=\\"Failed\\"' in text and 'MetricName=\\"Passed\\"' in text  # per control, by SEARCH
    assert any("Dead-lettered" in w["properties"]["title"] for w in widgets)


def test_every_checkov_skip_says_why():
    for path in (ROOT / "template.yaml", ROOT / "stacksets" / "member.yaml"):
        resources = sam_template.load(path)["Resources"]
        skips = [
            (logical_id, skip)
            for logical_id, resource in resources.items()
            for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        ]
        assert skips, f"{path.name}: no skips found (the Metadata layout changed?)"
        for logical_id, skip in skips:
            assert skip["id"].startswith("CKV_") and len(skip.get("comment", "")) >= 40, (path.name, logical_id)
