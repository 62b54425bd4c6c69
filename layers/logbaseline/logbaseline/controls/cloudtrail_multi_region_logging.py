"""Each account and region is covered by a logging multi-region trail that records all management events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, describe_trails, management_events, read_trail
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control, FixFailed
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    trails, unread = [], []
    # Shadow trails included: an organization trail of the management account covers this account too.
    for trail in describe_trails(clients):
        if not trail.get("IsMultiRegionTrail"):
            continue
        found = read_trail(scope, trail, lambda t=trail: _read(clients, t))
        if isinstance(found, Resource):
            unread.append(found)  # its own read failure; the trails read may still decide the verdict
            continue
        trails.append(found)
        if found["logging"] and _records_all(found):
            break  # the verdict names the first such trail: the others cannot change it, so they are not read
    why = ""
    if unread and not any(t["logging"] and _records_all(t) for t in trails):
        # A trail not read may be the one that covers the account: no verdict rather than a false FAILED.
        names = ", ".join(r.state["name"] for r in unread)
        why = f"multi-region trail {names} could not be read, and no trail read logs all management events"
    account = Resource(scope.account_id, scope.region, account_id(scope), {"trails": trails}, unreadable=why)
    return [account, *unread]


def _read(clients: Clients, trail: Mapping[str, Any]) -> dict[str, Any]:
    arn, home = trail["TrailARN"], trail["HomeRegion"]
    cloudtrail = clients("cloudtrail", home)
    return {
        "arn": arn,
        "name": trail["Name"],
        "home_region": home,
        "owner_account": arn.split(":")[4],
        "organization": bool(trail.get("IsOrganizationTrail")),
        "logging": bool(cloudtrail.get_trail_status(Name=arn).get("IsLogging")),
        "management_events": management_events(cloudtrail.get_event_selectors(TrailName=arn)),
    }


def _records_all(trail: Mapping[str, Any]) -> bool:
    return {"read", "write"} <= set(trail["management_events"])


def _restartable(resource: Resource) -> list[Mapping[str, Any]]:
    """The account's own stopped multi-region trails that would pass once logging."""
    return [
        t
        for t in resource.state["trails"]
        if not t["logging"] and _records_all(t) and t["owner_account"] == resource.account_id
    ]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    trails = resource.state["trails"]
    for trail in trails:
        if trail["logging"] and _records_all(trail):
            kind = "organization trail" if trail["organization"] else "trail"
            return passed(f"multi-region {kind} {trail['name']} is logging read and write management events")
    if not trails:
        return failed("no multi-region trail covers this account; creating one is left to a person")
    stopped = _restartable(resource)
    if stopped:
        return failed(f"multi-region trail {stopped[0]['name']} is not logging", fixable=True)
    problems = "; ".join(
        f"{t['name']}: "
        + (
            "not logging"
            if not t["logging"]
            else f"records only {'/'.join(t['management_events']) or 'no'} management events"
        )
        for t in trails
    )
    return failed(f"no multi-region trail logs all management events ({problems})")


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    # Restart the account's own stopped trail; never create one (an organization trail may be the design).
    if any(t["logging"] and _records_all(t) for t in resource.state["trails"]):
        raise FixFailed("a multi-region trail already logs all management events")
    stopped = _restartable(resource)
    if not stopped:
        raise FixFailed("no stopped multi-region trail of this account to restart")
    trail = stopped[0]
    changes.call("cloudtrail", "start_logging", region=trail["home_region"], Name=trail["arn"])


CONTROL = Control(
    id="cloudtrail_multi_region_logging",
    title="A multi-region CloudTrail trail is logging all management events",
    description=(
        "At least one multi-region trail, the account's own or an organization trail, "
        "is logging and records read and write management events."
    ),
    severity=Severity.HIGH,
    resource_type="AwsAccount",
    related_requirements=(
        SEC04_BP01,
        "Security Hub CloudTrail.1",
        "Security Hub CloudTrail.3",
        *cis(v3="3.1", v14="3.1"),
    ),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text="Start logging on the account's stopped multi-region trail (StopLogging is a tamper signal).",
    # A multi-region trail is changed in its home region only, so the event arrives there only: the verdict of
    # every covered region is re-judged (one DescribeTrails and GetTrailStatus each), not left to the sweep.
    config_triggers=(ConfigTrigger("AWS::CloudTrail::Trail", None, every_region=True),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            TRAIL_EVENT_SOURCE,
            ("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging", "PutEventSelectors"),
            every_region=True,
        ),
    ),
    read_actions=("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"),
    write_actions=("cloudtrail:StartLogging",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description="StartLogging on the account's stopped multi-region trail; never creates a trail.",
)
