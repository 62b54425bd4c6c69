"""Log destinations that fixes send logs to, shared by the controls that create them."""

from __future__ import annotations

from logbaseline.controls.base import Changes
from logbaseline.controls.logs_log_group_retention_bounded import read_log_groups


def is_s3_arn(destination: str) -> bool:
    return destination.startswith("arn:") and ":s3:::" in destination


def ensure_log_group(changes: Changes, name: str, retention_days: int) -> None:
    """Create the log group if it is missing, with the baseline's retention at once (never "never expire").

    An existing group is left as it is: its retention is the retention control's business.
    """
    if not read_log_groups(changes.clients, name):
        changes.call("logs", "create_log_group", logGroupName=name)
        changes.call("logs", "put_retention_policy", logGroupName=name, retentionInDays=retention_days)
