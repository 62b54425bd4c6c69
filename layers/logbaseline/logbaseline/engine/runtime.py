"""What the Lambda handlers share: message models, the per-container service, metrics."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
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


def count_outcomes(metrics: Metrics, outcomes: Iterable[Outcome], **counters: int) -> None:
    for outcome in outcomes:
        metrics.add_metric(name=outcome.verdict.status.value.title(), unit=MetricUnit.Count, value=1)
        if outcome.fix:
            names = {
                "verified": "FixesVerified",
                "planned": "FixesPlanned",
                "refused": "FixesRefused",
                "stopped": "FixesStopped",
            }
            name = names.get(outcome.fix["Outcome"], "FixesFailed")
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    for name, value in counters.items():
        metrics.add_metric(name="".join(part.title() for part in name.split("_")), unit=MetricUnit.Count, value=value)
