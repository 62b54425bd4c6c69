"""From an EventBridge event to the (control, scope) pairs it calls for.

An event is only a trigger: it names what to re-read, never the state to judge.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import jmespath

from logbaseline.controls import all_controls
from logbaseline.controls.base import CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.engine.tagging import ExemptionTagCall, TaggingCall, exemption_tag_calls
from logbaseline.models import Scope

CONFIG_CHANGE = "Config Configuration Item Change"
CLOUDTRAIL_CALL = "AWS API Call via CloudTrail"
SWEEP_REQUEST = "logbaseline Sweep Request"
RECONCILE_REQUEST = "logbaseline Reconcile Request"  # the workflow of one account and region, later
CUSTOM_ACTION = "Security Hub Findings - Custom Action"  # a person chose findings to fix
SWEEP_SOURCE = "logbaseline.sweeper"
# Calls that switch logging off, or destroy or expose logs: the template's TamperEventRule sends them to a queue of
# their own, so that a flood of other events cannot delay the response (tests/test_contract.py checks the two agree).
TAMPER_EVENTS = frozenset(
    {
        "DeleteBucketPublicAccessBlock",
        "DeleteConfigurationRecorder",
        "DeleteDeliveryChannel",
        "DeleteDetector",
        "DeleteFlowLogs",
        "DeleteLoggingConfiguration",
        "DeleteResolverQueryLogConfig",
        "DeleteQueryLoggingConfig",  # a Route 53 public zone's query logging
        "UpdateLoggingConfiguration",  # a Network Firewall firewall's logging, removed one destination at a time
        "DisableLogging",  # a Redshift cluster's audit logging
        "DeleteTrail",
        "DisassociateResolverQueryLogConfig",
        "DisassociateResourceTypes",  # AWS Config stops recording those types
        "PutBucketAcl",
        "PutBucketPolicy",
        "PutEventSelectors",
        "PutRetentionPolicy",
        "StopConfigurationRecorder",
        "StopLogging",
        "UpdateDetector",
        "UpdateEventDataStore",  # can shorten a Lake store's retention (deleting events) or unprotect it
        "UpdateTrail",
        "DeleteAwsLogSource",  # Security Lake stops collecting a source
        "DeleteDataLake",  # Security Lake stops collecting in a region
        "UpdateDataLake",  # can shorten the lake's expiration (deleting data)
        "UpdateAssociation",  # can stop the CloudWatch agent on instances, or load its default configuration (no logs)
    }
)

log = logging.getLogger(__name__)


class InvalidEvent(ValueError):
    """The event cannot be routed; the message says why."""


@dataclass(frozen=True)
class Target:
    control: Control
    scope: Scope
    # False when the event names the resource only as a log destination, which may be another account's (a central
    # log bucket): not finding it here says nothing about a finding of ours, so none is archived.
    archive_missing: bool = True


Trigger = CloudTrailTrigger | ConfigTrigger


@dataclass(frozen=True)
class Routes:
    config: Mapping[str, tuple[tuple[Control, ConfigTrigger], ...]]
    cloudtrail: Mapping[tuple[str, str], tuple[tuple[Control, CloudTrailTrigger], ...]]


@cache
def routes() -> Routes:
    config: dict[str, list[tuple[Control, ConfigTrigger]]] = {}
    cloudtrail: dict[tuple[str, str], list[tuple[Control, CloudTrailTrigger]]] = {}
    for control in all_controls():
        for trigger in control.config_triggers:
            config.setdefault(trigger.resource_type, []).append((control, trigger))
        for ct in control.cloudtrail_triggers:
            for name in ct.event_names:
                cloudtrail.setdefault((ct.event_source, name), []).append((control, ct))
    return Routes(
        {k: tuple(v) for k, v in config.items()},
        {k: tuple(v) for k, v in cloudtrail.items()},
    )


def _field(mapping: Mapping[str, Any], key: str, where: str) -> str:
    value = mapping.get(key) if isinstance(mapping, Mapping) else None
    if value is None or value == "":
        raise InvalidEvent(f"{where}.{key} is missing")
    if not isinstance(value, str):
        raise InvalidEvent(f"{where}.{key} is not a string: {value!r:.80}")
    return value


def _ids(found: Any) -> list[str]:
    """Resource ids from a JMESPath result: a string, a list of them, or EC2's {"content": id} items."""
    if found is None:
        return []
    items = found if isinstance(found, list) else [found]
    ids = []
    for item in items:
        value = item.get("content") if isinstance(item, Mapping) else item
        if not isinstance(value, str) or not value:
            raise InvalidEvent(f"resource id {item!r} is not a string")
        ids.append(value)
    return ids


def _own(ids: Iterable[str], account: str) -> None:
    """An event speaks only of its own account: an ARN naming another account is refused, never routed (the finding
    would carry another account's resource into this one's Security Hub). S3 ARNs name no account."""
    for resource_id in ids:
        parts = resource_id.split(":", 5)
        if resource_id.startswith("arn:") and len(parts) == 6 and parts[4] and parts[4] != account:
            raise InvalidEvent(
                f"refused: the event of account {account} names {resource_id:.200}, a resource of account {parts[4]}"
            )


def _of_kind(ids: list[str], trigger: Trigger, control: Control) -> list[str]:
    if not trigger.id_pattern:
        return ids
    kept = [i for i in ids if re.fullmatch(trigger.id_pattern, i)]
    for other in sorted(set(ids) - set(kept)):
        log.info("%s: ignoring %s, not a resource this control judges", control.id, other)
    return kept


def _targets(
    pairs: Iterable[tuple[Control, Trigger]],
    body: Mapping[str, Any],
    account: str,
    region: str,
    regions: Sequence[str] = (),
) -> list[Target]:
    targets = []
    for control, trigger in pairs:
        path = trigger.resource_path
        found = _ids(jmespath.search(path, body)) if path else []
        if not trigger.destination:  # a destination may be another account's (a central log archive)
            _own(found, account)
        ids = _of_kind(found, trigger, control)
        if (found or trigger.destination) and not ids:
            continue  # only resources of another kind (a subnet flow log, for a VPC control), or no destination
        if trigger.every_region:
            scopes = [Scope(account, r) for r in dict.fromkeys([region, *regions])]
        else:
            scopes = [Scope(account, region, i) for i in ids] or [Scope(account, region)]
        targets.extend(Target(control, scope, not trigger.destination) for scope in scopes)
    return list(dict.fromkeys(targets))


def route(event: Mapping[str, Any], regions: Sequence[str] = ()) -> list[Target]:
    """The targets an EventBridge event calls for; InvalidEvent if it cannot be routed. `regions` are the
    deployment's covered regions, where a change that reaches beyond the event's region is re-judged."""
    detail_type = _field(event, "detail-type", "event")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise InvalidEvent("event.detail is missing or not an object")
    if detail_type == CONFIG_CHANGE:
        return _route_config(detail, regions)
    if detail_type == CLOUDTRAIL_CALL:
        return _route_cloudtrail(event, detail, regions)
    if detail_type == SWEEP_REQUEST and event.get("source") == SWEEP_SOURCE:
        account, region = _field(detail, "account_id", "detail"), _field(detail, "region", "detail")
        wanted = detail.get("control_ids") or []
        if not isinstance(wanted, list) or not all(isinstance(c, str) for c in wanted):
            raise InvalidEvent("detail.control_ids must be a list of control ids")
        return [Target(c, Scope(account, region)) for c in all_controls() if not wanted or c.id in wanted]
    raise InvalidEvent(f"unknown detail-type {detail_type!r}")


def _route_config(detail: Mapping[str, Any], regions: Sequence[str]) -> list[Target]:
    # An oversized notification carries only a summary; the control re-reads the resource anyway.
    item = detail.get("configurationItem") or detail.get("configurationItemSummary")
    if not isinstance(item, Mapping):
        raise InvalidEvent("detail has neither configurationItem nor configurationItemSummary")
    resource_type = _field(item, "resourceType", "configurationItem")
    account = _field(item, "awsAccountId", "configurationItem")
    region = _field(item, "awsRegion", "configurationItem")
    return _targets(routes().config.get(resource_type, ()), item, account, region, regions)


def _account_and_region(event: Mapping[str, Any], detail: Mapping[str, Any]) -> tuple[str, str]:
    account = (
        _field(detail, "recipientAccountId", "detail")
        if "recipientAccountId" in detail
        else _field(event, "account", "event")
    )
    return account, _field(detail, "awsRegion", "detail")


def _route_cloudtrail(event: Mapping[str, Any], detail: Mapping[str, Any], regions: Sequence[str]) -> list[Target]:
    source = _field(detail, "eventSource", "detail")
    name = _field(detail, "eventName", "detail")
    if detail.get("errorCode"):
        return []  # a failed call changed nothing
    account, region = _account_and_region(event, detail)
    targets = _targets(routes().cloudtrail.get((source, name), ()), detail, account, region, regions)
    tagged = exemption_tag_calls(detail, account, region)
    if tagged:  # an exemption tag set or removed: the resource, judged again by the controls of its type
        _own([t.resource_id for t in tagged], account)
        targets += [Target(c, Scope(account, region, t.scope_id)) for t in tagged for c in controls_judging(t.call)]
    return list(dict.fromkeys(targets))


def controls_judging(call: TaggingCall) -> list[Control]:
    """The controls that judge the resources a tagging call tags."""
    return [
        c
        for c in all_controls()
        if c.resource_type in call.resource_types
        and (not call.service or any(t.event_source == call.service for t in c.cloudtrail_triggers))
    ]


def exemption_tags_set(event: Mapping[str, Any]) -> list[ExemptionTagCall]:
    """The exemption tags a successful CloudTrail call set or removed (for the record of who did)."""
    detail = event.get("detail")
    if event.get("detail-type") != CLOUDTRAIL_CALL or not isinstance(detail, Mapping) or detail.get("errorCode"):
        return []
    return exemption_tag_calls(detail, *_account_and_region(event, detail))
