"""A logging multi-region trail records S3 object-level read and write data events for every current and future
bucket (Security Hub S3.22 and S3.23, CIS v3.0 3.8 and 3.9): who read, wrote or deleted which object.

No fix. Data events are charged from the first copy, by volume, which the service cannot foresee (a busy bucket makes
millions of reads a day): turning them on is a cost decision for a person. And PutEventSelectors replaces every
selector of a trail with no conditional write, so a fix adding one could drop a selector written between its read
and its write; it could never show that it lost nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, read_multi_region_trails, s3_data_events
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, passed

# https://aws.amazon.com/cloudtrail/pricing/: data events "are charged at $0.10 per 100,000 events" (commercial
# Regions' list price); "For data events, all deliveries incur CloudTrail costs, including the first" (CloudTrail user
# guide, Managing CloudTrail trail costs).
PRICE_PER_100K_DATA_EVENTS_USD = 0.10
BOTH = ("write", "read")  # S3.22, S3.23
WHICH = {"write": "write (Security Hub S3.22)", "read": "read (Security Hub S3.23)"}


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    # Shadow trails included: an organization trail of the management account records this account's objects too.
    return read_multi_region_trails(clients, scope, _read, _enough, "records S3 read and write data events")


def _read(cloudtrail: Any, trail: Mapping[str, Any]) -> dict[str, Any]:
    arn = trail["TrailARN"]
    return {
        "name": trail["Name"],
        "organization": bool(trail.get("IsOrganizationTrail")),
        "logging": bool(cloudtrail.get_trail_status(Name=arn).get("IsLogging")),
        "s3_data_events": s3_data_events(cloudtrail.get_event_selectors(TrailName=arn)),
    }


def _recorded(trails: list[Mapping[str, Any]]) -> set[str]:
    """Read and write add up across trails: S3.22 and S3.23 are met by any multi-region trail each."""
    return {kind for t in trails if t["logging"] for kind in t["s3_data_events"]}


def _enough(trails: list[dict[str, Any]]) -> bool:
    return set(BOTH) <= _recorded(trails)


def _named(trail: Mapping[str, Any]) -> str:
    return f"{'organization trail' if trail['organization'] else 'trail'} {trail['name']}"


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    trails = resource.state["trails"]
    if _enough(trails):
        by = "; ".join(
            f"{'/'.join(t['s3_data_events'])} by {_named(t)}" for t in trails if t["logging"] and t["s3_data_events"]
        )
        return passed(f"S3 object-level data events of every bucket are recorded by multi-region trails: {by}")
    missing = [WHICH[kind] for kind in BOTH if kind not in _recorded(trails)]
    seen = "; ".join(
        f"{_named(t)}: "
        + ("not logging" if not t["logging"] else f"{'/'.join(t['s3_data_events']) or 'no'} S3 data events for all")
        for t in trails
    )
    return failed(
        f"no logging multi-region trail records S3 object-level {' and '.join(missing)} data events for every current "
        f"and future bucket ({seen or 'no multi-region trail'}). Data events are charged from the first copy at "
        f"${PRICE_PER_100K_DATA_EVENTS_USD:.2f} per 100,000 events (CloudTrail pricing): 10 million object requests "
        f"a month cost ${PRICE_PER_100K_DATA_EVENTS_USD * 100:.2f}. Adding the selector, or exempting this account, "
        "is left to a person"
    )


CONTROL = Control(
    id="cloudtrail_s3_data_events_recorded",
    title="A multi-region trail records S3 object-level read and write data events",
    description=(
        "At least one logging multi-region trail, the account's own or an organization trail, records S3 data events "
        "(basic or advanced event selectors) for all current and future buckets: writes (Security Hub S3.22) and "
        "reads (S3.23), by one trail or two. A selector narrowed to some buckets, keys, event names or callers does "
        "not count; the finding states the price. No fix: data events are charged by volume from the first copy, a "
        "decision for a person, and PutEventSelectors replaces every selector with no conditional write, so a fix "
        "could drop a selector written between its read and its write."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsAccount",
    related_requirements=(
        SEC04_BP01,
        "Security Hub S3.22",
        "Security Hub S3.23",
        *cis(v3="3.8"),
        *cis(v3="3.9"),
    ),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "Weigh the cost, then add to the multi-region trail an S3 data-event selector for all buckets (advanced: "
        "eventCategory Data, resources.type AWS::S3::Object), keeping every existing selector: PutEventSelectors "
        "replaces them all. A team that does not want S3 data events leaves this control out (parameter Controls)."
    ),
    # As cloudtrail_multi_region_logging: a multi-region trail is changed in its home region only.
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
