"""A Global Accelerator accelerator, standard or custom routing, sends flow logs to S3: the record of every client
connection it accepts and where it sent it (Global Accelerator developer guide, flow logs)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from botocore.exceptions import ClientError

from logbaseline.aws import Clients, partition
from logbaseline.controls.base import SEC04_BP01, CloudTrailTrigger, ConfigTrigger, Control
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# Accelerators are global, but the API is served in us-west-2 only, where CloudTrail records its calls (and
# EventBridge delivers them): they are read, and judged once per account, there.
GLOBAL_ACCELERATOR_REGION = "us-west-2"
EVENT_SOURCE = "globalaccelerator.amazonaws.com"
ACCELERATOR_ID = r"arn:aws[a-z-]*:globalaccelerator::\d{12}:accelerator/[^/]+"
STANDARD, CUSTOM = "standard", "custom routing"
# kind -> (listing, attributes read)
READS = {
    STANDARD: ("list_accelerators", "describe_accelerator_attributes"),
    CUSTOM: ("list_custom_routing_accelerators", "describe_custom_routing_accelerator_attributes"),
}


def accelerator_arn(scope: Scope) -> str:
    given = scope.resource_id or ""
    if given.startswith("arn:"):
        return given
    return f"arn:{partition(scope.region)}:globalaccelerator::{scope.account_id}:accelerator/{given}"


def accelerators(clients: Clients, wanted: str | None = None) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(kind, accelerator, its attributes) of every accelerator of the account, or of the one `wanted` (an ARN),
    read in us-west-2 whatever the caller's region; one deleted since the listing is left out."""
    client = clients("globalaccelerator", GLOBAL_ACCELERATOR_REGION)
    for kind, (listing, describe) in READS.items():
        found = [a for page in client.get_paginator(listing).paginate() for a in page.get("Accelerators", [])]
        for accelerator in found:
            if wanted not in (None, accelerator["AcceleratorArn"]):
                continue
            try:
                answer = getattr(client, describe)(AcceleratorArn=accelerator["AcceleratorArn"])
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "AcceleratorNotFoundException":
                    continue
                raise
            yield kind, accelerator, answer.get("AcceleratorAttributes") or {}


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    if scope.region != GLOBAL_ACCELERATOR_REGION:
        return []  # the same accelerators in every region: judged once, where their calls are recorded
    resources = []
    for kind, accelerator, attributes in accelerators(clients, scope.resource_id):
        state = {
            "kind": kind,
            "name": accelerator.get("Name", ""),
            "dns": accelerator.get("DnsName", ""),
            "flow_logs": bool(attributes.get("FlowLogsEnabled")),
            "bucket": attributes.get("FlowLogsS3Bucket") or "",
            "prefix": attributes.get("FlowLogsS3Prefix") or "",
        }
        resources.append(Resource(scope.account_id, scope.region, accelerator["AcceleratorArn"], state))
    return resources


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    label = f"{state['kind']} accelerator {state['name']} ({state['dns']})"
    if state["flow_logs"] and state["bucket"]:
        return passed(f"{label} sends flow logs to s3://{state['bucket']}/{state['prefix']}")
    return failed(f"{label} has no flow logs: the client connections it accepts and routes are not logged")


CONTROL = Control(
    id="globalaccelerator_flow_logs_enabled",
    title="Global Accelerator accelerators send flow logs to S3",
    description=(
        "A Global Accelerator accelerator, standard or custom routing, has flow logs on (FlowLogsEnabled, with "
        "its S3 bucket). Accelerators are global and their API is served in us-west-2, where CloudTrail records "
        "its calls and EventBridge delivers them: they are read and judged there only, once per account, and not "
        "judged when us-west-2 is not among the covered regions. The bucket is judged by the log-bucket controls."
    ),
    severity=Severity.MEDIUM,
    resource_type="Other",
    related_requirements=(SEC04_BP01,),
    collect=collect,
    evaluate=evaluate,
    resource_id=accelerator_arn,
    remediation_text=(
        "Turn flow logs on for the accelerator (UpdateAcceleratorAttributes, or "
        "UpdateCustomRoutingAcceleratorAttributes, in us-west-2: FlowLogsEnabled with FlowLogsS3Bucket and "
        "FlowLogsS3Prefix) to a bucket whose policy lets Global Accelerator's log delivery write; "
        "s3_log_bucket_lifecycle_bounded and s3_log_bucket_not_public judge the bucket."
    ),
    config_triggers=(ConfigTrigger("AWS::GlobalAccelerator::Accelerator", "ARN || resourceId", ACCELERATOR_ID),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            EVENT_SOURCE,
            (
                "CreateAccelerator",
                "UpdateAcceleratorAttributes",
                "CreateCustomRoutingAccelerator",
                "UpdateCustomRoutingAcceleratorAttributes",
            ),
            "responseElements.accelerator.acceleratorArn || requestParameters.acceleratorArn",
            ACCELERATOR_ID,
        ),
    ),
    read_actions=(
        "globalaccelerator:ListAccelerators",
        "globalaccelerator:DescribeAcceleratorAttributes",
        "globalaccelerator:ListCustomRoutingAccelerators",
        "globalaccelerator:DescribeCustomRoutingAcceleratorAttributes",
    ),
    default_mode=Mode.OFF,
    fix_description="none: the bucket, and its policy for Global Accelerator's log delivery, are for a person.",
)
