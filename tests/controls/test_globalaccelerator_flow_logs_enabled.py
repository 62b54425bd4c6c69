"""globalaccelerator_flow_logs_enabled: the pure verdict, no fix, judged once per account in us-west-2, its flow-log
bucket a log bucket, and round trips on the emulator's Global Accelerator (moto has none: emulation/globalaccelerator.py
answers as botocore's model and the API reference say)."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import pytest
from botocore.exceptions import ClientError
from logbaseline.aws import Clients
from logbaseline.controls._log_buckets import LogBuckets
from logbaseline.controls.globalaccelerator_flow_logs_enabled import CONTROL, GLOBAL_ACCELERATOR_REGION
from logbaseline.engine.routing import route
from logbaseline.models import Mode, Resource, Scope, Status

from tests.conftest import NO_RETRY, REGION, findings_by_resource, load_event, make_service

WEST = GLOBAL_ACCELERATOR_REGION
ARN = "arn:aws:globalaccelerator::123456789012:accelerator/1234abcd-abcd-1234-abcd-1234abcdefgh"
GAME = "arn:aws:globalaccelerator::123456789012:accelerator/5678abcd-abcd-5678-abcd-5678abcdefgh"
BUCKET = "edge-flow-logs-123456789012"


def accelerator(flow_logs=False, bucket="", prefix="", kind="standard") -> Resource:
    state = {"kind": kind, "name": "orders-edge", "dns": "a1234567890abcdef.awsglobalaccelerator.com"}
    state |= {"flow_logs": flow_logs, "bucket": bucket, "prefix": prefix}
    return Resource("123456789012", WEST, ARN, state)


@pytest.mark.parametrize(
    ("resource", "status", "phrase"),
    [
        (accelerator(), Status.FAILED, "standard accelerator orders-edge (a1234567890abcdef"),
        (accelerator(kind="custom routing"), Status.FAILED, "custom routing accelerator orders-edge"),
        (accelerator(True, BUCKET, "edge/"), Status.PASSED, f"sends flow logs to s3://{BUCKET}/edge/"),
        (accelerator(True, BUCKET, ""), Status.PASSED, f"s3://{BUCKET}/"),  # the bucket's root
        # turned off, the bucket still named: not logging
        (accelerator(False, BUCKET, "edge/"), Status.FAILED, "has no flow logs"),
        (accelerator(True, "", ""), Status.FAILED, "has no flow logs"),  # no bucket: nothing delivered
    ],
)
def test_evaluate(resource, status, phrase):
    verdict = CONTROL.evaluate(resource, {})
    assert (verdict.status, verdict.fixable) == (status, False)
    assert phrase in verdict.reason


def test_no_fix_and_the_steps_in_the_finding():
    assert (CONTROL.remediate, CONTROL.write_actions, CONTROL.default_mode) == (None, (), Mode.OFF)
    for step in ("UpdateAcceleratorAttributes", "UpdateCustomRoutingAcceleratorAttributes", "us-west-2"):
        assert step in CONTROL.remediation_text


# --- round trips on the emulator ------------------------------------------------------------------------------------


def west(aws) -> Clients:
    return Clients(WEST, aws._session, NO_RETRY)  # noqa: SLF001 - the same identity, in us-west-2


def create(aws, name="orders-edge", custom=False) -> str:
    client = west(aws)("globalaccelerator")
    create = client.create_custom_routing_accelerator if custom else client.create_accelerator
    return create(Name=name, IdempotencyToken=name)["Accelerator"]["AcceleratorArn"]


def flow_logs(aws, arn, enabled=True, bucket=BUCKET, custom=False) -> None:
    client = west(aws)("globalaccelerator")
    update = client.update_custom_routing_accelerator_attributes if custom else client.update_accelerator_attributes
    attributes = {"FlowLogsEnabled": enabled} | (
        {"FlowLogsS3Bucket": bucket, "FlowLogsS3Prefix": "edge/"} if enabled else {}
    )
    update(AcceleratorArn=arn, **attributes)


def sample(name: str, arn: str) -> dict:
    """A sample event naming the emulator's accelerator instead of the sample's."""
    return json.loads(json.dumps(load_event(name)).replace(ARN, arn).replace(GAME, arn))


def test_judged_once_per_account_in_us_west_2_whatever_region_sweeps(aws, account_id):
    create(aws)
    session, asked = boto3.Session(), Counter()
    session.events.register("before-call", lambda model, **kwargs: asked.update([model.name]))
    for region in (REGION, "eu-west-1"):
        assert CONTROL.collect(Clients(region, session, NO_RETRY), Scope(account_id, region)) == []
    assert asked == Counter(), "no call where the control cannot apply"
    [resource] = CONTROL.collect(Clients(WEST, session, NO_RETRY), Scope(account_id, WEST))
    assert resource.region == WEST and resource.state["kind"] == "standard"
    assert set(asked) <= {a.split(":")[1] for a in CONTROL.read_actions}


def test_both_kinds_are_read_and_one_is_read_alone(aws, account_id):
    standard, custom = create(aws), create(aws, "game-edge", custom=True)
    flow_logs(aws, custom, custom=True)
    found = {r.resource_id: r.state for r in CONTROL.collect(west(aws), Scope(account_id, WEST))}
    assert found[standard] | {"dns": ""} == {
        "kind": "standard", "name": "orders-edge", "dns": "", "flow_logs": False, "bucket": "", "prefix": "",
    }  # fmt: skip
    assert (found[custom]["kind"], found[custom]["flow_logs"], found[custom]["bucket"]) == (
        "custom routing",
        True,
        BUCKET,
    )
    [only] = CONTROL.collect(west(aws), Scope(account_id, WEST, custom))
    assert only.resource_id == custom
    assert CONTROL.collect(west(aws), Scope(account_id, WEST, ARN)) == []  # gone: nothing collected


def test_round_trip_flow_logs_off_fails_then_on_passes_with_no_fix(aws, account_id):
    arn = create(aws)
    environ = {"LOGBASELINE_REMEDIATION_MODES": f"{CONTROL.id}=off"}
    service = make_service(account_id, **environ)
    west(aws)("securityhub").enable_security_hub(EnableDefaultStandards=False)
    report = service.evaluate_event(sample("cloudtrail/globalaccelerator-CreateAccelerator.json", arn))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    assert (outcome.resource_id, outcome.verdict.status) == (arn, Status.FAILED)
    assert "has no flow logs" in outcome.verdict.reason
    finding = findings_by_resource(west(aws))[(CONTROL.id, arn)]
    assert (finding["Compliance"]["Status"], finding["Region"]) == ("FAILED", WEST)
    assert [r for r in report.fixes_requested if r.control_id == CONTROL.id] == []

    flow_logs(aws, arn)
    report = service.evaluate_event(sample("cloudtrail/globalaccelerator-UpdateAcceleratorAttributes.json", arn))
    [outcome] = [o for o in report.outcomes if o.control is CONTROL]
    assert outcome.verdict.status is Status.PASSED
    assert findings_by_resource(west(aws))[(CONTROL.id, arn)]["Compliance"]["Status"] == "PASSED"


def test_the_flow_log_bucket_is_a_log_bucket_in_its_own_region(aws, account_id):
    aws("s3").create_bucket(Bucket=BUCKET)  # in us-east-1, though the accelerators are read in us-west-2
    aws("s3").create_bucket(Bucket="app-data")
    arn = create(aws)
    assert BUCKET not in LogBuckets(Clients(REGION, config=NO_RETRY), REGION).sources()
    flow_logs(aws, arn)
    assert LogBuckets(Clients(REGION, config=NO_RETRY), REGION).sources() == {
        BUCKET: {"global_accelerator": ["orders-edge"]}
    }
    assert LogBuckets(Clients(REGION, config=NO_RETRY), REGION).sources(BUCKET) == {
        BUCKET: {"global_accelerator": ["orders-edge"]}
    }
    # another region without buckets of its own reads no accelerator
    session, asked = boto3.Session(), Counter()
    session.events.register("before-call", lambda model, **kwargs: asked.update([model.name]))
    assert LogBuckets(Clients("eu-west-1", session, NO_RETRY), "eu-west-1").sources() == {}
    assert not {name for name in asked if "Accelerator" in name}


def test_the_event_naming_the_bucket_reaches_the_bucket_controls():
    targets = route(load_event("cloudtrail/globalaccelerator-UpdateAcceleratorAttributes.json"))
    by_control = {t.control.id: t for t in targets}
    assert by_control[CONTROL.id].scope == Scope("123456789012", WEST, ARN)
    for control_id in ("s3_log_bucket_lifecycle_bounded", "s3_log_bucket_not_public"):
        target = by_control[control_id]
        assert (target.scope.resource_id, target.archive_missing) == (BUCKET, False)


def test_the_double_refuses_what_aws_refuses(aws):
    client = west(aws)("globalaccelerator")
    arn = create(aws)

    def code(call, **params) -> str:
        with pytest.raises(ClientError) as raised:
            call(**params)
        return raised.value.response["Error"]["Code"]

    assert code(client.update_accelerator_attributes, AcceleratorArn=arn, FlowLogsEnabled=True) == (
        "InvalidArgumentException"
    )  # flow logs on without their bucket and prefix
    assert code(client.describe_custom_routing_accelerator_attributes, AcceleratorArn=arn) == (
        "AcceleratorNotFoundException"
    )  # the other kind's call
    assert code(client.describe_accelerator_attributes, AcceleratorArn=ARN) == "AcceleratorNotFoundException"
    assert code(client.create_accelerator, Name="-edge", IdempotencyToken="t") == "InvalidArgumentException"
    assert code(client.list_accelerators, NextToken="not-a-token") == "InvalidNextTokenException"
    assert code(client.list_listeners, AcceleratorArn=arn) == "NotImplemented"  # not emulated: said plainly
    elsewhere = Clients(REGION, aws._session, NO_RETRY)("globalaccelerator")  # noqa: SLF001
    assert code(elsewhere.list_accelerators) == "NotImplemented"  # served in us-west-2 only


def test_the_listing_pages(aws):
    client = west(aws)("globalaccelerator")
    made = {create(aws, f"edge-{i}") for i in range(5)}
    pages = list(client.get_paginator("list_accelerators").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["Accelerators"]) for p in pages] == [2, 2, 1]
    assert {a["AcceleratorArn"] for p in pages for a in p["Accelerators"]} == made
    assert client.list_custom_routing_accelerators()["Accelerators"] == []
