"""The engine: what each function does with its input, in one call."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3

from logbaseline.aws import Clients
from logbaseline.controls import all_controls, load
from logbaseline.engine.evaluation import ClientsFactory, Outcome, evaluate_scope, with_exemptions
from logbaseline.engine.findings import publish, to_asff
from logbaseline.engine.history import DEFAULT_FIX_LIMIT, FixLimit, History
from logbaseline.engine.remediation import FixRequest, apply_fix, approved_fix_requests, fix_requests
from logbaseline.engine.routing import CUSTOM_ACTION, SWEEP_REQUEST, SWEEP_SOURCE, InvalidEvent, route
from logbaseline.engine.settings import Settings
from logbaseline.models import Scope

__all__ = ["Service", "InvalidEvent", "UnknownAccount", "Outcome", "FixRequest", "scan"]

SEND_BATCH = 10  # SendMessageBatch takes at most 10 messages


class UnknownAccount(LookupError):
    """An event from an account this deployment does not cover."""


class AccountClients:
    """Clients for the deployment's own account, one set per region."""

    def __init__(self, account_id: str, session: boto3.Session | None = None):
        self.account_id = account_id
        self._session = session
        self._by_region: dict[str, Clients] = {}

    def __call__(self, account_id: str, region: str) -> Clients:
        if account_id != self.account_id:
            raise UnknownAccount(f"account {account_id} is not covered by this deployment (account {self.account_id})")
        if region not in self._by_region:
            self._by_region[region] = Clients(region, self._session)
        return self._by_region[region]


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    fixes_requested: list[FixRequest] = field(default_factory=list)


@dataclass
class Service:
    """One deployment: its settings, its clients and its queues."""

    settings: Settings
    clients_for: ClientsFactory
    home: Clients  # the deployment's own account and region, for its queues
    fix_queue_url: str = ""
    evaluation_queue_url: str = ""
    regions: Sequence[str] = ()
    history: History | None = None  # the audit trail (the remediator's)
    workflow: bool = False  # keep findings' workflow and notes in step (BatchUpdateFindings)
    fix_limit: FixLimit = DEFAULT_FIX_LIMIT

    @classmethod
    def from_env(cls, account_id: str) -> Service:
        home = Clients(os.environ["AWS_REGION"])
        table = os.environ.get("LOGBASELINE_HISTORY_TABLE", "")
        retention_days = int(os.environ.get("LOGBASELINE_HISTORY_RETENTION_DAYS", "400"))
        limit = FixLimit(
            fixes=int(os.environ.get("LOGBASELINE_FIX_LIMIT", "3")),
            window=timedelta(hours=int(os.environ.get("LOGBASELINE_FIX_LIMIT_WINDOW_HOURS", "24"))),
        )
        return cls(
            settings=Settings.from_env(),
            clients_for=AccountClients(account_id),
            home=home,
            fix_queue_url=os.environ.get("LOGBASELINE_FIX_QUEUE_URL", ""),
            evaluation_queue_url=os.environ.get("LOGBASELINE_EVALUATION_QUEUE_URL", ""),
            regions=[r for r in os.environ.get("LOGBASELINE_REGIONS", "").split(",") if r],
            history=History(table, home, retention_days) if table else None,
            workflow=os.environ.get("LOGBASELINE_WORKFLOW_UPDATES", "true") == "true",
            fix_limit=limit,
        )

    def evaluate_event(self, event: Mapping[str, Any]) -> Report:
        """Evaluator: route the event, re-read and judge, report, ask for fixes."""
        if event.get("detail-type") == CUSTOM_ACTION:
            approved = approved_fix_requests(event)
            self._send(self.fix_queue_url, [r.to_message() for r in approved], "fix")
            return Report([], approved)
        outcomes = [
            outcome
            for target in route(event)
            for outcome in evaluate_scope(
                target.control,
                target.scope,
                self.clients_for(target.scope.account_id, target.scope.region),
                self.settings,
            )
        ]
        outcomes = with_exemptions(outcomes, self.clients_for, date.today())
        self.report(outcomes)
        requests = fix_requests(outcomes, self.settings, str(event.get("id", "")), actor_of(event))
        self._send(self.fix_queue_url, [r.to_message() for r in requests], "fix")
        return Report(outcomes, requests)

    def fix(self, request: FixRequest) -> list[Outcome]:
        """Remediator: apply one fix, verify it, report the result."""
        clients = self.clients_for(request.account_id, request.region)
        outcomes = apply_fix(request, clients, self.settings, self.history, self.fix_limit)
        if any(o.fix or not o.present for o in outcomes):
            self.report(outcomes)  # otherwise nothing changed since the evaluator (or an earlier fix) reported
        if self.history:
            for outcome in outcomes:
                if outcome.fix:
                    self.history.record(outcome, request.actor)
        return outcomes

    def sweep(self, account_id: str, default_region: str) -> int:
        """Sweeper: one evaluation request per region, for the evaluator to work through."""
        messages = [json.dumps(sweep_event(account_id, region)) for region in (self.regions or [default_region])]
        self._send(self.evaluation_queue_url, messages, "evaluation")
        return len(messages)

    def report(self, outcomes: Iterable[Outcome]) -> int:
        return publish((to_asff(o) for o in outcomes if o.reportable), self.clients_for, self.workflow)

    def _send(self, queue_url: str, bodies: list[str], what: str) -> None:
        if not bodies:
            return
        if not queue_url:
            raise RuntimeError(f"no {what} queue configured")
        sqs = self.home("sqs")
        for start in range(0, len(bodies), SEND_BATCH):
            chunk = bodies[start : start + SEND_BATCH]
            response = sqs.send_message_batch(
                QueueUrl=queue_url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(chunk)]
            )
            if response.get("Failed"):
                raise RuntimeError(f"could not queue {len(response['Failed'])} {what} messages: {response['Failed']}")


def actor_of(event: Mapping[str, Any]) -> str:
    """Who made the API call, for a CloudTrail event; empty otherwise."""
    identity = event.get("detail", {}).get("userIdentity") if isinstance(event.get("detail"), Mapping) else None
    if not isinstance(identity, Mapping):
        return ""
    actor = identity.get("arn") or identity.get("principalId") or ""
    return actor if isinstance(actor, str) else ""


def sweep_event(account_id: str, region: str, control_ids: Sequence[str] = ()) -> dict[str, Any]:
    """A sweep request in the EventBridge envelope, so one parser reads every message."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": SWEEP_REQUEST,
        "source": SWEEP_SOURCE,
        "account": account_id,
        "time": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "region": region,
        "resources": [],
        "detail": {"account_id": account_id, "region": region, "control_ids": list(control_ids)},
    }


def scan(
    clients_for: ClientsFactory,
    account_id: str,
    regions: Sequence[str],
    control_ids: Sequence[str] = (),
    settings: Settings | None = None,
) -> list[Outcome]:
    """Evaluate every (or the chosen) control in each region, read-only."""
    settings = settings or Settings.from_env()
    controls = [load(c) for c in control_ids] if control_ids else all_controls()
    outcomes = [
        outcome
        for region in regions
        for control in controls
        for outcome in evaluate_scope(control, Scope(account_id, region), clients_for(account_id, region), settings)
    ]
    return with_exemptions(outcomes, clients_for, date.today())
