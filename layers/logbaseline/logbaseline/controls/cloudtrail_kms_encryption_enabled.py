"""A trail encrypts its log files with a KMS key (SSE-KMS), not only with the bucket's default encryption."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls._trails import ORGANIZATION_TRAIL_REFUSAL, TRAIL_EVENT_SOURCE, own_trails, trail_arn
from logbaseline.controls.base import (
    SEC04_BP01,
    Changes,
    CloudTrailTrigger,
    ConfigTrigger,
    Control,
    FixFailed,
    Parameter,
)
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

KMS_KEY = Parameter(
    "cloudtrail_kms_key_arn",
    "",
    "KMS key (ARN) the fix sets on a trail that has none. Its key policy must let cloudtrail.amazonaws.com use it, "
    "and it must be in the region of the trail's bucket. Empty: no fix.",
)


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    return [
        Resource(
            scope.account_id,
            scope.region,
            trail["TrailARN"],
            {
                "name": trail["Name"],
                "kms_key_id": trail.get("KmsKeyId") or None,
                "organization": bool(trail.get("IsOrganizationTrail")),
            },
        )
        for trail in own_trails(clients, scope)  # judged once, in the account and home region that own it
    ]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    key = resource.state["kms_key_id"]
    if key:
        return passed(f"log files are encrypted with KMS key {key}")
    configured = bool(params[KMS_KEY.name])
    reason = "log files are not encrypted with a KMS key: only the bucket's own encryption protects them"
    if not configured:
        reason += f"; no key is configured for the fix ({KMS_KEY.name})"
    return failed(reason, fixable=not resource.state.get("organization"), blocked="" if configured else KMS_KEY.unset())


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    key = params[KMS_KEY.name]
    if resource.state.get("organization"):
        raise FixFailed(ORGANIZATION_TRAIL_REFUSAL)
    if not key:
        # UpdateTrail with KmsKeyId="" would turn encryption off: never send an empty key.
        raise FixFailed(f"no KMS key configured ({KMS_KEY.name})")
    current = resource.state["kms_key_id"]
    if current:
        raise FixFailed(f"the trail is already encrypted with {current}; changing its key is left to a person")
    changes.call("cloudtrail", "update_trail", Name=resource.resource_id, KmsKeyId=key)


CONTROL = Control(
    id="cloudtrail_kms_encryption_enabled",
    title="CloudTrail trails encrypt log files with a KMS key",
    description=(
        "A trail encrypts the log files it delivers with an AWS KMS key (SSE-KMS), so reading them needs "
        "kms:Decrypt on that key as well as access to the bucket."
    ),
    severity=Severity.MEDIUM,
    resource_type="AwsCloudTrailTrail",
    related_requirements=(SEC04_BP01, "Security Hub CloudTrail.2", *cis(v3="3.5", v14="3.7")),
    collect=collect,
    evaluate=evaluate,
    resource_id=trail_arn,
    remediation_text=(
        "Encrypt the trail's log files with a KMS key whose policy lets CloudTrail use it "
        "(UpdateTrail --kms-key-id); a trail already using a key is left alone."
    ),
    config_triggers=(ConfigTrigger("AWS::CloudTrail::Trail", "ARN || resourceName"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(TRAIL_EVENT_SOURCE, ("CreateTrail", "UpdateTrail", "DeleteTrail"), "requestParameters.name"),
    ),
    parameters=(KMS_KEY,),
    read_actions=("cloudtrail:DescribeTrails",),
    write_actions=("cloudtrail:UpdateTrail",),
    remediate=remediate,
    default_mode=Mode.DRY_RUN,
    fix_description="UpdateTrail with the configured KMS key on a trail without one; never removes or replaces a key.",
)
