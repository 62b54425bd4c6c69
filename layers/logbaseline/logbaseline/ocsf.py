"""`logbaseline scan --format ocsf`: each result as an OCSF Compliance Finding (class 2003), the format the new
Security Hub and Amazon Security Lake use. Built by hand (no runtime dependency); the tests validate it with
the pinned OCSF models package (py-ocsf-models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logbaseline import __version__
from logbaseline.engine import Outcome
from logbaseline.engine.findings import finding_id
from logbaseline.models import Severity, Status

OCSF_VERSION = "1.5.0"  # the OCSF schema version the fields are taken from (schema.ocsf.io, Compliance Finding)
COMPLIANCE_FINDING, FINDINGS_CATEGORY, CREATE = 2003, 2, 1
SEVERITY_IDS = {
    Severity.INFORMATIONAL: 1,
    Severity.LOW: 2,
    Severity.MEDIUM: 3,
    Severity.HIGH: 4,
    Severity.CRITICAL: 5,
}
# compliance.status_id: 1 Pass, 3 Fail, 99 Other (not applicable: nothing to judge)
COMPLIANCE_STATUS_IDS = {Status.PASSED: (1, "Pass"), Status.FAILED: (3, "Fail"), Status.NOT_APPLICABLE: (99, "Other")}
NEW, SUPPRESSED = (1, "New"), (3, "Suppressed")  # the finding's status_id: an exempt result is suppressed


def to_ocsf(outcome: Outcome, now: datetime) -> dict[str, Any]:
    control, verdict = outcome.control, outcome.verdict
    millis = int(now.timestamp() * 1000)
    compliance_id, compliance_name = COMPLIANCE_STATUS_IDS[verdict.status]
    status_id, status = SUPPRESSED if outcome.exempt else NEW
    return {
        "activity_id": CREATE,
        "activity_name": "Create",
        "category_uid": FINDINGS_CATEGORY,
        "category_name": "Findings",
        "class_uid": COMPLIANCE_FINDING,
        "class_name": "Compliance Finding",
        "type_uid": COMPLIANCE_FINDING * 100 + CREATE,
        "type_name": "Compliance Finding: Create",
        "time": millis,
        "severity_id": SEVERITY_IDS[control.severity],
        "severity": control.severity.value.title(),
        "status_id": status_id,
        "status": status,
        **({"status_detail": outcome.exemption.note} if outcome.exemption else {}),
        "message": verdict.reason,
        "metadata": {
            "version": OCSF_VERSION,
            "profiles": ["cloud"],  # the profile that adds `cloud` (the account and region)
            "product": {"name": "logbaseline", "vendor_name": "logbaseline", "version": __version__},
        },
        "finding_info": {
            "uid": finding_id(control.id, outcome.account_id, outcome.region, outcome.resource_id),
            "title": control.title,
            "desc": control.description,
            "created_time": millis,
            "types": [control.id],
        },
        "compliance": {
            "control": control.id,
            "requirements": list(control.related_requirements),
            "standards": sorted({r.split("/")[0] for r in control.related_requirements}),
            "status_id": compliance_id,
            "desc": f"{compliance_name}: {verdict.reason}",
        },
        "cloud": {
            "provider": "AWS",
            "region": outcome.region,
            # name: the id again; the account's name needs Organizations, which a scan does not read
            "account": {"uid": outcome.account_id, "name": outcome.account_id, "type_id": 10, "type": "AWS Account"},
        },
        "resources": [
            {
                "uid": outcome.resource_id,
                "type": outcome.resource_type,
                "region": outcome.region,
                "cloud_partition": outcome.resource_id.split(":")[1] if outcome.resource_id.startswith("arn:") else "",
            }
        ],
        "remediation": {"desc": control.remediation_text},
        # OCSF 1.5 has no exemption object: applies, source ("register" or "tag"), until, reason, approver, note
        "unmapped": {"exemption": outcome.exemption.as_dict() if outcome.exemption else {}, "fixable": verdict.fixable},
    }
