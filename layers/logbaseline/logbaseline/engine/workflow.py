"""Keep each finding's workflow honest, and note what a fix did (BatchUpdateFindings).

BatchImportFindings cannot change Workflow or Note once a finding exists, so after an
import the engine reads the findings' current state and asks for:
- RESOLVED when a finding turns PASSED;
- NEW when it regresses (FAILED after PASSED, or after a person RESOLVED it);
- SUPPRESSED when an exemption applies, and NEW again when a SUPPRESSED it set for an
  exemption no longer holds (a person's own SUPPRESSED is left alone);
- a note saying what a fix changed, by which fix, when.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LOOKUP_BATCH = 20  # filter values per GetFindings call
UPDATE_BATCH = 100  # finding identifiers per BatchUpdateFindings call
EXEMPT_PREFIX = "exempt until"


@dataclass(frozen=True)
class Update:
    finding_id: str
    product_arn: str
    status: str | None  # the workflow status to set, or None to leave it
    note: str = ""


def _exempt(finding: Mapping[str, Any]) -> bool:
    return finding.get("ProductFields", {}).get("logbaseline/Exemption", "").startswith(EXEMPT_PREFIX)


def updates(imported: Iterable[Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]) -> list[Update]:
    """The workflow changes and notes that the imported findings call for, given what Security Hub holds."""
    result = []
    for finding in imported:
        before = current.get(finding["Id"])
        if before is None:
            continue  # just created: the import set its workflow
        was = before.get("Workflow", {}).get("Status", "NEW")
        compliance, was_compliance = finding["Compliance"]["Status"], before.get("Compliance", {}).get("Status")
        status = None
        if _exempt(finding):
            status = "SUPPRESSED" if was != "SUPPRESSED" else None
        elif was == "SUPPRESSED" and _exempt(before):
            status = "NEW" if compliance == "FAILED" else "RESOLVED"  # the exemption that suppressed it ended
        elif compliance == "PASSED":
            status = "RESOLVED" if was not in ("RESOLVED", "SUPPRESSED") else None
        elif compliance == "FAILED" and (was_compliance == "PASSED" or was == "RESOLVED"):
            status = "NEW"  # regressed, even if a person had resolved it
        fields = finding.get("ProductFields", {})
        note = ""
        if fields.get("logbaseline/Fix/Outcome"):
            what = fields.get("logbaseline/Fix/Changes") or fields.get("logbaseline/Fix/Error", "")
            mode, outcome, at = (fields.get(f"logbaseline/Fix/{k}", "") for k in ("Mode", "Outcome", "At"))
            note = f"logbaseline {mode} fix {outcome} at {at}: {what}"[:512]
        if status or note:
            result.append(Update(finding["Id"], finding["ProductArn"], status, note))
    return result


def current_findings(securityhub: Any, ids: list[str]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for start in range(0, len(ids), LOOKUP_BATCH):
        chunk = ids[start : start + LOOKUP_BATCH]
        filters = {"Id": [{"Value": i, "Comparison": "EQUALS"} for i in chunk]}
        for page in securityhub.get_paginator("get_findings").paginate(Filters=filters):
            found.update({f["Id"]: f for f in page["Findings"] if f["Id"] in chunk})
    return found


def apply(securityhub: Any, pending: list[Update]) -> None:
    """One BatchUpdateFindings call per (status, note), at most 100 findings each."""
    groups: dict[tuple[str | None, str], list[Update]] = defaultdict(list)
    for update in pending:
        groups[(update.status, update.note)].append(update)
    for (status, note), members in groups.items():
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
            securityhub.batch_update_findings(**request)
