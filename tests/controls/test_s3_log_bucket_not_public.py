"""s3_log_bucket_not_public: who a policy lets in, a fix that only blocks, and round trips on moto."""

from __future__ import annotations

import json

import pytest
from logbaseline.aws import Clients
from logbaseline.controls._policies import outside_grants
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.controls.cloudtrail_bucket_not_public import BLOCKS
from logbaseline.controls.s3_log_bucket_not_public import CONTROL
from logbaseline.engine import FixRequest, sweep_event
from logbaseline.models import Resource, Status

from tests.conftest import REGION, caller, findings_by_resource, load_event, make_service

OWN, MEMBER, STRANGER, ORG = "123456789012", "111122223333", "999988887777", "o-a1b2c3d4e5"
BUCKET = "vpc-flow-logs-123456789012"  # the flow-log bucket of the sample events
ARN = f"arn:aws:s3:::{BUCKET}"
ALL_ON = dict.fromkeys(BLOCKS, True)
PARAMS = {"organization_id": ORG, "accounts": MEMBER}


def allow(principal, condition=None, sid="S", action="s3:GetObject") -> dict:
    statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": f"{ARN}/*"}
    return statement | ({"Condition": condition} if condition else {})


def policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


DELIVERY = {"Service": "delivery.logs.amazonaws.com"}
FROM_OWN = {"StringEquals": {"aws:SourceAccount": OWN}}


@pytest.mark.parametrize(
    ("statements", "params", "problem"),
    [
        ((allow({"AWS": f"arn:aws:iam::{OWN}:root"}),), PARAMS, None),
        ((allow({"AWS": [f"arn:aws:iam::{MEMBER}:role/reader", MEMBER]}),), PARAMS, None),
        ((allow({"AWS": f"arn:aws:iam::{STRANGER}:root"}),), PARAMS, f"statement S grants account {STRANGER}"),
        ((allow({"AWS": STRANGER}),), {}, f"grants account {STRANGER}, which is not covered"),
        ((allow("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}}),), PARAMS, None),
        ((allow("*", {"StringEquals": {"aws:PrincipalOrgID": "o-otherorg99"}}),), PARAMS, "grants everyone (*)"),
        ((allow("*", {"StringEquals": {"aws:PrincipalOrgID": ORG}}),), {}, "organization_id is not set"),
        ((allow("*", {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}),), PARAMS, "grants everyone (*)"),
        ((allow("*", {"StringNotEquals": {"aws:PrincipalOrgID": ORG}}),), PARAMS, "grants everyone (*)"),
        ((allow("*", {"StringEquals": {"aws:PrincipalAccount": [OWN, MEMBER]}}),), PARAMS, None),
        ((allow("*", {"StringEquals": {"aws:PrincipalAccount": STRANGER}}),), PARAMS, "grants everyone (*)"),
        ((allow("*", {"StringLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/*"}}),), PARAMS, None),
        ((allow({"AWS": "*"}),), PARAMS, "statement S grants everyone (*) without an organization"),
        (({"Effect": "Allow", "NotPrincipal": {"AWS": STRANGER}, "Action": "s3:*"},), PARAMS, "statement 1 grants"),
        (({"Effect": "Deny", "Principal": "*", "Action": "s3:*"},), PARAMS, None),
        ((allow(DELIVERY, FROM_OWN, action="s3:PutObject"),), PARAMS, None),
        ((allow(DELIVERY, {"ArnLike": {"aws:SourceArn": f"arn:aws:logs:*:{MEMBER}:*"}}),), PARAMS, None),
        ((allow(DELIVERY, {"ArnLike": {"aws:SourceArn": "arn:aws:logs:*:*:*"}}),), PARAMS, "without a covered"),
        ((allow(DELIVERY, {"StringEquals": {"aws:SourceAccount": STRANGER}}),), PARAMS, "delivery.logs.amazonaws"),
        ((allow(DELIVERY, action="s3:GetBucketAcl"),), PARAMS, "grants delivery.logs.amazonaws.com without"),
        ((allow({"AWS": "arn:aws:iam::127311923021:root"}, action="s3:PutObject"),), PARAMS, None),  # ELB us-east-1
        ((allow({"CanonicalUser": "79a59df900b949e55d96a1e698fbaced"}),), PARAMS, "grants CanonicalUser 79a59"),
        ((allow({"AWS": "AROAEXAMPLEUNIQUEID"}),), PARAMS, "whose account is not known to be covered"),
    ],
)
def test_outside_grants(statements, params, problem):
    """Inside: covered accounts, the named organization's conditions, service principals held to a covered source."""
    found = outside_grants(policy(*statements), OWN, params)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0], found


def bucket(block=ALL_ON, policy_public=False, grants=(), bucket_policy=None) -> Resource:
    state = {"name": BUCKET, "sources": {"flow_log": ["fl-1"]}, "block": dict(block), "policy": bucket_policy}
    return Resource(OWN, REGION, ARN, state | {"policy_public": policy_public, "public_grants": list(grants)})


OPEN = policy(allow("*"))
NO_RESTRICT = ALL_ON | {"RestrictPublicBuckets": False}


@pytest.mark.parametrize(
    ("resource", "status", "fixable", "phrase"),
    [
        (bucket(), Status.PASSED, False, "grants no one outside the organization (log bucket of VPC flow log fl-1)"),
        (bucket(dict.fromkeys(BLOCKS, False)), Status.FAILED, True, "(off: BlockPublicAcls, IgnorePublicAcls"),
        (bucket(NO_RESTRICT), Status.FAILED, True, "(off: RestrictPublicBuckets) (log bucket of"),
        (bucket(NO_RESTRICT, True, bucket_policy=OPEN), Status.FAILED, False, "and RestrictPublicBuckets are left"),
        (bucket(ALL_ON | {"BlockPublicAcls": False}, True, bucket_policy=OPEN), Status.FAILED, True, "turns"),
        (bucket(grants=("READ to AllUsers",)), Status.FAILED, False, "the ACL grants READ to AllUsers"),
        (bucket(bucket_policy=policy(allow({"AWS": STRANGER}))), Status.FAILED, False, f"account {STRANGER}"),
        (bucket(bucket_policy=policy(allow({"AWS": MEMBER}))), Status.PASSED, False, "not public"),
    ],
)
def test_evaluate(resource, status, fixable, phrase):
    verdict = CONTROL.evaluate(resource, PARAMS)
    assert (verdict.status, verdict.fixable) == (status, fixable)
    assert phrase in verdict.reason


def fix(resource) -> list[Change]:
    changes = Changes(Clients(REGION), dry_run=True)
    CONTROL.remediate(changes, resource, PARAMS)
    return changes.made


def test_remediate_blocks_and_never_touches_the_policy_or_acl():
    call = {"Bucket": BUCKET, "ExpectedBucketOwner": OWN, "PublicAccessBlockConfiguration": ALL_ON}
    assert fix(bucket(dict.fromkeys(BLOCKS, False))) == [Change("s3", "put_public_access_block", REGION, call)]


def test_remediate_leaves_restrict_public_buckets_under_a_public_policy():
    """RestrictPublicBuckets would cut the named accounts a public policy also lets in (an ELB delivery account)."""
    [change] = fix(bucket(dict.fromkeys(BLOCKS, False), policy_public=True, bucket_policy=OPEN))
    assert change.parameters["PublicAccessBlockConfiguration"] == ALL_ON | {"RestrictPublicBuckets": False}
    with pytest.raises(FixFailed, match="already as the fix sets it"):
        fix(bucket(NO_RESTRICT, policy_public=True, bucket_policy=OPEN))


# --- round trips on the moto server -------------------------------------------------------


def seed_flow_log_bucket(aws) -> None:
    aws("s3").create_bucket(Bucket=BUCKET)
    vpc = aws("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    aws("ec2").create_flow_logs(
        ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL", LogDestinationType="s3", LogDestination=ARN
    )


def mine(report) -> list:
    return [o for o in report.outcomes if o.control is CONTROL]


def test_round_trip_flow_log_bucket_block_is_turned_on(aws, account_id):
    """A flow-log bucket (no trail): DeleteBucketPublicAccessBlock -> FAILED -> fix -> PASSED; again changes nothing."""
    seed_flow_log_bucket(aws)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fixes")["QueueUrl"]
    event = load_event("cloudtrail/s3-DeleteBucketPublicAccessBlock.json")
    event["detail"]["requestParameters"]["bucketName"] = BUCKET
    report = service.evaluate_event(event)
    [outcome] = mine(report)
    assert (outcome.resource_id, outcome.verdict.status, outcome.verdict.fixable) == (ARN, Status.FAILED, True)
    assert "VPC flow log fl-" in outcome.verdict.reason
    assert report.fixes_requested == [FixRequest(CONTROL.id, account_id, REGION, ARN, event["id"], caller(event))]
    finding = findings_by_resource(aws)[(CONTROL.id, ARN)]
    assert (finding["Compliance"]["Status"], finding["Severity"]["Label"]) == ("FAILED", "CRITICAL")

    [fixed] = service.fix(report.fixes_requested[0])
    assert fixed.fix["Outcome"] == "verified"
    assert aws("s3").get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == ALL_ON
    assert findings_by_resource(aws)[(CONTROL.id, ARN)]["Compliance"]["Status"] == "PASSED"
    [again] = service.fix(report.fixes_requested[0])
    assert again.fix is None and again.verdict.status is Status.PASSED


def test_round_trip_grant_to_a_stranger_is_reported_and_the_policy_kept(aws, account_id):
    """PutBucketPolicy granting another account: FAILED naming it; the policy is never rewritten."""
    seed_flow_log_bucket(aws)
    aws("s3").put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration=ALL_ON)
    grant = policy(allow({"AWS": f"arn:aws:iam::{STRANGER}:root"}, sid="Partner"))
    aws("s3").put_bucket_policy(Bucket=BUCKET, Policy=grant)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=auto")
    event = load_event("cloudtrail/s3-PutBucketPolicy.json")
    event["detail"]["requestParameters"]["bucketName"] = BUCKET
    report = service.evaluate_event(event)
    [outcome] = mine(report)
    assert (outcome.verdict.status, outcome.verdict.fixable) == (Status.FAILED, False)
    assert f"statement Partner grants account {STRANGER}, which is not covered" in outcome.verdict.reason
    assert report.fixes_requested == [] and aws("s3").get_bucket_policy(Bucket=BUCKET)["Policy"] == grant


def test_a_bucket_that_receives_no_logs_is_not_judged(aws, account_id):
    aws("s3").create_bucket(Bucket="app-data")
    seed_flow_log_bucket(aws)
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES=f"{CONTROL.id}=off")
    report = service.evaluate_event(sweep_event(account_id, REGION, [CONTROL.id]))
    assert [o.resource_id for o in mine(report)] == [ARN]
