"""What the Lambda handlers share: message models, the per-container service, metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import Json

from logbaseline.engine import Service
from logbaseline.engine.evaluation import Outcome


class EventRecord(SqsRecordModel):
    """An evaluation-queue message: an EventBridge event (from a rule, or a sweep request)."""

    body: Json[EventBridgeModel]  # type: ignore[assignment]


class FixRecord(SqsRecordModel):
    body: Json[dict[str, Any]]  # type: ignore[assignment]


def account_of(context: Any) -> str:
    return context.invoked_function_arn.split(":")[4]


@cache
def service(account_id: str) -> Service:
    """One service per container: settings are read and validated once, clients reused."""
    return Service.from_env(account_id)


FIX_METRICS = {
    "verified": "FixesVerified",
    "planned": "FixesPlanned",
    "refused": "FixesRefused",
    "stopped": "FixesStopped",
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
