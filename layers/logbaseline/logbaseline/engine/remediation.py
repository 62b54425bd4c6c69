"""Fixes: decide which failed outcomes to fix, apply one fix, verify it by re-reading."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients
from logbaseline.controls import load
from logbaseline.controls.base import Changes, FixFailed
from logbaseline.engine.evaluation import Outcome, evaluate_scope, tag_origin
from logbaseline.engine.exemptions import TAG_KEY, Ruling, decide, read_exemption_tags
from logbaseline.engine.findings import PACER, finding_id
from logbaseline.engine.history import DEFAULT_FIX_LIMIT, FixLimit, History
from logbaseline.engine.register import Register
from logbaseline.engine.routing import InvalidEvent
from logbaseline.engine.settings import Settings
from logbaseline.engine.tag_records import TagRecords
from logbaseline.engine.workflow import pages
from logbaseline.models import Mode, Scope, Status


@dataclass(frozen=True)
class FixRequest:
    control_id: str
    account_id: str
    region: str
    resource_id: str
    trigger: str = ""  # the id of the event that found the gap
    actor: str = ""  # who made the change that opened the gap, from the CloudTrail event
    approved: bool = False  # a person asked for this fix (Security Hub custom action): dry-run controls are fixed

    def to_message(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_message(cls, body: Mapping[str, Any]) -> FixRequest:
        try:
            request = cls(**body)
        except TypeError as error:
            raise InvalidEvent(f"not a fix request: {error}") from None
        if not all(
            isinstance(v, str) and v
            for v in (request.control_id, request.account_id, request.region, request.resource_id)
        ):
            raise InvalidEvent("a fix request needs control_id, account_id, region and resource_id as strings")
        if not isinstance(request.trigger, str) or not isinstance(request.actor, str):
            raise InvalidEvent("a fix request's trigger and actor are strings")
        if not isinstance(request.approved, bool):
            raise InvalidEvent("a fix request's approved is true or false")
        load(request.control_id)  # UnknownControl for an id this deployment does not have
        return request


def fix_requests(outcomes: Iterable[Outcome], settings: Settings, trigger: str, actor: str = "") -> list[FixRequest]:
    return [
        FixRequest(o.control.id, o.account_id, o.region, o.resource_id, trigger, actor)
        for o in outcomes
        if o.verdict.status is Status.FAILED
        and o.verdict.fixable
        and not o.exempt
        and settings.mode(o.control, o.account_id) is not Mode.OFF
    ]


def approved_fix_requests(event: Mapping[str, Any]) -> list[FixRequest]:
    """The fixes a person asked for by sending logbaseline's findings to the Security Hub custom action."""
    findings = event.get("detail", {}).get("findings") if isinstance(event.get("detail"), Mapping) else None
    if not isinstance(findings, list):
        raise InvalidEvent("a custom action event carries detail.findings")
    requests = []
    for finding in findings:
        try:
            control_id = finding["ProductFields"]["logbaseline/ControlId"]
            request = FixRequest(
                control_id,
                finding["AwsAccountId"],
                finding["Resources"][0]["Region"],
                finding["Resources"][0]["Id"],
                str(event.get("id", "")),
                "Security Hub custom action",
                approved=True,
            )
        except (KeyError, IndexError, TypeError):
            continue  # another product's finding, or not one of ours: nothing to fix
        requests.append(FixRequest.from_message(asdict(request)))
    return requests


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def apply_fix(
    request: FixRequest,
    clients: Clients,
    settings: Settings,
    history: History | None = None,
    limit: FixLimit = DEFAULT_FIX_LIMIT,
    security_accounts: frozenset[str] = frozenset(),
) -> list[Outcome]:
    """Re-evaluate, fix if still failing and allowed, verify by re-reading. Returns the outcomes to report.
    A SUPPRESSED finding blocks the fix only when one of `security_accounts` (the deployment's own; empty: the
    finding's account) suppressed it."""
    control = load(request.control_id)
    mode = settings.mode(control, request.account_id)
    if request.approved and mode is Mode.DRY_RUN:
        mode = Mode.AUTO  # a person approved this fix; a control in off mode stays off
    scope = Scope(request.account_id, request.region, request.resource_id)
    before = evaluate_scope(control, scope, clients, settings)
    current = next((o for o in before if o.resource_id == request.resource_id and o.present), None)
    if current is None or control.remediate is None or (mode is Mode.OFF and not request.approved):
        return before
    if current.verdict.status is not Status.FAILED or not current.verdict.fixable:
        return before  # already fixed (a repeated or late request): nothing to do
    record = {"Mode": mode.value, "Trigger": request.trigger, "At": _now(), "Before": current.verdict.reason}
    refusal = (settings.excluded(request.account_id) or "the control's mode is off") if mode is Mode.OFF else ""
    if not refusal and not request.approved:
        suppression = _suppression(clients, current, security_accounts or frozenset({request.account_id}))
        if suppression is not None and suppression.honoured:
            refusal = f"the security team suppressed this finding in Security Hub ({suppression.by})"
        elif suppression is not None:
            record["Suppression"] = suppression.note
    if refusal:
        refused = replace(current, fix=record | {"Outcome": "refused", "Error": refusal})
        return [refused if o is current else o for o in before]
    # The tag (or the register) may have changed since the evaluator looked: read again, for this resource only.
    register = settings.exemptions() if settings.exemptions else None
    ruling = _exemption(clients, current, register, settings.tag_records)
    if ruling:
        ruled = replace(current, exemption=ruling)
        if ruling.applies:
            ruled = replace(ruled, fix=record | {"Outcome": "refused", "Error": ruling.note})
            return [ruled if o is current else o for o in before]
        before, current = [ruled if o is current else o for o in before], ruled
    if history and mode is Mode.AUTO:
        applied = history.applied_since(current, datetime.now(UTC) - limit.window)
        if len(applied) >= limit.fixes:
            # Someone keeps undoing the fix: stop fixing, and say who, loudly.
            hours = int(limit.window.total_seconds() // 3600)
            who = request.actor or "an unknown principal"
            error = f"fixed {len(applied)} times in {hours} h and undone again, latest by {who}: auto-fix stopped"
            stopped = replace(current, fix=record | {"Outcome": "stopped", "Error": error})
            return [stopped if o is current else o for o in before]
    changes = Changes(clients, dry_run=mode is Mode.DRY_RUN)
    try:
        control.remediate(changes, current.resource, settings.params(control))  # type: ignore[arg-type]
    except (FixFailed, ClientError) as error:
        record |= {"Outcome": "failed", "Error": str(error), "Changes": _describe(changes)}
        return [replace(o, fix=record) if o is current else o for o in before]
    record["Changes"] = _describe(changes)
    if changes.dry_run:
        return [replace(o, fix=record | {"Outcome": "planned"}) if o is current else o for o in before]
    after = evaluate_scope(control, scope, clients, settings)
    verified = next((o for o in after if o.resource_id == request.resource_id), None)
    passed = verified is not None and verified.verdict.status is Status.PASSED
    record["Outcome"] = "verified" if passed else "applied, not verified"
    return [replace(o, fix=record) if o is verified else o for o in after]


@dataclass(frozen=True)
class Suppression:
    by: str  # the ARN that set SUPPRESSED, from the finding's history; empty when the history does not say
    honoured: bool
    note: str  # why a suppression was not obeyed


# GetFindingHistory answers for at most 90 days back; a day less keeps the request inside the bound.
HISTORY_DAYS = 89


def _suppression(clients: Clients, outcome: Outcome, security_accounts: frozenset[str]) -> Suppression | None:
    """Who set the finding's SUPPRESSED workflow (read, not trusted from the request), and whether it counts:
    only the security account's own suppression does. A member account can suppress the findings in its own
    Security Hub, so that alone never stops a fix. None when the finding is not SUPPRESSED."""
    wanted = finding_id(outcome.control.id, outcome.account_id, outcome.region, outcome.resource_id)

    def wait(operation: str) -> None:
        PACER.wait(outcome.account_id, outcome.region, "securityhub", operation)

    securityhub = clients("securityhub")
    filters = {"Id": [{"Value": wanted, "Comparison": "EQUALS"}]}
    found = [f for f in pages(securityhub, filters, wait) if f["Id"] == wanted]
    if not any(f.get("Workflow", {}).get("Status") == "SUPPRESSED" for f in found):
        return None
    identifier = {"Id": wanted, "ProductArn": found[0]["ProductArn"]}
    since = datetime.now(UTC) - timedelta(days=HISTORY_DAYS)
    records: list[Mapping[str, Any]] = []
    request: dict[str, Any] = {"FindingIdentifier": identifier, "StartTime": since}
    while True:
        wait("GetFindingHistory")
        page = securityhub.get_finding_history(**request)
        records.extend(page.get("Records", []))
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    setters = [r for r in records if _sets_suppressed(r)]
    if not setters:
        return Suppression(
            "",
            False,
            f"suppression ignored: Security Hub's history of the last {HISTORY_DAYS} days does not say who set it",
        )
    latest = max(setters, key=lambda r: r.get("UpdateTime") or datetime.min.replace(tzinfo=UTC))
    by = latest.get("UpdateSource", {}).get("Identity", "")
    if _account_of(by) in security_accounts:
        return Suppression(by, True, "")
    allowed = ", ".join(sorted(security_accounts))
    return Suppression(
        by,
        False,
        f"suppression ignored: set by {by or 'an unknown identity'}, not by the security "
        f"account ({allowed}); only the security team exempts, through the exemption register",
    )


def _sets_suppressed(record: Mapping[str, Any]) -> bool:
    if record.get("UpdateSource", {}).get("Type") != "BATCH_UPDATE_FINDINGS":
        return False
    return any(
        "workflow" in u.get("UpdatedField", "").lower() and "SUPPRESSED" in u.get("NewValue", "")
        for u in record.get("Updates", [])
    )


def _account_of(identity: str) -> str:
    """The account of an ARN (arn:partition:service:region:account:...), or of a bare account id."""
    if identity.isdigit() and len(identity) == 12:
        return identity
    parts = identity.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else ""


def _exemption(
    clients: Clients, outcome: Outcome, register: Register | None, records: TagRecords | None
) -> Ruling | None:
    o, today = outcome, date.today()
    if not o.resource_id.startswith("arn:"):  # an account carries no tag
        return decide(o.control.id, o.account_id, o.region, o.resource_id, None, register, today)
    if o.resource is not None and o.resource.tags is not None:  # read with the resource, just now
        tag = o.resource.tags.get(TAG_KEY)
    else:
        tag = read_exemption_tags(clients, [o.resource_id]).get(o.resource_id)
    origin = tag_origin(records, o.account_id, o.resource_id, today)
    return decide(o.control.id, o.account_id, o.region, o.resource_id, tag, register, today, origin)


def _describe(changes: Changes) -> str:
    return "; ".join(map(str, changes.made)) or "no change"
