"""The `logbaseline` command line: scan, plan and fix an account, replay an event, write a report."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import click
from tabulate import tabulate

from logbaseline.aws import Clients, caller_account_id
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.engine import AccountClients, InvalidEvent, Outcome, UnknownAccount
from logbaseline.engine.evaluation import evaluate_scope
from logbaseline.engine.findings import to_asff
from logbaseline.engine.history import read_history
from logbaseline.engine.routing import route
from logbaseline.engine.settings import MODES_VARIABLE
from logbaseline.exemptions_cli import exemptions
from logbaseline.models import Mode, Status
from logbaseline.operations import Planned, Run, settings_from_env

COLUMNS = ("control_id", "region", "resource_id", "status", "reason")
FAIL_ON_EXIT_CODE = 3  # as Prowler: results with the --fail-on status were found
FIX_OK = ("verified", "nothing to do", "refused")  # refused: a person's decision (off, suppressed, exempt)
WHAT_FIX_DOES = {Mode.AUTO: "applies", Mode.DRY_RUN: "shows only", Mode.OFF: "never fixes"}  # `logbaseline fix`


class BadEvent(click.ClickException):
    exit_code = 2


def table(rows: list[dict[str, Any]]) -> str:
    ordered = sorted(rows, key=lambda r: (r["control_id"], r["region"], r["resource_id"]))
    if any("exemption" in r for r in rows):  # a column of its own, only when something is (or asks to be) exempt
        cells = [[r[c] for c in COLUMNS] + [_exemption_cell(r.get("exemption"))] for r in ordered]
        return tabulate(cells, headers=(*COLUMNS, "exemption"), maxcolwidths=[None, None, 50, None, 50, 50])
    return tabulate(
        [[r[c] for c in COLUMNS] for r in ordered], headers=COLUMNS, maxcolwidths=[None, None, 60, None, 70]
    )


def _exemption_cell(exemption: dict[str, Any] | None) -> str:
    if not exemption:
        return ""
    if exemption["applies"]:
        return f"EXEMPT by {exemption['source']} until {exemption['until']}: {exemption['reason']}"
    return exemption["note"]


def _plan_text(planned: Sequence[Planned], manual: Sequence[Outcome]) -> str:
    if not planned and not manual:
        return "Nothing to fix: no FAILED result."
    widths = [None, None, 50, None, None, 70]
    fixes = [
        [
            p.outcome.control.id,
            p.outcome.region,
            p.outcome.resource_id,
            p.mode.value,
            WHAT_FIX_DOES[p.mode],
            _not_honoured(p.outcome)
            + (f"would fail: {p.refused}" if p.refused else "\n".join(map(str, p.changes)) or "no change"),
        ]
        for p in sorted(planned, key=lambda p: (p.outcome.control.id, p.outcome.region, p.outcome.resource_id))
    ]
    people = [
        [o.control.id, o.region, o.resource_id, o.verdict.reason, _why_not_fixable(o)]
        for o in sorted(manual, key=lambda o: (o.control.id, o.region, o.resource_id))
    ]
    return (
        f"Fixes ({len(fixes)}): what each would change, as recorded in dry-run\n"
        + tabulate(fixes, headers=("control", "region", "resource", "mode", "fix", "calls"), maxcolwidths=widths)
        + f"\n\nNot fixable ({len(people)}): left to a person, or exempt\n"
        + tabulate(
            people, headers=("control", "region", "resource", "reason", "why"), maxcolwidths=[None, None, 50, 50, 50]
        )
    )


def _not_honoured(outcome: Outcome) -> str:
    """An exemption asked for and refused (a tag the register does not allow, an expired entry), before the fix."""
    return f"{outcome.exemption.note}\n" if outcome.exemption and not outcome.exemption.applies else ""


def _why_not_fixable(outcome: Outcome) -> str:
    if outcome.exempt:
        return outcome.exemption.note  # type: ignore[union-attr]
    if outcome.control.remediate is None:
        return "the control has no automatic fix"
    return f"outside what the fix does: {outcome.control.fix_description}"


def _fix_outcome(after: Outcome | None) -> tuple[str, str, str]:
    """(outcome, status now, changes) of one applied fix."""
    if after is None:
        return "gone: the resource no longer exists", "", ""
    status = after.verdict.status.value
    if not after.fix:
        return "nothing to do", status, f"already {status}: {after.verdict.reason}"
    detail = after.fix.get("Error") or after.verdict.reason
    return after.fix["Outcome"], status, f"{after.fix.get('Changes', '')}\n{detail}".strip()


def scope_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--controls", "control_ids", help=f"Comma-separated control ids (default: all {len(REGISTRY)})."
    )(command)
    return click.option("--regions", help="Comma-separated regions (default: the current credentials' region).")(
        command
    )


@click.group()
@click.version_option(package_name="logbaseline")
def main() -> None:
    """Hold AWS accounts to the SEC04-BP01 logging baseline."""


main.add_command(exemptions)


@main.command("scan")
@click.option(
    "--format",
    "output",
    type=click.Choice(["json", "table", "asff", "html"]),
    default="table",
    show_default=True,
    help="json: one object per result; asff: the findings Security Hub would import; html: a report (needs --output).",
)
@click.option("--output", "path", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Status]),
    help=f"Exit with code {FAIL_ON_EXIT_CODE} when any result has this status (default: never).",
)
@scope_options
def scan_command(
    output: str, path: Path | None, fail_on: str | None, regions: str | None, control_ids: str | None
) -> None:
    """Evaluate the controls for the current credentials' account, read-only.

    Honours the standard AWS configuration (profiles, AWS_REGION, AWS_ENDPOINT_URL)
    and the baseline's LOGBASELINE_* variables. Exit code 0 unless the scan could not run,
    or 3 with --fail-on when a result has that status. A progress bar shows on stderr when it is a terminal.
    """
    if output == "html" and path is None:
        raise click.UsageError("--format html needs --output FILE")
    outcomes = Run.from_options(regions, control_ids).evaluate()
    text = _render(output, outcomes)
    if path is None:
        click.echo(text)
    else:
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
        failed = sum(o.verdict.status is Status.FAILED for o in outcomes)
        click.echo(f"wrote {path} ({path.stat().st_size} bytes): {len(outcomes)} results, {failed} FAILED", err=True)
    if fail_on and any(o.verdict.status.value == fail_on for o in outcomes):
        sys.exit(FAIL_ON_EXIT_CODE)


def _render(output: str, outcomes: Sequence[Outcome]) -> str:
    if output == "asff":
        now = datetime.now(UTC)
        return json.dumps([to_asff(o, now) for o in outcomes if o.reportable], indent=2)
    if output == "html":
        from logbaseline import report

        return report.render(outcomes)
    rows = [o.as_row() | ({"exemption": o.exemption.as_dict()} if o.exemption else {}) for o in outcomes]
    return json.dumps(rows, indent=2) if output == "json" else table(rows)


@main.command("plan")
@scope_options
def plan_command(regions: str | None, control_ids: str | None) -> None:
    """Show what each fix would change, read-only: every FAILED result's fix runs in dry-run.

    The mode column is the deployment's mode (LOGBASELINE_REMEDIATION_MODES, else each control's default):
    `logbaseline fix` applies the fixes in mode auto, only shows those in dry-run, never touches those off.
    """
    click.echo(_plan_text(*Run.from_options(regions, control_ids).plan()))


@main.command("fix")
@scope_options
@click.option("--yes", is_flag=True, help="Apply without asking for confirmation.")
def fix_command(regions: str | None, control_ids: str | None, yes: bool) -> None:
    """Show the plan, ask, then apply the fixes in mode auto, and verify each by re-reading.

    A control in mode off is never fixed and one in dry-run is only shown; to apply one, set its mode
    explicitly, e.g. LOGBASELINE_REMEDIATION_MODES=vpc_flow_logs_enabled=auto. Exempt resources are left
    alone. Exit code 1 when a fix failed or could not be verified, or when the confirmation is declined.
    """
    run = Run.from_options(regions, control_ids)
    planned, manual = run.plan()
    click.echo(_plan_text(planned, manual))
    todo = [p for p in planned if p.applicable]
    if not todo:
        held = sum(p.mode is not Mode.AUTO for p in planned)
        failing = sum(p.mode is Mode.AUTO and bool(p.refused) for p in planned)
        notes = [f"{held} held by mode dry-run or off: see {MODES_VARIABLE}"] if held else []
        notes += [f"{failing} would fail: see the plan"] if failing else []
        suffix = f" ({'; '.join(notes)})" if notes else ""
        click.echo(f"\nNothing to apply{suffix}.")
        return
    if not yes:
        click.confirm(f"\nApply {len(todo)} fixes in account {run.account_id}?", abort=True)
    results = []
    for p in todo:
        outcome, status, detail = _fix_outcome(run.apply(p))
        results.append([p.outcome.control.id, p.outcome.region, p.outcome.resource_id, outcome, status, detail])
    click.echo(
        f"\nApplied ({len(results)}):\n"
        + tabulate(
            results,
            headers=("control", "region", "resource", "outcome", "status now", "detail"),
            maxcolwidths=[None, None, 50, None, None, 70],
        )
    )
    if any(r[3] not in FIX_OK for r in results):
        sys.exit(1)


@main.command("replay")
@click.argument("event_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("template.yaml"),
    show_default=True,
    help="The SAM template whose EventBridge rules the event goes through.",
)
@click.option("--evaluate", is_flag=True, help="Also evaluate the targets with the current credentials (read-only).")
def replay_command(event_file: Path, template: Path, evaluate: bool) -> None:
    """Route a saved EventBridge event as the deployment would: which rule matches, which targets.

    Exit code 2 when the engine cannot route the event (the reason is printed).
    """
    try:
        event = json.loads(event_file.read_text())
        targets = route(event)
    except (InvalidEvent, json.JSONDecodeError) as error:
        raise BadEvent(f"{event_file}: the engine cannot route this event: {error}") from None
    matched = _matching_rules(template, event)
    if not matched:
        click.echo(f"No rule of {template} matches: EventBridge would not deliver this event to the evaluator.")
        return
    click.echo("\n".join(f"rule {rule} matches -> {', '.join(queues)}" for rule, queues in matched))
    if not targets:
        click.echo("No targets: the engine ignores this event (a failed call, or no control watches it).")
        return
    rows = [[t.control.id, t.scope.account_id, t.scope.region, t.scope.resource_id or "(all)"] for t in targets]
    click.echo(
        f"\nTargets ({len(targets)}): the evaluator re-reads these\n"
        + tabulate(rows, headers=("control", "account", "region", "resource"), disable_numparse=True)
    )
    if evaluate:
        settings, clients_for = settings_from_env(), AccountClients(caller_account_id())
        try:
            outcomes = [
                o
                for t in targets
                for o in evaluate_scope(t.control, t.scope, clients_for(t.scope.account_id, t.scope.region), settings)
            ]
        except UnknownAccount as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"\nVerdicts ({len(outcomes)}):\n" + table([o.as_row() for o in outcomes]))


def _matching_rules(template: Path, event: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """The template's EventBridge rules whose pattern matches the event, with their targets."""
    try:
        from moto.events.models import EventPattern
    except ImportError:
        raise click.ClickException(
            "replay matches patterns with moto's EventBridge matcher: install the dev extra (pip install -e '.[dev]')"
        ) from None
    if not template.is_file():
        raise click.UsageError(f"{template} not found: run from the checkout or pass --template")
    from logbaseline import sam_template  # YAML: only the commands that read the template pay for it

    rules = sam_template.event_rules(sam_template.load(template))
    return [
        (r.logical_id, r.target_ids) for r in rules if EventPattern.load(json.dumps(r.pattern)).matches_event(event)
    ]


@main.command("history")
@click.option("--table", envvar="LOGBASELINE_HISTORY_TABLE", required=True, help="The stack's HistoryTable output.")
@click.option("--control", "control_id", help="Only this control.")
@click.option("--resource", "resource_id", help="Only this resource (its ARN).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="The newest N entries.")
def history_command(table: str, control_id: str | None, resource_id: str | None, limit: int) -> None:
    """The audit trail: every fix, dry-run, refusal and stop, newest first."""
    items = read_history(Clients(boto3.Session().region_name or "us-east-1"), table, control_id, resource_id)
    rows = [
        [
            i["at"][:19],
            i["control_id"],
            i["resource_id"],
            i["mode"],
            i["outcome"],
            i["actor"],
            i["changes"] or i["error"],
        ]
        for i in items[:limit]
    ]
    headers = ("at (UTC)", "control", "resource", "mode", "outcome", "actor", "changes or reason")
    click.echo(tabulate(rows, headers=headers, maxcolwidths=[None, None, 50, None, None, 40, 60]))


@main.command("controls")
def controls_command() -> None:
    """List the controls with their default remediation mode."""
    rows = [[c.id, c.severity.value, c.default_mode.value, c.title] for c in all_controls()]
    click.echo(tabulate(rows, headers=("control_id", "severity", "default mode", "title")))


@main.command("docs")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/controls.md"), show_default=True
)
@click.option(
    "--parameters-output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("docs/parameters.md"),
    show_default=True,
)
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("template.yaml"),
    show_default=True,
    help="The SAM template whose parameters the parameter reference lists.",
)
def docs_command(output: Path, parameters_output: Path, template: Path) -> None:
    """Write the control catalogue (docs/controls.md) from the controls' metadata, and the parameter
    reference (docs/parameters.md) from the template."""
    from logbaseline import sam_template
    from logbaseline.catalogue import render, render_parameters

    if not template.is_file():
        raise click.UsageError(f"{template} not found: run from the checkout or pass --template")
    output.write_text(render())
    click.echo(f"wrote {output}")
    parameters_output.write_text(render_parameters(sam_template.load(template)))
    click.echo(f"wrote {parameters_output}")


@main.command("demo")
@click.option(
    "--root",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="The checkout holding template.yaml, functions/ and events/.",
)
def demo_command(root: Path) -> None:
    """Run the service end to end on an embedded AWS emulator (no AWS account needed)."""
    from logbaseline import demo

    if not (root / "template.yaml").is_file():
        raise click.UsageError(f"{root}/template.yaml not found: run from the checkout or pass --root")
    result = demo.run(root, say=lambda line: click.echo(f"* {line}"))
    click.echo("\nBefore:\n" + table(result.before))
    click.echo("\nAfter the events, the fixes and a drift sweep:\n" + table(result.after))
    summary = [
        [
            f["GeneratorId"].removeprefix("logbaseline/"),
            f["Resources"][0]["Id"],
            f["Compliance"]["Status"],
            f["RecordState"],
            f["ProductFields"].get("logbaseline/Fix/Outcome", ""),
            f["ProductFields"].get("logbaseline/Fix/Changes", ""),
        ]
        for f in sorted(result.findings, key=lambda f: f["Id"])
    ]
    click.echo(
        f"\nSecurity Hub findings ({len(result.findings)}):\n"
        + tabulate(
            summary,
            headers=("control", "resource", "compliance", "record", "fix", "changes"),
            maxcolwidths=[None, 50, None, None, None, 60],
        )
    )
    failed_before = sum(r["status"] == "FAILED" for r in result.before)
    failed_after = sum(r["status"] == "FAILED" for r in result.after)
    click.echo(
        f"\n{result.events_sent} events, {result.evaluations} evaluations, {result.fixes} fix requests, "
        f"{result.dead_lettered} dead-lettered; FAILED {failed_before} -> {failed_after} "
        "(what remains needs a person: see the reasons above)."
    )
    sys.exit(0)
