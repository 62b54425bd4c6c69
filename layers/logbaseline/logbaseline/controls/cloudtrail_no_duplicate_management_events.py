"""At most one trail records the management events of each account and region: the first copy is free, each
further copy is charged (CloudTrail pricing), and a copy kept "just in case" is the practice's cost anti-pattern."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, describe_trails, management_events, read_trail
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, passed

# https://aws.amazon.com/cloudtrail/pricing/: "The first copy of management events is delivered free of charge.
# Additional copies of management events are charged at $2.00 per 100,000 events" (commercial Regions' list price).
PRICE_PER_100K_EVENTS_USD = 2.00


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    # With shadow trails, DescribeTrails in a region lists exactly the trails that record there: those whose home
    # it is, the multi-region trails of other home regions, and organization trails of the management account.
    trails, unread = [], []
    for trail in describe_trails(clients):
        found = read_trail(scope, trail, lambda t=trail: _read(clients, t))
        (unread if isinstance(found, Resource) else trails).append(found)
    copies = [t for t in trails if _copy(t)]
    why = ""
    if unread and len(copies) <= 1:
        # A trail not read (an organization trail, from a member) may be a further copy: no verdict, not a PASSED.
        why = f"trail {', '.join(r.state['name'] for r in unread)} could not be read; it may record another copy"
    account = Resource(scope.account_id, scope.region, account_id(scope), {"trails": trails}, unreadable=why)
    return [account, *unread]


def _read(clients: Clients, trail: Mapping[str, Any]) -> dict[str, Any]:
    arn, home = trail["TrailARN"], trail["HomeRegion"]
    cloudtrail = clients("cloudtrail", home)
    return {
        "arn": arn,
        "name": trail["Name"],
        "organization": bool(trail.get("IsOrganizationTrail")),
        "logging": bool(cloudtrail.get_trail_status(Name=arn).get("IsLogging")),
        "management_events": management_events(cloudtrail.get_event_selectors(TrailName=arn)),
    }


def _copy(trail: Mapping[str, Any]) -> bool:
    return bool(trail["logging"] and trail["management_events"])  # a stopped trail delivers, and costs, nothing


def _described(trail: Mapping[str, Any]) -> str:
    kind = "organization trail" if trail["organization"] else "trail"
    return f"{kind} {trail['arn']} ({'/'.join(trail['management_events'])})"


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    copies = [t for t in resource.state["trails"] if _copy(t)]
    if len(copies) <= 1:
        which = f": {_described(copies[0])}" if copies else " (none: cloudtrail_multi_region_logging judges that)"
        return passed(f"one copy of management events at most is recorded in this region{which}")
    charged = len(copies) - 1
    cost = charged * PRICE_PER_100K_EVENTS_USD
    return failed(
        f"{len(copies)} trails record management events in this region: {'; '.join(map(_described, copies))}. "
        f"The first copy is free; the {charged} other{'s are' if charged > 1 else ' is'} charged at "
        f"${PRICE_PER_100K_EVENTS_USD:.2f} per 100,000 events each, ${cost:.2f} per 100,000 management events "
        "of this region (CloudTrail pricing). Removing a copy is left to a person"
    )


CONTROL = Control(
    id="cloudtrail_no_duplicate_management_events",
    title="At most one trail records management events in each region",
    description=(
        "In each account and region, at most one logging trail (the account's own, multi-region trails of other "
        "home regions, and organization trails alike) records management events: CloudTrail delivers the first "
        "copy free and charges each further copy ($2.00 per 100,000 events, "
        "https://aws.amazon.com/cloudtrail/pricing/). The finding names the trails and the cost per 100,000 events."
    ),
    severity=Severity.LOW,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "Keep one trail recording management events per region (an organization trail serves every member); turn "
        "management events off on the others with PutEventSelectors, or delete them, once their readers use the one."
    ),
    # A multi-region trail is changed in its home region only: every covered region is re-judged.
    config_triggers=(ConfigTrigger("AWS::CloudTrail::Trail", None, every_region=True),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            TRAIL_EVENT_SOURCE,
            ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging", "PutEventSelectors"),
            every_region=True,
        ),
    ),
    read_actions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
)
