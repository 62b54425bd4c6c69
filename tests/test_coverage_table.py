"""docs/organization.md's coverage table says what the templates do: events in seconds from every covered place."""

from __future__ import annotations

import re
from typing import Any

from logbaseline import sam_template

from tests.cfn import FORWARDED_RULES
from tests.conftest import ROOT

GUIDE = (ROOT / "docs/organization.md").read_text()
TEMPLATE = sam_template.load(ROOT / "template.yaml")
# Where a forwarding template sends: the security account's default bus in the stack's region.
SECURITY_BUSES = {
    "stacksets/member.yaml": "arn:${AWS::Partition}:events:${SecurityRegion}:${SecurityAccountId}:event-bus/default",
    "stacksets/forwarder.yaml": "arn:${AWS::Partition}:events:${SecurityRegion}:${AWS::AccountId}:event-bus/default",
}
PLACES = {
    "member accounts, every covered region",
    "security account, `SecurityRegion`",
    "security account, the other covered regions",
    "management account, every covered region",
}


def coverage_rows() -> list[list[str]]:
    section = GUIDE.split("### What is covered where", 1)[1]
    lines = [line for line in section.split("\n\n", 3)[2].splitlines() if line.startswith("|")]
    header, _, *rows = lines
    assert [c.strip() for c in header.strip("|").split("|")] == ["where", "events, in seconds", "drift sweep"]
    return [[c.strip() for c in row.strip("|").split("|")] for row in rows]


def patterns(template: dict[str, Any]) -> dict[str, Any]:
    return {
        logical_id: resource["Properties"]["EventPattern"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Events::Rule"
    }


def test_the_table_names_every_place_and_events_arrive_from_each():
    rows = coverage_rows()
    assert {where for where, _, _ in rows} == PLACES
    for where, events, sweep in rows:
        assert events.startswith("yes"), where
        assert sweep.startswith(("yes", "only then")), where


def test_each_row_names_a_template_that_holds_the_stacks_rules_aimed_at_the_security_bus():
    own = patterns(TEMPLATE)
    for where, events, _ in coverage_rows():
        (path,) = re.findall(r"`((?:stacksets/)?[\w-]+\.yaml)`", events)
        assert (ROOT / path).is_file(), (where, path)
        template = sam_template.load(ROOT / path)
        rules = patterns(template)
        for rule_id in FORWARDED_RULES:
            assert rules[rule_id] == own[rule_id], (where, path, rule_id)
        if path == "template.yaml":
            continue  # the stack's own rules, to its own queues
        for rule_id in FORWARDED_RULES:
            targets = template["Resources"][rule_id]["Properties"]["Targets"]
            assert [t["Arn"] for t in targets] == [{"Fn::Sub": SECURITY_BUSES[path]}], (where, rule_id)
