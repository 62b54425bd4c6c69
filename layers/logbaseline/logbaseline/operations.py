"""What the commands work on: the account, regions, controls and baseline; evaluation with a progress bar;
the dry-run plan of the fixes, and applying them through the engine."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
import click
from botocore.exceptions import ClientError

from logbaseline.aws import caller_account_id
from logbaseline.controls import REGISTRY
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.engine import AccountClients, Outcome, scan
from logbaseline.engine.remediation import FixRequest, apply_fix
from logbaseline.engine.settings import InvalidSettings, Settings
from logbaseline.models import Mode, Status

FIX_TRIGGER = "logbaseline-cli"  # the FixRequest trigger of a fix applied from the command line


def csv_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def settings_from_env() -> Settings:
    try:
        return Settings.from_env()
    except InvalidSettings as error:
        raise click.UsageError(str(error)) from None


@contextmanager
def _progress(steps: int) -> Iterator[Callable[[str], None]]:
    """A bar on stderr, one step per (region, control); only on a terminal, so piped output stays clean."""
    if not sys.stderr.isatty():
        yield lambda item: None
        return
    with click.progressbar(length=steps, label="evaluating", file=sys.stderr, item_show_func=lambda i: i) as bar:
        yield lambda item: bar.update(1, item)


@dataclass(frozen=True)
class Planned:
    outcome: Outcome
    mode: Mode  # the deployment's mode for the control: what `fix` does with it
    changes: tuple[Change, ...] = ()
    refused: str = ""  # why the fix would fail, when it would

    @property
    def applicable(self) -> bool:
        return self.mode is Mode.AUTO and not self.refused and bool(self.changes)


@dataclass
class Run:
    """What one command works on: the credentials' account, the regions, the controls and the baseline."""

    account_id: str
    regions: list[str]
    control_ids: list[str]
    settings: Settings
    clients_for: AccountClients

    @classmethod
    def from_options(cls, regions: str | None, control_ids: str | None) -> Run:
        session = boto3.Session()
        wanted = csv_list(control_ids)
        unknown = [c for c in wanted if c not in REGISTRY]
        if unknown:
            raise click.BadParameter(f"unknown control ids: {', '.join(unknown)}", param_hint="--controls")
        settings = settings_from_env()
        account_id = caller_account_id(session)
        regions_ = csv_list(regions) or [session.region_name or "us-east-1"]
        # One session for every client: botocore's data files are loaded once per process, not once per session.
        return cls(account_id, regions_, wanted or list(REGISTRY), settings, AccountClients(account_id, session))

    def evaluate(self) -> list[Outcome]:
        """The engine's read-only scan: every (region, control) at once, as the evaluator judges them, so
        the controls run in parallel and share their reads; the bar advances as each is judged."""
        with _progress(len(self.regions) * len(self.control_ids)) as advance:
            return scan(
                self.clients_for,
                self.account_id,
                self.regions,
                self.control_ids,
                self.settings,
                on_done=lambda target: advance(f"{target.scope.region} {target.control.id}"),
            )

    def dry_run(self, outcome: Outcome) -> Planned:
        """What the control's fix would change, recorded by Changes in dry-run: no write call is made."""
        control, mode = outcome.control, self.settings.mode(outcome.control, outcome.account_id)
        changes = Changes(self.clients_for(outcome.account_id, outcome.region), dry_run=True)
        try:
            control.remediate(changes, outcome.resource, self.settings.params(control))  # type: ignore[misc, arg-type]
        except (FixFailed, ClientError) as error:
            return Planned(outcome, mode, tuple(changes.made), str(error))
        return Planned(outcome, mode, tuple(changes.made))

    def plan(self) -> tuple[list[Planned], list[Outcome]]:
        """The FAILED results: those a fix would change (dry-run), and those left to a person (or exempt)."""
        failed = [o for o in self.evaluate() if o.verdict.status is Status.FAILED]
        fixable = [o for o in failed if o.verdict.fixable and o.control.remediate is not None and not o.exempt]
        return [self.dry_run(o) for o in fixable], [o for o in failed if not any(o is f for f in fixable)]

    def apply(self, planned: Planned) -> Outcome | None:
        """Fix through the engine (re-evaluate, fix, re-read); the resource's outcome after it."""
        o = planned.outcome
        request = FixRequest(o.control.id, o.account_id, o.region, o.resource_id, FIX_TRIGGER)
        after = apply_fix(request, self.clients_for(o.account_id, o.region), self.settings)
        return next((a for a in after if a.resource_id == o.resource_id), None)
