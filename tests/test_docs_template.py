"""What the docs say of the template's alarms, queues, outputs and parameters is read from the template, not
remembered; and samconfig.toml's example values cannot be deployed unedited."""

from __future__ import annotations

import difflib
import re
import tomllib
from typing import Any

import pytest
from logbaseline import sam_template

from tests.conftest import ROOT

TEMPLATE = sam_template.load(ROOT / "template.yaml")
RESOURCES = TEMPLATE["Resources"]
MEMBER_PARAMETERS = set(sam_template.load(ROOT / "stacksets/member.yaml")["Parameters"])
DOCS = {path.name: path.read_text() for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
GENERATED = {"parameters.md", "controls.md"}  # written from the template and the controls: checked elsewhere


def of_type(kind: str) -> set[str]:
    return {name for name, resource in RESOURCES.items() if resource["Type"] == kind}


def mentions(pattern: str) -> dict[str, set[str]]:
    """Backticked names matching `pattern`, in every hand-written doc: name -> the files."""
    found: dict[str, set[str]] = {}
    for name, text in DOCS.items():
        if name not in GENERATED:
            for token in re.findall(rf"`({pattern})`", text):
                found.setdefault(token, set()).add(name)
    return found


def table_rows(doc: str, heading: str) -> list[str]:
    """The first cell (backticks removed) of each row of the first table under a heading."""
    section = DOCS[doc].split(heading, 1)[1]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("## "):
            break
        if line.startswith("| `"):
            rows.append(line.split("|")[1].strip().strip("`"))
        elif rows and not line.startswith("|"):
            break
    return rows


def dead_letter_queues() -> set[str]:
    """Queues the template names as a dead-letter target (redrive policies, Lambda and rule DLQs)."""
    found: set[str] = set()

    def walk(value: Any, under_dead_letter: bool) -> None:
        if isinstance(value, dict):
            target = value.get("Fn::GetAtt")
            if under_dead_letter and isinstance(target, list) and target[0] in of_type("AWS::SQS::Queue"):
                found.add(target[0])
            for key, inner in value.items():
                walk(inner, under_dead_letter or "deadletter" in key.lower())
        elif isinstance(value, list):
            for inner in value:
                walk(inner, under_dead_letter)

    walk(RESOURCES, False)
    return found


def test_the_alarms_named_in_the_docs_are_the_templates():
    alarms = of_type("AWS::CloudWatch::Alarm")
    assert set(table_rows("deployment.md", "## 8. Alarms")) == alarms, "deployment.md's alarm table"
    unknown = {name: files for name, files in mentions(r"[A-Za-z]+Alarm").items() if name not in alarms}
    assert not unknown, f"alarms the template does not have: {unknown}"


def test_the_queues_and_outputs_named_in_the_docs_are_the_templates():
    queues, outputs = of_type("AWS::SQS::Queue"), set(TEMPLATE["Outputs"])
    unknown = {n: f for n, f in mentions(r"[A-Za-z]+Queue").items() if n not in queues}
    assert not unknown, f"queues the template does not have: {unknown}"
    named_outputs = mentions(r"[A-Za-z]+(?:QueueUrl|Arn|Name)")
    unknown = {n: f for n, f in named_outputs.items() if n.endswith("QueueUrl") and n not in outputs}
    assert not unknown, f"outputs the template does not have: {unknown}"
    assert set(table_rows("deployment.md", "The stack's outputs:")) == outputs, "deployment.md's output table"


def test_every_dead_letter_queue_has_an_output_and_its_row_in_the_docs():
    dead = dead_letter_queues()
    assert dead, "the template has dead-letter queues"
    by_output = {o["Value"]["Ref"]: name for name, o in TEMPLATE["Outputs"].items() if "Ref" in o["Value"]}
    assert dead <= set(by_output), f"a dead-letter queue without an output: {dead - set(by_output)}"
    rows = set(table_rows("deployment.md", "## 9. Where dead letters go"))
    assert rows == {by_output[q] for q in dead}, "deployment.md section 9 lists every dead-letter queue"
    alarmed = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for name, alarm in RESOURCES.items()
        if alarm["Type"] == "AWS::CloudWatch::Alarm" and alarm["Properties"].get("Namespace") == "AWS/SQS"
    }
    assert dead <= alarmed, f"a dead-letter queue no alarm watches: {dead - alarmed}"


def test_the_parameters_named_in_the_docs_are_the_templates():
    parameters = set(TEMPLATE["Parameters"])
    said = {}
    for name, text in DOCS.items():
        if name in GENERATED:
            continue
        for token in re.findall(r"`([A-Z][A-Za-z]+)` parameter|parameters? `([A-Z][A-Za-z]+)`", text):
            said.setdefault(next(t for t in token if t), set()).add(name)
        for token in re.findall(r"`([A-Z][A-Za-z]+RemediationMode)`|[\"']([A-Z][A-Za-z]+)=", text):  # 'Name=value'
            said.setdefault(next(t for t in token if t), set()).add(name)
        for line in (line for line in text.splitlines() if "--parameter-overrides" in line):
            for token in re.findall(r"\b([A-Z][A-Za-z]+)=", line):
                said.setdefault(token, set()).add(name)
    unknown = {n: f for n, f in said.items() if n not in parameters | MEMBER_PARAMETERS | {"Name"}}  # "Name=Default"
    assert not unknown, f"parameters the template does not have: {unknown}"
    assert len(said) > 5, "the docs name parameters: this test reads them"


def test_no_doc_names_a_parameter_output_or_resource_that_is_gone():
    """A backticked name one letter or a word off a template name is a renamed or misspelled one."""
    known = set(TEMPLATE["Parameters"]) | set(TEMPLATE["Outputs"]) | set(RESOURCES) | MEMBER_PARAMETERS
    known |= {"AccountsUnreachable", "LogDestination"}  # a metric, and a DescribeFlowLogs field: not the template's
    known |= {"SuppressedWithoutExemption", "ExemptionsApplied"}  # metrics (the evaluator's), not the template's
    known |= {  # the roles' statement ids, which docs/security.md names
        statement["Sid"]
        for resource in RESOURCES.values()
        if resource["Type"] == "AWS::IAM::Role"
        for policy in sam_template.unconditional(sam_template._as_list(resource["Properties"].get("Policies", [])))
        if isinstance(policy, dict) and isinstance(policy.get("PolicyDocument"), dict)
        for statement in sam_template.unconditional(policy["PolicyDocument"]["Statement"])
        if isinstance(statement, dict) and "Sid" in statement
    }
    stale = {
        name: (files, close)
        for name, files in mentions(r"[A-Z][a-z]+[A-Z][A-Za-z]+").items()
        if name not in known and (close := difflib.get_close_matches(name, known, n=1, cutoff=0.85))
    }
    assert not stale, f"names like the template's, but not its: {stale}"


# --- samconfig.toml's example values -------------------------------------------------------------------------


def samconfig_overrides(environment: str) -> dict[str, str]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    overrides = config[environment]["deploy"]["parameters"]["parameter_overrides"]
    return {k: v.strip('"') for k, _, v in (item.partition("=") for item in overrides)}


def placeholders(environment: str) -> dict[str, str]:
    """The values samconfig.toml marks `# PLACEHOLDER` in an environment's section."""
    text = (ROOT / "samconfig.toml").read_text().split(f"[{environment}.deploy.parameters]", 1)[1].split("\n[", 1)[0]
    return dict(re.findall(r'"(\w+)=([^"]*)",\s*# PLACEHOLDER', text))


def holds(condition: Any, values: dict[str, str]) -> bool:
    """A CloudFormation rule condition, for the functions the template's rules use."""
    if isinstance(condition, dict) and "Ref" in condition:
        return values[condition["Ref"]]  # type: ignore[return-value]
    (function, argument), *rest = condition.items()
    assert not rest, condition
    if function == "Fn::Not":
        return not holds(argument[0], values)
    if function == "Fn::Contains":
        return holds(argument[1], values) in argument[0]
    if function == "Fn::Equals":
        return holds(argument[0], values) == holds(argument[1], values)
    raise AssertionError(f"a rule function this test does not read: {function}")


def refused(values: dict[str, str]) -> list[str]:
    """The rule assertions these parameter values fail (every rule here applies always)."""
    defaults = {name: str(p.get("Default", "")) for name, p in TEMPLATE["Parameters"].items()}
    values = defaults | values
    return [
        a["AssertDescription"]
        for rule in TEMPLATE.get("Rules", {}).values()
        for a in rule["Assertions"]
        if not holds(a["Assert"], values)
    ]


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_each_placeholder_alone_fails_the_deploy(environment):
    marked = placeholders(environment)
    assert marked, f"[{environment}] marks its example values"
    clean = {k: "" for k in marked}
    assert refused(clean) == [], "the same environment with its placeholders emptied deploys"
    for name, value in marked.items():
        assert samconfig_overrides(environment)[name] == value
        reasons = refused(clean | {name: value})
        assert len(reasons) == 1 and reasons[0].startswith(name), (name, reasons)


def test_the_default_configuration_and_the_template_defaults_deploy():
    assert refused({}) == []
    assert refused(samconfig_overrides("default")) == []
