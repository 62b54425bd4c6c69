"""Organization sweep: N emulated member accounts x R regions through the stack's own sweeper and evaluator.

    .venv/bin/python -m benchmarks.organization [--accounts 100,300,1000] [--regions us-east-1,eu-west-1]

For each N, a fresh moto server (its own process) holds N member accounts (moto partitions resources by
the account of the assumed role), each with a log group that never expires in every region. The sweeper
queues one message per (account, region); the evaluator drains them one batch at a time, as one Lambda
container would, assuming each member's read role and importing the findings into that member. Every AWS
call is counted (botocore hook), per function and per member account. Lambda runs the evaluator with up
to EvaluatorConcurrency containers at once; the projected wall time divides the measured evaluator time
by that concurrency (the emulator itself is one process and cannot show parallel speed-up).

Writes benchmarks/results/organization.json and .md. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.client import BaseClient
from logbaseline.aws import Clients
from logbaseline.emulator import CREDENTIALS, REGION, patched_environ
from logbaseline.local import LocalStack

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
# Account-level controls that every member needs, without the emulator's one-second EC2 set-up per
# account and region (which measures moto, not logbaseline).
DEFAULT_CONTROLS = (
    "logs_log_group_retention_bounded",
    "cloudtrail_multi_region_logging",
    "config_recorder_active",
    "guardduty_enabled",
)
TEMPLATE_CONCURRENCY = 5  # EvaluatorConcurrency's default in template.yaml


class CallCounter:
    """Every AWS call the functions make, by function and by the account of the credentials."""

    def __init__(self) -> None:
        self.by_action: Counter[str] = Counter()
        self.by_account: Counter[str] = Counter()
        self.active = False
        self._original = BaseClient._make_api_call

    def __enter__(self) -> CallCounter:
        counter = self

        def make_api_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if counter.active:
                counter.by_action[f"{client.meta.service_model.signing_name}:{operation}"] += 1
                key = client._request_signer._credentials.access_key  # noqa: SLF001 - which account signs
                counter.by_account[key] += 1
            return counter._original(client, operation, params)

        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        BaseClient._make_api_call = self._original  # type: ignore[method-assign]


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    """moto's server in its own process (the functions and the emulator do not share one interpreter)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("moto's server did not start")
            time.sleep(0.1)
        with patched_environ({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", **CREDENTIALS}):
            yield f"http://127.0.0.1:{port}"
    finally:
        server.kill()  # its state is thrown away: no need to wait for a graceful stop
        server.wait()


def seed(accounts: list[str], regions: list[str]) -> None:
    """Each member's gaps, made with its own credentials (in threads: the emulator is another process)."""
    loader = botocore.session.get_session().get_component("data_loader")
    sts = boto3.client("sts", region_name=REGION)

    def seed_account(account: str) -> None:
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="seeding"
        )["Credentials"]
        member = botocore.session.Session()
        member.register_component("data_loader", loader)
        member.set_credentials(credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
        session = boto3.Session(botocore_session=member)
        for region in regions:
            Clients(region, session)("logs").create_log_group(logGroupName=f"/app/{account}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(seed_account, accounts))


def sweep(count: int, regions: list[str], controls: tuple[str, ...]) -> dict[str, Any]:
    accounts = [f"3{n:011d}" for n in range(1, count + 1)]
    with moto_process():
        started = time.perf_counter()
        seed(accounts, regions)
        seeding = time.perf_counter() - started
        stack = LocalStack(
            ROOT,
            REGION,
            {
                "LOGBASELINE_ACCOUNTS": ",".join(accounts),
                "LOGBASELINE_REGIONS": ",".join(regions),
                "LOGBASELINE_CONTROLS": ",".join(controls),
                "LOGBASELINE_REMEDIATION_MODES": ",".join(f"{c}=off" for c in controls),
            },
        )
        with CallCounter() as calls:
            calls.active = True
            started = time.perf_counter()
            queued = stack.invoke(
                "sweeper",
                {
                    "version": "0",
                    "id": "bench",
                    "detail-type": "Scheduled Event",
                    "source": "aws.events",
                    "account": stack.account_id,
                    "time": "2026-11-29T00:00:00Z",
                    "region": REGION,
                    "resources": [],
                    "detail": {},
                },
            )["requests"]
            sweeper_seconds = time.perf_counter() - started
            sweeper_calls = sum(calls.by_action.values())
            started = time.perf_counter()
            delivery = stack.drain("EvaluationQueue", "evaluator")
            evaluator_seconds = time.perf_counter() - started
            calls.active = False
        # Each member's calls are signed with its own assumed key; the home account's are the rest.
        member_calls = sorted(v for k, v in calls.by_account.items() if k != "testing")
        sample = accounts[:: max(1, count // 5)]
        landed = sum(1 for account in sample for region in regions if findings_of(account, region))
        return {
            "accounts": count,
            "regions": len(regions),
            "controls": list(controls),
            "messages": queued,
            "delivered": delivery.delivered,
            "failed": len(delivery.failed),
            "seeding_s": round(seeding, 2),
            "sweeper_s": round(sweeper_seconds, 3),
            "sweeper_calls": sweeper_calls,
            "evaluator_s": round(evaluator_seconds, 2),
            "evaluator_ms_per_message": round(1000 * evaluator_seconds / max(queued, 1), 1),
            "projected_wall_s_at_template_concurrency": round(evaluator_seconds / TEMPLATE_CONCURRENCY, 1),
            "calls_total": sum(calls.by_action.values()),
            "calls_per_member_account_median": statistics.median(member_calls) if member_calls else 0,
            "calls_per_member_account_max": max(member_calls, default=0),
            "calls_by_action": dict(calls.by_action.most_common()),
            "findings_landed_in_sampled_member_regions": f"{landed}/{len(sample) * len(regions)}",
        }


def findings_of(account: str, region: str) -> list[dict[str, Any]]:
    sts = boto3.client("sts", region_name=REGION)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="checking"
    )["Credentials"]
    securityhub = boto3.client(
        "securityhub",
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    return securityhub.get_findings()["Findings"]


def markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| accounts | regions | messages | evaluator s | ms/message | projected wall s (concurrency 5) "
        "| calls/member (median) | sweeper s | findings landed (sample) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run['accounts']} | {run['regions']} | {run['messages']} | {run['evaluator_s']} "
            f"| {run['evaluator_ms_per_message']} | {run['projected_wall_s_at_template_concurrency']} "
            f"| {run['calls_per_member_account_median']} | {run['sweeper_s']} "
            f"| {run['findings_landed_in_sampled_member_regions']} |"
        )
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        growth = last["evaluator_s"] / first["evaluator_s"]
        lines += ["", f"Accounts x{last['accounts'] / first['accounts']:.0f}: evaluator time x{growth:.1f}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.organization", description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", default="100,300,1000", help="comma-separated account counts")
    parser.add_argument("--regions", default="us-east-1,eu-west-1")
    parser.add_argument("--controls", default=",".join(DEFAULT_CONTROLS))
    args = parser.parse_args(argv)
    regions = args.regions.split(",")
    controls = tuple(args.controls.split(","))
    runs = []
    for count in (int(n) for n in args.accounts.split(",")):
        run = sweep(count, regions, controls)
        print(json.dumps({k: v for k, v in run.items() if k != "calls_by_action"}), file=sys.stderr, flush=True)
        runs.append(run)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "organization.json").write_text(json.dumps(runs, indent=2) + "\n")
    (RESULTS / "organization.md").write_text(markdown(runs))
    print(markdown(runs))
    return 0 if all(r["failed"] == 0 and r["delivered"] == r["messages"] for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
