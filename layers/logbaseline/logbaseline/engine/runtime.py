"""What the Lambda handlers share: reading their messages, the per-container service, metrics."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from logbaseline.engine import InvalidEvent, Report, Service
from logbaseline.engine.evaluation import Outcome

# What every EventBridge event carries. Checked here, without a model library: the evaluator's cold start
# pays for every import, and routing checks the rest of the event's shape.
EVENT_FIELDS = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def json_object(body: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError as error:
        raise InvalidEvent(f"the {what} is not JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidEvent(f"the {what} is not a JSON object")
    return value


def event_of(body: str) -> dict[str, Any]:
    """The EventBridge event an evaluation-queue message holds (from a rule, or a sweep request)."""
    event = json_object(body, "message body")
    missing = [name for name in EVENT_FIELDS if name not in event]
    if missing:
        raise InvalidEvent(f"the message body is not an EventBridge event: no {', '.join(missing)}")
    for name in ("id", "detail-type", "source", "account", "region"):
        if not isinstance(event[name], str):
            raise InvalidEvent(f"event.{name} must be a string")
    return event


def fix_request_of(body: str) -> dict[str, Any]:
    return json_object(body, "fix request")


def account_of(context: Any) -> str:
    return context.invoked_function_arn.split(":")[4]


# What a sweep message keeps for the work after its publication (fix requests, archiving, the next page's message).
PUBLICATION_MARGIN_SECONDS = 15.0


def deadline_of(context: Any) -> float:
    """When a sweep message must stop importing (time.monotonic()), from the time the invocation has left."""
    return time.monotonic() + context.get_remaining_time_in_millis() / 1000 - PUBLICATION_MARGIN_SECONDS


@cache
def service(account_id: str) -> Service:
    """One service per container: settings are read and validated once, clients reused."""
    return Service.from_env(account_id)


# What makes two fix requests the same request: the same gap (control, account, region, resource), the same trigger.
FIX_REQUEST_KEY = "[control_id, account_id, region, resource_id, trigger]"


@cache
def idempotent(function: Callable[..., Any], config: Any, account_id: str) -> Callable[..., Any]:
    """`function(request=...)`, answered from its record when the same request was seen (Powertools idempotency).
    Its DynamoDB store is made at the first message with the service's own client: the import makes no client,
    and the container loads botocore's data once."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    store = DynamoDBPersistenceLayer(
        table_name=os.environ["IDEMPOTENCY_TABLE"], boto3_client=service(account_id).home("dynamodb")
    )
    return idempotent_function(data_keyword_argument="request", config=config, persistence_store=store)(function)


FIX_METRICS = {
    "verified": "FixesVerified",
    "planned": "FixesPlanned",
    "refused": "FixesRefused",
    "stopped": "FixesStopped",
}


def report_counters(report: Report) -> dict[str, int]:
    """The evaluator's counts of one message, each a metric (`fixes_requested` is FixesRequested)."""
    return {
        "fixes_requested": len(report.fixes_requested),
        "reads_failed": len(report.read_failures),
        "accounts_unreachable": len(report.unreachable),
        "findings_archived": len(report.archived),
        "sweep_pages_continued": int(report.continued),
        "exemptions_applied": report.exemptions_applied,  # failing results an exemption covered
        "suppressed_without_exemption": len(report.suppressed_without_exemption),  # its alarm: docs/exemptions.md
    }


def count_outcomes(metrics: Metrics, outcomes: Iterable[Outcome], **counters: int) -> None:
    """Totals (for the alarms), and the same counts per control (for the dashboard)."""
    per_control: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes:
        per_control[(outcome.control.id, outcome.verdict.status.value.title().replace("_", ""))] += 1
        if outcome.fix:
            per_control[(outcome.control.id, FIX_METRICS.get(outcome.fix["Outcome"], "FixesFailed"))] += 1
    totals: Counter[str] = Counter()
    for (control_id, name), value in per_control.items():
        totals[name] += value
        if not is_metrics_disabled():  # single_metric flushes at once and does not check the switch itself
            with single_metric(name=name, unit=MetricUnit.Count, value=value) as metric:
                metric.add_dimension(name="control", value=control_id)
    for name, value in (totals | {"".join(p.title() for p in k.split("_")): v for k, v in counters.items()}).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def new_container() -> None:
    """Forget what a container keeps between messages: the local pipeline starts a new one per stack and function."""
    service.cache_clear()
    idempotent.cache_clear()
