"""The S3 bucket of each trail blocks public access, and no bucket policy or ACL makes it public."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logbaseline.aws import Clients
from logbaseline.controls._benchmarks import cis
from logbaseline.controls._log_buckets import TRAIL, LogBuckets, bucket_arn, bucket_name, bucket_resource, read
from logbaseline.controls._trails import TRAIL_BUCKET_TRIGGERS
from logbaseline.controls.base import SEC04_BP01, Changes, CloudTrailTrigger, ConfigTrigger, Control, FixFailed
from logbaseline.models import Mode, Resource, Scope, Severity, Verdict, failed, passed

BLOCKS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}


def read_public_access(clients: Clients, name: str) -> dict[str, Any]:
    """The bucket-level Block Public Access settings, and whether its policy or ACL is public."""
    block = read(clients, "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",), Bucket=name)
    status = read(clients, "get_bucket_policy_status", ("NoSuchBucketPolicy",), Bucket=name)
    grants = clients("s3").get_bucket_acl(Bucket=name)["Grants"]
    settings = (block or {}).get("PublicAccessBlockConfiguration", {})
    return {
        "block": {flag: bool(settings.get(flag)) for flag in BLOCKS},
        "policy_public": bool((status or {}).get("PolicyStatus", {}).get("IsPublic")),
        "public_grants": sorted(
            {
                f"{grant['Permission']} to {PUBLIC_GROUPS[grant['Grantee']['URI']]}"
                for grant in grants
                if grant["Grantee"].get("URI") in PUBLIC_GROUPS
            }
        ),
    }


def collect(clients: Clients, scope: Scope) -> list[Resource]:
    wanted = bucket_name(scope.resource_id) if scope.resource_id else None
    # Only this account's buckets in this region: a central log bucket is judged by the account that owns it.
    trail_buckets = LogBuckets(clients, scope.region, scope.account_id).sources(wanted, kinds=(TRAIL,))
    return [
        bucket_resource(
            scope,
            name,
            lambda name=name, trails=sources[TRAIL]: {
                "name": name,
                "trails": trails,
                **read_public_access(clients, name),
            },
        )
        for name, sources in trail_buckets.items()
    ]


def evaluate(resource: Resource, params: Mapping[str, Any]) -> Verdict:
    state = resource.state
    off = [flag for flag in BLOCKS if not state["block"][flag]]
    public = ["the bucket policy is public"] if state["policy_public"] else []
    public += [f"the ACL grants {grant}" for grant in state["public_grants"]]
    if off:
        also = f"; and {', '.join(public)}" if public else ""
        return failed(f"Block Public Access is not fully on (off: {', '.join(off)}){also}", fixable=True)
    if public:
        # Removing a policy statement or an ACL grant may break a delivery: a person decides.
        return failed(f"Block Public Access is on, but {' and '.join(public)}; removing that is left to a person")
    return passed("all four Block Public Access settings are on, and no bucket policy or ACL makes it public")


def remediate(changes: Changes, resource: Resource, params: Mapping[str, Any]) -> None:
    # All four on: this only ever tightens. It leaves a public policy or ACL in place (see evaluate).
    if all(resource.state["block"].values()):
        raise FixFailed("Block Public Access is already on; what remains public is left to a person")
    changes.call(
        "s3",
        "put_public_access_block",
        Bucket=resource.state["name"],
        ExpectedBucketOwner=resource.account_id,
        PublicAccessBlockConfiguration=dict.fromkeys(BLOCKS, True),
    )


CONTROL = Control(
    id="cloudtrail_bucket_not_public",
    title="CloudTrail S3 buckets block public access and are not public",
    description=(
        "The S3 bucket a trail delivers to has all four bucket-level Block Public Access settings on, "
        "and neither its bucket policy nor its ACL makes it public. Judged in the account and region "
        "that own the bucket."
    ),
    severity=Severity.CRITICAL,
    resource_type="AwsS3Bucket",
    related_requirements=(SEC04_BP01, "Security Hub CloudTrail.6", *cis(v14="3.3")),
    collect=collect,
    evaluate=evaluate,
    resource_id=bucket_arn,
    remediation_text=(
        "Turn on all four Block Public Access settings of the bucket; remove any public bucket policy "
        "statement or public ACL grant by hand."
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
        *TRAIL_BUCKET_TRIGGERS,
    ),
    read_actions=(
        "s3:ListAllMyBuckets",
        "cloudtrail:DescribeTrails",
        "s3:GetBucketPolicy",  # a trail of another account is known by the policy that lets it deliver
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketAcl",
    ),
    write_actions=("s3:PutBucketPublicAccessBlock",),
    remediate=remediate,
    default_mode=Mode.AUTO,
    fix_description=(
        "PutPublicAccessBlock with all four settings on; never deletes or loosens anything, and leaves "
        "a public policy or ACL to a person (the finding then stays FAILED)."
    ),
)
