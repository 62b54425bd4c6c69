"""The engine: what each function does with its input, in one call."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import nullcontext
from contextvars import copy_context
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from logbaseline.aws import Clients, reads_shared
from logbaseline.checkpoints import Checkpoints, TableCheckpoints, keeping_checkpoints
from logbaseline.controls import all_controls, load
from logbaseline.engine.accounts import AccountClients, AccountUnreachable, Coverage, MemberClients, UnknownAccount
from logbaseline.engine.approvals import Approvals
from logbaseline.engine.evaluation import ClientsFactory, Outcome, evaluate_scope, with_exemptions
from logbaseline.engine.findings import (
    PACER,
    Publication,
    finding_id,
    product_arn,
    publish,
    reachability_finding,
    to_asff,
    unseen_findings,
)
from logbaseline.engine.history import DEFAULT_FIX_LIMIT, FixLimit, History
from logbaseline.engine.locks import FixInProgress, FixLocks
from logbaseline.engine.messages import SweepPage, reconcile_event, reconcile_scope, sweep_event
from logbaseline.engine.register import REGISTER_VARIABLE, OrganizationalUnits, S3Register
from logbaseline.engine.remediation import FixRequest, apply_fix, approved_fix_requests, fix_requests
from logbaseline.engine.routing import (
    CLOUDTRAIL_CALL,
    CUSTOM_ACTION,
    RECONCILE_REQUEST,
    SWEEP_REQUEST,
    SWEEP_SOURCE,
    TAMPER_EVENTS,
    InvalidEvent,
    Target,
    exemption_tags_set,
    route,
)
from logbaseline.engine.sessions import FixSession
from logbaseline.engine.settings import Settings
from logbaseline.engine.tag_records import TABLE_VARIABLE as TAG_TABLE_VARIABLE
from logbaseline.engine.tag_records import TagRecords
from logbaseline.engine.workflow import already_planned
from logbaseline.models import Mode, Scope, not_applicable

__all__ = [
    "AccountClients",
    "AccountUnreachable",
    "FixInProgress",
    "FixRequest",
    "InvalidEvent",
    "Outcome",
    "Service",
    "UnknownAccount",
    "reconcile_event",
    "scan",
    "sweep_event",
]

SEND_BATCH = 10  # SendMessageBatch takes at most 10 messages
WORKERS = 8  # controls judged at once in one evaluation
# A sweep leaves findings updated this recently: a resource just created may not be in a listing yet.
ARCHIVE_GRACE = timedelta(minutes=15)
# A burst of events whose workflow could not be kept in step at once is reconciled this much later.
RECONCILE_DELAY_SECONDS = 60
CHECKPOINT_VARIABLE = "LOGBASELINE_CHECKPOINT_TABLE"  # the evaluator's: where incremental controls keep their place
NOT_FOUND_BY_SWEEP = "not found by the drift sweep: the resource is gone, or no longer in the control's scope"


@dataclass(frozen=True)
class ReadFailure:
    """A control that could not read its resources in one account and region (the others went on), or, with
    `resource_id`, one resource it could not read (its other resources kept their verdicts)."""

    control_id: str
    account_id: str
    region: str
    reason: str
    resource_id: str = ""


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    fixes_requested: list[FixRequest] = field(default_factory=list)
    read_failures: list[ReadFailure] = field(default_factory=list)
    unreachable: list[AccountUnreachable] = field(default_factory=list)
    archived: list[Outcome] = field(default_factory=list)  # a sweep's: earlier findings it no longer finds
    continued: bool = False  # a sweep's: its publication goes on in another message
    # logbaseline findings someone set SUPPRESSED with no exemption to say so (the SuppressedWithoutExemption alarm)
    suppressed_without_exemption: list[str] = field(default_factory=list)

    @property
    def exemptions_applied(self) -> int:
        """Failing results an exemption covered (no fix asked for): the ExemptionsApplied metric."""
        return sum(o.exempt for o in self.outcomes)


@dataclass
class Service:
    """One deployment: its settings, its clients and its queues."""

    settings: Settings
    clients_for: ClientsFactory
    home: Clients  # the deployment's own account and region, for its queues
    fix_queue_url: str = ""
    priority_fix_queue_url: str = ""  # fixes asked for by tamper events; the fix queue when not set
    evaluation_queue_url: str = ""
    regions: Sequence[str] = ()
    history: History | None = None  # the audit trail (the remediator's)
    approvals: Approvals | None = None  # approvals the evaluator recorded; without them, no request is approved
    workflow: bool = False  # keep findings' workflow and notes in step (BatchUpdateFindings)
    fix_limit: FixLimit = DEFAULT_FIX_LIMIT
    coverage: Coverage | None = None  # the accounts a sweep visits; None: the home account only
    locks: FixLocks | None = None  # one fix of a gap at a time (the remediator's)
    checkpoints: Checkpoints | None = None  # how far incremental controls got; None: in memory
    _reconciliations: dict[tuple[str, str], float] = field(default_factory=dict)  # asked for, when

    def __post_init__(self) -> None:
        if self.coverage is None and isinstance(self.clients_for, MemberClients):
            self.coverage = self.clients_for.coverage

    @classmethod
    def from_env(cls, account_id: str) -> Service:
        # One session for the home account's and the members' clients: botocore's data is loaded once.
        session = boto3.Session()
        home = Clients(os.environ["AWS_REGION"], session)
        table = os.environ.get("LOGBASELINE_HISTORY_TABLE", "")
        retention_days = int(os.environ.get("LOGBASELINE_HISTORY_RETENTION_DAYS", "400"))
        limit = FixLimit(
            fixes=int(os.environ.get("LOGBASELINE_FIX_LIMIT", "3")),
            window=timedelta(hours=int(os.environ.get("LOGBASELINE_FIX_LIMIT_WINDOW_HOURS", "24"))),
        )
        coverage = Coverage.parse(account_id, os.environ.get("LOGBASELINE_ACCOUNTS", ""))
        approval_table = os.environ.get("LOGBASELINE_APPROVAL_TABLE", "")
        settings = Settings.from_env()
        if os.environ.get(REGISTER_VARIABLE):  # the security account's register, in its own bucket
            units = OrganizationalUnits(lambda: home("organizations"))
            register = S3Register(os.environ[REGISTER_VARIABLE], account_id, lambda: home("s3"), units)
            settings = replace(settings, exemptions=register)
        if os.environ.get(TAG_TABLE_VARIABLE):  # since when each exemption tag has been set, and by whom
            settings = replace(settings, tag_records=TagRecords(os.environ[TAG_TABLE_VARIABLE], home, retention_days))
        return cls(
            settings=settings,
            clients_for=MemberClients(coverage, os.environ.get("LOGBASELINE_MEMBER_ROLE_NAME", ""), session),
            home=home,
            fix_queue_url=os.environ.get("LOGBASELINE_FIX_QUEUE_URL", ""),
            priority_fix_queue_url=os.environ.get("LOGBASELINE_PRIORITY_FIX_QUEUE_URL", ""),
            evaluation_queue_url=os.environ.get("LOGBASELINE_EVALUATION_QUEUE_URL", ""),
            regions=[r for r in os.environ.get("LOGBASELINE_REGIONS", "").split(",") if r],
            history=History(table, home, retention_days) if table else None,
            approvals=Approvals(approval_table, home) if approval_table else None,
            workflow=os.environ.get("LOGBASELINE_WORKFLOW_UPDATES", "true") == "true",
            fix_limit=limit,
            coverage=coverage,
            locks=FixLocks(os.environ["IDEMPOTENCY_TABLE"], home("dynamodb"))
            if "IDEMPOTENCY_TABLE" in os.environ
            else None,
            checkpoints=TableCheckpoints(os.environ[CHECKPOINT_VARIABLE], home)
            if os.environ.get(CHECKPOINT_VARIABLE)
            else None,
        )

    def evaluate_event(self, event: Mapping[str, Any], deadline: float | None = None) -> Report:
        """Evaluator: route the event, re-read and judge, report, ask for fixes. `deadline` (a time.monotonic()
        value) bounds a sweep's publication: what is left goes on in another message."""
        if event.get("detail-type") == CUSTOM_ACTION:
            approved = approved_fix_requests(event)
            for request in approved if self.approvals else ():
                self.approvals.record(request, event)  # type: ignore[union-attr]
            self._send(self.fix_queue_url, [r.to_message() for r in approved], "fix")
            return Report([], approved)
        if event.get("detail-type") == RECONCILE_REQUEST and event.get("source") == SWEEP_SOURCE:
            account_id, region = reconcile_scope(event)
            reconciled = self.reconcile(account_id, region)
            return Report(suppressed_without_exemption=reconciled.suppressed_without_exemption)
        targets = [t for t in route(event, self.regions) if self.settings.evaluates(t.control)]
        sweeping = event.get("detail-type") == SWEEP_REQUEST
        if not sweeping:
            speaks_of_itself(event, targets)
            self._record_exemption_tags(event)
        report, started = Report(), datetime.now(UTC)
        try:
            with keeping_checkpoints(self.checkpoints):
                report.outcomes, report.read_failures = judge(targets, self.clients_for, self.settings)
        except AccountUnreachable as error:
            self._report_unreachable(error, event.get("region") or self.home.region)
            return Report(unreachable=[error])
        if not sweeping:
            publication = self.report(report.outcomes)
            report.suppressed_without_exemption = publication.suppressed_without_exemption
            published = report.outcomes
        else:
            published = self._sweep_page(event, targets, report, started, deadline)
        trigger = str(event.get("id", ""))
        report.fixes_requested = fix_requests(published, self.settings, trigger, actor_of(event))
        if sweeping:
            report.fixes_requested = self._without_repeated_plans(report.fixes_requested)
        queue = (self.priority_fix_queue_url or self.fix_queue_url) if tampered(event) else self.fix_queue_url
        self._send(queue, [r.to_message() for r in report.fixes_requested], "fix")
        return report

    def _record_exemption_tags(self, event: Mapping[str, Any]) -> None:
        """Who set or removed an exemption tag, from where and when (the tag's record: engine/tag_records.py)."""
        calls = exemption_tags_set(event)
        for call in calls if self.settings.tag_records else ():
            self.settings.tag_records.record_call(call.record(event["detail"]))  # type: ignore[union-attr]

    def _sweep_page(
        self,
        event: Mapping[str, Any],
        targets: Sequence[Target],
        report: Report,
        started: datetime,
        deadline: float | None,
    ) -> list[Outcome]:
        """Publish a sweep's findings in a fixed order (control, then finding id) from where an earlier page of the
        same sweep stopped. When the deadline comes first, the rest goes on in another sweep message that names
        only the controls left (they are read again there); the controls finished here are reconciled now."""
        page = SweepPage.of(event)
        ordered = sorted(report.outcomes, key=lambda o: (o.control.id, finding_id(o.control.id, *o.scope_and_id)))
        pending, skipped = [], 0
        for outcome in ordered:
            if not outcome.reportable or not page.includes(outcome.control.id):
                continue
            if outcome.control.id == page.control_id and skipped < page.offset:
                skipped += 1  # published by an earlier page of this sweep
                continue
            pending.append(outcome)
        publication = self.report(pending, deadline)
        report.suppressed_without_exemption = publication.suppressed_without_exemption
        done = pending[: len(pending) - len(publication.left)]
        finished = {t.control.id for t in targets}
        if publication.left:
            next_control = publication.left[0]["GeneratorId"].removeprefix("logbaseline/")
            finished = {c for c in finished if c < next_control}
            earlier = sum(1 for o in done if o.control.id == next_control)
            offset = (page.offset if page.control_id == next_control else 0) + earlier
            remaining = sorted({t.control.id for t in targets} - finished)
            account_id, region = event["detail"]["account_id"], event["detail"]["region"]
            follow_up = sweep_event(account_id, region, remaining, SweepPage(next_control, offset))
            self._send(self.evaluation_queue_url, [json.dumps(follow_up)], "evaluation", group=account_id)
            report.continued = True
        judged = [t for t in targets if t.control.id in finished]
        report.archived = self._archive_unseen(judged, report, started - ARCHIVE_GRACE)
        if not publication.left:
            self._report_reachable(targets)
        return done

    def fix(self, request: FixRequest) -> list[Outcome]:
        """Remediator: apply one fix, verify it, report the result."""
        request = self._trusted(request)
        try:
            clients = self._fix_clients(request)
        except AccountUnreachable as error:
            self._report_unreachable(error, request.region)
            raise
        gap = finding_id(request.control_id, request.account_id, request.region, request.resource_id)
        with self.locks.hold(gap) if self.locks else nullcontext():
            security = frozenset({self.coverage.home_account}) if self.coverage else frozenset()
            outcomes = apply_fix(request, clients, self.settings, self.history, self.fix_limit, security)
            if self.history:  # first: a failed import below retries the message, which finds nothing left to fix
                for outcome in outcomes:
                    if outcome.fix:
                        self.history.record(outcome, request.actor)
        if any(o.fix or not o.present for o in outcomes):
            self.report(outcomes)  # otherwise nothing changed since the evaluator (or an earlier fix) reported
        return outcomes

    def _fix_clients(self, request: FixRequest) -> Clients:
        """A member account's clients for this fix alone (its session policy, name and source identity)."""
        if not isinstance(self.clients_for, MemberClients):
            return self.clients_for(request.account_id, request.region)
        control = load(request.control_id)
        params = self.settings.params(control)
        fix = FixSession.of(control, request.account_id, request.region, request.resource_id, request.trigger, params)
        return self.clients_for.for_fix(request.account_id, request.region, fix)

    def _trusted(self, request: FixRequest) -> FixRequest:
        """A request is approved only if the evaluator recorded the approval; who approved comes from that record,
        never from the message (anyone who could send to the fix queue could write `approved` in it)."""
        if not request.approved:
            return request
        approval = self.approvals.find(request) if self.approvals else None
        if approval is None:
            return replace(request, approved=False, actor="")
        return replace(request, actor=approval.approved_by)

    def sweep(self, account_id: str, default_region: str) -> int:
        """Sweeper: one evaluation request per (account, region), for the evaluator's workers to work
        through with the queue's bounded concurrency; one account's trouble never holds up another's."""
        coverage = self.coverage or Coverage(account_id)
        accounts = coverage.sweep_accounts(self.home)
        regions = self.regions or [default_region]
        scopes = [(account, region) for account in accounts for region in regions]
        messages = [json.dumps(sweep_event(account, region)) for account, region in scopes]
        self._send(self.evaluation_queue_url, messages, "evaluation", groups=[account for account, _ in scopes])
        return len(messages)

    def report(self, outcomes: Iterable[Outcome], deadline: float | None = None) -> Publication:
        findings = (to_asff(o) for o in outcomes if o.reportable)
        # Only a function that can queue a reconciliation (the evaluator) leaves a busy lookup for later.
        deferring = bool(self.evaluation_queue_url)
        publication = publish(findings, self.clients_for, self.workflow, deadline, defer_when_busy=deferring)
        self._reconcile_later(publication.deferred)
        return publication

    def reconcile(self, account_id: str, region: str) -> Publication:
        """Bring the workflow of this deployment's findings in one account and region in step with their state."""
        return publish([], self.clients_for, self.workflow, reconcile_in=[(account_id, region)])

    def _reconcile_later(self, scopes: Iterable[tuple[str, str]]) -> None:
        """Ask for a reconciliation a minute from now, once per account and region and minute in this container
        (a burst of events asks once, not once per event)."""
        now = time.monotonic()
        due = [
            s for s in scopes if now - self._reconciliations.get(s, -RECONCILE_DELAY_SECONDS) >= RECONCILE_DELAY_SECONDS
        ]
        if not due:
            return
        for scope in due:
            self._reconciliations[scope] = now
            account_id, region = scope
            self._send(
                self.evaluation_queue_url,
                [json.dumps(reconcile_event(account_id, region))],
                "evaluation",
                group=account_id,
                delay=RECONCILE_DELAY_SECONDS,
            )

    def _without_repeated_plans(self, requests: list[FixRequest]) -> list[FixRequest]:
        """A sweep asks for a dry-run plan only where the finding does not carry one already: every sweep would
        otherwise queue the same plans again (the fix queue is shared with fixes that matter now)."""
        dry_run = [r for r in requests if self.settings.mode(load(r.control_id), r.account_id) is Mode.DRY_RUN]
        if not dry_run:
            return requests
        planned: set[str] = set()
        for account_id, region in {(r.account_id, r.region) for r in dry_run}:
            securityhub = self.clients_for(account_id, region)("securityhub")
            wait = lambda op, a=account_id, r=region: PACER.wait(a, r, "securityhub", op)  # noqa: E731
            planned |= already_planned(securityhub, account_id, region, product_arn(account_id, region), wait)
        return [
            r
            for r in requests
            if r not in dry_run or finding_id(r.control_id, r.account_id, r.region, r.resource_id) not in planned
        ]

    def _archive_unseen(self, targets: Sequence[Target], report: Report, before: datetime) -> list[Outcome]:
        """A drift sweep archives the earlier findings of the controls it judged on resources it no longer
        finds (deleted, or out of a control's scope, with no event that said so). Never for a control that could
        not read, and never a finding updated since `before`: AWS's listings are eventually consistent."""
        unread = {(f.control_id, f.account_id, f.region) for f in report.read_failures}
        judged: dict[tuple[str, str], set[str]] = {}
        for target in targets:
            scope = target.scope
            if (target.control.id, scope.account_id, scope.region) not in unread:
                judged.setdefault((scope.account_id, scope.region), set()).add(target.control.id)
        seen = {finding_id(o.control.id, o.account_id, o.region, o.resource_id) for o in report.outcomes if o.present}
        gone: list[Outcome] = []
        for (account_id, region), control_ids in judged.items():
            securityhub = self.clients_for(account_id, region)("securityhub")
            for finding in unseen_findings(securityhub, account_id, region, control_ids, seen, before):
                control = load(finding["GeneratorId"].removeprefix("logbaseline/"))
                resource_id = finding["Resources"][0]["Id"]
                gone.append(Outcome(control, account_id, region, resource_id, not_applicable(NOT_FOUND_BY_SWEEP)))
        self.report(gone)
        return gone

    def _report_unreachable(self, error: AccountUnreachable, region: str) -> None:
        """A finding in the deployment's own account: the member account cannot hold one of ours."""
        home = self.coverage.home_account if self.coverage else error.account_id
        publish([reachability_finding(home, region, error.account_id, error.role_arn, error.reason)], self.clients_for)

    def _report_reachable(self, targets: Sequence[Target]) -> None:
        """A sweep that read a member account archives any earlier 'cannot reach' finding about it."""
        if not self.coverage:
            return
        home = self.coverage.home_account
        scopes = {(t.scope.account_id, t.scope.region) for t in targets if t.scope.account_id != home}
        findings = [reachability_finding(home, region, account, "", "") for account, region in scopes]
        if findings:
            publish(findings, self.clients_for)

    def _send(
        self,
        queue_url: str,
        bodies: list[str],
        what: str,
        group: str = "",
        delay: int = 0,
        groups: Sequence[str] = (),
    ) -> None:
        """Send in batches of 10. `group` (an account id; `groups`, one per body) makes a message a fair-queue
        tenant's: SQS keeps one account's flood from delaying the others' messages. `delay` holds it back."""
        if not bodies:
            return
        if not queue_url:
            raise RuntimeError(f"no {what} queue configured")
        sqs = self.home("sqs")
        tenants = list(groups) or [group] * len(bodies)
        entries = [
            {"MessageBody": body}
            | ({"MessageGroupId": tenant} if tenant else {})
            | ({"DelaySeconds": delay} if delay else {})
            for body, tenant in zip(bodies, tenants, strict=True)
        ]
        for start in range(0, len(entries), SEND_BATCH):
            chunk = entries[start : start + SEND_BATCH]
            response = sqs.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": str(i), **entry} for i, entry in enumerate(chunk)]
            )
            if response.get("Failed"):
                raise RuntimeError(f"could not queue {len(response['Failed'])} {what} messages: {response['Failed']}")


# Errors that say a control cannot read here at all (denied by a policy or an SCP, service not offered or
# not subscribed in the region): the other controls go on and the message is not retried for it.
UNREADABLE_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "OptInRequired",
        "SubscriptionRequiredException",
        "UnrecognizedClientException",
    }
)


def unreadable(error: Exception) -> bool:
    if isinstance(error, EndpointConnectionError):
        return True
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in UNREADABLE_CODES


def speaks_of_itself(event: Mapping[str, Any], targets: Sequence[Target]) -> None:
    """An AWS event is about the account that sent it: a member's forwarded event never names another
    account's resources (the evaluator would read them with that other account's role)."""
    sender = event.get("account")
    others = sorted({t.scope.account_id for t in targets} - {sender})
    if sender and others:
        raise InvalidEvent(f"an event of account {sender} names resources of account {', '.join(others)}")


def tampered(event: Mapping[str, Any]) -> bool:
    """Whether the event is a call that switches logging off or destroys or exposes logs (its fix goes first)."""
    detail = event.get("detail")
    return (
        event.get("detail-type") == CLOUDTRAIL_CALL
        and isinstance(detail, Mapping)
        and (detail.get("eventName") in TAMPER_EVENTS)
    )


def actor_of(event: Mapping[str, Any]) -> str:
    """Who made the API call, for a CloudTrail event; empty otherwise."""
    identity = event.get("detail", {}).get("userIdentity") if isinstance(event.get("detail"), Mapping) else None
    if not isinstance(identity, Mapping):
        return ""
    actor = identity.get("arn") or identity.get("principalId") or ""
    return actor if isinstance(actor, str) else ""


def scan(
    clients_for: ClientsFactory,
    account_id: str,
    regions: Sequence[str],
    control_ids: Sequence[str] = (),
    settings: Settings | None = None,
    on_done: Callable[[Target], None] | None = None,
) -> list[Outcome]:
    """Evaluate every (or the chosen) control in each region, read-only; `on_done` is called (in this
    thread) as each (control, region) is judged."""
    settings = settings or Settings.from_env()
    controls = [load(c) for c in control_ids] if control_ids else [c for c in all_controls() if settings.evaluates(c)]
    targets = [Target(control, Scope(account_id, region)) for region in regions for control in controls]
    return judge(targets, clients_for, settings, tolerate_unreadable=False, on_done=on_done)[0]


def judge(
    targets: Sequence[Target],
    clients_for: ClientsFactory,
    settings: Settings,
    tolerate_unreadable: bool = True,
    on_done: Callable[[Target], None] | None = None,
    tolerate_any_read_error: bool = False,
) -> tuple[list[Outcome], list[ReadFailure]]:
    """Collect and evaluate each target, then read the failing resources' exemptions. The controls run
    at once in threads (their time is spent waiting on AWS) and share identical reads.
    `tolerate_any_read_error`: every failed read is a ReadFailure (the command line, which no queue retries)."""

    def one(target: Target) -> tuple[list[Outcome], list[ReadFailure]]:
        scope = target.scope
        try:
            clients = clients_for(scope.account_id, scope.region)
            found = evaluate_scope(target.control, scope, clients, settings, target.archive_missing)
        except (ClientError, BotoCoreError) as error:
            if not tolerate_any_read_error and not (tolerate_unreadable and unreadable(error)):
                raise  # throttling or a fault: the message is retried
            return [], [ReadFailure(target.control.id, scope.account_id, scope.region, str(error))]
        if not tolerate_unreadable:
            return found, []  # a scan shows them: not applicable, "could not read the resource: ..."
        unread = [
            ReadFailure(o.control.id, o.account_id, o.region, o.resource.unreadable, o.resource_id)
            for o in found
            if o.unread and o.resource is not None
        ]
        return [o for o in found if not o.unread], unread

    done = on_done or (lambda target: None)
    with reads_shared():
        if len(targets) <= 1:
            results = []
            for target in targets:
                results.append(one(target))
                done(target)
        else:
            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                # Each task runs in a copy of this context, which holds the shared reads.
                futures = {pool.submit(copy_context().run, one, t): t for t in targets}
                for future in as_completed(futures):
                    future.result()  # the first failure stops the evaluation, as before
                    done(futures[future])
                results = [f.result() for f in futures]
        outcomes = [o for found, _ in results for o in found]
        register = settings.exemptions() if settings.exemptions else None
        outcomes = with_exemptions(outcomes, clients_for, date.today(), register, settings.tag_records)
        return outcomes, [f for _, failures in results for f in failures]
