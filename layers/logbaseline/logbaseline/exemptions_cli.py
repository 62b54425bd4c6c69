"""`logbaseline exemptions`: check the security team's exemption register, deploy it to the security account, and
list the exemptions in effect."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import click

from logbaseline.aws import Clients, caller_account_id
from logbaseline.engine.accounts import AccountUnreachable
from logbaseline.engine.register import (
    REGISTER_KEY,
    REGISTER_VARIABLE,
    InvalidRegister,
    OrganizationalUnits,
    Register,
    from_document,
    parse_json,
    parse_yaml,
)
from logbaseline.engine.tag_records import TABLE_VARIABLE as TAG_TABLE_VARIABLE
from logbaseline.engine.tag_records import TagRecords
from logbaseline.tables import listing, short_resource

INVALID_EXIT_CODE = 2


def _read(path: Path) -> Register:
    """The register, or each problem on its own line (FILE:LINE: message) and exit 2."""
    try:
        return parse_yaml(path.read_text(), date.today())
    except InvalidRegister as error:
        for problem in error.problems:
            click.echo(f"{path}:{problem.line}: {problem.message}", err=True)
        raise SystemExit(INVALID_EXIT_CODE) from None


@click.group("exemptions")
def exemptions() -> None:
    """The exemption register the security team owns (docs/exemptions.md)."""


@exemptions.command("validate")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate_command(path: Path) -> None:
    """Check a register: unknown control ids, malformed ARNs, expiries past or beyond the maximum (exit 2)."""
    register = _read(path)
    tags = "no tag exemptions" if register.tag_policy is None else "tag exemptions allowed by policy"
    click.echo(f"{path}: {len(register.entries)} exemptions valid, {tags}")


@exemptions.command("deploy")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--bucket", required=True, help="The stack's ExemptionRegisterBucket (a bucket of this account).")
def deploy_command(path: Path, bucket: str) -> None:
    """Validate a register, then write it as JSON where the stack reads it (logbaseline/exemptions.json)."""
    register = _read(path)
    boto3.client("s3").put_object(
        Bucket=bucket,
        Key=REGISTER_KEY,
        Body=register.to_json().encode(),
        ContentType="application/json",
        ExpectedBucketOwner=caller_account_id(),
    )
    click.echo(f"s3://{bucket}/{REGISTER_KEY}: {len(register.entries)} exemptions deployed")


@exemptions.command("import-prowler")
@click.argument("path", metavar="MUTELIST", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--approver", required=True, help="Who approves the imported exemptions (a mutelist names no one).")
@click.option(
    "--expires", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Their last day (a mutelist has none)."
)
def import_prowler_command(path: Path, approver: str, expires: Any) -> None:
    """Print register entries for a Prowler AWS mutelist's mutes of checks that map to logbaseline's controls;
    what cannot be carried over faithfully is listed on stderr, one line each."""
    import yaml

    from logbaseline.mutelist import import_mutelist

    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise click.ClickException(f"{path}: not YAML: {error}") from None
    imported = import_mutelist(document, approver, expires.date())
    for line in imported.skipped:
        click.echo(f"{path}: left out: {line}", err=True)
    register = {"exemptions": imported.entries}
    try:
        from_document(register, date.today())
    except InvalidRegister as error:
        raise click.ClickException(f"the imported entries are not valid: {error}") from None
    click.echo(yaml.safe_dump(register, sort_keys=False), nl=False)


@exemptions.command("list")
@click.option(
    "--file",
    "path",
    envvar="LOGBASELINE_EXEMPTIONS_FILE",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The register's source (YAML); or --bucket for the deployed one.",
)
@click.option(
    "--bucket", envvar=REGISTER_VARIABLE, help="The stack's ExemptionRegisterBucket: read the deployed register."
)
@click.option(
    "--table",
    envvar=TAG_TABLE_VARIABLE,
    help="The stack's ExemptionTagTableName output: who set each tag and since when (read only).",
)
@click.option("--regions", help="Comma-separated regions whose tags to read, or `all` (default: --region's).")
@click.option(
    "--accounts", help="Also these accounts' tags: `organization` or comma-separated ids, through --role-name."
)
@click.option("--role-name", help="The role to assume in each account of --accounts (it must trust you).")
@click.option(
    "--format", "output", type=click.Choice(["table", "json"], case_sensitive=False), default="table", show_default=True
)
def list_command(
    path: Path | None,
    bucket: str | None,
    table: str | None,
    regions: str | None,
    accounts: str | None,
    role_name: str | None,
    output: str,
) -> None:
    """The exemptions in effect: the register's entries, and every logbaseline:exempt tag in the accounts and
    regions read, honoured or not (source, state, reason, approver or who set it, until)."""
    from logbaseline.cli import session  # the group's --profile and --region (imported here: cli imports this)
    from logbaseline.exemption_list import register_entries, tag_exemptions
    from logbaseline.operations import Run

    if path and bucket:
        raise click.UsageError("give the register as --file or --bucket, not both")
    aws = session(regions)
    run = Run.from_options(regions, None, aws, accounts=accounts, role_name=role_name)
    home = Clients(aws.region_name or run.regions[0], aws)
    register = _read(path) if path else (_deployed(bucket, run.account_id, home) if bucket else None)
    if register is not None:
        register = replace(register, ous=OrganizationalUnits(lambda: home("organizations")))
    records = TagRecords(table, home) if table else None
    today = date.today()
    scopes = []
    for account_id in run.accounts or [run.account_id]:
        try:
            run.clients_for.session(account_id, run.regions[0])
        except AccountUnreachable as error:
            click.echo(f"ERROR account {account_id}: {error}", err=True)
            continue
        scopes += [(account_id, region) for region in run.regions]
    listed = (register_entries(register, today) if register else []) + tag_exemptions(
        run.clients_for, scopes, register, records, today
    )
    if output.lower() == "json":
        click.echo(json.dumps([item.as_dict() for item in listed], indent=2))
        return
    if not listed:
        click.echo("No exemptions: no register entries, and no logbaseline:exempt tag in the accounts and regions read")
        return
    headers = ("source", "state", "until", "controls", "accounts", "where")
    rows = [
        [i.source, i.state, i.until or "-", i.controls, i.accounts, i.entry or short_resource(i.resources)]
        for i in listed
    ]
    notes = [
        [f"reason: {i.reason}"]
        + ([f"approved by {i.approver}"] if i.approver else [])
        + ([f"resources: {i.resources}", f"regions: {i.regions}"] if i.entry else [])
        + ([f"tag {i.set_by}"] if i.set_by else [])
        + ([i.note] if i.note and i.state != "active" or "capped" in i.note else [])
        for i in listed
    ]
    click.echo(listing(headers, rows, notes))


def _deployed(bucket: str, account_id: str, home: Clients) -> Register:
    """The register the stack reads (the same key, the same ExpectedBucketOwner)."""
    response = home("s3").get_object(Bucket=bucket, Key=REGISTER_KEY, ExpectedBucketOwner=account_id)
    try:
        return parse_json(response["Body"].read().decode())
    except InvalidRegister as error:
        raise click.ClickException(f"s3://{bucket}/{REGISTER_KEY}: {error}") from None
