"""Keep each finding's workflow honest and note what a fix did, within Security Hub's quotas.

BatchImportFindings sets Workflow, Note and UserDefinedFields only when it creates a finding, so a new finding is
imported complete: RESOLVED when it passes, SUPPRESSED (and marked as ours) when an exemption applies. Security Hub
itself turns a NOTIFIED or RESOLVED finding back to NEW when its compliance goes from PASSED to FAILED. What is left
goes through BatchUpdateFindings:
- RESOLVED when an existing finding turns PASSED;
- NEW when it fails while RESOLVED (a person resolved it, yet it still fails);
- SUPPRESSED when an exemption starts applying, and NEW (or RESOLVED) when the exemption that suppressed it ends;
  a person's own SUPPRESSED is left alone (only a finding marked in UserDefinedFields as suppressed for an
  exemption is lifted);
- a note saying what a fix did, and CRITICAL when a fix keeps being undone.

Knowing what Security Hub holds costs GetFindings calls, the scarcest quota (3 per second per account and
region). A small publication (an event's or a fix's) looks its findings up by id, one call for up to 20; a large
one (a sweep's) asks afterwards for the few findings of this deployment in a state that needs a change, four
filtered queries whatever the number of findings, which also mend any left over by an earlier publication.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

LOOKUP_BATCH = 20  # filter values per GetFindings call
UPDATE_BATCH = 100  # finding identifiers per BatchUpdateFindings call
EXEMPT_PREFIX = "exempt until"
EXEMPTION_FIELD = "logbaseline/Exemption"
# UserDefinedFields key: why logbaseline suppressed a finding, so that it lifts only its own suppressions.
SUPPRESSED_FOR = "logbaseline/SuppressedFor"
FOR_EXEMPTION, LIFTED = "exemption", "lifted"

Wait = Callable[[str], object]  # paces one call of an operation


@dataclass(frozen=True)
class Update:
    finding_id: str
    product_arn: str
    status: str | None  # the workflow status to set, or None to leave it
    note: str = ""
    severity: str | None = None
    marker: str | None = None  # the SUPPRESSED_FOR value to set


def exempt(finding: Mapping[str, Any]) -> bool:
    return finding.get("ProductFields", {}).get(EXEMPTION_FIELD, "").startswith(EXEMPT_PREFIX)


def fix_note(finding: Mapping[str, Any]) -> str:
    fields = finding.get("ProductFields", {})
    if not fields.get("logbaseline/Fix/Outcome"):
        return ""
    what = fields.get("logbaseline/Fix/Changes") or fields.get("logbaseline/Fix/Error", "")
    mode, outcome, at = (fields.get(f"logbaseline/Fix/{k}", "") for k in ("Mode", "Outcome", "At"))
    return f"logbaseline {mode} fix {outcome} at {at}: {what}"[:512]


def escalated(finding: Mapping[str, Any]) -> bool:
    return finding.get("ProductFields", {}).get("logbaseline/Fix/Outcome") == "stopped"


def updates(imported: Iterable[Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]) -> list[Update]:
    """The changes the imported findings call for, given what Security Hub held before the import."""
    result = []
    for finding in imported:
        before = current.get(finding["Id"])
        if before is None:
            continue  # just created: the import set its workflow, note and marker
        was = before.get("Workflow", {}).get("Status", "NEW")
        compliance, was_compliance = finding["Compliance"]["Status"], before.get("Compliance", {}).get("Status")
        ours = before.get("UserDefinedFields", {}).get(SUPPRESSED_FOR) == FOR_EXEMPTION
        status, marker = None, None
        if exempt(finding):
            if was != "SUPPRESSED":
                status, marker = "SUPPRESSED", FOR_EXEMPTION
        elif was == "SUPPRESSED":
            if ours:  # the exemption that suppressed it ended
                status, marker = ("NEW" if compliance == "FAILED" else "RESOLVED"), LIFTED
        elif compliance == "PASSED":
            status = "RESOLVED" if was != "RESOLVED" else None
        elif compliance == "FAILED" and was == "RESOLVED" and was_compliance != "PASSED":
            status = "NEW"  # a person resolved it, yet it fails (from PASSED, Security Hub reopens it itself)
        note = fix_note(finding)
        severity = "CRITICAL" if escalated(finding) else None
        if status or note or severity:
            result.append(Update(finding["Id"], finding["ProductArn"], status, note, severity, marker))
    return result


def current_findings(securityhub: Any, ids: list[str], wait: Wait) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        chunk = ids[start : start + LOOKUP_BATCH]
        filters = {"Id": [{"Value": i, "Comparison": "EQUALS"} for i in chunk]}
        found.update({f["Id"]: f for f in pages(securityhub, filters, wait) if f["Id"] in chunk})
    return found


def pages(securityhub: Any, filters: Mapping[str, Any], wait: Wait) -> Iterable[Mapping[str, Any]]:
    token = None
    while True:
        wait("GetFindings")
        page = securityhub.get_findings(Filters=filters, MaxResults=100, **({"NextToken": token} if token else {}))
        yield from page["Findings"]
        token = page.get("NextToken")
        if not token:
            return


def _equals(value: str) -> list[dict[str, str]]:
    return [{"Value": value, "Comparison": "EQUALS"}]


def reconcile(
    securityhub: Any, account_id: str, region: str, product_arn: str, imported: Iterable[Mapping[str, Any]], wait: Wait
) -> list[Update]:
    """After a large import: this deployment's active findings in one account and region whose workflow is not
    what their state calls for (four filtered queries), and the notes and escalations of the imported findings."""
    ours = {
        "ProductArn": _equals(product_arn),
        "AwsAccountId": _equals(account_id),
        "Region": _equals(region),
        "RecordState": _equals("ACTIVE"),
        "GeneratorId": [{"Value": "logbaseline/", "Comparison": "PREFIX"}],
    }
    exemption = {"Key": EXEMPTION_FIELD, "Value": EXEMPT_PREFIX}
    queries: list[tuple[dict[str, Any], Callable[[Mapping[str, Any]], tuple[str, str | None]]]] = [
        (
            {
                "ComplianceStatus": _equals("PASSED"),
                "WorkflowStatus": [{"Value": s, "Comparison": "EQUALS"} for s in ("NEW", "NOTIFIED")],
            },
            lambda f: ("RESOLVED", None),
        ),
        ({"ComplianceStatus": _equals("FAILED"), "WorkflowStatus": _equals("RESOLVED")}, lambda f: ("NEW", None)),
        (
            {
                "ProductFields": [{**exemption, "Comparison": "CONTAINS"}],
                "WorkflowStatus": [{"Value": "SUPPRESSED", "Comparison": "NOT_EQUALS"}],
            },
            lambda f: ("SUPPRESSED", FOR_EXEMPTION),
        ),
        (
            {
                "WorkflowStatus": _equals("SUPPRESSED"),
                "UserDefinedFields": [{"Key": SUPPRESSED_FOR, "Value": FOR_EXEMPTION, "Comparison": "EQUALS"}],
                "ProductFields": [{**exemption, "Comparison": "NOT_CONTAINS"}],
            },
            lambda f: ("NEW" if f.get("Compliance", {}).get("Status") == "FAILED" else "RESOLVED", LIFTED),
        ),
    ]
    pending: dict[str, Update] = {}
    for conditions, change in queries:
        for finding in pages(securityhub, ours | conditions, wait):
            if finding.get("GeneratorId", "").startswith("logbaseline/"):  # checked here too, as a guard
                status, marker = change(finding)
                pending[finding["Id"]] = Update(finding["Id"], finding["ProductArn"], status, marker=marker)
    for update in reconcile_later(imported):
        kept = pending.get(update.finding_id)
        pending[update.finding_id] = replace(update, status=kept.status, marker=kept.marker) if kept else update
    return list(pending.values())


def suppressed_without_exemption(
    securityhub: Any, account_id: str, region: str, product_arn: str, wait: Wait
) -> list[Mapping[str, Any]]:
    """This deployment's active findings in one account and region that are SUPPRESSED with no exemption note: set by
    someone, not by an exemption (one query; the exempt ones it also returns are left out here, as AWS does not say
    whether a map filter's NOT_CONTAINS matches a finding without the key)."""
    filters = {
        "ProductArn": _equals(product_arn),
        "AwsAccountId": _equals(account_id),
        "Region": _equals(region),
        "RecordState": _equals("ACTIVE"),
        "GeneratorId": [{"Value": "logbaseline/", "Comparison": "PREFIX"}],
        "WorkflowStatus": _equals("SUPPRESSED"),
    }
    return [f for f in pages(securityhub, filters, wait) if not_an_exemptions(f)]


def not_an_exemptions(finding: Mapping[str, Any]) -> bool:
    """A logbaseline finding SUPPRESSED by someone, with no exemption to say so (an exemption that just ended is
    lifted by the service, not counted)."""
    return (
        finding.get("GeneratorId", "").startswith("logbaseline/")
        and finding.get("Workflow", {}).get("Status") == "SUPPRESSED"
        and not exempt(finding)
        and finding.get("UserDefinedFields", {}).get(SUPPRESSED_FOR) != FOR_EXEMPTION
    )


PLANNED_NOTE = "logbaseline dry-run fix planned"  # how fix_note begins for a dry-run plan


def already_planned(securityhub: Any, account_id: str, region: str, product_arn: str, wait: Wait) -> set[str]:
    """This deployment's failing findings in one account and region that carry a dry-run plan already: a later
    import cannot change a finding's note, so the plan outlives every re-evaluation until a person or a fix
    changes it (one query, usually one page)."""
    filters = {
        "ProductArn": _equals(product_arn),
        "AwsAccountId": _equals(account_id),
        "Region": _equals(region),
        "RecordState": _equals("ACTIVE"),
        "ComplianceStatus": _equals("FAILED"),
        "NoteText": [{"Value": PLANNED_NOTE, "Comparison": "PREFIX"}],
    }
    return {f["Id"] for f in pages(securityhub, filters, wait)}


def reconcile_later(imported: Iterable[Mapping[str, Any]]) -> list[Update]:
    """What can be set without knowing what Security Hub holds (notes and escalations); the rest waits for a
    reconciliation."""
    return [
        Update(f["Id"], f["ProductArn"], None, fix_note(f), "CRITICAL" if escalated(f) else None)
        for f in imported
        if fix_note(f) or escalated(f)
    ]


def apply(securityhub: Any, pending: list[Update], wait: Wait) -> list[Mapping[str, Any]]:
    """One BatchUpdateFindings call per kind of change, at most 100 findings each; returns what Security Hub
    could not process (each with its identifier and error code)."""
    groups: dict[tuple[str | None, str, str | None, str | None], list[Update]] = defaultdict(list)
    for update in pending:
        groups[(update.status, update.note, update.severity, update.marker)].append(update)
    unprocessed: list[Mapping[str, Any]] = []
    for (status, note, severity, marker), members in groups.items():
        for start in range(0, len(members), UPDATE_BATCH):
            request: dict[str, Any] = {
                "FindingIdentifiers": [
                    {"Id": u.finding_id, "ProductArn": u.product_arn} for u in members[start : start + UPDATE_BATCH]
                ]
            }
            if status:
                request["Workflow"] = {"Status": status}
            if note:
                request["Note"] = {"Text": note, "UpdatedBy": "logbaseline"}
            if severity:
                request["Severity"] = {"Label": severity}
            if marker:
                request["UserDefinedFields"] = {SUPPRESSED_FOR: marker}
            wait("BatchUpdateFindings")
            unprocessed.extend(securityhub.batch_update_findings(**request).get("UnprocessedFindings", []))
    return unprocessed
