"""The Markdown summary of a results set (benchmarks/results/latest.md)."""

from __future__ import annotations

from typing import Any


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def _by_control(reads: dict[str, int]) -> str:
    return ", ".join(f"{control} {count}" for control, count in reads.items())


def _source(source: dict[str, Any] | None) -> str:
    if not source:
        return ""
    return f"Commit {source['commit']}{' with uncommitted changes' if source['changed'] else ''}. "


def markdown(results: dict[str, Any]) -> str:
    inventory, parameters = results["inventory"], results["parameters"]
    lines = [
        "# logbaseline against its peers",
        "",
        f"Generated {results['generated']} by `{results['command']}` in {results.get('elapsed_seconds', '?')} s.",
        _source(results.get("source")) + f"Machine: {results['machine']['cpu']}, {results['machine']['cores']} cores, "
        f"{results['machine']['memory_gib']} GiB, Python {results['machine']['python']}.",
        "Versions: " + ", ".join(f"{name} {v}" for name, v in results["versions"].items()) + ".",
        f"Load average (1, 5, 15 min) at start {results['load_average_at_start']}, "
        f"at end {results.get('load_average_at_end', '?')}.",
        "",
        f"One emulated account (us-east-1): {inventory['log_groups']} log groups, {inventory['vpcs']} VPCs "
        f"({inventory['vpcs_with_flow_logs']} with flow logs), {inventory['trails']} trails, "
        f"{inventory['buckets']} buckets. Medians of {parameters['runs']} runs; each run is a fresh process.",
        "",
        "## Sweep wall time",
        "",
    ]
    lines += _table(
        ["tool", "median s", "runs s", "logbaseline / tool"],
        [
            [tool, f"{s['median_seconds']:.2f}", ", ".join(f"{x:.2f}" for x in s["runs_seconds"])]
            + [s["ratio_logbaseline_to_this"]]
            for tool, s in results["sweep"].items()
        ],
    )
    warm = results["warm_engine_seconds"]
    lines += [
        "",
        f"The engine's own scan in a warm process (no start-up, imports or client creation, as in a warm Lambda "
        f"container): {warm['shared checks']:.2f} s for the shared checks, {warm['all controls']:.2f} s for all "
        f"controls ({warm['all controls, read-memo prototype']:.2f} s with the read-memo prototype).",
    ]
    profile = results["profile"]["shared checks"]
    cumulative = profile["cumulative_seconds"]
    lines += [
        "",
        f"Profile of one `logbaseline scan` of the shared checks ({profile['profiled_seconds']:.2f} s under cProfile): "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in cumulative.items())
        + "; logbaseline's own code "
        + f"{profile['own_seconds_by_group']['logbaseline']:.2f} s.",
    ]
    lines += [
        "",
        f"## Scaling (median s by log-group count; {parameters['scaling_runs']} run(s) off the main size)",
        "",
    ]
    tools = list(results["sweep"])
    curve = results["scaling"]
    lines += _table(
        ["log groups", *tools], [[size, *(f"{t[tool]:.2f}" for tool in tools)] for size, t in curve.items()]
    )
    lines += ["", "## Verdict agreement with logbaseline (retention floor, VPC flow logs)", ""]
    lines += _table(
        ["peer", "resources", "agree", "deliberate difference (ceiling)", "disagree"],
        [
            [peer, c["resources"], c["agree"], c["deliberate"], c["disagree"]]
            for peer, c in results["agreement"]["summary"].items()
        ],
    )
    calls, events = results["api_calls"], results["events"]
    lines += [
        "",
        "## API calls of one drift sweep (every control, findings imported, fix requests queued)",
        "",
        f"{calls['http_requests']} requests reached the emulator; the controls asked for {calls['calls']} calls "
        f"({calls['reads']} reads, {calls['writes']} writes), the repeated reads answered within the evaluation, "
        f"for {calls['findings']} findings and {calls['fix_requests']} fix requests; lower bound "
        f"{calls['lower_bound']} ({calls['distinct_reads']} distinct reads + full batches of writes): "
        f"**{calls['ratio_to_lower_bound']}x**; "
        f"{calls['ratio_if_each_read_once']}x if each distinct read were made once per evaluation; the read-memo "
        f"prototype made {calls['with_read_memo']['http_requests']} requests "
        f"({calls['with_read_memo']['http_requests'] / calls['lower_bound']:.3f}x). "
        f"{calls['by_operation'].get('securityhub:GetFindings', 0)} of the reads are GetFindings pages of the "
        "sweep's reconciliation: the emulator ignores GetFindings' filters and pages through every finding of the "
        "account, where AWS answers with the findings to archive only (usually one page).",
        "",
        "Reads asked for more than once (answered once): "
        + (", ".join(f"{op} +{n}" for op, n in calls["repeated_reads"].items()) or "none")
        + ".",
        "",
        "## Single events",
        "",
        f"{events['events']} sample events, {events['repeats']} times each: reads per event median "
        f"{events['reads_median']}, max {events['reads_max']} ({events['events_within_3_reads']} events within 3); "
        f"at most {events['reads_max_one_control']} reads for one control of an event; "
        f"{events['events_within_3_reads_with_memo']} events within 3 with the read-memo prototype. "
        f"Handler p50 {events['handler_p50_ms']} ms, p95 {events['handler_p95_ms']} ms.",
        "",
    ]
    lines += _table(
        ["event", "reads", "with memo", "reads by control", "writes", "p50 ms"],
        [
            [name, e["reads"], e["reads_with_memo"], _by_control(e["reads_by_control"]), e["writes"], e["p50_ms"]]
            for name, e in events["per_event"].items()
        ],
    )
    imports = results["cold_import"]
    lines += ["", f"## Cold import (floor: boto3 + Powertools Logger, Metrics, Tracer = {imports['floor_ms']} ms)", ""]
    lines += _table(
        ["handler", "ms", "x floor"], [[role, h["ms"], h["ratio_to_floor"]] for role, h in imports["handlers"].items()]
    )
    cost = results["cost"]
    lines += [
        "",
        "## Lambda cost per million events",
        "",
        f"{cost['memory_mb']} MB {cost['architecture']} at ${cost['price_per_gb_second']} per GB-second and "
        f"${cost['price_per_million_requests']} per million requests: ${cost['usd_per_million_events_at_p50']} at the "
        f"p50 handler time, ${cost['usd_per_million_events_at_p95']} at p95.",
        "",
        "## Targets",
        "",
    ]
    lines += _table(
        ["target", "measured", "met"],
        [[name, t["measured"], "yes" if t["met"] else "no"] for name, t in results["targets"].items()],
    )
    return "\n".join(lines) + "\n"
