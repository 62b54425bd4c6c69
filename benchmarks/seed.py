"""One emulated account (us-east-1) with many log groups and VPCs, a few trails and buckets, and what each is."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from logbaseline.aws import Clients

REGION = "us-east-1"
FLOW_LOG_BUCKET = "benchmark-flow-logs"

# Log-group retention classes, cycled over the groups so every size has each class.
# None is never expire (no retentionInDays); 3653 is above the baseline's ceiling of 2557.
RETENTION_CYCLE: tuple[int | None, ...] = (None, 30, 90, 365, 731, 3653, 7, 400)
TRAIL_COUNT = 3
BUCKET_COUNT = 12


@dataclass
class Inventory:
    """What was seeded, for the lower bound of API calls and for the verdict check."""

    account_id: str
    log_groups: dict[str, int | None] = field(default_factory=dict)  # name -> retentionInDays
    vpcs: dict[str, bool] = field(default_factory=dict)  # vpc id -> has a flow log (the default VPC included)
    trails: list[str] = field(default_factory=list)
    trail_buckets: list[str] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        retention = {str(days): 0 for days in RETENTION_CYCLE}
        for days in self.log_groups.values():
            retention[str(days)] += 1
        return {
            "log_groups": len(self.log_groups),
            "log_groups_by_retention_days": retention,
            "vpcs": len(self.vpcs),
            "vpcs_with_flow_logs": sum(self.vpcs.values()),
            "trails": len(self.trails),
            "buckets": len(self.buckets),
        }


def seed(clients: Clients, log_groups: int, vpcs: int) -> Inventory:
    account_id = clients("sts").get_caller_identity()["Account"]
    inventory = Inventory(account_id)
    _seed_buckets_and_trails(clients, inventory)
    # Straight into the in-process emulator's backend: thousands of create calls over HTTP take minutes.
    from moto.logs.models import logs_backends

    logs = logs_backends[account_id][REGION]
    for index in range(log_groups):
        name = f"/benchmark/app-{index:05d}"
        retention = RETENTION_CYCLE[index % len(RETENTION_CYCLE)]
        logs.create_log_group(name, {})
        if retention is not None:
            logs.put_retention_policy(name, retention)
        inventory.log_groups[name] = retention
    _seed_vpcs(clients, inventory, vpcs)
    return inventory


def _seed_buckets_and_trails(clients: Clients, inventory: Inventory) -> None:
    s3 = clients("s3")
    s3.create_bucket(Bucket=FLOW_LOG_BUCKET)
    # The same bucket takes the access logs of every other bucket, so its policy lets S3 logging write.
    delivery = {"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject"}
    delivery["Resource"] = f"arn:aws:s3:::{FLOW_LOG_BUCKET}/*"
    s3.put_bucket_policy(Bucket=FLOW_LOG_BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [delivery]}))
    inventory.buckets.append(FLOW_LOG_BUCKET)
    for index in range(BUCKET_COUNT - 1):
        bucket = f"benchmark-bucket-{index:02d}-{inventory.account_id}"
        s3.create_bucket(Bucket=bucket)
        if index % 2:
            s3.put_bucket_logging(
                Bucket=bucket,
                BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": FLOW_LOG_BUCKET, "TargetPrefix": bucket}},
            )
        inventory.buckets.append(bucket)
    cloudtrail = clients("cloudtrail")
    for index in range(TRAIL_COUNT):
        name = f"benchmark-trail-{index}"
        cloudtrail.create_trail(
            Name=name,
            S3BucketName=inventory.buckets[1 + index],
            IsMultiRegionTrail=index == 0,
            EnableLogFileValidation=index % 2 == 0,
        )
        if index == 0:
            cloudtrail.start_logging(Name=name)
        inventory.trails.append(name)
        inventory.trail_buckets.append(inventory.buckets[1 + index])


def _seed_vpcs(clients: Clients, inventory: Inventory, count: int) -> None:
    ec2 = clients("ec2")
    for vpc in ec2.describe_vpcs()["Vpcs"]:  # the region's default VPC
        inventory.vpcs[vpc["VpcId"]] = False
    blocks = (f"10.{index // 256}.{index % 256}.0/24" for index in range(count))
    created = [ec2.create_vpc(CidrBlock=block)["Vpc"]["VpcId"] for block in blocks]
    with_flow_logs = created[::2]  # every other VPC
    for start in range(0, len(with_flow_logs), 25):
        response = ec2.create_flow_logs(
            ResourceType="VPC",
            ResourceIds=with_flow_logs[start : start + 25],
            TrafficType="ALL",
            LogDestinationType="s3",
            LogDestination=f"arn:aws:s3:::{FLOW_LOG_BUCKET}",
        )
        if response.get("Unsuccessful"):
            raise RuntimeError(f"flow logs not created: {response['Unsuccessful']}")
    for vpc_id in created:
        inventory.vpcs[vpc_id] = False
    for vpc_id in with_flow_logs:
        inventory.vpcs[vpc_id] = True
