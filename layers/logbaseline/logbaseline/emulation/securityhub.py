"""Security Hub's finding operations as AWS documents them, for the emulator and the unit tests.

moto's Security Hub barely validates findings, lacks BatchUpdateFindings and ignores GetFindings' filters
(docs/emulator-gaps.md). This one keeps the findings of one account and region and answers as AWS does:
- BatchImportFindings: 1 to 100 findings; the whole call is refused when a finding names another account or
  region than the caller's with the default product ARN; each finding validated (emulation/asff.py) and refused
  on its own with InvalidInput; an update older than the stored `UpdatedAt` is ignored; after creation the import
  cannot change Workflow, Note, UserDefinedFields or VerificationState, nor a Severity a customer set with
  BatchUpdateFindings; Workflow goes back from NOTIFIED or RESOLVED to NEW when Compliance turns from PASSED to
  FAILED, WARNING or NOT_AVAILABLE, or RecordState from ARCHIVED to ACTIVE (ASFF Workflow.Status).
- BatchUpdateFindings: 1 to 100 identifiers; unknown findings come back as UnprocessedFindings.
- GetFindings: string, map and date filters, at most 20 values per filter, pages of at most 100.
- GetFindingHistory: a record per import and per BatchUpdateFindings of a finding, each with its source (the
  operation, and the caller's ARN as Identity) and the fields it changed; pages of at most 100 records.
  AWS does not document the names of `UpdatedField`: the emulator writes them as `Workflow/Status`.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from logbaseline.aws import partition
from logbaseline.emulation import asff

WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
SEVERITY_LABELS = ("INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL")
RESTRICTED = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
MAX_FILTER_VALUES = 20
MAX_RESULTS = 100
# GetFindings' string filters and where each sits in a finding.
STRING_FIELDS: dict[str, tuple[str, ...]] = {
    "Id": ("Id",),
    "ProductArn": ("ProductArn",),
    "GeneratorId": ("GeneratorId",),
    "AwsAccountId": ("AwsAccountId",),
    "Region": ("Region",),
    "RecordState": ("RecordState",),
    "ComplianceStatus": ("Compliance", "Status"),
    "WorkflowStatus": ("Workflow", "Status"),
    "SeverityLabel": ("Severity", "Label"),
    "Title": ("Title",),
    "NoteText": ("Note", "Text"),
    "ResourceId": ("Resources", "0", "Id"),
    "ResourceType": ("Resources", "0", "Type"),
}
MAP_FIELDS = {"ProductFields": "ProductFields", "UserDefinedFields": "UserDefinedFields"}
DATE_FIELDS = {"UpdatedAt": "UpdatedAt", "CreatedAt": "CreatedAt"}


class SecurityHubError(Exception):
    """An error response: its code, HTTP status and message, as the service model names them."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def invalid(message: str) -> SecurityHubError:
    return SecurityHubError("InvalidInputException", 400, message)


def _stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _value(finding: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = finding
    for key in path:
        if isinstance(value, list):
            value = value[int(key)] if len(value) > int(key) else None
        elif isinstance(value, Mapping):
            value = value.get(key)
        else:
            return None
    return value


class FindingsStore:
    """The findings of one account and region."""

    def __init__(self, account_id: str, region: str, partition: str = "aws") -> None:
        self.account_id, self.region = account_id, region
        self.product_arn = f"arn:{partition}:securityhub:{region}:{account_id}:product/{account_id}/default"
        self.findings: dict[str, dict[str, Any]] = {}
        self.severity_set_by_customer: set[str] = set()
        self.accepted = 0  # findings imported, each import counted (for tests that count repeats)
        self.lock = threading.Lock()
        self._version = 0  # changes with every write: the pages of one query share its matching findings
        self._queries: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}  # finding id -> its change records, oldest first

    # --- BatchImportFindings ---------------------------------------------------------------------

    def batch_import_findings(self, findings: list[Mapping[str, Any]], identity: str = "") -> dict[str, Any]:
        if not 1 <= len(findings) <= asff.MAX_FINDINGS_PER_REQUEST:
            raise invalid("Findings must contain between 1 and 100 items")
        foreign = [
            f for f in findings if (f.get("AwsAccountId"), f.get("ProductArn")) != (self.account_id, self.product_arn)
        ]
        if foreign:  # the whole call is refused (prowler-cloud/prowler#867)
            raise SecurityHubError(
                "AccessDeniedException",
                403,
                f"account {self.account_id} in {self.region} cannot import findings of account "
                f"{foreign[0].get('AwsAccountId')} with product {foreign[0].get('ProductArn')}",
            )
        failed = []
        with self.lock:
            self._version += 1
            for finding in findings:
                refused = asff.problems(finding)
                if refused:
                    failed.append({"Id": finding.get("Id"), "ErrorCode": "InvalidInput", "ErrorMessage": refused[0]})
                else:
                    self.accepted += 1
                    created = finding.get("Id") not in self.findings
                    self._store(copy.deepcopy(dict(finding)))
                    self._record(finding["Id"], "BATCH_IMPORT_FINDINGS", identity or self.product_arn, [], created)
        return {"FailedCount": len(failed), "SuccessCount": len(findings) - len(failed), "FailedFindings": failed}

    def _store(self, finding: dict[str, Any]) -> None:
        before = self.findings.get(finding["Id"])
        if before is None:
            finding.setdefault("Workflow", {"Status": "NEW"})
            self._provider_severity(finding, None)
            self.findings[finding["Id"]] = finding
            return
        if _stamp(finding["UpdatedAt"]) < _stamp(before["UpdatedAt"]):
            return  # an older update than the one stored is ignored
        for name in RESTRICTED:
            finding.pop(name, None)
            if name in before:
                finding[name] = before[name]
        self._provider_severity(finding, before)
        was, now = before.get("Compliance", {}).get("Status"), finding.get("Compliance", {}).get("Status")
        reopened = was == "PASSED" and now in ("FAILED", "WARNING", "NOT_AVAILABLE")
        revived = before.get("RecordState") == "ARCHIVED" and finding.get("RecordState", "ACTIVE") == "ACTIVE"
        if (reopened or revived) and finding["Workflow"]["Status"] in ("NOTIFIED", "RESOLVED"):
            finding["Workflow"] = {"Status": "NEW"}
        finding["CreatedAt"] = before["CreatedAt"]
        self.findings[finding["Id"]] = finding

    def _provider_severity(self, finding: dict[str, Any], before: Mapping[str, Any] | None) -> None:
        """The provider's severity (FindingProviderFields, else Severity) is the finding's, unless a customer
        changed it with BatchUpdateFindings."""
        provided = finding.get("FindingProviderFields", {}).get("Severity") or finding.get("Severity")
        if before is not None and finding["Id"] in self.severity_set_by_customer:
            finding["Severity"] = before["Severity"]
        elif provided:
            finding["Severity"] = {"Label": provided.get("Label", "INFORMATIONAL"), **provided}

    # --- BatchUpdateFindings ---------------------------------------------------------------------

    def batch_update_findings(self, request: Mapping[str, Any], identity: str = "") -> dict[str, Any]:
        identifiers = request.get("FindingIdentifiers") or []
        if not 1 <= len(identifiers) <= 100:
            raise invalid("FindingIdentifiers must contain between 1 and 100 items")
        workflow, note, severity = request.get("Workflow"), request.get("Note"), request.get("Severity")
        if workflow and workflow.get("Status") not in WORKFLOW_STATUSES:
            raise invalid(f"Workflow.Status must be one of {', '.join(WORKFLOW_STATUSES)}")
        if note and not (0 < len(note.get("Text", "")) <= 512 and 0 < len(note.get("UpdatedBy", "")) <= 128):
            raise invalid("Note.Text is 1 to 512 characters and Note.UpdatedBy 1 to 128")
        if severity and severity.get("Label") not in SEVERITY_LABELS:
            raise invalid(f"Severity.Label must be one of {', '.join(SEVERITY_LABELS)}")
        fields = request.get("UserDefinedFields") or {}
        if any(not k.strip() or not str(v).strip() for k, v in fields.items()):
            raise invalid("UserDefinedFields keys and values are non-empty strings")
        processed, unprocessed = [], []
        with self.lock:
            self._version += 1
            for identifier in identifiers:
                finding = self.findings.get(identifier.get("Id", ""))
                if finding is None or finding["ProductArn"] != identifier.get("ProductArn"):
                    unprocessed.append(
                        {"FindingIdentifier": identifier, "ErrorCode": "FindingNotFound", "ErrorMessage": "not found"}
                    )
                    continue
                changes = []
                if workflow:
                    was = finding.get("Workflow", {}).get("Status", "NEW")
                    if was != workflow["Status"]:
                        changes.append(
                            {"UpdatedField": "Workflow/Status", "OldValue": was, "NewValue": workflow["Status"]}
                        )
                    finding["Workflow"] = {"Status": workflow["Status"]}
                if note:
                    finding["Note"] = {**note, "UpdatedAt": datetime.now().astimezone().isoformat()}
                if severity:
                    finding["Severity"] = {**finding.get("Severity", {}), "Label": severity["Label"]}
                    self.severity_set_by_customer.add(finding["Id"])
                if fields:
                    finding["UserDefinedFields"] = {**finding.get("UserDefinedFields", {}), **fields}
                if note:
                    changes.append({"UpdatedField": "Note/Text", "NewValue": note["Text"]})
                self._record(
                    finding["Id"], "BATCH_UPDATE_FINDINGS", identity or f"arn:aws:iam::{self.account_id}:root", changes
                )
                processed.append(identifier)
        return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

    def _record(
        self, finding_id: str, source: str, identity: str, updates: list[dict[str, str]], created: bool = False
    ) -> None:
        self.history.setdefault(finding_id, []).append(
            {
                "FindingIdentifier": {"Id": finding_id, "ProductArn": self.product_arn},
                "UpdateTime": datetime.now(UTC).isoformat(),
                "FindingCreated": created,
                "UpdateSource": {"Type": source, "Identity": identity},
                "Updates": updates,
            }
        )

    # --- GetFindingHistory -----------------------------------------------------------------------

    def get_finding_history(self, request: Mapping[str, Any]) -> dict[str, Any]:
        identifier = request.get("FindingIdentifier") or {}
        if not identifier.get("Id") or not identifier.get("ProductArn"):
            raise invalid("FindingIdentifier needs Id and ProductArn")
        size = request.get("MaxResults") or MAX_RESULTS
        if not 1 <= size <= MAX_RESULTS:
            raise invalid("MaxResults is 1 to 100")
        start = int(request.get("NextToken") or 0)
        with self.lock:
            finding = self.findings.get(identifier["Id"])
            if finding is None or finding["ProductArn"] != identifier["ProductArn"]:
                return {"Records": []}
            since = request.get("StartTime")
            records = [
                r
                for r in self.history.get(identifier["Id"], [])
                if not since or _stamp(r["UpdateTime"]) >= _stamp(since)
            ]
            page = copy.deepcopy(records[start : start + size])
        response: dict[str, Any] = {"Records": page}
        if start + size < len(records):
            response["NextToken"] = str(start + size)
        return response

    # --- GetFindings -----------------------------------------------------------------------------

    def get_findings(self, request: Mapping[str, Any]) -> dict[str, Any]:
        filters = request.get("Filters") or {}
        for name, values in filters.items():
            if isinstance(values, list) and len(values) > MAX_FILTER_VALUES:
                raise invalid(f"Filters.{name} takes at most {MAX_FILTER_VALUES} values")
            if name not in STRING_FIELDS and name not in MAP_FIELDS and name not in DATE_FIELDS:
                raise NotImplementedError(f"the emulator does not filter on {name}")
        size = request.get("MaxResults") or MAX_RESULTS
        if not 1 <= size <= MAX_RESULTS:
            raise invalid("MaxResults is 1 to 100")
        with self.lock:
            key = (json.dumps(filters, sort_keys=True), self._version)
            matching = self._queries.get(key)
            if matching is None:
                matching = [f for f in self.findings.values() if _matches(f, filters)]
                matching.sort(key=lambda f: (f["UpdatedAt"], f["Id"]), reverse=True)
                self._queries = {key: matching}
            start = int(request.get("NextToken") or 0)
            page = [copy.deepcopy(f) for f in matching[start : start + size]]
        response: dict[str, Any] = {"Findings": page}
        if start + size < len(matching):
            response["NextToken"] = str(start + size)
        return response


def _matches(finding: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    return all(_filter(finding, name, values) for name, values in filters.items())


def _filter(finding: Mapping[str, Any], name: str, values: list[Mapping[str, Any]]) -> bool:
    """AWS's rule: the values of one filter are ORed, except that NOT_EQUALS and NOT_CONTAINS are ANDed."""
    if name in DATE_FIELDS:
        stamp = _stamp(finding[DATE_FIELDS[name]])
        return any(
            (not v.get("Start") or stamp >= _stamp(v["Start"])) and (not v.get("End") or stamp <= _stamp(v["End"]))
            for v in values
        )
    if name in MAP_FIELDS:
        fields = finding.get(MAP_FIELDS[name]) or {}
        results = [_compare(fields.get(v["Key"]), v) for v in values]
    else:
        results = [_compare(_value(finding, STRING_FIELDS[name]), v) for v in values]
    negative = [r for r, v in zip(results, values, strict=True) if v["Comparison"].startswith("NOT_")]
    positive = [r for r, v in zip(results, values, strict=True) if not v["Comparison"].startswith("NOT_")]
    return all(negative) and (any(positive) if positive else True)


def _compare(actual: Any, condition: Mapping[str, Any]) -> bool:
    value, comparison = condition["Value"], condition["Comparison"]
    if comparison == "EQUALS":
        return actual == value
    if comparison == "NOT_EQUALS":
        return actual != value
    if comparison == "PREFIX":
        return isinstance(actual, str) and actual.startswith(value)
    if comparison == "PREFIX_NOT_EQUALS":
        return not (isinstance(actual, str) and actual.startswith(value))
    if comparison == "CONTAINS":
        return isinstance(actual, str) and value in actual
    if comparison == "NOT_CONTAINS":
        return not (isinstance(actual, str) and value in actual)
    raise invalid(f"unknown comparison {comparison}")


class Hubs:
    """Every account's and region's findings, made on first use."""

    def __init__(self) -> None:
        self._stores: dict[tuple[str, str], FindingsStore] = {}
        self._lock = threading.Lock()

    def __call__(self, account_id: str, region: str) -> FindingsStore:
        with self._lock:
            store = self._stores.get((account_id, region))
            if store is None:
                store = self._stores[(account_id, region)] = FindingsStore(account_id, region, partition(region))
            return store

    def reset(self) -> None:
        with self._lock:
            self._stores.clear()
