"""logbaseline against Cloud Custodian and Prowler on one emulated account: wall time, verdicts, API calls,
single events, cold imports, scaling and cost. Writes benchmarks/results/latest.{json,md,png}.

    .venv/bin/python -m benchmarks.peers            # 2000 log groups, 200 VPCs, 3 runs, scaling 500/2000/8000
    .venv/bin/python -m benchmarks.peers --quick    # fewer resources and runs, to check the harness
    .venv/bin/python -m benchmarks.peers --sweep-only   # the sweep against Cloud Custodian only; writes nothing
    .venv/bin/python -m benchmarks.peers --sweep-only --against main   # and the sweep of another commit, alike
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from logbaseline import emulator
from logbaseline.aws import Clients
from logbaseline.controls import REGISTRY
from logbaseline.controls.logs_log_group_retention_bounded import CEILING

from benchmarks import measures, report, tools
from benchmarks.seed import REGION, Inventory, seed

RESULTS = tools.HERE / "results"

# AWS Lambda prices, us-east-1, Arm (first pricing tier): https://aws.amazon.com/lambda/pricing/
ARM_PRICE_PER_GB_SECOND = 0.0000133334
PRICE_PER_MILLION_REQUESTS = 0.20
MEMORY_MB = 512  # template.yaml: Globals.Function.MemorySize (Architectures: arm64)


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if args.sweep_only:
        return sweep_only(args)
    started = time.perf_counter()
    venvs = {name: tools.ensure_venv(name) for name in tools.PEER_VENVS}
    results: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m benchmarks.peers", *(argv if argv is not None else sys.argv[1:])]),
        "machine": _machine(),
        "source": _source(),
        "versions": {
            "logbaseline": version("logbaseline"),
            "boto3 (logbaseline)": version("boto3"),
            "moto": version("moto"),
            "c7n": tools.tool_version(venvs["custodian"], "c7n"),
            "prowler": tools.tool_version(venvs["prowler"], "prowler"),
        },
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "parameters": {"log_groups": args.log_groups, "vpcs": args.vpcs, "runs": args.runs, "scaling": args.scaling}
        | {
            "scaling_runs": args.scaling_runs,
            "event_repeats": args.event_repeats,
            "import_repeats": args.import_repeats,
        },
    }
    RESULTS.mkdir(exist_ok=True)
    with emulator.moto_server() as endpoint, tempfile.TemporaryDirectory(prefix="logbaseline-bench-") as tmp:
        env, work = tools.emulator_env(endpoint), Path(tmp)
        clients = Clients(REGION)
        say(f"seeding {args.log_groups} log groups and {args.vpcs} VPCs on {endpoint}")
        inventory = seed(clients, args.log_groups, args.vpcs)
        results["inventory"] = inventory.as_dict()
        runs = _timed_runs(env, work, inventory, args.runs)
        results["sweep"] = _summary(runs)
        results["warm_engine_seconds"] = {
            "shared checks": round(measures.warm_scan_seconds(inventory, tools.LOGBASELINE_CONTROLS, args.runs), 3),
            "all controls": round(measures.warm_scan_seconds(inventory, (), args.runs), 3),
            "all controls, read-memo prototype": round(
                measures.warm_scan_seconds(inventory, (), args.runs, memo=True), 3
            ),
        }
        results["agreement"] = agreement(inventory, {tool: tool_runs[0] for tool, tool_runs in runs.items()})
        say(f"agreement: {json.dumps(results['agreement']['summary'])}")

        fix_queue_url = measures.prepare_deployment(clients)
        say("API calls of one drift sweep")
        results["api_calls"] = measures.sweep_calls(inventory, fix_queue_url)
        results["api_calls"]["per_control"] = measures.per_control_calls(inventory)
        results["api_calls"]["with_read_memo"] = measures.sweep_with_memo(inventory, fix_queue_url)
        say("single events")
        results["events"] = measures.single_events(inventory, fix_queue_url, args.event_repeats)
        say("profiles of the scan")
        results["profile"] = {}
        for name, controls in (("shared checks", tools.LOGBASELINE_CONTROLS), ("all controls", ())):
            profile = measures.profile_scan(env, work, controls)
            (RESULTS / f"profile-{name.replace(' ', '-')}.txt").write_text(profile.pop("text"))
            results["profile"][name] = profile

        results["scaling"] = _scaling(endpoint, env, work, args, runs)
    say("cold imports")
    results["cold_import"] = measures.cold_imports(args.import_repeats)
    results["cold_import"]["slowest_imports_ms"] = {
        role: measures.import_breakdown(role) for role in results["cold_import"]["handlers"]
    }
    results["cost"] = cost(results["events"])
    results["targets"] = targets(results)
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["elapsed_seconds"] = round(time.perf_counter() - started, 1)

    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "latest.md").write_text(report.markdown(results))
    subprocess.run(
        [str(venvs["chart"] / "bin" / "python"), str(tools.HERE / "chart.py"), str(RESULTS / "latest.json")],
        check=True,
    )
    print(report.markdown(results))
    return 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--log-groups", type=int, default=2000)
    parser.add_argument("--vpcs", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each tool; the medians are reported")
    parser.add_argument("--scaling", default="500,2000,8000", help="log-group counts of the scaling curve")
    parser.add_argument("--scaling-runs", type=int, default=1, help="timed runs of each tool at the other counts")
    parser.add_argument("--event-repeats", type=int, default=20)
    parser.add_argument("--import-repeats", type=int, default=9)
    parser.add_argument("--quick", action="store_true", help="400 log groups, 40 VPCs, 1 run, scaling 200/400/800")
    parser.add_argument(
        "--sweep-only",
        action="store_true",
        help="logbaseline (shared checks, all controls) against Cloud Custodian at the main size; 5 runs unless "
        "--runs; prints the table and writes nothing",
    )
    parser.add_argument(
        "--against",
        metavar="COMMIT",
        help="with --sweep-only: also time the all-controls sweep of this commit's layer (same venv), in the same runs",
    )
    args = parser.parse_args(argv)
    if args.sweep_only and "--runs" not in (argv if argv is not None else sys.argv[1:]):
        args.runs = 5
    if args.quick:
        args.log_groups, args.vpcs, args.runs, args.scaling = 400, 40, 1, "200,400,800"
        args.event_repeats, args.import_repeats = 5, 3
    args.scaling = sorted({int(n) for n in args.scaling.split(",") if n} | {args.log_groups})
    return args


def say(text: str) -> None:
    print(f"[bench] {text}", flush=True)


def sweep_only(args: argparse.Namespace) -> int:
    """The sweep's wall time against Cloud Custodian's, and their verdicts compared; for a quick check after a
    change (about a minute and a half at 2000 log groups and 5 runs, longer under load). Writes no results file."""
    started, load_at_start = time.perf_counter(), [round(x, 2) for x in os.getloadavg()]
    tools.ensure_venv("custodian")
    with emulator.moto_server() as endpoint, tempfile.TemporaryDirectory(prefix="logbaseline-bench-") as tmp:
        env, work = tools.emulator_env(endpoint), Path(tmp)
        extra: dict[str, Callable[[], tools.Run]] = {}
        if args.against:
            layer = tools.export_layer(args.against, work / "against")
            other_env = env | {"PYTHONPATH": str(layer)}  # that commit's package before the editable one
            name = f"logbaseline (all controls) at {args.against}"
            extra[name] = lambda: replace(tools.run_logbaseline(other_env, work, controls=()), tool=name)
        say(f"seeding {args.log_groups} log groups and {args.vpcs} VPCs on {endpoint}")
        inventory = seed(Clients(REGION), args.log_groups, args.vpcs)
        runs = _timed_runs(env, work, inventory, args.runs, peers=("Cloud Custodian",), extra=extra)
        sweep = _summary(runs)
        disagree = agreement(inventory, {tool: r[0] for tool, r in runs.items()}, peers=("Cloud Custodian",))
    size = f"{args.log_groups} log groups, {len(inventory.vpcs)} VPCs"
    print(f"\nSweep, {size}, median of {args.runs} runs; {len(REGISTRY)} controls registered")
    print("| tool | median s | runs s | / Cloud Custodian |\n|---|---|---|---|")
    custodian = sweep["Cloud Custodian"]["median_seconds"]
    for tool, row in sweep.items():
        runs_text = ", ".join(f"{s:.2f}" for s in row["runs_seconds"])
        print(f"| {tool} | {row['median_seconds']:.2f} | {runs_text} | {row['median_seconds'] / custodian:.2f} |")
    print(f"verdicts against Cloud Custodian: {json.dumps(disagree['summary']['Cloud Custodian'])}")
    load_at_end = [round(x, 2) for x in os.getloadavg()]
    print(f"load average at start {load_at_start}, at end {load_at_end}; {time.perf_counter() - started:.0f} s")
    return 0 if disagree["summary"]["Cloud Custodian"]["disagree"] == 0 else 1


def _timed_runs(
    env: dict[str, str],
    work: Path,
    inventory: Inventory,
    count: int,
    peers: Sequence[str] = ("Cloud Custodian", "Prowler"),
    extra: Mapping[str, Callable[[], tools.Run]] | None = None,
) -> dict[str, list[tools.Run]]:
    kinds = {"log_group": inventory.log_groups, "vpc": inventory.vpcs}
    every: dict[str, Callable[[], tools.Run]] = {
        "logbaseline": lambda: tools.run_logbaseline(env, work),
        "logbaseline (all controls)": lambda: tools.run_logbaseline(env, work, controls=()),
        "Cloud Custodian": lambda: tools.run_custodian(env, work, kinds),
        "Prowler": lambda: tools.run_prowler(env, work),
    }
    steps = {tool: run for tool, run in every.items() if tool.startswith("logbaseline") or tool in peers}
    steps |= extra or {}
    # Untimed: the emulator sets up each service's backend at its first call, and the editable logbaseline's
    # bytecode is written once (the peers' was written by pip).
    steps["logbaseline (all controls)"]()
    for step in (extra or {}).values():
        step()
    runs: dict[str, list[tools.Run]] = {tool: [] for tool in steps}
    for index in range(count):
        order = list(steps)[index % len(steps) :] + list(steps)[: index % len(steps)]  # rotate: no tool always first
        for tool in order:
            run = steps[tool]()
            runs[tool].append(run)
            say(f"run {index + 1}/{count} {tool}: {run.seconds:.2f} s")
    return runs


def _summary(runs: dict[str, list[tools.Run]]) -> dict[str, Any]:
    medians = {tool: statistics.median(r.seconds for r in tool_runs) for tool, tool_runs in runs.items()}
    return {
        tool: {
            "median_seconds": round(medians[tool], 3),
            "runs_seconds": [round(r.seconds, 3) for r in runs[tool]],
            "ratio_logbaseline_to_this": round(medians["logbaseline"] / medians[tool], 3),
        }
        for tool in runs
    }


def agreement(
    inventory: Inventory, runs: dict[str, tools.Run], peers: Sequence[str] = ("Cloud Custodian", "Prowler")
) -> dict[str, Any]:
    """logbaseline's verdicts against each peer's, resource by resource. The only accepted differences are
    the baseline's ceiling: a log group that never expires, or keeps events longer than the ceiling,
    FAILS for logbaseline and PASSES for the peers, which check the floor only."""
    ceiling = CEILING.default
    inventories = {"log_group": inventory.log_groups, "vpc": inventory.vpcs}
    mine = runs["logbaseline"].verdicts
    summary: dict[str, dict[str, int]] = {}
    disagreements: list[dict[str, str]] = []
    for peer in peers:
        theirs = runs[peer].verdicts
        counts = {"resources": 0, "agree": 0, "deliberate": 0, "disagree": 0}
        for kind, resources in inventories.items():
            for resource in resources:
                counts["resources"] += 1
                ours, other = mine[kind].get(resource, "missing"), theirs[kind].get(resource, "missing")
                retention = inventory.log_groups.get(resource) if kind == "log_group" else None
                beyond_ceiling = kind == "log_group" and (retention is None or retention > ceiling)
                if ours == other:
                    counts["agree"] += 1
                elif beyond_ceiling and (ours, other) == (tools.FAIL, tools.PASS):
                    counts["deliberate"] += 1
                else:
                    counts["disagree"] += 1
                    disagreements.append(
                        {"peer": peer, "kind": kind, "resource": resource, "ours": ours, "theirs": other}
                    )
        summary[peer] = counts
    return {"summary": summary, "disagreements": disagreements[:50]}


def _scaling(endpoint: str, env: dict[str, str], work: Path, args: argparse.Namespace, main_runs: dict) -> dict:
    """Sweep wall time for each log-group count (the VPCs stay as they are): the main size reuses its runs."""
    curve: dict[str, dict[str, float]] = {}
    for count in args.scaling:
        if count == args.log_groups:
            curve[str(count)] = {tool: statistics.median(r.seconds for r in runs) for tool, runs in main_runs.items()}
            continue
        emulator.reset(endpoint)
        say(f"scaling: {count} log groups")
        inventory = seed(Clients(REGION), count, args.vpcs)
        runs = _timed_runs(env, work, inventory, args.scaling_runs)
        curve[str(count)] = {tool: statistics.median(r.seconds for r in tool_runs) for tool, tool_runs in runs.items()}
    return {size: {tool: round(s, 3) for tool, s in times.items()} for size, times in curve.items()}


def cost(events: dict[str, Any]) -> dict[str, Any]:
    """Lambda cost of a million evaluator invocations of one event each, at the template's memory size."""
    gb = MEMORY_MB / 1024

    def per_million(milliseconds: float) -> float:
        return round(1_000_000 * (gb * milliseconds / 1000 * ARM_PRICE_PER_GB_SECOND) + PRICE_PER_MILLION_REQUESTS, 2)

    return {
        "memory_mb": MEMORY_MB,
        "architecture": "arm64",
        "price_per_gb_second": ARM_PRICE_PER_GB_SECOND,
        "price_per_million_requests": PRICE_PER_MILLION_REQUESTS,
        "usd_per_million_events_at_p50": per_million(events["handler_p50_ms"]),
        "usd_per_million_events_at_p95": per_million(events["handler_p95_ms"]),
    }


def targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sweep, calls, events, imports = results["sweep"], results["api_calls"], results["events"], results["cold_import"]
    worst_import = max(h["ratio_to_floor"] for h in imports["handlers"].values())
    return {
        "sweep at most half of Cloud Custodian's wall time": {
            "measured": sweep["Cloud Custodian"]["ratio_logbaseline_to_this"],
            "target": 0.5,
            "met": sweep["Cloud Custodian"]["ratio_logbaseline_to_this"] <= 0.5,
        },
        "API calls at most 1.1x the lower bound": {
            "measured": calls["ratio_to_lower_bound"],
            "target": 1.1,
            "met": calls["ratio_to_lower_bound"] <= 1.1,
        },
        "at most 3 reads per single event": {
            "measured": events["reads_max"],
            "target": 3,
            "met": events["reads_max"] <= 3,
        },
        "cold import at most 1.3x the bare floor": {
            "measured": worst_import,
            "target": 1.3,
            "met": worst_import <= 1.3,
        },
    }


def _source() -> dict[str, Any]:
    """The commit measured, and whether tracked files differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tools.ROOT, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "changed": bool(git("status", "--porcelain", "-uno"))}


def _machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": sum(line.startswith("processor") for line in cpuinfo),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


if __name__ == "__main__":
    raise SystemExit(main())
