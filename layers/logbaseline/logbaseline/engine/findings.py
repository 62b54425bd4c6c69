"""Outcomes as ASFF findings, and their import into Security Hub.

The finding Id is a public contract, frozen forever: it depends only on the
control id, the account, the region and the resource id.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from logbaseline.aws import partition
from logbaseline.engine.evaluation import ClientsFactory, Outcome
from logbaseline.engine.workflow import apply, current_findings, updates
from logbaseline.models import Status

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices"
BATCH_SIZE = 100  # BatchImportFindings takes at most 100 findings per call


class ImportFailed(RuntimeError):
    """Security Hub refused some findings; raised so that the message is retried."""


def finding_id(control_id: str, account_id: str, region: str, resource_id: str) -> str:
    digest = hashlib.sha256(resource_id.encode()).hexdigest()
    return f"logbaseline/{control_id}/{account_id}/{region}/{digest}"


def product_arn(account_id: str, region: str) -> str:
    return f"arn:{partition(region)}:securityhub:{region}:{account_id}:product/{account_id}/default"


def to_asff(outcome: Outcome, now: datetime | None = None) -> dict[str, Any]:
    control, verdict = outcome.control, outcome.verdict
    stamp = (now or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    compliance = {Status.PASSED: "PASSED", Status.FAILED: "FAILED"}.get(verdict.status, "NOT_AVAILABLE")
    product_fields = {"logbaseline/ControlId": control.id, "logbaseline/Reason": verdict.reason[:2000]}
    product_fields.update({f"logbaseline/Fix/{k}": str(v)[:2000] for k, v in (outcome.fix or {}).items()})
    if outcome.exemption:
        product_fields["logbaseline/Exemption"] = outcome.exemption.note[:2000]
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(control.id, outcome.account_id, outcome.region, outcome.resource_id),
        "ProductArn": product_arn(outcome.account_id, outcome.region),
        "GeneratorId": f"logbaseline/{control.id}",
        "AwsAccountId": outcome.account_id,
        "Region": outcome.region,
        "Types": [FINDING_TYPE],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": _severity(outcome, compliance)},
        "Title": f"{control.title}: {compliance} for {_short_name(outcome.resource_id)}"[:256],
        "Description": (
            f"{verdict.reason[:1].upper()}{verdict.reason[1:]}. Resource: {outcome.resource_id}. "
            f"Control {control.id}: {control.description}"
        )[:1024],
        "Remediation": {
            "Recommendation": {
                "Text": f"{control.remediation_text} Control page: docs/controls.md#{control.id}."[:512],
                "Url": control.url,
            }
        },
        "ProductFields": product_fields,
        "Compliance": {"Status": compliance, "RelatedRequirements": list(control.related_requirements)},
        "Resources": [
            {
                "Type": outcome.resource_type,
                "Id": outcome.resource_id,
                "Partition": partition(outcome.region),
                "Region": outcome.region,
            }
        ],
        "RecordState": "ACTIVE" if outcome.present else "ARCHIVED",
    } | ({"Workflow": {"Status": "SUPPRESSED"}} if outcome.exempt else {})


def _short_name(resource_id: str) -> str:
    """The part of an ARN people recognise (log-group:/aws/lambda/x, vpc/vpc-1, bucket); an account as it is."""
    return resource_id.split(":", 5)[5] if resource_id.startswith("arn:") else resource_id


def _severity(outcome: Outcome, compliance: str) -> str:
    if compliance != "FAILED":
        return "INFORMATIONAL"
    if outcome.fix and outcome.fix.get("Outcome") == "stopped":
        return "CRITICAL"  # someone keeps undoing the fix
    return outcome.control.severity.value


def publish(findings: Iterable[Mapping[str, Any]], clients_for: ClientsFactory, workflow: bool = False) -> int:
    """Import findings in batches of 100, each from its own account and region; then, with `workflow`,
    set the workflow statuses and notes that import cannot change (engine/workflow.py)."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for finding in findings:
        groups[(finding["AwsAccountId"], finding["Region"])].append(finding)
    imported = 0
    for (account_id, region), batch in groups.items():
        securityhub = clients_for(account_id, region)("securityhub")
        current = current_findings(securityhub, [f["Id"] for f in batch]) if workflow else {}
        for start in range(0, len(batch), BATCH_SIZE):
            response = securityhub.batch_import_findings(Findings=list(batch[start : start + BATCH_SIZE]))
            if response.get("FailedCount"):
                raise ImportFailed(
                    f"Security Hub refused findings in {account_id}/{region}: {response.get('FailedFindings')}"
                )
            imported += response.get("SuccessCount", 0)
        if workflow:
            apply(securityhub, updates(batch, current))
    return imported


def unseen_findings(
    securityhub: Any, account_id: str, region: str, control_ids: Iterable[str], seen: set[str], before: datetime
) -> list[Mapping[str, Any]]:
    """This deployment's active findings of these controls in one account and region, last updated before
    `before`, whose ids are not in `seen`: the resources a drift sweep no longer finds."""
    generators = {f"logbaseline/{c}" for c in control_ids}
    equals = {
        "ProductArn": product_arn(account_id, region),
        "AwsAccountId": account_id,
        "Region": region,
        "RecordState": "ACTIVE",
    }
    filters: dict[str, Any] = {name: [{"Value": value, "Comparison": "EQUALS"}] for name, value in equals.items()}
    filters["GeneratorId"] = [{"Value": "logbaseline/", "Comparison": "PREFIX"}]
    # Both ends given, as AWS's examples of a DateFilter do: from before Security Hub existed.
    end = before.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    filters["UpdatedAt"] = [{"Start": "2018-01-01T00:00:00.000Z", "End": end}]
    pages = securityhub.get_paginator("get_findings").paginate(Filters=filters, MaxResults=100)
    return [  # filtered here too: the emulator ignores Filters
        finding
        for page in pages
        for finding in page["Findings"]
        if all(finding.get(name) == value for name, value in equals.items())
        and finding.get("GeneratorId") in generators
        and datetime.fromisoformat(finding["UpdatedAt"]) < before
        and finding["Id"] not in seen
    ]


REACHABILITY_CONTROL = "member_role_reachable"


def reachability_finding(
    home_account: str, region: str, member_account: str, role_arn: str, reason: str, now: datetime | None = None
) -> dict[str, Any]:
    """Whether the deployment could assume its member role in an account and region, as a finding of the
    deployment's own account: FAILED (with AWS's reason) while it cannot, archived once a sweep gets in."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    member = f"AWS::::Account:{member_account}"
    reachable = not reason
    what = (
        f"logbaseline reads account {member_account} in {region}"
        if reachable
        else f"logbaseline cannot assume its member role in account {member_account} ({region})"
    )
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(REACHABILITY_CONTROL, home_account, region, member),
        "ProductArn": product_arn(home_account, region),
        "GeneratorId": f"logbaseline/{REACHABILITY_CONTROL}",
        "AwsAccountId": home_account,
        "Region": region,
        "Types": [FINDING_TYPE],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": "INFORMATIONAL" if reachable else "HIGH"},
        "Title": what[:256],
        "Description": (
            f"{what}. The account is not evaluated until it can: no findings, no fixes. {reason}"
            if not reachable
            else f"{what}."
        )[:1024],
        "Remediation": {
            "Recommendation": {
                "Text": (
                    f"Deploy the member stack (stacksets/member.yaml) to account {member_account}, and check that "
                    f"{role_arn or 'the member role'} trusts this deployment's functions. See docs/organization.md."
                )[:512]
            }
        },
        "ProductFields": {"logbaseline/ControlId": REACHABILITY_CONTROL, "logbaseline/Reason": reason[:2000]},
        "Compliance": {"Status": "PASSED" if reachable else "FAILED"},
        "Resources": [{"Type": "AwsAccount", "Id": member, "Partition": partition(region), "Region": region}],
        "RecordState": "ARCHIVED" if reachable else "ACTIVE",
    }
