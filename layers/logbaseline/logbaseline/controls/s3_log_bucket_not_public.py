"""Every log bucket (trail, flow-log, query-log, load balancer, WAF, access-log) is not public, and its bucket
policy lets no principal outside the organization in: anyone who can read the logs can read what they record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._log_buckets import (
    ALL_SOURCE_ACTIONS,
    LOG_DESTINATION_TRIGGERS,
    LogBuckets,
    bucket_arn,
    bucket_name,
    bucket_resource,
    describe_sources,
)
from logbaseline.controls._policies import COVERED_ACCOUNTS, ORGANIZATION_ID, outside_grants
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control, FixFailed
from logbaseline.controls.cloudtrail_bucket_not_public import BLOCKS, read_public_access
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

# With a public policy in place, RestrictPublicBuckets also cuts the cross-account access that policy gives to
# named accounts (S3 user guide, Block Public Access): a load balancer's regional delivery account, say. The fix
# then leaves it off, so that no delivery stops; every other setting only refuses what is not yet there.
RESTRICT = "RestrictPublicBuckets"


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    wanted = bucket_name(scope.resource_id) if scope.resource_id else None
    buckets = LogBuckets(clients, scope.region, scope.account_id)

    def state(name: str, sources: dict[str, list[str]]) -> dict[str, Any]:
        access = read_public_access(clients, name)
        return {"name": name, "sources": sources, "policy": buckets.policy(name), **access}

    return [
        bucket_resource(scope, name, lambda name=name, sources=sources: state(name, sources))
        for name, sources in buckets.sources(wanted).items()
    ]


def _settings(state: Mapping[str, Any]) -> dict[str, bool]:
    """The Block Public Access settings the fix sets: all four, but RestrictPublicBuckets under a public policy."""
    wanted = dict.fromkeys(BLOCKS, True)
    if state["policy_public"]:
        wanted[RESTRICT] = state["block"][RESTRICT]
    return wanted


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    off = [flag for flag in BLOCKS if not state["block"][flag]]
    problems = [f"Block Public Access is not fully on (off: {', '.join(off)})"] if off else []
    problems += ["the bucket policy is public"] if state["policy_public"] else []
    problems += [f"the ACL grants {grant}" for grant in state["public_grants"]]
    problems += outside_grants(state["policy"], resource.account_id, params)
    logs_of = describe_sources(state["sources"])
    if not problems:
        return passed(f"not public, and its policy grants no one outside the organization (log bucket of {logs_of})")
    fixable = _settings(state) != state["block"]
    blocks_all = _settings(state) == dict.fromkeys(BLOCKS, True)
    if not (fixable and blocks_all and len(problems) == 1):  # something the fix leaves
        # A policy or ACL is never rewritten: removing a grant may stop a delivery.
        left = "the fix turns Block Public Access on; " if fixable else ""
        problems.append(f"{left}the policy, the ACL{'' if blocks_all else ' and ' + RESTRICT} are left to a person")
    return failed(f"{'; '.join(problems)} (log bucket of {logs_of})", fixable=fixable)


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    # Only ever tightens; never touches the policy or the ACL, whatever they grant (see evaluate).
    settings = _settings(resource.state)
    if settings == resource.state["block"]:
        raise FixFailed("Block Public Access is already as the fix sets it; what remains is left to a person")
    changes.call(
        "s3",
        "put_public_access_block",
        Bucket=resource.state["name"],
        ExpectedBucketOwner=resource.account_id,
        PublicAccessBlockConfiguration=settings,
    )


CONTROL = Control(
    id="s3_log_bucket_not_public",
    title="S3 log buckets are not public and grant no one outside the organization",
    description=(
        "Every bucket that receives logs (trails, VPC flow logs, Resolver query logs, load balancer, WAF, "
        "Redshift audit, Network Firewall and server access logs) has all four Block Public Access settings on, "
        "no public bucket policy or ACL, and no bucket-policy grant to a principal outside the organization: an "
        "account not covered, or * without an organization or account condition; a log-delivery service principal "
        "needs an aws:SourceAccount or "
        "aws:SourceArn condition. Judged in the account and region that own the bucket."
    ),
    severity=Severity.CRITICAL,
    resource_type="AwsS3Bucket",
    related_requirements=(SEC04_BP01, "Security Hub S3.2", "Security Hub S3.8"),
    collect=collect,
    evaluate=evaluate,
    resource_id=bucket_arn,
    remediation_text=(
        "Turn on all four Block Public Access settings of the bucket; by hand, remove public ACL grants and "
        "hold each bucket-policy grant to the organization (aws:PrincipalOrgID), to covered accounts, or, for a "
        "log-delivery service, to aws:SourceAccount or aws:SourceArn."
    ),
    config_triggers=(ConfigTrigger("AWS::S3::Bucket"),),
    cloudtrail_triggers=(
        CloudTrailTrigger(
            "s3.amazonaws.com",
            (
                "PutBucketPublicAccessBlock",
                "DeleteBucketPublicAccessBlock",
                "PutBucketPolicy",
                "DeleteBucketPolicy",
                "PutBucketAcl",
            ),
            "requestParameters.bucketName",
        ),
        *LOG_DESTINATION_TRIGGERS,
    ),
    parameters=(ORGANIZATION_ID, COVERED_ACCOUNTS),
    read_actions=(
        *ALL_SOURCE_ACTIONS,
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketAcl",
    ),
    write_actions=("s3:PutBucketPublicAccessBlock",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description=(
        "PutPublicAccessBlock with all four settings on (RestrictPublicBuckets left as it is while the policy "
        "is public, as it would cut the cross-account deliveries that policy allows); never touches the policy "
        "or the ACL."
    ),
)
