"""One trail meets every security practice of AWS Config's cloudtrail-security-trail-enabled at once: the other
trail controls judge each practice apart, so two trails with half of them each pass those and fail this one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._trails import TRAIL_EVENT_SOURCE, management_events, read_multi_region_trails
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Resource, Scope, Severity, Verdict, failed, passed

# The rule's conditions (https://docs.aws.amazon.com/config/latest/developerguide/cloudtrail-security-trail-enabled.html)
# in its order, each with what a trail lacking it is told. "Multi-region" is the trails read at all; logbaseline also
# asks that the trail be logging: a stopped trail records nothing.
PRACTICES = (
    ("logging", "not logging"),
    ("global_service_events", "no global service events"),
    ("log_file_validation", "no log file validation"),
    ("kms_key", "not encrypted with a KMS key"),
    ("read_and_write", "not both read and write management events"),
    ("no_exclusions", "excludes some management events"),
)


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    # Shadow trails included: an organization trail of the management account covers this account too.
    return read_multi_region_trails(clients, scope, _read, _enough, "meets every practice")


def _read(cloudtrail: Any, trail: Mapping[str, Any]) -> dict[str, Any]:
    arn = trail["TrailARN"]
    selectors = cloudtrail.get_event_selectors(TrailName=arn)
    both = ["read", "write"]
    return {
        "name": trail["Name"],
        "organization": bool(trail.get("IsOrganizationTrail")),
        "logging": bool(cloudtrail.get_trail_status(Name=arn).get("IsLogging")),
        "global_service_events": bool(trail.get("IncludeGlobalServiceEvents")),
        "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
        "kms_key": bool(trail.get("KmsKeyId")),
        "read_and_write": management_events(selectors) == both,
        "no_exclusions": management_events(selectors, complete=True) == management_events(selectors),
    }


def _lacks(trail: Mapping[str, Any]) -> list[str]:
    return [told for practice, told in PRACTICES if not trail[practice]]


def _enough(trails: list[dict[str, Any]]) -> bool:
    return any(not _lacks(t) for t in trails)


def _named(trail: Mapping[str, Any]) -> str:
    return f"{'organization trail' if trail['organization'] else 'trail'} {trail['name']}"


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    trails = resource.state["trails"]
    for trail in trails:
        if not _lacks(trail):
            return passed(
                f"multi-region {_named(trail)} is logging with global service events, log file validation and a KMS "
                "key, and records all read and write management events"
            )
    if not trails:
        return failed("no multi-region trail covers this account; creating one is left to a person")
    seen = "; ".join(f"{_named(t)}: {', '.join(_lacks(t))}" for t in trails)
    return failed(f"no multi-region trail meets every security practice at once ({seen})")


CONTROL = Control(
    id="cloudtrail_security_trail_enabled",
    title="One multi-region trail meets every CloudTrail security practice",
    description=(
        "At least one logging multi-region trail, the account's own or an organization trail, has at once global "
        "service events, log file validation and a KMS key, and records read and write management events with no "
        "event source excluded (AWS Config's cloudtrail-security-trail-enabled). No fix: the fixes of "
        "cloudtrail_log_file_validation_enabled and cloudtrail_kms_encryption_enabled mend a trail's parts."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "Make one multi-region trail meet every practice the finding says it lacks: log file validation and the KMS "
        "key with UpdateTrail, read and write management events without exclusions with PutEventSelectors (keeping "
        "every other selector)."
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
