"""Reading the SAM template: its event rules and its IAM grants (for the demo and the contract tests)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short forms (!Ref, !Sub, !GetAtt, ...) as {"Fn::X": value}."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class Rule:
    logical_id: str
    pattern: dict[str, Any]
    target_ids: tuple[str, ...]  # logical ids of the targets


def load(path: str | Path) -> dict[str, Any]:
    return yaml.load(Path(path).read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def event_rules(template: dict[str, Any], account_id: str = "123456789012", region: str = "us-east-1") -> list[Rule]:
    """The rules with event patterns, their `!Sub` pseudo parameters resolved for this account and region."""
    pseudo = {"${AWS::Partition}": "aws", "${AWS::Region}": region, "${AWS::AccountId}": account_id}
    rules = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Events::Rule" and "EventPattern" in resource["Properties"]:
            targets = tuple(t["Arn"]["Fn::GetAtt"][0] for t in resource["Properties"]["Targets"])
            rules.append(Rule(logical_id, _resolve(resource["Properties"]["EventPattern"], pseudo), targets))
    return rules


def _resolve(value: Any, pseudo: dict[str, str]) -> Any:
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        text = value["Fn::Sub"]
        for name, replacement in pseudo.items():
            text = text.replace(name, replacement)
        return text
    if isinstance(value, dict):
        return {k: _resolve(v, pseudo) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, pseudo) for v in value]
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


RUNTIME_POLICY = "lambda-runtime"  # what Lambda itself does with a function's role (logs, traces, event source)


def role_id(template: dict[str, Any], function_id: str) -> str:
    """The logical id of the IAM role a function runs with (`Role: !GetAtt <id>.Arn`)."""
    return template["Resources"][function_id]["Properties"]["Role"]["Fn::GetAtt"][0]


def _role_policies(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    return template["Resources"][role_id(template, function_id)]["Properties"]["Policies"]


def unconditional(statements: list[Any]) -> Iterator[dict[str, Any]]:
    """Statements with their `!If [Condition, statement, !Ref AWS::NoValue]` taken as if every condition held:
    the most a role can be granted (a grant that needs a configured destination included)."""
    for statement in statements:
        if isinstance(statement, dict) and set(statement) == {"Fn::If"}:
            _, when_true, _ = statement["Fn::If"]
            if when_true != {"Ref": "AWS::NoValue"}:
                yield when_true
        else:
            yield statement


def policy_statements(template: dict[str, Any], function_id: str) -> Iterator[dict[str, Any]]:
    """The statements of the calls a function's code makes (its role's policies but the Lambda runtime's)."""
    for policy in _role_policies(template, function_id):
        if policy["PolicyName"] != RUNTIME_POLICY:
            yield from unconditional(policy["PolicyDocument"]["Statement"])


def runtime_statements(template: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    return [
        s
        for policy in _role_policies(template, function_id)
        if policy["PolicyName"] == RUNTIME_POLICY
        for s in policy["PolicyDocument"]["Statement"]
    ]


def granted_actions(template: dict[str, Any], function_id: str) -> set[str]:
    return {
        a for s in policy_statements(template, function_id) if s["Effect"] == "Allow" for a in _as_list(s["Action"])
    }
