"""Sweeper: on schedule, one evaluation request per account and region for the drift sweep."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from logbaseline.engine.runtime import account_of, service

logger, tracer, metrics = Logger(), Tracer(), Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict:
    queued = service(account_of(context)).sweep(account_of(context), event.region)
    metrics.add_metric(name="SweepRequests", unit=MetricUnit.Count, value=queued)
    logger.info("sweep queued", extra={"rule": event.resources, "requests": queued})
    return {"requests": queued}
