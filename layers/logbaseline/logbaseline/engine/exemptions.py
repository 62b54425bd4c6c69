"""Exemptions a person grants with a resource tag, and how they are read.

Tag key `logbaseline:exempt`; value `<controls> until=<YYYY-MM-DD> reason=<text>`, where
<controls> is `all` (or `*`) or control ids joined by `+`. Only characters every AWS tag
value accepts are needed (letters, digits, spaces, `_ . : / = + - @`). For example:

    vpc_flow_logs_enabled+vpc_dns_query_logging_enabled until=2027-03-31 reason=VPC retired in Q1 (CHG-1234)

An exemption needs an expiry and a reason. An expired or malformed one is ignored, and the
finding says so; so is a tag that names control ids this deployment does not have.

Where the security team deploys an exemption register (engine/register.py), its entries come first, and a tag is
only a request: honoured for the accounts and controls the register's `tag_exemptions` policy names, `all` only where
it allows every control, and capped at the policy's maximum counted from the day the tag was set (its tagging call,
else the day it was first seen: engine/tag_records.py); otherwise the finding says why, and the fix goes on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY
from logbaseline.engine.register import Register
from logbaseline.engine.tag_records import TagOrigin, first_seen_today

TAG_KEY = "logbaseline:exempt"
Origin = Callable[[str], TagOrigin]  # the tag's value -> since when it has been set (engine/tag_records.py)
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
    source: str = "tag"  # "register" or "tag"
    until: str = ""  # the last day it holds (YYYY-MM-DD), when it applies
    reason: str = ""
    approver: str = ""  # a register entry's approver (a tag names none)
    entry: str = ""  # the register entry's id

    def as_dict(self) -> dict[str, str | bool]:
        """What scan's JSON shows of it."""
        shown = {"applies": self.applies, "source": self.source, "until": self.until, "reason": self.reason}
        return (
            shown | {k: v for k, v in (("approver", self.approver), ("entry", self.entry)) if v} | {"note": self.note}
        )


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
    unknown = sorted((exemption.controls or frozenset()) - set(REGISTRY))
    if not exemption.covers(control_id):
        if unknown:
            return Ruling(False, f"{TAG_KEY} tag names unknown control ids (misspelled?): {', '.join(unknown)}")
        return None
    if exemption.until < today:
        return Ruling(False, f"{TAG_KEY} tag ignored: expired on {exemption.until} ({exemption.reason})")
    until = exemption.until.isoformat()
    return Ruling(True, f"exempt until {until}: {exemption.reason}", "tag", until, exemption.reason)


def decide(
    control_id: str,
    account_id: str,
    region: str,
    resource_id: str,
    tag: str | None,
    register: Register | None,
    today: date,
    origin: Origin | None = None,
) -> Ruling | None:
    """What exempts this failing resource today: a register entry, else its tag (as the register's policy allows,
    capped at its maximum from the day the tag was set: `origin`, else today); None when nothing speaks of it."""
    if register is None:
        return rule(tag, control_id, today)
    entry = register.entry_for(control_id, account_id, region, resource_id, today)
    if entry:
        until = entry.expires.isoformat()
        note = f"exempt until {until} by register entry {entry.id}, approved by {entry.approver}: {entry.reason}"
        return Ruling(True, note, "register", until, entry.reason, entry.approver, entry.id)
    ruling = rule(tag, control_id, today)
    if ruling is not None and ruling.applies:
        since = origin or (lambda value: first_seen_today(today))
        ruling = _as_policy_allows(ruling, tag or "", control_id, account_id, register, today, since)
    if ruling is None and (expired := register.expired_entry_for(control_id, account_id, region, resource_id, today)):
        return Ruling(False, f"register entry {expired.id} expired on {expired.expires}", "register")
    return ruling


def _as_policy_allows(
    ruling: Ruling, value: str, control_id: str, account_id: str, register: Register, today: date, origin: Origin
) -> Ruling:
    """The tag's ruling as the register's policy allows it; since when the tag was set is read (`origin`) only for a
    tag the policy honours."""
    policy, refused, tag = register.tag_policy, f"{TAG_KEY} tag not honoured", parse(value)
    if policy is None:
        return Ruling(False, f"{refused}: the exemption register allows no tag exemptions (ask for a register entry)")
    if not policy.allows(control_id, account_id, register.ous):
        return Ruling(False, f"{refused}: the exemption register allows none for {control_id} in account {account_id}")
    if tag.controls is None and "*" not in policy.controls:
        return Ruling(False, f"{refused}: 'all' controls is not allowed; name the controls")
    since = origin(value)
    cap = since.since + timedelta(days=policy.max_days)
    if tag.until <= cap:
        return ruling
    counted = f"the register allows {policy.max_days} days for tags from {since.since} ({since.how})"
    if cap < today:
        return Ruling(False, f"{TAG_KEY} tag expired on {cap}: it asks until={tag.until}, {counted}")
    note = f"exempt until {cap} (capped: the tag asks until={tag.until}, {counted}): {tag.reason}"
    return Ruling(True, note, "tag", cap.isoformat(), tag.reason)


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
