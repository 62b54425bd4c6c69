"""AWS clients from boto3's standard configuration chain (AWS_ENDPOINT_URL included)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode: bounded retries with exponential backoff and jitter.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_appid="logbaseline")


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Clients:
    """boto3 clients for one account, created on first use and reused.

    `clients("logs")` is a client in the default region; `clients("logs", "eu-west-1")`
    one in another region (a multi-region trail is managed from its home region).
    """

    def __init__(self, region: str, session: boto3.Session | None = None, config: Config = CLIENT_CONFIG):
        self.region = region
        self._session = session or boto3.Session()
        self._config = config
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._cache:
            self._cache[key] = self._session.client(service, region_name=key[1], config=self._config)
        return self._cache[key]

    def resource(self, service: str) -> Any:
        """A boto3 resource (DynamoDB's Table, for its type conversions) in the default region."""
        return self._session.resource(service, region_name=self.region, config=self._config)

    def for_region(self, region: str) -> Clients:
        return Clients(region, self._session, self._config)


def caller_account_id(session: boto3.Session | None = None) -> str:
    return (session or boto3.Session()).client("sts", config=CLIENT_CONFIG).get_caller_identity()["Account"]


# Actions AWS authorizes on the caller for a call, beyond the call's own action.
IMPLIED_ACTIONS: dict[str, tuple[str, ...]] = {
    # CreateFlowLogs: PassRole for a CloudWatch Logs destination, log deliveries for an S3 one.
    "ec2:CreateFlowLogs": ("iam:PassRole", "logs:CreateLogDelivery", "logs:DeleteLogDelivery"),
    # Resolver query logging is a vended log delivery: CloudWatch Logs sets up the delivery and,
    # for a log group, its resource policy; for S3, the bucket policy.
    "route53resolver:CreateResolverQueryLogConfig": (
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
    ),
    # The first detector creates GuardDuty's service-linked role.
    "guardduty:CreateDetector": ("iam:CreateServiceLinkedRole",),
}
# API operations whose IAM action has another name.
AUTHORIZED_AS: dict[str, str] = {
    "sqs:SendMessageBatch": "sqs:SendMessage",
    "tagging:GetResources": "tag:GetResources",
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
}
