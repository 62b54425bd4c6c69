"""Remediator: fix requests -> fix (or dry-run), verify by re-reading, report the finding."""

import os
from collections.abc import Callable
from functools import cache

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from logbaseline.engine import FixRequest
from logbaseline.engine.runtime import account_of, count_outcomes, fix_request_of, service

logger, tracer, metrics = Logger(), Tracer(), Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
# The same request delivered again (same gap, same triggering event) is answered from its record, not redone.
idempotency = IdempotencyConfig(
    event_key_jmespath="[control_id, account_id, region, resource_id, trigger]", expires_after_seconds=3600
)


def fix(request: dict, account_id: str) -> list[dict]:
    outcomes = service(account_id).fix(FixRequest.from_message(request))
    count_outcomes(metrics, outcomes)
    for outcome in outcomes:
        logger.info("fix", extra={**outcome.as_row(), "fix": outcome.fix})
    return [outcome.as_row() | {"fix": outcome.fix} for outcome in outcomes]


@cache
def fix_once(account_id: str) -> Callable[..., list[dict]]:
    """`fix`, answered from its record when the request was seen. Made at the first message, with a DynamoDB
    client of the service's own session: the container loads botocore's data once, and the import makes no client."""
    table = DynamoDBPersistenceLayer(
        table_name=os.environ["IDEMPOTENCY_TABLE"], boto3_client=service(account_id).home("dynamodb")
    )
    return idempotent_function(data_keyword_argument="request", config=idempotency, persistence_store=table)(fix)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    try:
        account_id = account_of(lambda_context)
        fix_once(account_id)(request=fix_request_of(record.body), account_id=account_id)
    except Exception:
        logger.exception("could not fix", extra={"request": record.body, "message_id": record.message_id})
        raise  # the message is retried, then dead-lettered


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
