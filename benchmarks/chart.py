"""Draw benchmarks/results/latest.png from latest.json. Runs in the chart venv (matplotlib, pinned in
benchmarks/requirements.txt), so matplotlib is never a dependency of the project."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def draw(results_path: Path) -> Path:
    results = json.loads(results_path.read_text())
    sweep, scaling = results["sweep"], results["scaling"]
    tools = list(sweep)
    figure, (bars, curve) = plt.subplots(1, 2, figsize=(12, 4.8))

    medians = [sweep[tool]["median_seconds"] for tool in tools]
    drawn = bars.barh(tools, medians, color=["#2b6cb0", "#90cdf4", "#dd6b20", "#718096"][: len(tools)])
    bars.bar_label(drawn, labels=[f"{m:.1f} s" for m in medians], padding=3)
    bars.invert_yaxis()
    bars.set_xlabel("wall time, median of runs (s)")
    inventory = results["inventory"]
    bars.set_title(f"Sweep: {inventory['log_groups']} log groups, {inventory['vpcs']} VPCs")
    bars.set_xlim(0, max(medians) * 1.2)

    sizes = sorted(scaling, key=int)
    for tool in tools:
        curve.plot([int(s) for s in sizes], [scaling[s][tool] for s in sizes], marker="o", label=tool)
    curve.set_xscale("log")
    curve.set_yscale("log")  # Prowler's fixed start-up would flatten the others on a linear scale
    curve.set_xticks([int(s) for s in sizes], labels=sizes)
    curve.minorticks_off()
    values = [scaling[s][tool] for s in sizes for tool in tools]
    ticks = [t for t in (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if min(values) / 2 <= t <= max(values) * 2]
    curve.set_yticks(ticks, labels=[f"{t:g}" for t in ticks])
    curve.set_xlabel("log groups (log scale)")
    curve.set_ylabel("wall time, s (log scale)")
    curve.set_title("Scaling with the number of log groups")
    curve.grid(alpha=0.3)
    curve.legend()

    figure.suptitle("logbaseline, Cloud Custodian and Prowler on the same emulated account")
    figure.tight_layout()
    out = results_path.with_suffix(".png")
    figure.savefig(out, dpi=110)
    return out


if __name__ == "__main__":
    print(f"wrote {draw(Path(sys.argv[1]))}")
