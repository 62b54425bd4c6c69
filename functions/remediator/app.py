"""Remediator: fix requests -> fix (or dry-run), verify by re-reading, report the finding."""

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
from aws_lambda_powertools.utilities.typing import LambdaContext
from logbaseline.engine import FixRequest
from logbaseline.engine.runtime import FIX_REQUEST_KEY, account_of, count_outcomes, fix_request_of, idempotent, service

logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
# The same request delivered again (same gap, same triggering event) is answered from its record, not redone.
idempotency = IdempotencyConfig(event_key_jmespath=FIX_REQUEST_KEY, expires_after_seconds=3600)


def fix(request: dict, account_id: str) -> list[dict]:
    outcomes = service(account_id).fix(FixRequest.from_message(request))
    count_outcomes(metrics, outcomes)
    for outcome in outcomes:
        logger.info("fix", extra={**outcome.as_row(), "fix": outcome.fix})
    return [outcome.as_row() | {"fix": outcome.fix} for outcome in outcomes]


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    try:
        account_id = account_of(lambda_context)
        idempotent(fix, idempotency, account_id)(request=fix_request_of(record.body), account_id=account_id)
    except Exception:
        logger.exception("could not fix", extra={"request": record.body, "message_id": record.message_id})
        raise  # the message is retried, then dead-lettered


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
