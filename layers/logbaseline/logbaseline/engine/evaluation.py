"""Evaluate one control on one scope: collect the current state, then judge it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls.base import Control
from logbaseline.engine.exemptions import TAG_KEY, Origin, Ruling, decide, read_exemption_tags
from logbaseline.engine.register import Register
from logbaseline.engine.settings import Settings
from logbaseline.engine.tag_records import TagRecords
from logbaseline.models import Resource, Scope, Status, Verdict, not_applicable

ClientsFactory = Callable[[str, str], Clients]  # (account id, region) -> clients


@dataclass(frozen=True)
class Outcome:
    control: Control
    account_id: str
    region: str
    resource_id: str
    verdict: Verdict
    resource: Resource | None = None  # None when the resource no longer exists
    fix: Mapping[str, str] | None = None  # what a fix did or would do, for the finding
    exemption: Ruling | None = None  # what exempts it (register entry or tag), or why a tag was not honoured

    @property
    def scope_and_id(self) -> tuple[str, str, str]:
        """(account, region, resource id): with the control id, what names the finding."""
        return self.account_id, self.region, self.resource_id

    @property
    def exempt(self) -> bool:
        return self.exemption is not None and self.exemption.applies

    @property
    def present(self) -> bool:
        return self.resource is not None

    @property
    def unread(self) -> bool:
        """The control found the resource but could not read it: a read failure, not a verdict."""
        return self.resource is not None and bool(self.resource.unreadable)

    @property
    def resource_type(self) -> str:
        return (self.resource and self.resource.resource_type) or self.control.resource_type

    @property
    def reportable(self) -> bool:
        """Goes to Security Hub: a verdict on a resource, or the archive of a gone one."""
        return not self.present or self.verdict.status is not Status.NOT_APPLICABLE

    def as_row(self) -> dict[str, str]:
        return {
            "control_id": self.control.id,
            "account_id": self.account_id,
            "region": self.region,
            "resource_type": self.resource_type,
            "resource_id": self.resource_id,
            "status": self.verdict.status.value,
            "reason": self.verdict.reason,
        }


def with_exemptions(
    outcomes: list[Outcome],
    clients_for: ClientsFactory,
    today: date,
    register: Register | None = None,
    records: TagRecords | None = None,
) -> list[Outcome]:
    """Attach what exempts each failing resource: an entry of the exemption register, or its exemption tag, from
    the tags the control read with the resource, or else through the tagging API (one call per account and
    region, only when needed)."""
    result = list(outcomes)
    unread: dict[tuple[str, str], list[int]] = {}
    for index, outcome in enumerate(outcomes):
        if outcome.resource is None or outcome.verdict.status is not Status.FAILED:
            continue
        tagged = outcome.resource_id.startswith("arn:")  # an account carries no tag
        if tagged and outcome.resource.tags is None:
            unread.setdefault((outcome.account_id, outcome.region), []).append(index)
        else:
            result[index] = _ruled(outcome, (outcome.resource.tags or {}).get(TAG_KEY), register, today, records)
    for (account_id, region), indexes in unread.items():
        tags = read_exemption_tags(clients_for(account_id, region))
        for index in indexes:
            result[index] = _ruled(result[index], tags.get(result[index].resource_id), register, today, records)
    return result


def tag_origin(records: TagRecords | None, account_id: str, resource_id: str, today: date) -> Origin | None:
    """Since when the resource's tag value has been set, from the service's records (read only when a register's
    policy honours the tag)."""
    return (lambda value: records.origin(account_id, resource_id, value, today)) if records else None


def _ruled(
    outcome: Outcome, tag: str | None, register: Register | None, today: date, records: TagRecords | None
) -> Outcome:
    o = outcome
    origin = tag_origin(records, o.account_id, o.resource_id, today)
    ruling = decide(o.control.id, o.account_id, o.region, o.resource_id, tag, register, today, origin)
    return replace(outcome, exemption=ruling) if ruling else outcome


def _judged(control: Control, resource: Resource, params: Mapping[str, Any]) -> Verdict:
    if resource.unreadable:  # not applicable: no finding, no fix; the engine reports it as a read failure
        return not_applicable(f"could not read the resource: {resource.unreadable}")
    return control.evaluate(resource, params)


def evaluate_scope(
    control: Control, scope: Scope, clients: Clients, settings: Settings, archive_missing: bool = True
) -> list[Outcome]:
    """The outcomes of the control on the scope; a named resource not found is archived when `archive_missing`.
    None where the control does not apply, nothing read."""
    params = settings.params(control)
    if control.inapplicable is not None and control.inapplicable(scope, params):
        return []
    outcomes = [
        Outcome(control, r.account_id, r.region, r.resource_id, _judged(control, r, params), r)
        for r in control.collect(clients, scope)
    ]
    if scope.resource_id and not outcomes and archive_missing:
        gone = not_applicable("the resource no longer exists")
        outcomes.append(Outcome(control, scope.account_id, scope.region, control.resource_id(scope), gone))
    return outcomes
