"""Scale under AWS's quotas: one large account swept with and without workflow updates, an organization's sweep,
and a tamper event during a flood. Run with `.venv/bin/python -m benchmarks.quotas [--quick]`.

Everything runs on the embedded emulator behind its gateway (AWS's published request rates, Security Hub as AWS
answers: logbaseline/emulation/). Writes benchmarks/results/quotas.json and quotas.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from logbaseline import emulator
from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY
from logbaseline.local import LocalStack
from logbaseline.quotas import rate_of

from benchmarks.seed import REGION, seed

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
FUNCTION_TIMEOUT_SECONDS = 60  # template.yaml, Globals
SCHEDULE = ROOT / "events" / "schedule" / "scheduled-event.json"
SECURITY_HUB_OPERATIONS = ("BatchImportFindings", "BatchUpdateFindings", "GetFindings")


class Timed(LocalStack):
    """The local stack, noting how long each invocation of each function takes."""

    durations: dict[str, list[float]]

    def invoke(self, role: str, event: Any) -> Any:
        started = time.monotonic()
        try:
            return super().invoke(role, event)
        finally:
            self.durations.setdefault(role, []).append(time.monotonic() - started)


def stack(environment: dict[str, str]) -> Timed:
    stack = Timed(ROOT, REGION, {"POWERTOOLS_METRICS_DISABLED": "true", **environment})
    stack.durations = {}
    return stack


def _extra_buckets(clients: Clients, count: int, account_id: str) -> None:
    s3 = clients("s3")
    for index in range(count):
        s3.create_bucket(Bucket=f"benchmark-extra-{index:03d}-{account_id}")


def large_account(endpoint: str, log_groups: int, vpcs: int, buckets: int, workflow: bool) -> dict[str, Any]:
    """One account swept once (from nothing) and once more (steady state), with or without workflow updates."""
    emulator.reset(endpoint)
    clients = Clients(REGION)
    inventory = seed(clients, log_groups, vpcs)
    _extra_buckets(clients, max(0, buckets - len(inventory.buckets)), inventory.account_id)
    # Fixes off: the question is Security Hub's publication; thousands of fix requests would measure moto's SQS,
    # whose every send scans the whole queue (AWS's does not).
    fixes_off = ",".join(f"{control_id}=off" for control_id in REGISTRY)
    local = stack(
        {"LOGBASELINE_WORKFLOW_UPDATES": "true" if workflow else "false", "LOGBASELINE_REMEDIATION_MODES": fixes_off}
    )
    gateway = emulator.GATEWAY
    assert gateway is not None
    sweeps = []
    for label in ("first sweep", "second sweep"):
        gateway.calls.clear()
        gateway.throttled.clear()
        gateway.seconds = 0.0
        local.durations = {}
        started = time.monotonic()
        local.invoke("sweeper", json.loads(SCHEDULE.read_text()))
        delivery = local.drain("EvaluationQueue", "evaluator")
        wall = time.monotonic() - started
        calls = {op: gateway.calls[("securityhub", op)] for op in SECURITY_HUB_OPERATIONS}
        bound = sum(calls[op] / rate_of("securityhub", op).per_second for op in SECURITY_HUB_OPERATIONS)
        evaluations = local.durations.get("evaluator", [])
        sweeps.append(
            {
                "sweep": label,
                "evaluator_invocations": len(evaluations),
                "longest_invocation_s": round(max(evaluations), 2),
                "within_timeout": max(evaluations) < FUNCTION_TIMEOUT_SECONDS,
                "dead_lettered": len(delivery.failed),
                "security_hub_calls": calls,
                "throttled": {f"{s}:{o}": n for (s, o), n in gateway.throttled.items()},
                "quota_bound_s": round(bound, 1),
                "wall_s": round(wall, 1),
                "emulator_s": round(gateway.seconds, 1),  # moto's and the emulated Security Hub's own time
                "wall_over_bound": round(wall / bound, 2) if bound else None,
            }
        )
    hub = gateway.hubs(inventory.account_id, REGION)
    return {
        "log_groups": log_groups,
        "vpcs": vpcs + 1,  # the default VPC
        "buckets": len(clients("s3").list_buckets()["Buckets"]),
        "workflow": workflow,
        "findings": len(hub.findings),
        "sweeps": sweeps,
        # What the earlier design needed: a GetFindings lookup of every 20 findings before importing.
        "lookups_before_import_earlier_design": math.ceil(len(hub.findings) / 20),
        "earlier_design_lookup_s": round(math.ceil(len(hub.findings) / 20) / 3, 1),
    }


def flood(endpoint: str, events: int) -> dict[str, Any]:
    """One account floods gap events (each asking for a fix), then a trail is stopped: how long it stays stopped.
    Measured on the local stack, where each queue is drained as its own pollers would; the per-message times
    measured on the backlog project it to 50,000 events, with and without the priority queues."""
    emulator.reset(endpoint)
    clients = Clients(REGION)
    account_id = clients("sts").get_caller_identity()["Account"]
    clients("s3").create_bucket(Bucket=f"trail-{account_id}")
    cloudtrail = clients("cloudtrail")
    cloudtrail.create_trail(Name="main", S3BucketName=f"trail-{account_id}", IsMultiRegionTrail=True)
    cloudtrail.put_event_selectors(  # as a new trail has in AWS (docs/emulator-gaps.md)
        TrailName="main", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    local = stack({})
    template = json.loads((ROOT / "events/cloudtrail/logs-CreateLogGroup.json").read_text())

    def gap_events(first: int, count: int) -> list[dict[str, Any]]:
        made = []
        for index in range(first, first + count):
            name = f"/flood/{index:05d}"
            clients("logs").create_log_group(logGroupName=name)  # never expires: each asks for a fix
            made.append(json.loads(json.dumps(template).replace("/aws/lambda/orders-api", name)))
        return made

    # The first half is evaluated (its fix requests queue up), the second still waits to be.
    local.put_events(gap_events(0, events // 2))
    started = time.monotonic()
    evaluated = local.drain("EvaluationQueue", "evaluator", only_this_queue=True).delivered
    per_evaluation = (time.monotonic() - started) / max(1, evaluated)
    local.put_events(gap_events(events // 2, events - events // 2))
    backlog = {"evaluations": local.queue_depth("EvaluationQueue"), "fixes": local.queue_depth("FixQueue")}
    stop = json.loads((ROOT / "events/cloudtrail/cloudtrail-StopLogging.json").read_text())
    stop["detail"]["requestParameters"]["name"] = f"arn:aws:cloudtrail:{REGION}:{account_id}:trail/main"
    cloudtrail.stop_logging(Name="main")
    stopped = time.monotonic()
    local.put_events([stop])
    local.drain("PriorityEvaluationQueue", "evaluator", only_this_queue=True)  # the priority queues' own pollers
    local.drain("PriorityFixQueue", "remediator", only_this_queue=True)
    if not cloudtrail.get_trail_status(Name="main")["IsLogging"]:
        raise RuntimeError("the stopped trail was not restarted from the priority queues")
    restarted_after = time.monotonic() - stopped
    started = time.monotonic()
    fixed = local.drain("FixQueue", "remediator", only_this_queue=True).delivered
    per_fix = (time.monotonic() - started) / max(1, fixed)
    evaluators, remediators = 5, 2  # EvaluatorConcurrency's and RemediatorConcurrency's defaults

    def one_queue_each(total: int) -> float:
        """Without the priority queues: the StopLogging waits behind half the flood's evaluations, its fix behind
        the other half's fixes."""
        return (total // 2) * per_evaluation / evaluators + (total // 2) * per_fix / remediators + restarted_after

    return {
        "flood_events": events,
        "backlog_when_the_trail_stopped": backlog,
        "restart_delay_s": round(restarted_after, 2),
        "evaluator_s_per_message": round(per_evaluation, 3),
        "remediator_s_per_message": round(per_fix, 3),
        "one_queue_each_restart_delay_s": round(one_queue_each(events), 1),
        "projected_50000": {
            "one_queue_each_restart_delay_s": round(one_queue_each(50_000), 1),
            "priority_queues_restart_delay_s": round(restarted_after, 2),
        },
    }


def organization(accounts: int, regions: int) -> dict[str, Any]:
    """From the measured organization sweep (benchmarks/results/organization.json): the evaluator time per message,
    projected to accounts x regions messages on EvaluatorConcurrency containers."""
    measured = json.loads((RESULTS / "organization.json").read_text())
    largest = max(measured, key=lambda r: r["accounts"])
    per_message = largest["evaluator_ms_per_message"] / 1000
    messages = accounts * regions
    return {
        "accounts": accounts,
        "regions": regions,
        "messages": messages,
        "measured_on": f"{largest['accounts']} accounts x {largest['regions']} regions, "
        f"{len(largest['controls'])} controls, benchmarks/organization.py",
        "evaluator_s_per_message": round(per_message, 3),
        "projected_wall_s_concurrency_5": round(messages * per_message / 5, 1),
        "projected_wall_s_concurrency_50": round(messages * per_message / 50, 1),
        "security_hub_calls_per_message": "1 import, 4 workflow queries: each member account has its own quota",
        "bottleneck": "the evaluator's concurrency (EvaluatorConcurrency): Security Hub and STS quotas are per "
        "account and region, and a member sweep makes a handful of calls on each",
    }


def markdown(results: dict[str, Any]) -> str:
    lines = ["# Scale under AWS's quotas", ""]
    lines += [
        "| workflow | sweep | findings | invocations | longest s | within 60 s | dead-lettered | imports | updates "
        "| GetFindings | throttled | quota-bound s | wall s | of which emulator s | wall / bound |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for run in results["large_account"]:
        for sweep in run["sweeps"]:
            calls = sweep["security_hub_calls"]
            lines.append(
                f"| {'on' if run['workflow'] else 'off'} | {sweep['sweep']} | {run['findings']} "
                f"| {sweep['evaluator_invocations']} | {sweep['longest_invocation_s']} | {sweep['within_timeout']} "
                f"| {sweep['dead_lettered']} | {calls['BatchImportFindings']} | {calls['BatchUpdateFindings']} "
                f"| {calls['GetFindings']} | {sweep['throttled'] or 'none'} | {sweep['quota_bound_s']} "
                f"| {sweep['wall_s']} | {sweep['emulator_s']} | {sweep['wall_over_bound']} |"
            )
    run = results["large_account"][0]
    lines += [
        "",
        f"Account: {run['log_groups']} log groups, {run['vpcs']} VPCs, {run['buckets']} buckets. The earlier design "
        f"looked up every finding before importing: {run['lookups_before_import_earlier_design']} GetFindings, "
        f"at least {run['earlier_design_lookup_s']} s at 3 per second, before the first import.",
        "",
    ]
    flood_result = results["flood"]
    backlog = flood_result["backlog_when_the_trail_stopped"]
    lines += [
        "## A tamper event during a flood",
        "",
        f"{flood_result['flood_events']} gap events from one account, {backlog['evaluations']} still to evaluate and "
        f"{backlog['fixes']} fixes queued when a trail is stopped: it was logging again after "
        f"{flood_result['restart_delay_s']} s (measured, through the priority queues). Without them, at "
        f"{flood_result['evaluator_s_per_message']} s per evaluation (5 evaluators) and "
        f"{flood_result['remediator_s_per_message']} s per fix (2 remediators), it would have waited "
        f"{flood_result['one_queue_each_restart_delay_s']} s, and "
        f"{flood_result['projected_50000']['one_queue_each_restart_delay_s']} s behind 50,000 events; the priority "
        "queues keep it where it was, whatever the flood's size.",
        "",
    ]
    org = results["organization"]
    lines += [
        "## An organization's sweep",
        "",
        f"{org['accounts']} accounts x {org['regions']} regions = {org['messages']} messages at "
        f"{org['evaluator_s_per_message']} s each ({org['measured_on']}, measured): "
        f"{org['projected_wall_s_concurrency_5']} s with 5 evaluators, {org['projected_wall_s_concurrency_50']} s "
        f"with 50. Bottleneck: {org['bottleneck']}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes, to check the harness")
    parser.add_argument("--only", choices=("large_account", "flood", "organization"), help="run one part again")
    args = parser.parse_args(argv)
    scale = 10 if args.quick else 1
    name = "quotas-quick" if args.quick else "quotas"
    earlier = RESULTS / f"{name}.json"
    results: dict[str, Any] = json.loads(earlier.read_text()) if args.only and earlier.exists() else {}
    with emulator.moto_server() as endpoint:
        if args.only in (None, "large_account"):
            results["large_account"] = []
            for workflow in (True, False):
                print(f"large account, workflow {'on' if workflow else 'off'}", file=sys.stderr)
                results["large_account"].append(
                    large_account(endpoint, 10_000 // scale, 1_000 // scale, 200 // scale, workflow)
                )
        if args.only in (None, "flood"):
            print("flood", file=sys.stderr)
            results["flood"] = flood(endpoint, 2_000 // scale)
    if args.only in (None, "organization"):
        results["organization"] = organization(1_000, 4)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown(results) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
