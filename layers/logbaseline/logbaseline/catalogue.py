"""docs/controls.md, generated from the controls' metadata (`logbaseline docs`; a test fails when it is stale)."""

from __future__ import annotations

from tabulate import tabulate

from logbaseline.controls import all_controls
from logbaseline.controls.base import Control
from logbaseline.engine.settings import variable

HEADER = """# Controls

Generated from the controls' metadata by `logbaseline docs`; do not edit by hand.
Each control holds one part of AWS Well-Architected SEC04-BP01 "Configure service and
application logging". Modes: `off` (never fix), `dry-run` (record what the fix would
change, in the finding and the log), `auto` (fix, then verify by re-reading).
"""


def _code(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"`{v}`" for v in values) or "none"


def _section(control: Control) -> str:
    lines = [
        f"## {control.id}",
        "",
        f"**{control.title}.** {control.description}",
        "",
        f"- Severity: {control.severity.value}; resource type: `{control.resource_type}`",
        f"- Related: {', '.join(control.related_requirements)}",
        f"- Fix: {control.fix_description} Default mode: `{control.default_mode.value}`.",
        f"- Triggers: AWS Config {_code([t.resource_type for t in control.config_triggers])}; "
        f"CloudTrail {_code([n for t in control.cloudtrail_triggers for n in t.event_names])}; the drift sweep",
        f"- IAM, evaluator: {_code(control.read_actions)}",
        f"- IAM, remediator: {_code(control.write_actions)}",
    ]
    if control.parameters:
        rows = [[f"`{p.name}`", f"`{variable(p.name)}`", f"`{p.default}`", p.description] for p in control.parameters]
        lines += ["", tabulate(rows, headers=("parameter", "environment", "default", "meaning"), tablefmt="github")]
    return "\n".join(lines)


def render() -> str:
    controls = all_controls()
    summary = [
        [f"[`{c.id}`](#{c.id})", c.severity.value, c.default_mode.value, "yes" if c.remediate else "no"]
        for c in controls
    ]
    table = tabulate(summary, headers=("control", "severity", "default mode", "fix"), tablefmt="github")
    return "\n\n".join([HEADER, table, *(_section(c) for c in controls)]) + "\n"
