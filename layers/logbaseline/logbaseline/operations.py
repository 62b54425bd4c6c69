"""What the commands work on: the account, regions, controls and baseline; evaluation with a progress bar;
the dry-run plan of the fixes, and applying them through the engine."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache

import boto3
import botocore.loaders
import click
from botocore.exceptions import ClientError

from logbaseline.aws import CLIENT_CONFIG, Clients
from logbaseline.controls import REGISTRY, all_controls, load
from logbaseline.controls.base import Change, Changes, FixFailed
from logbaseline.engine import WORKERS, AccountClients, Outcome, ReadFailure, judge
from logbaseline.engine.accounts import AccountUnreachable, Coverage, MemberClients
from logbaseline.engine.history import DEFAULT_FIX_LIMIT, FixLimit, History
from logbaseline.engine.remediation import FixRequest, apply_fix
from logbaseline.engine.routing import Target
from logbaseline.engine.settings import InvalidSettings, Settings
from logbaseline.errors import NO_REGION, BadInput, did_you_mean
from logbaseline.models import Mode, Scope, Status

FIX_TRIGGER = "logbaseline-cli"  # the FixRequest trigger of a fix applied from the command line
# The remediator's fix limit, from the same variables (template parameters FixLimit and FixLimitWindowHours).
FIX_LIMIT_VARIABLE, FIX_LIMIT_WINDOW_VARIABLE = "LOGBASELINE_FIX_LIMIT", "LOGBASELINE_FIX_LIMIT_WINDOW_HOURS"
HISTORY_TABLE_VARIABLE, HISTORY_RETENTION_VARIABLE = "LOGBASELINE_HISTORY_TABLE", "LOGBASELINE_HISTORY_RETENTION_DAYS"


def csv_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


ALL_REGIONS = "all"  # --regions all: the account's enabled regions


@cache
def known_regions() -> frozenset[str]:
    """Every region of every partition, as the installed botocore knows them (its partitions.json)."""
    partitions = botocore.loaders.create_loader().load_data("partitions")["partitions"]
    return frozenset(r for p in partitions for r in p["regions"] if not r.endswith("-global"))


def check_region(region: str, option: str = "--region") -> str:
    if region not in known_regions():
        raise BadInput(f"{option}: {region!r} is not an AWS region{did_you_mean(region, known_regions())}")
    return region


def aws_session(profile: str | None = None, region: str | None = None, fallback: str | None = None) -> boto3.Session:
    """Credentials and region as the AWS CLI finds them: --profile, else AWS_PROFILE, else the default chain;
    --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region, else `fallback` (the first
    of --regions). Checked before any call."""
    wanted = region or os.environ.get("AWS_REGION") or None
    if wanted:
        check_region(wanted, "--region" if region else "AWS_REGION")
    session = boto3.Session(profile_name=profile, region_name=wanted)  # ProfileNotFound: a usage error
    if not session.region_name and fallback:
        wanted = check_region(fallback, "--regions")
        session = boto3.Session(profile_name=profile, region_name=wanted)
    if not session.region_name:
        raise BadInput(NO_REGION)
    if not wanted:
        check_region(session.region_name, "the region of AWS_DEFAULT_REGION or the profile")
    return session


def enabled_regions(session: boto3.Session) -> list[str]:
    """The regions enabled for the account (EC2 DescribeRegions lists only those, without AllRegions)."""
    answer = session.client("ec2", config=CLIENT_CONFIG).describe_regions()
    return sorted(r["RegionName"] for r in answer["Regions"])


def control_list(raw: str | None, option: str) -> list[str]:
    """The control ids of a comma-separated option, in order, each once; an unknown id is a usage error."""
    wanted = list(dict.fromkeys(csv_list(raw)))
    for control_id in wanted:
        if control_id not in REGISTRY:
            raise BadInput(f"{option}: unknown control id {control_id!r}{did_you_mean(control_id, REGISTRY)}")
    return wanted


def service_of(control_id: str) -> str:
    """The service a control checks, as its id begins: cloudtrail, config, eks, elb, guardduty, logs, s3, vpc..."""
    return control_id.split("_", 1)[0]


def services_list(raw: str | None) -> set[str]:
    known = sorted({service_of(c) for c in REGISTRY})
    wanted = {s.lower() for s in csv_list(raw)}
    for service in sorted(wanted):
        if service not in known:
            raise BadInput(f"--services: {service!r} is not one of {', '.join(known)}{did_you_mean(service, known)}")
    return wanted


def region_list(raw: str | None, session: boto3.Session) -> list[str]:
    """--regions: comma-separated regions, `all`, or (empty) the session's region; checked before any call."""
    wanted = list(dict.fromkeys(csv_list(raw)))
    if [r.lower() for r in wanted] == [ALL_REGIONS]:
        return [ALL_REGIONS]
    return [check_region(r, "--regions") for r in wanted] or [session.region_name]


def fix_limit_from_env() -> FixLimit:
    """The remediator's limit: at most LOGBASELINE_FIX_LIMIT applied fixes of one resource within
    LOGBASELINE_FIX_LIMIT_WINDOW_HOURS (defaults as the template's: 3 in 24 hours)."""
    values = []
    for name, default in ((FIX_LIMIT_VARIABLE, DEFAULT_FIX_LIMIT.fixes), (FIX_LIMIT_WINDOW_VARIABLE, 24)):
        raw = os.environ.get(name, "").strip() or str(default)
        if not raw.isdigit() or int(raw) < 1:
            raise BadInput(f"{name}: {raw!r} is not a whole number of at least 1")
        values.append(int(raw))
    return FixLimit(values[0], timedelta(hours=values[1]))


def settings_from_env() -> Settings:
    try:
        return Settings.from_env()
    except InvalidSettings as error:
        raise BadInput(f"the baseline's settings (LOGBASELINE_* variables): {error}") from None


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
    clients_for: MemberClients  # AccountClients for the credentials' account only
    read_failures: list[ReadFailure] = field(default_factory=list)  # of the latest evaluation
    caller: str = ""  # the ARN of the credentials' principal: who applies the fixes
    accounts: list[str] = field(default_factory=list)  # empty: the credentials' account only
    unreachable: list[AccountUnreachable] = field(default_factory=list)  # accounts whose role was refused

    @classmethod
    def from_options(
        cls,
        regions: str | None,
        control_ids: str | None,
        session: boto3.Session | None = None,
        exclude_control_ids: str | None = None,
        accounts: str | None = None,
        role_name: str | None = None,
        services: str | None = None,
    ) -> Run:
        """Every option is checked before the first AWS call; then the account, then (for `all`) its regions."""
        session = session or aws_session()
        wanted = control_list(control_ids, "--controls")
        excluded = control_list(exclude_control_ids, "--exclude-controls")
        only_services = services_list(services)
        settings = settings_from_env()
        regions_ = region_list(regions, session)
        if accounts and not role_name:
            raise BadInput("--accounts needs --role-name: the role each member account lets you assume to read it")
        identity = session.client("sts", config=CLIENT_CONFIG).get_caller_identity()
        account_id = identity["Account"]
        try:
            coverage = Coverage.parse(account_id, accounts or "")
        except ValueError as error:
            raise BadInput(f"--accounts: {str(error).removeprefix('LOGBASELINE_ACCOUNTS: ')}") from None
        if regions_ == [ALL_REGIONS]:
            regions_ = enabled_regions(session)
        chosen = wanted or [c.id for c in all_controls() if settings.evaluates(c)]
        chosen = [c for c in chosen if c not in excluded and (not only_services or service_of(c) in only_services)]
        # One session for every client: botocore's data files are loaded once per process, not once per session.
        if not accounts:
            return cls(
                account_id, regions_, chosen, settings, AccountClients(account_id, session), caller=identity["Arn"]
            )
        members = coverage.sweep_accounts(Clients(session.region_name, session))  # organizations:ListAccounts
        clients_for = MemberClients(coverage, role_name or "", session)
        return cls(account_id, regions_, chosen, settings, clients_for, caller=identity["Arn"], accounts=members)

    def evaluate(self) -> list[Outcome]:
        """The engine's read-only scan: every (region, control) at once, as the evaluator judges them, so
        the controls run in parallel and share their reads; the bar advances as each is judged. A control
        that cannot read in a region (denied, not offered) goes to `read_failures` and the others go on."""
        accounts = self._reachable() if self.accounts else [self.account_id]
        targets = [Target(load(c), Scope(a, r)) for a in accounts for r in self.regions for c in self.control_ids]
        with _progress(len(targets)) as advance:
            outcomes, self.read_failures = judge(
                targets,
                self.clients_for,
                self.settings,
                on_done=lambda target: advance(f"{target.scope.region} {target.control.id}"),
                tolerate_any_read_error=True,
            )
        return outcomes

    def _reachable(self) -> list[str]:
        """The accounts whose role could be assumed, at once; the others go to `unreachable`."""

        def assume(account: str) -> AccountUnreachable | None:
            try:
                self.clients_for.session(account, self.regions[0])
            except AccountUnreachable as error:
                return error
            return None

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            refused = dict(zip(self.accounts, pool.map(assume, self.accounts), strict=True))
        self.unreachable = [error for error in refused.values() if error]
        return [account for account, error in refused.items() if not error]

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

    def apply(self, planned: Planned, history: History | None, limit: FixLimit = DEFAULT_FIX_LIMIT) -> Outcome | None:
        """Fix through the engine as the remediator does (re-evaluate, hold to the fix limit, fix, re-read),
        record it in the audit trail, and return the resource's outcome after it."""
        o = planned.outcome
        trigger = f"{FIX_TRIGGER} {self.caller}".strip()  # who ran the command, in the trail's trigger
        request = FixRequest(o.control.id, o.account_id, o.region, o.resource_id, trigger)
        after = apply_fix(request, self.clients_for(o.account_id, o.region), self.settings, history, limit)
        if history:
            for outcome in after:
                if outcome.fix:
                    history.record(outcome, request.actor)
        return next((a for a in after if a.resource_id == o.resource_id), None)


def audit_trail(table: str, session: boto3.Session) -> History:
    """The stack's history table in the session's region; checked before any fix is applied."""
    clients = Clients(session.region_name, session)
    clients("dynamodb").describe_table(TableName=table)  # ResourceNotFoundException: said by the command
    raw = os.environ.get(HISTORY_RETENTION_VARIABLE, "").strip() or "400"
    if not raw.isdigit() or int(raw) < 1:
        raise BadInput(f"{HISTORY_RETENTION_VARIABLE}: {raw!r} is not a whole number of days of at least 1")
    return History(table, clients, int(raw))
