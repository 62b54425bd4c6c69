"""A CloudTrail Lake event data store keeps its events between the baseline's floor and ceiling, and cannot be
deleted by accident (termination protection)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients, partition
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, Control, FixFailed
from logbaseline.controls.logs_log_group_retention_bounded import CEILING, FLOOR
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# The longest retention each billing mode allows (CloudTrail API reference, CreateEventDataStore's RetentionPeriod).
MAX_RETENTION = {"EXTENDABLE_RETENTION_PRICING": 3653, "FIXED_RETENTION_PRICING": 2557}
PENDING_DELETION = "PENDING_DELETION"
# UpdateEventDataStore on an organization store also needs iam:CreateServiceLinkedRole, iam:GetRole and
# organizations:ListAWSServiceAccessForOrganization (Service Authorization Reference): not granted, so refused.
ORGANIZATION_STORE_REFUSAL = (
    "refused: an organization event data store is changed by its management account (or delegated administrator), "
    "with Organizations and IAM permissions the fix does not have; left to a person"
)


def event_data_store_arn(scope: Scope) -> str:
    wanted = scope.resource_id or ""
    if wanted.startswith("arn:"):
        return wanted
    return f"arn:{partition(scope.region)}:cloudtrail:{scope.region}:{scope.account_id}:eventdatastore/{wanted}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    """The account's own event data stores of the region (an organization's are its management account's)."""
    cloudtrail, resources, token = clients("cloudtrail"), [], None
    while True:  # ListEventDataStores has no paginator in botocore
        page = cloudtrail.list_event_data_stores(**({"NextToken": token} if token else {}))
        for summary in page.get("EventDataStores", []):
            arn = summary["EventDataStoreArn"]
            names = (None, arn, summary.get("Name"), arn.rsplit("/", 1)[-1])  # an event names it by ARN or name
            if arn.split(":")[4] != scope.account_id or scope.resource_id not in names:
                continue
            store = cloudtrail.get_event_data_store(EventDataStore=arn)  # the summary has no billing mode
            state = {
                "name": store["Name"],
                "status": store.get("Status", ""),
                "retention_days": store.get("RetentionPeriod"),
                "termination_protection": bool(store.get("TerminationProtectionEnabled")),
                "billing_mode": store.get("BillingMode", "EXTENDABLE_RETENTION_PRICING"),
                "organization": bool(store.get("OrganizationEnabled")),
            }
            resources.append(Resource(scope.account_id, scope.region, arn, state))
        token = page.get("NextToken")
        if not token:
            return resources


def longest_retention(state: Mapping[str, Any]) -> int:
    """The store's billing mode's longest retention; a mode this code does not know is held to the shorter one."""
    return MAX_RETENTION.get(state["billing_mode"], MAX_RETENTION["FIXED_RETENTION_PRICING"])


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state, floor, ceiling = resource.state, params[FLOOR.name], params[CEILING.name]
    if state["status"] == PENDING_DELETION:
        return failed("the event data store is pending deletion: its events go when the wait ends, unless restored")
    retention, protected = state["retention_days"], state["termination_protection"]
    gaps = [] if protected else ["termination protection is off: the store and its events can be deleted at once"]
    if retention < floor:
        gaps.append(f"events are kept {retention} days, below the floor of {floor}")
    elif retention > ceiling:
        # Shortening a retention deletes events: a person decides, never a fix.
        gaps.append(f"events are kept {retention} days, above the ceiling of {ceiling}; shortening is left to a person")
    if not gaps:
        return passed(f"events are kept {retention} days, within {floor} to {ceiling}; termination protection is on")
    fixable = not protected or (retention < floor <= longest_retention(state))
    return failed("; ".join(gaps), fixable=fixable and not state.get("organization"))


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    state, floor = resource.state, params[FLOOR.name]
    if state["status"] == PENDING_DELETION:
        raise FixFailed("refused: a store pending deletion is restored by a person (RestoreEventDataStore)")
    if state.get("organization"):
        raise FixFailed(ORGANIZATION_STORE_REFUSAL)
    update: dict[str, Any] = {}
    if state["retention_days"] < floor:
        if floor > (most := longest_retention(state)):
            raise FixFailed(f"refused: {state['billing_mode']} keeps events at most {most} days, below the floor")
        update["RetentionPeriod"] = floor  # only ever lengthened
    if not state["termination_protection"]:
        update["TerminationProtectionEnabled"] = True
    if not update:
        raise FixFailed(f"refused: nothing to raise or protect (events kept {state['retention_days']} days)")
    changes.call("cloudtrail", "update_event_data_store", EventDataStore=resource.resource_id, **update)


CONTROL = Control(
    id="cloudtrail_lake_retention_bounded",
    title="CloudTrail Lake event data stores keep events between a floor and a ceiling, with termination protection",
    description=(
        "An event data store's retention lies between the floor and the ceiling (the practice: up to seven years), "
        "and termination protection keeps it from being deleted with its events."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no event-data-store type
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=event_data_store_arn,
    remediation_text=(
        "Raise the retention to the floor and turn termination protection on; a retention above the ceiling, or a "
        "store pending deletion, is left to a person."
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            TRAIL_EVENT_SOURCE,
            ("CreateEventDataStore", "UpdateEventDataStore"),
            "responseElements.eventDataStoreArn || requestParameters.eventDataStore",
        ),
    ),
    parameters=(FLOOR, CEILING),
    read_actions=("cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore"),
    write_actions=("cloudtrail:UpdateEventDataStore",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description="UpdateEventDataStore: retention raised to the floor, termination protection on; never shortened.",
)
