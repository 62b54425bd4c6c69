"""Evaluator: events from the evaluation queue -> findings in Security Hub, and fix requests."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from logbaseline.engine.runtime import account_of, count_outcomes, deadline_of, event_of, report_counters, service

logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    event: dict = {}
    try:
        event = event_of(record.body)
        logger.info("evaluating", extra={"event_id": event["id"], "detail_type": event["detail-type"]})
        report = service(account_of(lambda_context)).evaluate_event(event, deadline_of(lambda_context))
    except Exception:
        logger.exception("could not evaluate", extra={"event_id": event.get("id"), "message_id": record.message_id})
        raise  # the message is retried, then dead-lettered
    for failure in report.read_failures:
        logger.warning("control could not read", extra=vars(failure))
    if report.suppressed_without_exemption:  # only the security team exempts, through the register
        logger.warning("suppressed without an exemption", extra={"findings": report.suppressed_without_exemption})
    for unreachable in report.unreachable:
        logger.error("account unreachable", extra={"account_id": unreachable.account_id, "reason": unreachable.reason})
    count_outcomes(metrics, report.outcomes, **report_counters(report))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
