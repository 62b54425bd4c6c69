"""`logbaseline demo`: seed an emulated account with logging gaps, and watch them close.

Events in AWS's real shapes (events/) go through the template's own EventBridge
patterns to the evaluator; fixes go to the remediator; findings land in Security Hub.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logbaseline.aws import Clients
from logbaseline.emulator import REGION, moto_server
from logbaseline.engine import AccountClients, scan
from logbaseline.engine.settings import Settings
from logbaseline.local import LocalStack

SAMPLE_ACCOUNT, SAMPLE_VPC = "123456789012", "vpc-0a1b2c3d4e5f67890"
FLOW_LOG_GROUP = "/logbaseline/vpc-flow-logs"
ALL_AUTO = ",".join(
    f"{c}=auto"
    for c in (
        "logs_log_group_retention_bounded",
        "vpc_flow_logs_enabled",
        "cloudtrail_multi_region_logging",
        "cloudtrail_log_file_validation_enabled",
    )
)


@dataclass
class DemoResult:
    before: list[dict[str, str]]
    after: list[dict[str, str]]
    findings: list[dict[str, Any]]
    events_sent: int
    evaluations: int
    fixes: int
    dead_lettered: int


def seed_gaps(clients: Clients) -> dict[str, str]:
    """An account with one gap of each kind, and one log group a person must decide about."""
    logs = clients("logs")
    logs.create_log_group(logGroupName="/aws/lambda/orders-api")  # never expires
    logs.create_log_group(logGroupName="/aws/lambda/payments-api")
    logs.put_retention_policy(logGroupName="/aws/lambda/payments-api", retentionInDays=30)  # below the floor
    logs.create_log_group(logGroupName="/aws/lambda/audit-archive")
    logs.put_retention_policy(logGroupName="/aws/lambda/audit-archive", retentionInDays=3653)  # above the ceiling
    logs.create_log_group(logGroupName="/aws/lambda/reporting")
    logs.put_retention_policy(logGroupName="/aws/lambda/reporting", retentionInDays=400)  # within bounds
    vpc_id = clients("ec2").create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]  # no flow log
    bucket = f"org-cloudtrail-logs-{clients('sts').get_caller_identity()['Account']}"
    clients("s3").create_bucket(Bucket=bucket)
    # Multi-region, validation off, and stopped (as after a StopLogging).
    cloudtrail = clients("cloudtrail")
    cloudtrail.create_trail(
        Name="management-events", S3BucketName=bucket, IsMultiRegionTrail=True, EnableLogFileValidation=False
    )
    # AWS gives a new trail this selector by default; moto leaves it empty (docs/emulator-gaps.md).
    cloudtrail.put_event_selectors(
        TrailName="management-events", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    return {SAMPLE_VPC: vpc_id}


def sample_events(events_dir: Path, account_id: str, replacements: dict[str, str]) -> list[dict[str, Any]]:
    """The sample events, renamed to the seeded resources (moto picks VPC ids at random)."""
    events = []
    for path in sorted((events_dir / "cloudtrail").glob("*.json")) + sorted((events_dir / "config").glob("*.json")):
        text = path.read_text().replace(SAMPLE_ACCOUNT, account_id)
        for old, new in replacements.items():
            text = text.replace(old, new)
        events.append(json.loads(text))
    return events


def run(root: Path, say: Callable[[str], None] = print) -> DemoResult:
    with moto_server() as endpoint:
        say(f"AWS emulator (moto) at {endpoint}, region {REGION}")
        clients = Clients(REGION)
        renames = seed_gaps(clients)
        stack = LocalStack(
            root,
            REGION,
            {"LOGBASELINE_REMEDIATION_MODES": ALL_AUTO, "LOGBASELINE_FLOW_LOG_DESTINATION": FLOW_LOG_GROUP},
        )
        settings = Settings.from_env(stack.environment)
        account = AccountClients(stack.account_id)

        def compliance() -> list[dict[str, str]]:
            return [o.as_row() for o in scan(account, stack.account_id, [REGION], settings=settings)]

        before = compliance()
        events = sample_events(root / "events", stack.account_id, renames)
        sent = stack.put_events(events)
        say(f"sent {sent} sample events through the template's EventBridge rules")
        evaluated = stack.drain("EvaluationQueue", "evaluator")
        fixed = stack.drain("FixQueue", "remediator")
        say(f"evaluator: {evaluated.delivered} messages; remediator: {fixed.delivered} fix requests")
        stack.invoke("sweeper", json.loads((root / "events/schedule/scheduled-event.json").read_text()))
        swept = stack.drain("EvaluationQueue", "evaluator")
        swept_fixes = stack.drain("FixQueue", "remediator")
        say(f"drift sweep: {swept.delivered} evaluation requests, {swept_fixes.delivered} fix requests")
        after = compliance()
        dead = stack.queue_depth("EvaluationDeadLetterQueue") + stack.queue_depth("FixDeadLetterQueue")
        return DemoResult(
            before,
            after,
            stack.findings(),
            sent,
            evaluated.delivered + swept.delivered,
            fixed.delivered + swept_fixes.delivered,
            dead,
        )
