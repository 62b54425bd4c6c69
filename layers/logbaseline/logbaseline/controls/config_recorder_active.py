"""Each account and region has an AWS Config recorder that is recording every supported resource type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, Control, FixFailed
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed


def account_id(scope: Scope) -> str:
    return f"AWS::::Account:{scope.account_id}"


def scope_of(group: Mapping[str, Any] | None) -> str | None:
    """None when the recording group covers every supported type, else what it leaves out.

    Exclusions fail too: a change to an excluded type goes unrecorded. A person who accepts
    that (for cost) suppresses the finding; the fix never changes the recording group.
    """
    if group is None:
        return None  # PutConfigurationRecorder without a recording group records all supported types
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    if group.get("allSupported") and strategy in (None, "ALL_SUPPORTED_RESOURCE_TYPES"):
        return None
    excluded = (group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or []
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        return f"excludes {len(excluded)} resource types ({', '.join(excluded[:5])})"
    included = group.get("resourceTypes") or []
    return f"records only {len(included)} selected resource types ({', '.join(included[:5])})"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    config = clients("config")
    # Without arguments both calls return the customer managed recorder only (not service-linked ones).
    recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
    statuses = {s["name"]: s for s in config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]}
    channels = config.describe_delivery_channels()["DeliveryChannels"]
    recorder = next((r for r in recorders if not r.get("servicePrincipal")), None)
    state: dict[str, Any] = {"recorder": None, "delivery_channel": bool(channels)}
    if recorder is not None:
        status = statuses.get(recorder["name"], {})
        state["recorder"] = {
            "name": recorder["name"],
            "recording": bool(status.get("recording")),
            "last_status": status.get("lastStatus"),
            "last_error": status.get("lastErrorMessage") or status.get("lastErrorCode"),
            "scope_gap": scope_of(recorder.get("recordingGroup")),
        }
    return [Resource(scope.account_id, scope.region, account_id(scope), state)]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    recorder = resource.state["recorder"]
    if recorder is None:
        return failed("no AWS Config recorder in this region; creating one (its scope and cost) is left to a person")
    name, gap = recorder["name"], recorder["scope_gap"]
    if not recorder["recording"]:
        also = f"; it also {gap}" if gap else ""
        if not resource.state["delivery_channel"]:
            return failed(
                f"recorder {name} is stopped and the region has no delivery channel{also}",
                fixable=True,
                blocked="the region has no AWS Config delivery channel: the fix starts a recorder only where one "
                "exists (create it: aws configservice put-delivery-channel)",
            )
        return failed(f"recorder {name} is not recording{also}", fixable=True)
    if str(recorder["last_status"]).lower() == "failure":
        return failed(f"recorder {name} is recording but its last recording failed: {recorder['last_error']}")
    if gap:
        return failed(f"recorder {name} {gap}; widening its scope is left to a person")
    return passed(f"recorder {name} is recording all supported resource types")


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    # Restart a stopped recorder; never create one or change what it records (scope and cost are a person's call).
    recorder = resource.state["recorder"]
    if recorder is None or recorder["recording"]:
        raise FixFailed("no stopped configuration recorder to start")
    if not resource.state["delivery_channel"]:
        raise FixFailed(f"recorder {recorder['name']} cannot start without a delivery channel")
    changes.call("config", "start_configuration_recorder", ConfigurationRecorderName=recorder["name"])


CONTROL = Control(
    id="config_recorder_active",
    title="AWS Config is recording all supported resource types",
    description=(
        "The account's AWS Config recorder in the region exists, is recording, and records every "
        "supported resource type (an inclusion or exclusion list fails)."
    ),
    severity=Severity.HIGH,
    resource_type="AwsAccount",
    related_requirements=(SEC04_BP01, "Security Hub Config.1", *cis(v3="3.3", v14="3.5")),
    collect=collect,
    evaluate=evaluate,
    resource_id=account_id,
    remediation_text=(
        "Start the stopped configuration recorder (StopConfigurationRecorder is a tamper signal). "
        "A missing recorder or a partial recording group is left to a person."
    ),
    # No Config trigger: a stopped recorder cannot report its own stop. Every change is a CloudTrail write.
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "config.amazonaws.com",
            (
                "StopConfigurationRecorder",
                "StartConfigurationRecorder",
                "PutConfigurationRecorder",
                "DeleteConfigurationRecorder",
                "DeleteDeliveryChannel",
                "PutDeliveryChannel",  # where it delivers
                "AssociateResourceTypes",  # what it records
                "DisassociateResourceTypes",
            ),
        ),
    ),
    read_actions=(
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
    ),
    write_actions=("config:StartConfigurationRecorder",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description="StartConfigurationRecorder on the stopped recorder; never creates one or changes its scope.",
)
