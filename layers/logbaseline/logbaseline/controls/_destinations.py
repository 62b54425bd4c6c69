"""Log destinations that fixes send logs to, shared by the controls that create them."""

from __future__ import annotations

from logbaseline.controls.base import Changes, Parameter
from logbaseline.controls.logs_log_group_retention_bounded import read_log_groups

LOG_GROUP_KMS_KEY = Parameter(
    "log_group_kms_key_arn",
    "",
    "KMS key (ARN) that encrypts the log groups a fix creates; its key policy must let CloudWatch Logs use it. "
    "Empty: CloudWatch Logs' default encryption.",
)


def in_account(role_arn: str, account_id: str) -> str:
    """The same-named role in the resource's account: IAM roles cannot be passed across accounts, and the
    member stack creates the delivery role under the same name in every account."""
    parts = role_arn.split(":")
    if len(parts) == 6 and parts[2] == "iam" and parts[4] != account_id:
        parts[4] = account_id
    return ":".join(parts)


def is_s3_arn(destination: str) -> bool:
    return destination.startswith("arn:") and ":s3:::" in destination


def ensure_log_group(changes: Changes, name: str, retention_days: int, kms_key_arn: str = "") -> None:
    """Create the log group if it is missing, with the baseline's retention (never "never expire") and,
    when configured, its KMS key, at once.

    An existing group is left as it is: its retention and key are the other controls' business.
    """
    if not read_log_groups(changes.clients, name):
        changes.call(
            "logs", "create_log_group", logGroupName=name, **({"kmsKeyId": kms_key_arn} if kms_key_arn else {})
        )
        changes.call("logs", "put_retention_policy", logGroupName=name, retentionInDays=retention_days)
