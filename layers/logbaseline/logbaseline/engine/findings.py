"""Outcomes as ASFF findings, and their import into Security Hub.

The finding Id is a public contract, frozen forever: it depends only on the
control id, the account, the region and the resource id.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from logbaseline.aws import partition
from logbaseline.engine.evaluation import ClientsFactory, Outcome
from logbaseline.engine.workflow import (
    EXEMPTION_FIELD,
    FOR_EXEMPTION,
    LOOKUP_BATCH,
    SUPPRESSED_FOR,
    Update,
    apply,
    current_findings,
    exempt,
    fix_note,
    not_an_exemptions,
    pages,
    reconcile,
    reconcile_later,
    suppressed_without_exemption,
    updates,
)
from logbaseline.models import Status
from logbaseline.quotas import Pacer

SCHEMA_VERSION = "2018-10-08"
FINDING_TYPE = "Software and Configuration Checks/AWS Security Best Practices"
BATCH_SIZE = 100  # BatchImportFindings takes at most 100 findings per call
MAX_PRODUCT_FIELD = 2048  # characters of a ProductFields value (ASFF)


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
    product_fields = _product_fields(
        {"logbaseline/ControlId": control.id, "logbaseline/Reason": verdict.reason}
        | {f"logbaseline/Fix/{k}": str(v) for k, v in (outcome.fix or {}).items()}
        | ({EXEMPTION_FIELD: outcome.exemption.note} if outcome.exemption else {})
    )
    severity = {"Label": _severity(outcome, compliance), "Original": control.severity.value}
    finding = {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(control.id, outcome.account_id, outcome.region, outcome.resource_id),
        "ProductArn": product_arn(outcome.account_id, outcome.region),
        "GeneratorId": f"logbaseline/{control.id}",
        "AwsAccountId": outcome.account_id,
        "Region": outcome.region,
        "Types": [FINDING_TYPE],
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": severity,
        "FindingProviderFields": {"Severity": severity, "Types": [FINDING_TYPE]},
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
    }
    return finding | _on_creation(finding, outcome.exempt, stamp)


def _product_fields(fields: Mapping[str, str]) -> dict[str, str]:
    """ProductFields values are NonEmptyString (pattern `.*\\S.*`, at most 2048 characters): an empty value makes
    Security Hub refuse the finding, so it is left out."""
    return {key: value[:MAX_PRODUCT_FIELD] for key, value in fields.items() if value.strip()}


def _on_creation(finding: Mapping[str, Any], exempt: bool, stamp: str) -> dict[str, Any]:
    """What only the import that creates a finding can set (later imports leave them as they are): its workflow,
    the note of a fix, and the mark of a suppression for an exemption (engine/workflow.py)."""
    extra: dict[str, Any] = {}
    if exempt:
        extra["Workflow"] = {"Status": "SUPPRESSED"}
        extra["UserDefinedFields"] = {SUPPRESSED_FOR: FOR_EXEMPTION}
    elif finding["Compliance"]["Status"] == "PASSED":
        extra["Workflow"] = {"Status": "RESOLVED"}
    note = fix_note(finding)
    if note:
        extra["Note"] = {"Text": note, "UpdatedBy": "logbaseline", "UpdatedAt": stamp}
    return extra


def _short_name(resource_id: str) -> str:
    """The part of an ARN people recognise (log-group:/aws/lambda/x, vpc/vpc-1, bucket); an account as it is."""
    return resource_id.split(":", 5)[5] if resource_id.startswith("arn:") else resource_id


def _severity(outcome: Outcome, compliance: str) -> str:
    if compliance != "FAILED":
        return "INFORMATIONAL"
    if outcome.fix and outcome.fix.get("Outcome") == "stopped":
        return "CRITICAL"  # someone keeps undoing the fix
    return outcome.control.severity.value


@dataclass
class Publication:
    """What one publication did: findings imported, and what Security Hub refused or left undone."""

    imported: int = 0
    refused: list[Mapping[str, Any]] = field(default_factory=list)  # BatchImportFindings' FailedFindings
    unprocessed: list[Mapping[str, Any]] = field(default_factory=list)  # workflow updates left after a retry
    left: list[Mapping[str, Any]] = field(default_factory=list)  # not imported before the deadline
    lookups: int = 0  # GetFindings calls made
    # (account, region) whose workflow was not kept in step now, to reconcile later (GetFindings was busy)
    deferred: set[tuple[str, str]] = field(default_factory=set)
    # ids of logbaseline findings someone set SUPPRESSED with no exemption to say so (metric and alarm)
    suppressed_without_exemption: list[str] = field(default_factory=list)


# Each container keeps to 90% of AWS's published Security Hub rates (quotas.py): at the full rate, calls that
# arrive bunched are throttled now and then. Containers that meet on one account's quota are throttled and retried
# by the client's retry policy.
PACER = Pacer(share=0.9)
UNPROCESSED_RETRY_SECONDS = 2.0  # an update may find a just-imported finding not yet visible


def publish(
    findings: Iterable[Mapping[str, Any]],
    clients_for: ClientsFactory,
    workflow: bool = False,
    deadline: float | None = None,
    reconcile_in: Iterable[tuple[str, str]] = (),
    defer_when_busy: bool = True,
) -> Publication:
    """Import findings in batches of 100, each from its own account and region, paced below Security Hub's quota;
    then, with `workflow`, set what import cannot (engine/workflow.py). Stops importing at `deadline` (a
    time.monotonic() value) and returns the rest in `left`. With `defer_when_busy`, a small publication that finds
    GetFindings busy leaves its workflow to a reconciliation (`deferred`) instead of waiting. Raises ImportFailed
    when Security Hub refused any."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for finding in findings:
        groups[(finding["AwsAccountId"], finding["Region"])].append(finding)
    for scope in reconcile_in:  # nothing to import: the reconciliation alone
        groups.setdefault(scope, [])
    result = Publication()
    for (account_id, region), batch in groups.items():
        if result.left:
            result.left.extend(batch)
            continue
        securityhub = clients_for(account_id, region)("securityhub")

        def wait(operation: str, account_id: str = account_id, region: str = region) -> None:
            if operation == "GetFindings":
                result.lookups += 1
            PACER.wait(account_id, region, "securityhub", operation)

        small = 0 < len(batch) <= LOOKUP_BATCH
        # A small publication looks its findings up when GetFindings is free now; when it is busy (a burst of
        # events in one account), waiting would hold every event behind the scarcest quota, so the workflow of
        # this account and region is reconciled a little later instead (four queries, whatever the burst's size).
        look_up = (
            workflow
            and small
            and (not defer_when_busy or PACER.ready(account_id, region, "securityhub", "GetFindings"))
        )
        current = current_findings(securityhub, [f["Id"] for f in batch], wait) if look_up else {}
        imported: list[Mapping[str, Any]] = []
        for start in range(0, len(batch), BATCH_SIZE):
            if deadline is not None and start > 0 and time.monotonic() > deadline:  # each call makes progress
                result.left.extend(batch[start:])
                break
            chunk = batch[start : start + BATCH_SIZE]
            wait("BatchImportFindings")
            response = securityhub.batch_import_findings(Findings=list(chunk))
            result.imported += response.get("SuccessCount", 0)
            result.refused.extend(response.get("FailedFindings", []))
            imported.extend(chunk)
        if workflow and (imported or not batch):
            if look_up:
                pending = updates(imported, current)
                result.suppressed_without_exemption += [
                    f["Id"]
                    for f in imported
                    if f["Id"] in current and not_an_exemptions(current[f["Id"]]) and not exempt(f)
                ]
            elif small:
                pending = reconcile_later(imported)
                result.deferred.add((account_id, region))
            else:
                product = product_arn(account_id, region)
                pending = reconcile(securityhub, account_id, region, product, imported, wait)
                result.suppressed_without_exemption += [
                    f["Id"] for f in suppressed_without_exemption(securityhub, account_id, region, product, wait)
                ]
            result.unprocessed.extend(_apply_with_retry(securityhub, pending, wait))
    if result.refused:
        raise ImportFailed(f"Security Hub refused {len(result.refused)} findings: {result.refused[:3]}")
    return result


def _apply_with_retry(securityhub: Any, pending: list[Update], wait: Any) -> list[Mapping[str, Any]]:
    """Apply the updates; what Security Hub could not process is tried once more, then returned."""
    unprocessed = apply(securityhub, pending, wait)
    if not unprocessed:
        return []
    by_id = {u.finding_id: u for u in pending}
    again = [by_id[u["FindingIdentifier"]["Id"]] for u in unprocessed if u["FindingIdentifier"]["Id"] in by_id]
    time.sleep(UNPROCESSED_RETRY_SECONDS)
    return apply(securityhub, again, wait)


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
    wait = lambda operation: PACER.wait(account_id, region, "securityhub", operation)  # noqa: E731
    return [  # filtered here too, as a guard
        finding
        for finding in pages(securityhub, filters, wait)
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
        "ProductFields": _product_fields({"logbaseline/ControlId": REACHABILITY_CONTROL, "logbaseline/Reason": reason}),
        "Compliance": {"Status": "PASSED" if reachable else "FAILED"},
        "Resources": [{"Type": "AwsAccount", "Id": member, "Partition": partition(region), "Region": region}],
        "RecordState": "ARCHIVED" if reachable else "ACTIVE",
    }
