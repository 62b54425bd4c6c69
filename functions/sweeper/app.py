"""Sweeper: on schedule, one evaluation request per region for the drift sweep."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from logbaseline.engine.runtime import account_of, service

logger, tracer, metrics = Logger(), Tracer(), Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=EventBridgeModel)
def lambda_handler(event: EventBridgeModel, context: LambdaContext) -> dict:
    queued = service(account_of(context)).sweep(account_of(context), event.region)
    metrics.add_metric(name="SweepRequests", unit=MetricUnit.Count, value=queued)
    logger.info("sweep queued", extra={"rule": event.resources, "requests": queued})
    return {"requests": queued}
