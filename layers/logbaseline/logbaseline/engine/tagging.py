"""Tagging calls that set or remove a `logbaseline:exempt` tag: who made them is recorded, and the resource is judged
again by the controls of its type (an exemption starts or ends now, not at the next sweep).

These are the engine's own CloudTrail triggers, next to the controls' (tests/test_contract.py holds the template's
rule to both): the tagging calls of the resource types the controls judge. A call is routed only when its request
parameters name the key; S3's DeleteBucketTagging names none (it removes every tag) and is left to the next sweep,
as are the Resource Groups Tagging API's TagResources and UntagResources (docs/exemptions.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jmespath

from logbaseline.aws import partition

TAG_KEY = "logbaseline:exempt"  # engine/exemptions.py's (not imported: exemptions imports the register and controls)

Arn = Callable[[str, str, str], str]  # (id from the event, account, region) -> the resource's ARN, as findings name it


def _as_is(value: str, account: str, region: str) -> str:
    return value


def _log_group(name: str, account: str, region: str) -> str:
    return f"arn:{partition(region)}:logs:{region}:{account}:log-group:{name}"


def _vpc(vpc_id: str, account: str, region: str) -> str:
    return f"arn:{partition(region)}:ec2:{region}:{account}:vpc/{vpc_id}" if vpc_id.startswith("vpc-") else ""


def _bucket(name: str, account: str, region: str) -> str:
    return f"arn:{partition(region)}:s3:::{name}"


def _after(marker: str) -> Callable[[str], str]:
    """The id the controls' own triggers give for this resource type: the part of its ARN after `marker`."""
    return lambda arn: arn.split(marker, 1)[1].removesuffix(":*")


@dataclass(frozen=True)
class TaggingCall:
    event_source: str
    event_name: str
    resources: str  # JMESPath into `detail`: the resource ids or ARNs
    keys: str  # JMESPath: the tag keys the call sets or removes
    values: str = ""  # JMESPath: the values, in the order of `keys` (a removal has none)
    arn: Arn = _as_is
    resource_types: tuple[str, ...] = ()  # the controls' resource types (Control.resource_type) it concerns
    service: str = ""  # with resource_types "Other": the controls whose CloudTrail triggers are this service's
    scope_id: Callable[[str], str] = str  # the ARN -> the id the controls take (their own triggers' form)


# log groups have no ASFF type; the controls take a log group's name, a VPC's id and a bucket's name
LOG_GROUPS: dict[str, Any] = {
    "resource_types": ("Other",),
    "service": "logs.amazonaws.com",
    "scope_id": _after("log-group:"),
}
VPCS: dict[str, Any] = {"arn": _vpc, "resource_types": ("AwsEc2Vpc",), "scope_id": _after("vpc/")}
# Request members as each service's API names them (CloudTrail records requestParameters in the API's casing;
# EC2's query API in its own `...Set.items` form, S3's from its XML body).
TAGGING_CALLS = (
    TaggingCall("logs.amazonaws.com", "TagResource", "requestParameters.resourceArn", "keys(requestParameters.tags)",
                "values(requestParameters.tags)", **LOG_GROUPS),
    TaggingCall("logs.amazonaws.com", "UntagResource", "requestParameters.resourceArn", "requestParameters.tagKeys",
                **LOG_GROUPS),
    TaggingCall("logs.amazonaws.com", "TagLogGroup", "requestParameters.logGroupName", "keys(requestParameters.tags)",
                "values(requestParameters.tags)", _log_group, **LOG_GROUPS),
    TaggingCall("logs.amazonaws.com", "UntagLogGroup", "requestParameters.logGroupName", "requestParameters.tags",
                arn=_log_group, **LOG_GROUPS),
    TaggingCall("ec2.amazonaws.com", "CreateTags", "requestParameters.resourcesSet.items[].resourceId",
                "requestParameters.tagSet.items[].key", "requestParameters.tagSet.items[].value", **VPCS),
    TaggingCall("ec2.amazonaws.com", "DeleteTags", "requestParameters.resourcesSet.items[].resourceId",
                "requestParameters.tagSet.items[].key", **VPCS),
    TaggingCall("s3.amazonaws.com", "PutBucketTagging", "requestParameters.bucketName",
                "requestParameters.Tagging.TagSet.Tag[].Key || requestParameters.Tagging.TagSet.Tag.Key",
                "requestParameters.Tagging.TagSet.Tag[].Value || requestParameters.Tagging.TagSet.Tag.Value", _bucket,
                ("AwsS3Bucket",), scope_id=_after(":::")),
    TaggingCall("elasticloadbalancing.amazonaws.com", "AddTags", "requestParameters.resourceArns",
                "requestParameters.tags[].key", "requestParameters.tags[].value",
                resource_types=("AwsElbv2LoadBalancer",)),
    TaggingCall("elasticloadbalancing.amazonaws.com", "RemoveTags", "requestParameters.resourceArns",
                "requestParameters.tagKeys", resource_types=("AwsElbv2LoadBalancer",)),
    TaggingCall("eks.amazonaws.com", "TagResource", "requestParameters.resourceArn", "keys(requestParameters.tags)",
                "values(requestParameters.tags)", resource_types=("AwsEksCluster",)),
    TaggingCall("eks.amazonaws.com", "UntagResource", "requestParameters.resourceArn", "requestParameters.tagKeys",
                resource_types=("AwsEksCluster",)),
    TaggingCall("wafv2.amazonaws.com", "TagResource", "requestParameters.resourceARN", "requestParameters.tags[].key",
                "requestParameters.tags[].value", resource_types=("AwsWafv2WebAcl",)),
    TaggingCall("wafv2.amazonaws.com", "UntagResource", "requestParameters.resourceARN", "requestParameters.tagKeys",
                resource_types=("AwsWafv2WebAcl",)),
    TaggingCall("cloudtrail.amazonaws.com", "AddTags", "requestParameters.resourceId",
                "requestParameters.tagsList[].key", "requestParameters.tagsList[].value",
                resource_types=("AwsCloudTrailTrail",)),
    TaggingCall("cloudtrail.amazonaws.com", "RemoveTags", "requestParameters.resourceId",
                "requestParameters.tagsList[].key", resource_types=("AwsCloudTrailTrail",)),
)  # fmt: skip
BY_EVENT = {(c.event_source, c.event_name): c for c in TAGGING_CALLS}


def _strings(found: Any) -> list[str]:
    items = found if isinstance(found, list) else [] if found is None else [found]
    return [i for i in items if isinstance(i, str) and i]


@dataclass(frozen=True)
class ExemptionTagCall:
    """One tagging call that named the key, for one resource."""

    call: TaggingCall
    resource_id: str  # the ARN, as the findings name the resource
    account_id: str
    region: str
    value: str  # the value set; empty for a removal

    @property
    def scope_id(self) -> str:
        return self.call.scope_id(self.resource_id)

    def record(self, detail: Mapping[str, Any]) -> dict[str, str]:
        """What the audit keeps (engine/tag_records.py): who, from where, when, what."""
        identity = detail.get("userIdentity") if isinstance(detail.get("userIdentity"), Mapping) else {}
        actor = identity.get("arn") or identity.get("principalId") or ""  # type: ignore[union-attr]
        return {
            "account_id": self.account_id,
            "region": self.region,
            "resource_id": self.resource_id,
            "action": f"{self.call.event_source.split('.')[0]}:{self.call.event_name}",
            "value": self.value,
            "actor": str(actor),
            "source_ip": str(detail.get("sourceIPAddress", "")),
            "event_time": str(detail.get("eventTime", "")),
            "event_id": str(detail.get("eventID", "")),
        }


def exemption_tag_calls(detail: Mapping[str, Any], account: str, region: str) -> list[ExemptionTagCall]:
    """The resources whose exemption tag this CloudTrail call sets or removes; empty when it names another key."""
    call = BY_EVENT.get((str(detail.get("eventSource")), str(detail.get("eventName"))))
    if call is None:
        return []
    keys = _strings(jmespath.search(call.keys, detail))
    if TAG_KEY not in keys:
        return []
    values = _strings(jmespath.search(call.values, detail)) if call.values else []
    value = values[keys.index(TAG_KEY)] if len(values) == len(keys) else ""
    arns = [call.arn(r, account, region) for r in _strings(jmespath.search(call.resources, detail))]
    return [ExemptionTagCall(call, arn, account, region, value) for arn in arns if arn]


def is_tagging_call(event_source: str, event_name: str) -> bool:
    return (event_source, event_name) in BY_EVENT
