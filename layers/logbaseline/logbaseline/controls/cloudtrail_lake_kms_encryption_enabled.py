"""A CloudTrail Lake event data store encrypts its events with a customer managed KMS key, whose key policy the team
controls and whose every use CloudTrail records, rather than with a key AWS owns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, Control
from logbaseline.controls.cloudtrail_lake_retention_bounded import event_data_store_arn
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    """The account's own event data stores of the region (an organization's are judged in its management account)."""
    cloudtrail, resources, token = clients("cloudtrail"), [], None
    while True:  # ListEventDataStores has no paginator in botocore
        page = cloudtrail.list_event_data_stores(**({"NextToken": token} if token else {}))
        for summary in page.get("EventDataStores", []):
            arn = summary["EventDataStoreArn"]
            names = (None, arn, summary.get("Name"), arn.rsplit("/", 1)[-1])  # an event names it by ARN or name
            if arn.split(":")[4] != scope.account_id or scope.resource_id not in names:
                continue
            store = cloudtrail.get_event_data_store(EventDataStore=arn)  # the summary has no key
            state = {"name": store["Name"], "kms_key_id": store.get("KmsKeyId") or ""}
            resources.append(Resource(scope.account_id, scope.region, arn, state))
        token = page.get("NextToken")
        if not token:
            return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    if state["kms_key_id"]:
        return passed(f"event data store {state['name']} encrypts its events with KMS key {state['kms_key_id']}")
    return failed(
        f"event data store {state['name']} is encrypted with a key AWS owns: no key policy of yours limits who "
        "reads its events, and no use of the key is logged"
    )


CONTROL = Control(
    id="cloudtrail_lake_kms_encryption_enabled",
    title="CloudTrail Lake event data stores are encrypted with a customer managed KMS key",
    description=(
        "An event data store has a KMS key (GetEventDataStore KmsKeyId); without one CloudTrail encrypts it with a "
        "key AWS owns, which the team can neither restrict nor audit."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",  # Security Hub documents no event-data-store type
    related_requirements=(SEC04_BP01,),  # the parity table names its AWS Config rule
    collect=collect,
    evaluate=evaluate,
    resource_id=event_data_store_arn,
    remediation_text=(
        "Choose the key with care, then set it (UpdateEventDataStore KmsKeyId): once set it can never be removed or "
        "changed, and disabling or deleting it stops logging to the store and makes its events unreadable. The key "
        "policy must let cloudtrail.amazonaws.com use it, and those who query the store need kms:Decrypt."
    ),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            TRAIL_EVENT_SOURCE,
            ("CreateEventDataStore", "UpdateEventDataStore"),
            "responseElements.eventDataStoreArn || requestParameters.eventDataStore",
        ),
    ),
    read_actions=("cloudtrail:ListEventDataStores", "cloudtrail:GetEventDataStore"),
    default_mode=Mode.OFF,
    fix_description=(
        "none: a key set on an event data store can never be removed or changed (CloudTrail API reference, "
        "UpdateEventDataStore KmsKeyId), and a key later disabled or deleted stops logging and locks the events "
        "away; the choice is a person's."
    ),
)
