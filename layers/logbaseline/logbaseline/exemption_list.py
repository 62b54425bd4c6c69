"""`logbaseline exemptions list`: the exemptions in effect, from what decides them.

What is authoritative, and read here: the register (the deployed object, or its source) for its entries; for tags,
the `logbaseline:exempt` tags on the resources now (the tagging API, account by account and region by region),
judged by the register's tag policy with the code the evaluator runs (engine/exemptions.py), and since when each was
set from the stack's ExemptionTagTable (read only: listing never starts a tag's clock). Security Hub's findings are
not read: they say what the latest evaluation decided, and the next evaluation or sweep brings them in line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY
from logbaseline.engine.exemptions import TAG_KEY, MalformedExemption, decide, parse, read_exemption_tags
from logbaseline.engine.register import Register
from logbaseline.engine.tag_records import TagOrigin, TagRecords, first_seen_today


@dataclass(frozen=True)
class Listed:
    source: str  # "register" or "tag"
    state: str  # "active", "expired", or "refused" (a tag the register's policy does not honour)
    accounts: str
    regions: str
    controls: str
    resources: str
    reason: str
    approver: str  # a register entry's; a tag's is who set it, when recorded
    until: str
    entry: str = ""  # the register entry's id
    set_by: str = ""  # a tag's: who set it and when (the tagging call), or when logbaseline first saw it
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def register_entries(register: Register, today: date) -> list[Listed]:
    return [
        Listed(
            "register",
            "active" if e.expires >= today else "expired",
            ",".join(e.accounts),
            ",".join(e.regions),
            ",".join(e.controls),
            ",".join(e.resources),
            e.reason,
            e.approver,
            e.expires.isoformat(),
            entry=e.id,
        )
        for e in register.entries
    ]


def tag_exemptions(
    clients_for: Callable[[str, str], Clients],
    scopes: Sequence[tuple[str, str]],
    register: Register | None,
    records: TagRecords | None,
    today: date,
) -> list[Listed]:
    """One row per tagged resource and control it names, as the evaluator would rule on a failing resource."""
    policy_only = replace(register, entries=()) if register else None  # the tag itself, not an entry that covers it
    listed = []
    for account_id, region in scopes:
        for arn, value in sorted(read_exemption_tags(clients_for(account_id, region)).items()):
            origin = _origin(records, account_id, arn, today)
            try:
                controls = sorted(parse(value).controls or ["*"])
            except MalformedExemption:
                controls = ["*"]
            for control_id in controls:
                since = origin(value) if origin else first_seen_today(today)
                if control_id != "*" and control_id not in REGISTRY:
                    note = f"{TAG_KEY} tag names unknown control ids (misspelled?): {control_id}"
                    listed.append(_tag_row("refused", account_id, region, control_id, arn, value, "", since, note))
                    continue
                ruling = decide(control_id, account_id, region, arn, value, policy_only, today, origin)
                state = "active" if ruling and ruling.applies else ("expired" if _expired(ruling) else "refused")
                until, note = (ruling.until, ruling.note) if ruling else ("", "")
                listed.append(_tag_row(state, account_id, region, control_id, arn, value, until, since, note))
    return listed


def _tag_row(
    state: str, account_id: str, region: str, control_id: str, arn: str, value: str, until: str, since: TagOrigin,
    note: str,
) -> Listed:  # fmt: skip
    controls = "all" if control_id == "*" else control_id
    return Listed(
        "tag", state, account_id, region, controls, arn, _reason(value), "", until, set_by=since.how, note=note
    )


def _origin(records: TagRecords | None, account_id: str, arn: str, today: date) -> Callable[[str], TagOrigin] | None:
    return (lambda value: records.origin(account_id, arn, value, today, record=False)) if records else None


def _expired(ruling: Any) -> bool:
    return ruling is not None and " expired " in f" {ruling.note} "


def _reason(value: str) -> str:
    return value.split("reason=", 1)[1].strip() if "reason=" in value else ""


def rows(listed: Sequence[Listed]) -> list[Mapping[str, str]]:
    return [item.as_dict() for item in listed]
