"""What the digest verifier (cloudtrail_log_integrity_verified) reads and costs per trail-day.

One trail delivering to one region, on the emulator: hourly signed digests, `--logs-per-hour` log files each hour
(CloudTrail delivers about every 5 minutes, so 12 is a quiet account's figure). The verifier runs at the sweep's
rate (`--runs-per-day`, the template's default rate(6 hours) is 4) from a checkpoint, as deployed; the calls are
counted at the client, then priced with AWS's published us-east-1 prices. A first run (no checkpoint: a day back)
is measured apart. Writes benchmarks/results/integrity.{json,md}.

    .venv/bin/python -m benchmarks.integrity [--days 2] [--logs-per-hour 12] [--runs-per-day 4]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from logbaseline.aws import Clients
from logbaseline.checkpoints import MemoryCheckpoints, keeping_checkpoints
from logbaseline.controls.cloudtrail_log_integrity_verified import CONTROL
from logbaseline.emulation.trail_digests import TrailDelivery
from logbaseline.emulator import REGION, moto_server, reset
from logbaseline.models import Scope, Status

RESULTS = Path(__file__).resolve().parent / "results"
# AWS's published prices, us-east-1, as of the measurement (S3 Standard requests; DynamoDB on-demand; Lambda arm64).
PRICES = {
    "s3_get_per_1000": 0.0004,
    "s3_list_per_1000": 0.005,
    "dynamodb_read_per_million": 0.125,
    "dynamodb_write_per_million": 0.625,
    "lambda_arm_gb_second": 0.0000133334,
}
LAMBDA_GB = 0.5  # the template's MemorySize: 512


class CountingCheckpoints(MemoryCheckpoints):
    """Counts what the checkpoint table would be asked: one GetItem per run, one PutItem when it advances."""

    def __init__(self) -> None:
        super().__init__()
        self.gets = self.puts = 0

    def get(self, key: str) -> Any:
        self.gets += 1
        return super().get(key)

    def advance(self, key: str, position: str, value: Any) -> None:
        self.puts += 1
        super().advance(key, position, value)


def run_once(clients: Clients, account: str, store: CountingCheckpoints) -> tuple[Any, float]:
    started = time.perf_counter()
    with keeping_checkpoints(store):
        [resource] = CONTROL.collect(clients, Scope(account, REGION))
    seconds = time.perf_counter() - started
    verdict = CONTROL.evaluate(resource, {})
    assert verdict.status is Status.PASSED, verdict.reason
    return resource, seconds


def cost(calls: Counter[str], store: CountingCheckpoints, seconds: float) -> dict[str, float]:
    s3 = calls["GetObject"] / 1000 * PRICES["s3_get_per_1000"] + calls["ListObjectsV2"] / 1000 * PRICES[
        "s3_list_per_1000"]  # fmt: skip
    dynamodb = store.gets / 1e6 * PRICES["dynamodb_read_per_million"] + store.puts / 1e6 * PRICES[
        "dynamodb_write_per_million"]  # fmt: skip
    compute = seconds * LAMBDA_GB * PRICES["lambda_arm_gb_second"]
    return {"s3": s3, "dynamodb": dynamodb, "lambda": compute, "total": s3 + dynamodb + compute}


def measure(days: int, logs_per_hour: int, runs_per_day: int) -> dict[str, Any]:
    with moto_server(throttling=False) as endpoint:
        reset(endpoint)
        from logbaseline import emulator

        clients = Clients(REGION)
        account = clients("sts").get_caller_identity()["Account"]
        bucket, name = f"trail-logs-{account}", "management-events"
        clients("s3").create_bucket(Bucket=bucket)
        clients("cloudtrail").create_trail(Name=name, S3BucketName=bucket, EnableLogFileValidation=True)
        calls: Counter[str] = Counter()
        for service in ("s3", "cloudtrail"):
            clients(service).meta.events.register(
                f"before-call.{service}", lambda model, **kwargs: calls.update([model.name])
            )
        key = emulator.GATEWAY.signing_keys.private_key(REGION)  # type: ignore[union-attr]
        delivery = TrailDelivery(Clients(REGION)("s3"), key, account, REGION, name, bucket)  # its writes uncounted
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=24)

        # A first run: no checkpoint, a day of digests back.
        for _ in range(24):
            hour += timedelta(hours=1)
            delivery.deliver_hour(hour, logs_per_hour)
        first_store = CountingCheckpoints()
        resource, first_seconds = run_once(clients, account, first_store)
        first = {"calls": dict(calls), "digests": resource.state["digests"], "log_files": resource.state["log_files"]}
        first |= {"seconds": round(first_seconds, 3), "cost_usd": cost(calls, first_store, first_seconds)}

        # Steady state: from that checkpoint, a run per sweep.
        calls.clear()
        store = CountingCheckpoints()
        store.kept, seconds, verified = dict(first_store.kept), 0.0, Counter()
        for _ in range(days * runs_per_day):
            for _ in range(24 // runs_per_day):
                hour += timedelta(hours=1)
                delivery.deliver_hour(hour, logs_per_hour)
            resource, spent = run_once(clients, account, store)
            seconds += spent
            verified.update(digests=resource.state["digests"], log_files=resource.state["log_files"])
        total = cost(calls, store, seconds)
        per_day = {k: v / days for k, v in total.items()}
        return {
            "setup": {"days": days, "logs_per_hour": logs_per_hour, "runs_per_day": runs_per_day, "region": REGION},
            "prices": PRICES,
            "first_run": first,
            "per_trail_day": {
                "calls": {k: v / days for k, v in calls.items()},
                "checkpoint_reads": store.gets / days,
                "checkpoint_writes": store.puts / days,
                "digests": verified["digests"] / days,
                "log_files": verified["log_files"] / days,
                "seconds_on_emulator": round(seconds / days, 3),
                "cost_usd": per_day,
            },
        }


def markdown(result: dict[str, Any]) -> str:
    setup, day, first = result["setup"], result["per_trail_day"], result["first_run"]
    lines = [
        "# The digest verifier's reads and cost per trail-day",
        "",
        f"One trail, one region, {setup['logs_per_hour']} log files an hour, verified {setup['runs_per_day']} times a "
        f"day from a checkpoint, over {setup['days']} day(s) on the emulator (`python -m benchmarks.integrity`). "
        "Calls counted at the client; prices are AWS's published us-east-1 prices (S3 Standard requests, DynamoDB "
        "on-demand, Lambda arm64 at 512 MB); the time is the emulator's, an upper bound for the hashing and RSA work "
        "and not a measure of S3's latency.",
        "",
        "| per trail-day | count |",
        "|---|---|",
    ]
    lines += [f"| {name} | {count:g} |" for name, count in sorted(day["calls"].items())]
    lines += [
        f"| checkpoint GetItem / PutItem | {day['checkpoint_reads']:g} / {day['checkpoint_writes']:g} |",
        f"| digests / log files verified | {day['digests']:g} / {day['log_files']:g} |",
        f"| seconds (emulator) | {day['seconds_on_emulator']:g} |",
        "",
        "| cost per trail-day (USD) | S3 | DynamoDB | Lambda | total |",
        "|---|---|---|---|---|",
        "| steady state | "
        + " | ".join(f"{day['cost_usd'][k]:.7f}" for k in ("s3", "dynamodb", "lambda", "total"))
        + " |",
        "| first run (a day back, no checkpoint) | "
        + " | ".join(f"{first['cost_usd'][k]:.7f}" for k in ("s3", "dynamodb", "lambda", "total"))
        + " |",
        "",
        f"The first run read {first['calls']} ({first['digests']} digests, {first['log_files']} log files) in "
        f"{first['seconds']} s. A run reads only what was delivered since its checkpoint: each digest and each log "
        "file once, one listing, and the region's public keys once (none when nothing is new).",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--logs-per-hour", type=int, default=12)
    parser.add_argument("--runs-per-day", type=int, default=4, choices=(1, 2, 3, 4, 6, 8, 12, 24))
    args = parser.parse_args()
    result = measure(args.days, args.logs_per_hour, args.runs_per_day)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "integrity.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "integrity.md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
