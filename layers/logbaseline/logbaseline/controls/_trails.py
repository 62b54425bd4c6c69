"""Reading trails, shared by the CloudTrail controls."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import CloudTrailTrigger, denied
from logbaseline.models import Resource, Scope

TRAIL_EVENT_SOURCE = "cloudtrail.amazonaws.com"

# A bucket name, or an S3 ARN with an optional key prefix (a log destination): never a log group or stream ARN.
BUCKET_ID = r"(arn:aws[a-z-]*:s3:::)?[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?"
# The bucket a trail delivers to after CreateTrail or UpdateTrail: responseElements names it after the call
# (UpdateTrail's request names it only when it changes); an event naming none judges every such bucket of the region.
TRAIL_BUCKET_PATH = "responseElements.s3BucketName || requestParameters.s3BucketName"

# The trail-bucket controls, on a trail created or updated (perhaps to another bucket), judge that trail's bucket
# only; an event naming none judges every trail bucket of the region. A bucket this account does not own in this
# region ends with ListBuckets: its owner's account and region judge it (by their own events and the drift sweep), and
# the archive the engine makes here for a named resource not found carries this account's and region's finding id,
# never that of the owner's finding. The bucket a trail moved away from is not named: its last finding stays until an
# event about that bucket archives it (it is no longer a trail bucket); the drift sweep judges only current trail
# buckets.
TRAIL_BUCKET_TRIGGERS = (CloudTrailTrigger(TRAIL_EVENT_SOURCE, ("CreateTrail", "UpdateTrail"), TRAIL_BUCKET_PATH),)


# UpdateTrail on an organization trail also needs the dependent actions the Service Authorization Reference lists
# (iam:CreateServiceLinkedRole, iam:GetRole, organizations:ListAWSServiceAccessForOrganization): the fixes do not get
# them, and leave an organization trail to a person of its management account.
ORGANIZATION_TRAIL_REFUSAL = (
    "refused: an organization trail is changed by its management account (or delegated administrator), with "
    "Organizations and IAM permissions the fix does not have; left to a person"
)


# CloudTrail's refusal of a trail of another account (an organization trail, read from a member): "AccountID in ARN is
# wrong, you can only access resources with AccountID ..." (seen in public reports: turbot/steampipe-plugin-aws#577,
# cloudquery/cq-provider-aws#405). Like a denial, it is about that one trail.
REFUSED_TRAIL_CODES = frozenset({"CloudTrailARNInvalidException"})


def refused(error: Exception) -> bool:
    """A per-trail read (GetTrailStatus, GetEventSelectors) refused for that trail only, not a fault or throttling."""
    return denied(error) or (
        isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in REFUSED_TRAIL_CODES
    )


def read_trail(scope: Scope, trail: dict[str, Any], read: Callable[[], dict[str, Any]]) -> Resource | dict[str, Any]:
    """`read()`, the trail's own state; a refused read makes the trail its own unreadable Resource (reported as
    its own read failure), so that the other trails of the region keep their verdicts."""
    try:
        return read()
    except ClientError as error:
        if not refused(error):
            raise
        return Resource(
            scope.account_id, scope.region, trail["TrailARN"], {"name": trail["Name"]}, unreadable=str(error)
        )


def trail_arn(scope: Scope) -> str:
    name = scope.resource_id or ""
    if name.startswith("arn:"):
        return name
    return f"arn:{partition(scope.region)}:cloudtrail:{scope.region}:{scope.account_id}:trail/{name}"


def describe_trails(clients: Clients) -> list[dict[str, Any]]:
    """Every trail the account sees in the clients' region, shadow copies included (multi-region trails of
    other regions, organization trails of the management account).

    Every control asks this one request and filters locally, so the evaluation's shared reads
    (`logbaseline.aws.reads_shared`) answer all the CloudTrail and log-bucket controls of an event with one call.
    """
    return clients("cloudtrail").describe_trails(includeShadowTrails=True)["trailList"]


def own_trails(clients: Clients, scope: Scope) -> list[dict[str, Any]]:
    """The trails judged in this scope: those the scope's account owns and whose home region is the scope's
    (each trail once, never through a shadow copy); only the named one when the scope names a trail."""
    wanted = scope.resource_id
    return [
        trail
        for trail in describe_trails(clients)
        if trail.get("HomeRegion") == scope.region
        and trail["TrailARN"].split(":")[4] == scope.account_id
        and wanted in (None, trail["Name"], trail["TrailARN"])
    ]


READ_WRITE = {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}


def management_events(selectors: dict[str, Any], *, complete: bool = False) -> list[str]:
    """Which management events ("read", "write") a trail's selectors record; with `complete`, only selectors that
    exclude no event source count (basic ExcludeManagementEventSources, an advanced eventSource condition)."""
    covered: set[str] = set()
    for selector in selectors.get("EventSelectors") or []:
        if complete and selector.get("ExcludeManagementEventSources"):
            continue
        if selector.get("IncludeManagementEvents", True):
            kind = selector.get("ReadWriteType", "All")
            covered |= READ_WRITE[kind]
    for selector in selectors.get("AdvancedEventSelectors") or []:
        fields = {f["Field"]: f for f in selector.get("FieldSelectors", [])}
        if "Management" not in fields.get("eventCategory", {}).get("Equals", []):
            continue
        if complete and set(fields) - {"eventCategory", "readOnly"}:
            continue
        read_only = fields.get("readOnly", {}).get("Equals")
        if read_only:
            covered |= {"read" if value == "true" else "write" for value in read_only}
        else:
            covered |= {"read", "write"}
    return sorted(covered)


# A basic S3 data resource for every current and future bucket: CloudTrail API reference, DataResource ("To log data
# events for all objects in all S3 buckets in your AWS account, specify the prefix as arn:aws:s3"); the peers accept
# "arn:aws:s3:::" as the same (Prowler's cloudtrail_s3_dataevents_*_enabled). A longer value names some buckets only.
ALL_BUCKETS = re.compile(r"arn:aws[a-z-]*:s3(:::)?")
S3_OBJECT = "AWS::S3::Object"


def s3_data_events(selectors: dict[str, Any]) -> list[str]:
    """Which S3 object-level data events ("read", "write") a trail's selectors record for every current and future
    bucket. A selector narrowed to some buckets, keys, event names, callers or errors does not count: it may leave
    any object out. Selectors add up (CloudTrail records an event that any selector matches)."""
    covered: set[str] = set()
    for selector in selectors.get("EventSelectors") or []:
        for resource in selector.get("DataResources") or []:
            if resource.get("Type") == S3_OBJECT and any(ALL_BUCKETS.fullmatch(v) for v in resource.get("Values", [])):
                covered |= READ_WRITE[selector.get("ReadWriteType", "All")]
    for selector in selectors.get("AdvancedEventSelectors") or []:
        covered |= _advanced_s3_data_events(selector.get("FieldSelectors", []))
    return sorted(covered)


def _advanced_s3_data_events(conditions: list[Mapping[str, Any]]) -> set[str]:
    read_only = {"true", "false"}
    category = kind = False
    for condition in conditions:
        operators = {k: v for k, v in condition.items() if k != "Field" and v}
        field = condition.get("Field")
        if field == "eventCategory" and set(operators) == {"Equals"}:
            category = category or "Data" in operators["Equals"]
        elif field == "resources.type" and set(operators) == {"Equals"}:
            kind = kind or S3_OBJECT in operators["Equals"]
        elif field == "readOnly" and set(operators) <= {"Equals", "NotEquals"}:
            read_only &= set(operators.get("Equals", read_only))
            read_only -= set(operators.get("NotEquals", ()))
        else:
            return set()  # narrowed (a bucket's ARN, an event name, a caller...) or not understood: not every object
    if not (category and kind):
        return set()
    return {"read" if value == "true" else "write" for value in read_only}


def read_multi_region_trails(
    clients: Clients,
    scope: Scope,
    read: Callable[[Any, Mapping[str, Any]], dict[str, Any]],
    enough: Callable[[list[dict[str, Any]]], bool],
    wanted: str,
) -> list[Resource]:
    """The account's Resource (id AWS::::Account:<id>) holding `read(home region's cloudtrail client, trail)` of each
    multi-region trail it sees (its own and organization trails), read until `enough` of them decide the verdict,
    followed by each trail that could not be read. A trail not read may be the one that passes: then the account
    has no verdict (its `unreadable` says so, naming `wanted`) rather than a false FAILED."""
    trails: list[dict[str, Any]] = []
    unread: list[Resource] = []
    for trail in describe_trails(clients):
        if not trail.get("IsMultiRegionTrail"):
            continue
        found = read_trail(scope, trail, lambda t=trail: read(clients("cloudtrail", t["HomeRegion"]), t))
        if isinstance(found, Resource):
            unread.append(found)
            continue
        trails.append(found)
        if enough(trails):
            break
    why = ""
    if unread and not enough(trails):
        names = ", ".join(r.state["name"] for r in unread)
        why = f"multi-region trail {names} could not be read, and no trail read {wanted}"
    account_id = f"AWS::::Account:{scope.account_id}"
    return [Resource(scope.account_id, scope.region, account_id, {"trails": trails}, unreadable=why), *unread]
