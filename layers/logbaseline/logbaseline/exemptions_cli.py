"""`logbaseline exemptions`: check the security team's exemption register, and deploy it to the security account."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import boto3
import click

from logbaseline.aws import caller_account_id
from logbaseline.engine.register import REGISTER_KEY, InvalidRegister, Register, from_document, parse_yaml

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
