"""Exemptions a person grants with a resource tag, and how they are read.

Tag key `logbaseline:exempt`; value `<controls> until=<YYYY-MM-DD> reason=<text>`, where
<controls> is `all` (or `*`) or control ids joined by `+`. Only characters every AWS tag
value accepts are needed (letters, digits, spaces, `_ . : / = + - @`). For example:

    vpc_flow_logs_enabled+vpc_dns_query_logging_enabled until=2027-03-31 reason=VPC retired in Q1 (CHG-1234)

An exemption needs an expiry and a reason. An expired or malformed one is ignored, and the
finding says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from logbaseline.aws import Clients

TAG_KEY = "logbaseline:exempt"
_VALUE = re.compile(r"^\s*(?P<controls>\S+)\s+until=(?P<until>\d{4}-\d{2}-\d{2})\s+reason=(?P<reason>\S.*?)\s*$")


class MalformedExemption(ValueError):
    pass


@dataclass(frozen=True)
class Exemption:
    controls: frozenset[str] | None  # None: every control
    until: date
    reason: str

    def covers(self, control_id: str) -> bool:
        return self.controls is None or control_id in self.controls


@dataclass(frozen=True)
class Ruling:
    applies: bool
    note: str  # for the finding: why it is (or is not) exempt


def parse(value: str) -> Exemption:
    match = _VALUE.match(value)
    if not match:
        raise MalformedExemption(f"expected '<controls> until=YYYY-MM-DD reason=<text>', got {value!r:.100}")
    try:
        until = date.fromisoformat(match["until"])
    except ValueError:
        raise MalformedExemption(f"until={match['until']} is not a date") from None
    controls = None if match["controls"] in ("all", "*") else frozenset(match["controls"].split("+"))
    return Exemption(controls, until, match["reason"])


def rule(value: str | None, control_id: str, today: date) -> Ruling | None:
    """What the resource's tag means for this control today; None when there is no tag."""
    if value is None:
        return None
    try:
        exemption = parse(value)
    except MalformedExemption as error:
        return Ruling(False, f"{TAG_KEY} tag ignored, malformed: {error}")
    if not exemption.covers(control_id):
        return None
    if exemption.until < today:
        return Ruling(False, f"{TAG_KEY} tag ignored: expired on {exemption.until} ({exemption.reason})")
    return Ruling(True, f"exempt until {exemption.until}: {exemption.reason}")


def read_exemption_tags(clients: Clients, arns: list[str] | None = None) -> Mapping[str, str]:
    """ARN -> tag value of the tagged resources of the region (or of these ARNs), through the tagging API."""
    query = {"ResourceARNList": arns} if arns else {"TagFilters": [{"Key": TAG_KEY}]}
    pages = clients("resourcegroupstaggingapi").get_paginator("get_resources").paginate(**query)
    return {
        mapping["ResourceARN"]: tag["Value"]
        for page in pages
        for mapping in page["ResourceTagMappingList"]
        for tag in mapping.get("Tags", [])
        if tag["Key"] == TAG_KEY
    }
