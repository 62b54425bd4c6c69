"""The `logbaseline` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import boto3
import click
from tabulate import tabulate

from logbaseline.aws import caller_account_id
from logbaseline.controls import REGISTRY, all_controls
from logbaseline.engine import AccountClients, scan
from logbaseline.engine.settings import InvalidSettings, Settings

COLUMNS = ("control_id", "region", "resource_id", "status", "reason")


def _csv(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def table(rows: list[dict[str, str]]) -> str:
    ordered = sorted(rows, key=lambda r: (r["control_id"], r["region"], r["resource_id"]))
    return tabulate(
        [[r[c] for c in COLUMNS] for r in ordered], headers=COLUMNS, maxcolwidths=[None, None, 60, None, 70]
    )


@click.group()
@click.version_option(package_name="logbaseline")
def main() -> None:
    """Hold AWS accounts to the SEC04-BP01 logging baseline."""


@main.command("scan")
@click.option("--format", "output", type=click.Choice(["json", "table"]), default="table", show_default=True)
@click.option("--regions", help="Comma-separated regions (default: the current credentials' region).")
@click.option("--controls", "control_ids", help=f"Comma-separated control ids (default: all {len(REGISTRY)}).")
def scan_command(output: str, regions: str | None, control_ids: str | None) -> None:
    """Evaluate the controls for the current credentials' account, read-only.

    Honours the standard AWS configuration (profiles, AWS_REGION, AWS_ENDPOINT_URL)
    and the baseline's LOGBASELINE_* variables. Exit code 0 unless the scan could not run.
    """
    session = boto3.Session()
    wanted_regions = _csv(regions) or [session.region_name or "us-east-1"]
    wanted_controls = _csv(control_ids)
    unknown = [c for c in wanted_controls if c not in REGISTRY]
    if unknown:
        raise click.BadParameter(f"unknown control ids: {', '.join(unknown)}", param_hint="--controls")
    try:
        settings = Settings.from_env()
    except InvalidSettings as error:
        raise click.UsageError(str(error)) from None
    account_id = caller_account_id(session)
    rows = [o.as_row() for o in scan(AccountClients(account_id), account_id, wanted_regions, wanted_controls, settings)]
    click.echo(json.dumps(rows, indent=2) if output == "json" else table(rows))


@main.command("controls")
def controls_command() -> None:
    """List the controls with their default remediation mode."""
    rows = [[c.id, c.severity.value, c.default_mode.value, c.title] for c in all_controls()]
    click.echo(tabulate(rows, headers=("control_id", "severity", "default mode", "title")))


@main.command("docs")
@click.option(
    "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("docs/controls.md"), show_default=True
)
def docs_command(output: Path) -> None:
    """Write the control catalogue (docs/controls.md) from the controls' metadata."""
    from logbaseline.catalogue import render

    output.write_text(render())
    click.echo(f"wrote {output}")


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
