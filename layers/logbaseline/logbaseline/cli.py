"""The `logbaseline` command line: scan, plan and fix an account, replay an event, write a report."""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import click
from botocore.exceptions import BotoCoreError, ClientError

from logbaseline import compliance
from logbaseline.aws import Clients, caller_account_id
from logbaseline.compliance import FRAMEWORKS
from logbaseline.controls import REGISTRY, all_controls, load
from logbaseline.engine import AccountClients, InvalidEvent, Outcome, ReadFailure, UnknownAccount
from logbaseline.engine.accounts import AccountUnreachable
from logbaseline.engine.evaluation import evaluate_scope
from logbaseline.engine.findings import to_asff
from logbaseline.engine.history import History, read_history
from logbaseline.engine.routing import route
from logbaseline.engine.settings import MODES_VARIABLE
from logbaseline.errors import FAIL_ON_EXIT_CODE, BadInput, CouldNotRun, client_error_text, did_you_mean, one_line
from logbaseline.exemptions_cli import exemptions
from logbaseline.models import Mode, Severity, Status
from logbaseline.operations import (
    ALL_REGIONS,
    HISTORY_TABLE_VARIABLE,
    Planned,
    Run,
    audit_trail,
    aws_session,
    csv_list,
    fix_limit_from_env,
    service_of,
    settings_from_env,
)
from logbaseline.tables import (
    ERROR,
    as_csv,
    error_row,
    exemption_columns,
    listing,
    outcome_row,
    short_resource,
    table,
    unreachable_row,
)

# A command is the whole process: the last garbage collection before exit need not walk every object the command
# made (botocore's service models alone are hundreds of thousands), about a fifth of a scan's CPU time.
atexit.register(gc.freeze)

STATUSES = [s.value for s in Status] + [ERROR]
SEVERITIES = [s.value for s in reversed(Severity)]
FIX_OK = ("verified", "nothing to do", "refused")  # refused: a person's decision (off, suppressed, exempt)
WHAT_FIX_DOES = {Mode.AUTO: "applies", Mode.DRY_RUN: "shows only", Mode.OFF: "never fixes"}  # `logbaseline fix`


class BadEvent(click.ClickException):
    exit_code = 2


def _plan_text(planned: Sequence[Planned], manual: Sequence[Outcome]) -> str:
    if not planned and not manual:
        return "Nothing to fix: no FAILED result."
    ordered_plans = sorted(planned, key=lambda p: (p.outcome.control.id, p.outcome.region, p.outcome.resource_id))
    fixes = [[p.outcome.control.id, p.outcome.region, p.mode.value, WHAT_FIX_DOES[p.mode]] for p in ordered_plans]
    calls = [
        _not_honoured(p.outcome)
        + ([f"would fail: {p.refused}"] if p.refused else [str(c) for c in p.changes] or ["no change"])
        for p in ordered_plans
    ]
    ordered_manual = sorted(manual, key=lambda o: (o.control.id, o.region, o.resource_id))
    return (
        f"Fixes ({len(fixes)}): what each would change, as recorded in dry-run (the calls under each)\n"
        + listing(
            ("control", "region", "mode", "fix", "resource"),
            [row + [short_resource(p.outcome.resource_id)] for row, p in zip(fixes, ordered_plans, strict=True)],
            calls,
        )
        + f"\n\nNot fixable ({len(ordered_manual)}): left to a person, or exempt (the reason, then why)\n"
        + listing(
            ("control", "region", "resource"),
            [[o.control.id, o.region, short_resource(o.resource_id)] for o in ordered_manual],
            [[o.verdict.reason, f"why: {why_not_fixable(o)}"] for o in ordered_manual],
        )
    )


def _not_honoured(outcome: Outcome) -> list[str]:
    """An exemption asked for and refused (a tag the register does not allow, an expired entry), before the fix."""
    return [outcome.exemption.note] if outcome.exemption and not outcome.exemption.applies else []


def why_not_fixable(outcome: Outcome) -> str:
    if outcome.exempt:
        return outcome.exemption.note  # type: ignore[union-attr]
    if outcome.control.remediate is None:
        return "the control has no automatic fix"
    if outcome.verdict.blocked:
        return f"the fix cannot run: {outcome.verdict.blocked}"
    return f"left to a person: the fix only does this: {outcome.control.fix_description}"


def _fix_outcome(after: Outcome | None) -> tuple[str, str, str]:
    """(outcome, status now, changes) of one applied fix."""
    if after is None:
        return "gone: the resource no longer exists", "", ""
    status = after.verdict.status.value
    if not after.fix:
        return "nothing to do", status, f"already {status}: {after.verdict.reason}"
    detail = after.fix.get("Error") or after.verdict.reason
    return after.fix["Outcome"], status, f"{after.fix.get('Changes', '')}\n{detail}".strip()


def _say_read_failures(failures: Sequence[ReadFailure]) -> None:
    for failure in failures:
        click.echo(f"ERROR {failure.control_id} in {failure.region}: could not read: {failure.reason}", err=True)


# --- the options every AWS command takes, as the AWS CLI's ----------------------------------------------

META = "logbaseline."  # where the group's and the commands' --profile, --region and --debug are kept


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    if value not in (None, False):
        ctx.meta[META + str(param.name)] = value
    return value


def debug_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--debug", is_flag=True, expose_value=False, callback=_remember, help="Show the traceback of an error."
    )(command)


def aws_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--region",
        expose_value=False,
        callback=_remember,
        help="The AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's).",
    )(command)
    command = click.option(
        "--profile", expose_value=False, callback=_remember, help="The AWS profile (default: AWS_PROFILE)."
    )(command)
    return debug_option(command)


def session(regions: str | None = None) -> boto3.Session:
    """The AWS session of --profile and --region; without a region, the first of --regions (not `all`)."""
    meta = click.get_current_context().meta
    first = next((r for r in csv_list(regions) if r.lower() != ALL_REGIONS), None)
    return aws_session(meta.get(META + "profile"), meta.get(META + "region"), first)


def scope_options(command: Callable[..., Any]) -> Callable[..., Any]:
    services = sorted({service_of(c) for c in REGISTRY})
    command = click.option(
        "--services", help=f"Only the controls of these services, comma-separated ({', '.join(services)})."
    )(command)
    command = click.option(
        "--exclude-controls", "exclude_control_ids", help="Comma-separated control ids to leave out."
    )(command)
    command = click.option(
        "--controls", "control_ids", help=f"Comma-separated control ids (default: all {len(REGISTRY)})."
    )(command)
    command = click.option(
        "--regions",
        help="Comma-separated regions, or `all` for the account's enabled regions (default: --region's).",
    )(command)
    return aws_options(command)


class Main(click.Group):
    """The command group: an AWS error becomes one line and an exit code, its traceback only with --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (BotoCoreError, ClientError) as error:
            if ctx.meta.get(META + "debug"):
                raise
            raise one_line(error) from None


@click.group(cls=Main)
@click.version_option(package_name="logbaseline")
@aws_options
def main() -> None:
    """Hold AWS accounts to the SEC04-BP01 logging baseline.

    Exit codes: 0 done; 1 could not run (no credentials, AWS unreachable, a refused call, a fix that failed);
    2 a usage error (an unknown option value, profile, region or control); 3 results with the --fail-on status.
    """


main.add_command(exemptions)


@main.command("scan")
@click.option(
    "--format",
    "formats",
    default="table",
    show_default=True,
    callback=lambda ctx, param, value: [f.lower() for f in choices(value or "table", FORMATS_UPPER, "--format")],
    help="table; json or csv: one row per result; asff: the findings Security Hub CSPM would import; ocsf: OCSF "
    "Compliance Findings; html: a report (needs --output). Several, comma-separated, with --output-dir.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each --format to DIR/logbaseline-ACCOUNT-TIME.EXT (created if missing).",
)
@click.option(
    "--severity",
    "severities",
    callback=lambda ctx, param, value: choices(value, SEVERITIES, "--severity"),
    help=f"Only results of these severities, comma-separated ({', '.join(SEVERITIES)}).",
)
@click.option(
    "--status",
    "statuses",
    callback=lambda ctx, param, value: choices(value, STATUSES, "--status"),
    help=f"Only results with these statuses, comma-separated ({', '.join(STATUSES)}).",
)
@click.option("--output", "path", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE, not stdout.")
@click.option(
    "--fail-on",
    type=click.Choice(STATUSES, case_sensitive=False),
    help=f"Exit with code {FAIL_ON_EXIT_CODE} when any result has this status (default: never).",
)
@click.option(
    "--accounts",
    help="Also scan these accounts: `organization` (every active account; from the management or a delegated "
    "administrator account) or comma-separated ids, each through --role-name.",
)
@click.option("--role-name", help="The role to assume in each account of --accounts (it must trust you).")
@scope_options
def scan_command(
    accounts: str | None,
    role_name: str | None,
    formats: list[str],
    output_dir: Path | None,
    severities: list[str],
    statuses: list[str],
    path: Path | None,
    fail_on: str | None,
    regions: str | None,
    control_ids: str | None,
    exclude_control_ids: str | None,
    services: str | None,
) -> None:
    """Evaluate the controls for the current credentials' account, read-only.

    Honours the standard AWS configuration as the AWS CLI does (--profile, AWS_PROFILE, --region, AWS_REGION,
    AWS_DEFAULT_REGION, AWS_ENDPOINT_URL) and the baseline's LOGBASELINE_* variables. A control that cannot
    read in a region (denied, not offered) is an ERROR row and the others go on. Exit code 0 unless the scan
    could not run (1) or an option is wrong (2), or 3 with --fail-on when a result has that status.
    A progress bar shows on stderr when it is a terminal.
    """
    if output_dir is not None and path is not None:
        raise BadInput("--output writes one file and --output-dir several: give one of them")
    if len(formats) > 1 and output_dir is None:
        raise BadInput("several formats need --output-dir DIR")
    if "html" in formats and path is None and output_dir is None:
        raise click.UsageError("--format html needs --output FILE")
    if path is not None:
        check_writable(path)
    if output_dir is not None:
        check_writable(output_dir)  # its parent must exist: the folder itself is created
    output = formats[0]
    run = Run.from_options(regions, control_ids, session(regions), exclude_control_ids, accounts, role_name, services)
    outcomes, failures = run.evaluate(), run.read_failures
    if severities:
        outcomes = [o for o in outcomes if o.control.severity.value in severities]
        failures = [f for f in failures if load(f.control_id).severity.value in severities]
    if statuses:
        outcomes = [o for o in outcomes if o.verdict.status.value in statuses]
        failures = failures if ERROR in statuses else []
    unreachable = run.unreachable if not statuses or ERROR in statuses else []
    if output_dir is not None:
        for written in _write_all(output_dir, formats, run.account_id, outcomes, failures, unreachable):
            click.echo(f"wrote {written} ({written.stat().st_size} bytes)", err=True)
    else:
        _say(output, path, run, outcomes, failures, unreachable, bool(severities or statuses))
    found = {o.verdict.status.value for o in outcomes} | ({ERROR} if failures or unreachable else set())
    if fail_on and fail_on.upper() in found:
        sys.exit(FAIL_ON_EXIT_CODE)


EXTENSIONS = {"table": "txt", "json": "json", "csv": "csv", "asff": "asff.json", "ocsf": "ocsf.json", "html": "html"}
FORMATS_UPPER = [f.upper() for f in EXTENSIONS]


def _say(
    output: str,
    path: Path | None,
    run: Run,
    outcomes: Sequence[Outcome],
    failures: Sequence[ReadFailure],
    unreachable: Sequence[AccountUnreachable],
    filtered: bool,
) -> None:
    """One format, on stdout or into --output."""
    text = _render(output, outcomes, failures, unreachable)
    if output not in ("table", "json", "csv"):  # the findings and the report hold verdicts only
        _say_read_failures(failures)
        for error in unreachable:
            click.echo(f"ERROR account {error.account_id}: {error}", err=True)
    if output == "table" and not outcomes and not failures and not unreachable:
        text = f"No results: {len(run.control_ids)} controls in {len(run.regions)} regions" + (
            ", none with the --severity or --status asked for" if filtered else ""
        )
    if path is None:
        click.echo(text)
        return
    _write(path, text)
    failed = sum(o.verdict.status is Status.FAILED for o in outcomes)
    errors = f", {len(failures)} {ERROR}" if failures else ""
    click.echo(
        f"wrote {path} ({path.stat().st_size} bytes): {len(outcomes)} results, {failed} FAILED{errors}", err=True
    )


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    except OSError as error:
        raise CouldNotRun(f"cannot write {path}: {error.strerror}") from None


def _write_all(
    folder: Path,
    formats: Sequence[str],
    account_id: str,
    outcomes: Sequence[Outcome],
    failures: Sequence[ReadFailure],
    unreachable: Sequence[AccountUnreachable],
) -> list[Path]:
    """Each format into its own file, named by the account and the time of the scan."""
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise CouldNotRun(f"--output-dir: cannot create {folder}: {error.strerror}") from None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    written = []
    for output in dict.fromkeys(formats):
        path = folder / f"logbaseline-{account_id}-{stamp}.{EXTENSIONS[output]}"
        _write(path, _render(output, outcomes, failures, unreachable))
        written.append(path)
    return written


def check_writable(path: Path) -> None:
    """--output is checked before the scan, not after it."""
    folder = path.parent
    if not folder.is_dir():
        raise BadInput(f"--output: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BadInput(f"--output: {path} is not writable")


def _render(
    output: str,
    outcomes: Sequence[Outcome],
    failures: Sequence[ReadFailure] = (),
    unreachable: Sequence[AccountUnreachable] = (),
) -> str:
    if output == "asff":
        now = datetime.now(UTC)
        return json.dumps([to_asff(o, now) for o in outcomes if o.reportable], indent=2)
    if output == "ocsf":
        from logbaseline.ocsf import to_ocsf

        now = datetime.now(UTC)
        return json.dumps([to_ocsf(o, now) for o in outcomes if o.reportable], indent=2)
    if output == "html":
        from logbaseline import report

        return report.render(outcomes)
    rows = [outcome_row(o) for o in outcomes] + [error_row(f) for f in failures]
    rows += [unreachable_row(error) for error in unreachable]
    if output == "csv":
        exempted = [row | exemption_columns(o) for row, o in zip(rows, outcomes, strict=False)]
        return as_csv(exempted + rows[len(outcomes) :])
    if output == "json":  # the exemption in full: source, entry, approver, until, reason
        exempt = {id(row): o.exemption.as_dict() for row, o in zip(rows, outcomes, strict=False) if o.exemption}
        return json.dumps(
            [row | ({"exemption": exempt[id(row)]} if id(row) in exempt else {}) for row in rows], indent=2
        )
    return table(rows)


def choices(value: str | None, allowed: Sequence[str], option: str) -> list[str]:
    """A comma-separated option's values, upper-cased; an unknown one is a usage error, with did-you-mean."""
    wanted = [v.upper() for v in csv_list(value)]
    for item in wanted:
        if item not in allowed:
            raise BadInput(
                f"{option}: {item.lower()!r} is not one of {', '.join(allowed)}{did_you_mean(item, allowed)}"
            )
    return wanted


@main.command("compliance")
@click.option(
    "--framework",
    type=click.Choice(sorted(FRAMEWORKS), case_sensitive=False),
    required=True,
    help="; ".join(f"{key}: {name}" for key, name in FRAMEWORKS.items()) + ".",
)
@click.option("--format", "output", type=click.Choice(["table", "json"], case_sensitive=False), default="table")
@click.option(
    "--fail-on-failed", is_flag=True, help=f"Exit with code {FAIL_ON_EXIT_CODE} when a requirement is FAILED."
)
@scope_options
def compliance_command(
    framework: str,
    output: str,
    fail_on_failed: bool,
    regions: str | None,
    control_ids: str | None,
    exclude_control_ids: str | None,
    services: str | None,
) -> None:
    """A framework's requirements that the controls hold, each with the status of their results, read-only.

    A requirement is FAILED when a result of one of its controls is FAILED (and not exempt), ERROR when a control
    could not read, PASSED when at least one result passed, NOT_APPLICABLE when there was nothing to judge. Only
    the controls that hold a requirement of the framework are evaluated; the status is logbaseline's judgment,
    the same as `scan`'s, not the framework's own audit procedure.
    """
    framework = framework.lower()
    held = sorted({c for r in compliance.requirements(framework) for c in r.control_ids})
    wanted = ",".join(c for c in csv_list(control_ids) or held if c in held) or ",".join(held)
    run = Run.from_options(regions, wanted, session(regions), exclude_control_ids, services=services)
    judged = compliance.judge(framework, run.evaluate(), run.read_failures)
    if output.lower() == "json":
        rows = [
            {"framework": FRAMEWORKS[framework], "requirement": j.requirement.id, "title": j.requirement.title}
            | {"status": j.status, "passed": j.passed, "failed": j.failed, "exempt": j.exempt, "errors": j.errors}
            | {"controls": list(j.requirement.control_ids)}
            for j in judged
        ]
        click.echo(json.dumps(rows, indent=2))
    else:
        click.echo(FRAMEWORKS[framework])
        cells = [
            [j.requirement.id, j.status, f"{j.failed}/{j.passed}/{j.exempt}/{j.errors}", j.requirement.title]
            for j in judged
        ]
        notes = [[", ".join(j.requirement.control_ids)] for j in judged]
        click.echo(listing(("requirement", "status", "failed/passed/exempt/error", "title"), cells, notes))
    if fail_on_failed and any(j.status == "FAILED" for j in judged):
        sys.exit(FAIL_ON_EXIT_CODE)


@main.command("plan")
@scope_options
def plan_command(
    regions: str | None, control_ids: str | None, exclude_control_ids: str | None, services: str | None
) -> None:
    """Show what each fix would change, read-only: every FAILED result's fix runs in dry-run.

    The mode column is the deployment's mode (LOGBASELINE_REMEDIATION_MODES, else each control's default):
    `logbaseline fix` applies the fixes in mode auto, only shows those in dry-run, never touches those off.
    """
    run = Run.from_options(regions, control_ids, session(regions), exclude_control_ids, services=services)
    click.echo(_plan_text(*run.plan()))
    _say_read_failures(run.read_failures)


@main.command("fix")
@scope_options
@click.option(
    "--table",
    envvar=HISTORY_TABLE_VARIABLE,
    help="The stack's HistoryTable output, in --region: every fix is recorded there and counts for the fix limit.",
)
@click.option("--no-audit-trail", is_flag=True, help="Fix without recording (and without the fix limit).")
@click.option("--yes", is_flag=True, help="Apply without asking for confirmation.")
def fix_command(
    regions: str | None,
    control_ids: str | None,
    exclude_control_ids: str | None,
    services: str | None,
    table: str | None,
    no_audit_trail: bool,
    yes: bool,
) -> None:
    """Show the plan, ask, then apply the fixes in mode auto, and verify each by re-reading.

    As the remediator: each fix (and each refusal or stop) is recorded in the audit trail (--table, the stack's
    HistoryTable; `logbaseline history` reads it), and a resource already fixed LOGBASELINE_FIX_LIMIT times
    (default 3) within LOGBASELINE_FIX_LIMIT_WINDOW_HOURS (default 24) is not fixed again. A control in mode
    off is never fixed and one in dry-run is only shown; to apply one, set its mode explicitly, e.g.
    LOGBASELINE_REMEDIATION_MODES=vpc_flow_logs_enabled=auto. Exempt resources are left alone. Exit code 1
    when a fix failed, was stopped by the limit or could not be verified, or when the confirmation is declined.
    """
    if not table and not no_audit_trail:
        raise BadInput(
            f"fix records every fix in the stack's audit trail: pass --table <HistoryTableName> (or set "
            f"{HISTORY_TABLE_VARIABLE}), or --no-audit-trail to fix without a record and without the fix limit"
        )
    limit = fix_limit_from_env()
    aws = session(regions)
    run = Run.from_options(regions, control_ids, aws, exclude_control_ids, services=services)
    history = _audit_trail(table, aws) if table else None
    planned, manual = run.plan()
    click.echo(_plan_text(planned, manual))
    _say_read_failures(run.read_failures)
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
    results, details = [], []
    for p in todo:
        outcome, status, detail = _fix_outcome(run.apply(p, history, limit))
        o = p.outcome
        results.append([o.control.id, o.region, outcome, status, short_resource(o.resource_id)])
        details.append([detail])
    click.echo(
        f"\nApplied ({len(results)}):\n"
        + listing(("control", "region", "outcome", "status now", "resource"), results, details)
    )
    if history:
        click.echo(f"\nRecorded in the audit trail {table} ({run.caller}): logbaseline history --table {table}")
    if any(r[2] not in FIX_OK for r in results):
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
@aws_options
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
        + listing(("control", "account", "region", "resource"), rows, [[] for _ in rows])
    )
    if evaluate:
        settings, aws = settings_from_env(), session()
        clients_for = AccountClients(caller_account_id(aws), aws)
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
@click.option("--table", envvar=HISTORY_TABLE_VARIABLE, required=True, help="The stack's HistoryTable output.")
@click.option("--control", "control_id", help="Only this control.")
@click.option("--resource", "resource_id", help="Only this resource (its ARN).")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True, help="The newest N entries.")
@aws_options
def history_command(table: str, control_id: str | None, resource_id: str | None, limit: int) -> None:
    """The audit trail: every fix, dry-run, refusal and stop, newest first.

    Reads the table in --region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's):
    the region of the stack that holds it.
    """
    aws = session()
    try:
        items = read_history(Clients(aws.region_name, aws), table, control_id, resource_id)
    except ClientError as error:
        raise _no_table(error, table, aws) from None
    shown = items[:limit]
    rows = [[i["at"][:19], i["control_id"], i["mode"], i["outcome"], short_resource(i["resource_id"])] for i in shown]
    notes = [
        ([f"by {i['actor']}"] if i["actor"] else []) + [i["changes"] or i["error"]] + [f"trigger: {i['trigger']}"]
        for i in shown
    ]
    click.echo(listing(("at (UTC)", "control", "mode", "outcome", "resource"), rows, notes))


def _no_table(error: ClientError, table: str, aws: boto3.Session) -> Exception:
    """The one line for a history table that is not there; any other error as it is."""
    if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
        return error
    return CouldNotRun(
        f"no history table {table!r} in {aws.region_name}: pass the stack's HistoryTable output with --table "
        f"(or {HISTORY_TABLE_VARIABLE}) and the stack's region with --region ({client_error_text(error)})"
    )


def _audit_trail(table: str, aws: boto3.Session) -> History:
    try:
        return audit_trail(table, aws)
    except ClientError as error:
        raise _no_table(error, table, aws) from None


@main.command("controls")
def controls_command() -> None:
    """List the controls with their default remediation mode."""
    rows = [[c.id, c.severity.value, c.default_mode.value, c.title] for c in all_controls()]
    click.echo(listing(("control_id", "severity", "default mode", "title"), rows, [[] for _ in rows]))


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
    result = demo.run(root, say=lambda line: click.echo(_fill(f"* {line}")))
    click.echo("\nBefore:\n" + table(result.before))
    click.echo("\nAfter the events, the fixes and a drift sweep:\n" + table(result.after))
    findings = sorted(result.findings, key=lambda f: (f["GeneratorId"], f["Resources"][0]["Id"]))
    summary = [
        [
            f["GeneratorId"].removeprefix("logbaseline/"),
            f["Compliance"]["Status"],
            f["RecordState"],
            f["ProductFields"].get("logbaseline/Fix/Outcome", ""),
            short_resource(f["Resources"][0]["Id"]),
        ]
        for f in findings
    ]
    changes = [
        [f["ProductFields"]["logbaseline/Fix/Changes"]] if "logbaseline/Fix/Changes" in f["ProductFields"] else []
        for f in findings
    ]
    click.echo(
        f"\nSecurity Hub findings ({len(findings)}), with the calls of each fix:\n"
        + listing(("control", "compliance", "record", "fix", "resource"), summary, changes)
    )
    gaps = result.emulator_gaps
    if gaps:
        click.echo(
            "\n"
            + _fill(
                f"Left FAILED by the emulator, not by the service ({len(gaps)}; docs/emulator-gaps.md): the fix was "
                "applied, and the emulator's answer cannot show it"
            )
            + "\n"
            + listing(
                ("control", "resource"),
                [[c, short_resource(r)] for c, r in sorted(gaps)],
                [[gaps[key]] for key in sorted(gaps)],
            )
        )
    failed_before = sum(r["status"] == "FAILED" for r in result.before)
    failed_after = sum(r["status"] == "FAILED" for r in result.after)
    click.echo(
        "\n"
        + _fill(
            f"{result.events_sent} events, {result.evaluations} evaluations, {result.fixes} fix requests, "
            f"{result.dead_lettered} dead-lettered; FAILED {failed_before} -> {failed_after}: "
            f"{len(gaps)} the emulator's (listed above), {failed_after - len(gaps)} left to a person "
            "(see the reasons above)."
        )
    )
    sys.exit(0)


def _fill(text: str) -> str:
    """A line of prose within 120 columns, its continuation indented."""
    return textwrap.fill(text, 120, subsequent_indent="    ", break_on_hyphens=False, break_long_words=False)
