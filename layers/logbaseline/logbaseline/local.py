"""The stack, stood up in an emulator: the template's rules and queues, and its handlers run in-process.

EventBridge delivery and the SQS event source mapping are played by this module:
events go through the template's own patterns (PutEvents to rules created from
template.yaml), then each queue is drained into its handler as Lambda's SQS
event source would, deleting what the handler did not report as failed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

from logbaseline import sam_template
from logbaseline.aws import Clients, caller_account_id
from logbaseline.emulator import patched_environ
from logbaseline.engine import runtime

HANDLERS = {"evaluator": "EvaluatorFunction", "remediator": "RemediatorFunction", "sweeper": "SweeperFunction"}
QUIET = {
    "POWERTOOLS_SERVICE_NAME": "logbaseline",
    "POWERTOOLS_METRICS_NAMESPACE": "logbaseline",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@dataclass
class Delivery:
    delivered: int = 0
    failed: list[str] = field(default_factory=list)  # message ids the handler reported as failed
    kinds: Counter[str] = field(
        default_factory=Counter
    )  # delivered messages by detail-type (an event's or the engine's)

    def of_kind_other_than(self, *kinds: str) -> int:
        return self.delivered - sum(self.kinds[k] for k in kinds)


class LocalStack:
    """The template's queues, rules, table and delivery role, created in the emulator."""

    def __init__(self, root: Path, region: str, environment: Mapping[str, str] | None = None):
        self.root = root
        self.region = region
        self.clients = Clients(region)
        self.account_id = caller_account_id()
        self.template = sam_template.load(root / "template.yaml")
        self.queues = self._create_queues()
        self.tables = self._create_tables()
        self.table = self.tables["IdempotencyTable"]
        self.delivery_role_arn = self.clients("iam").create_role(
            RoleName="logbaseline-flow-logs-delivery",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        self.clients("securityhub").enable_security_hub(EnableDefaultStandards=False)
        self._create_rules()
        self.environment = {
            **QUIET,
            "LOGBASELINE_FLOW_LOG_DELIVERY_ROLE_ARN": self.delivery_role_arn,
            **(environment or {}),
        }
        self._handlers: dict[str, ModuleType] = {}
        self._last_role = ""
        runtime.new_container()  # a new stack is a new Lambda container

    def _create_queues(self) -> dict[str, str]:
        """The template's queues, each with the template's redrive policy (moto applies it)."""
        sqs, urls = self.clients("sqs"), {}
        queues = {k: r for k, r in self.template["Resources"].items() if r["Type"] == "AWS::SQS::Queue"}
        for logical_id in sorted(queues, key=lambda k: "RedrivePolicy" in queues[k].get("Properties", {})):
            attributes = {}
            redrive = queues[logical_id].get("Properties", {}).get("RedrivePolicy")
            if redrive:
                target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
                attributes["RedrivePolicy"] = json.dumps(
                    {"deadLetterTargetArn": self.queue_arn(urls[target]), "maxReceiveCount": redrive["maxReceiveCount"]}
                )
            urls[logical_id] = sqs.create_queue(QueueName=f"logbaseline-{logical_id}", Attributes=attributes)[
                "QueueUrl"
            ]
        return urls

    def _create_tables(self) -> dict[str, str]:
        """The template's DynamoDB tables, with their keys."""
        names = {}
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] == "AWS::DynamoDB::Table":
                properties = resource["Properties"]
                names[logical_id] = f"logbaseline-{logical_id}"
                self.clients("dynamodb").create_table(
                    TableName=names[logical_id],
                    AttributeDefinitions=properties["AttributeDefinitions"],
                    KeySchema=properties["KeySchema"],
                    BillingMode="PAY_PER_REQUEST",
                )
        return names

    def queue_arn(self, url: str) -> str:
        attributes = self.clients("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        return attributes["QueueArn"]

    def _create_rules(self) -> None:
        events = self.clients("events")
        for rule in sam_template.event_rules(self.template, self.account_id, self.region):
            events.put_rule(Name=rule.logical_id, EventPattern=json.dumps(rule.pattern))
            for target in rule.target_ids:
                events.put_targets(
                    Rule=rule.logical_id, Targets=[{"Id": target, "Arn": self.queue_arn(self.queues[target])}]
                )

    def handler(self, role: str) -> ModuleType:
        """Import functions/<role>/app.py as Lambda would, with the stack's environment."""
        if role not in self._handlers:
            path = self.root / "functions" / role / "app.py"
            spec = importlib.util.spec_from_file_location(f"logbaseline_local_{role}", path)
            module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
            with patched_environ(self.environment):
                spec.loader.exec_module(module)  # type: ignore[union-attr]
            self._handlers[role] = module
        return self._handlers[role]

    def context(self, role: str) -> Any:
        name = f"logbaseline-{role}"
        return SimpleNamespace(
            function_name=name,
            function_version="$LATEST",
            memory_limit_in_mb=512,
            invoked_function_arn=f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}",
            aws_request_id=hashlib.sha256(os.urandom(8)).hexdigest()[:32],
            get_remaining_time_in_millis=lambda: 60_000,
        )

    def put_events(self, events: Iterable[Mapping[str, Any]]) -> int:
        """Send events through EventBridge: the template's rules decide what reaches the queue."""
        entries = [
            {
                "Source": e["source"],
                "DetailType": e["detail-type"],
                "Detail": json.dumps(e["detail"]),
                "Resources": e.get("resources", []),
            }
            for e in events
        ]
        sent = 0
        for start in range(0, len(entries), 10):
            response = self.clients("events").put_events(Entries=entries[start : start + 10])
            if response["FailedEntryCount"]:
                raise RuntimeError(f"PutEvents refused entries: {response['Entries']}")
            sent += len(entries[start : start + 10])
        return sent

    def invoke(self, role: str, event: Mapping[str, Any]) -> Any:
        if role != self._last_role:
            runtime.new_container()  # each function is its own container, with its own environment
            self._last_role = role
        with patched_environ({**self.function_environment(role), **self.environment}):
            return self.handler(role).lambda_handler(dict(event), self.context(role))

    def function_environment(self, role: str) -> dict[str, str]:
        """The function's own variables in the template: its literals (its member role, for one), and its queues
        and tables (`!Ref`), as the emulator named them. A function sees only the queues the template gives it."""
        variables = self.template["Resources"][HANDLERS[role]]["Properties"].get("Environment", {}).get("Variables", {})
        named = {**self.queues, **self.tables}
        environment = {name: value for name, value in variables.items() if isinstance(value, str)}
        for name, value in variables.items():
            if isinstance(value, dict) and value.get("Ref") in named:
                environment[name] = named[value["Ref"]]
        return environment

    def sources(self, role: str) -> list[str]:
        """The queues feeding a function (its SQS events), in the template's order."""
        events = self.template["Resources"][HANDLERS[role]]["Properties"].get("Events", {})
        return [e["Properties"]["Queue"]["Fn::GetAtt"][0] for e in events.values() if e["Type"] == "SQS"]

    def drain(self, queue: str, role: str, only_this_queue: bool = False) -> Delivery:
        """Deliver every message of a queue to a handler, in batches, as the SQS event source does; a function fed
        by several queues (the evaluator: tamper events first) is given all of them, each in the template's order,
        until every one is empty (`only_this_queue`: the one queue, as its own poller would).

        A message the handler reports as failed stays on the queue and comes back at once; after
        the template's maxReceiveCount receives, the queue's redrive policy moves it to the dead-letter queue.
        """
        feeding = self.sources(role)
        queues = feeding if queue in feeding and not only_this_queue else [queue]
        result = Delivery()
        while True:
            before = result.delivered + len(result.failed)
            for name in queues:
                self._drain_one(name, role, result)
            if result.delivered + len(result.failed) == before:
                return result

    def _drain_one(self, queue: str, role: str, result: Delivery) -> None:
        sqs, url = self.clients("sqs"), self.queues[queue]
        arn = self.queue_arn(url)
        while messages := sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
        ).get("Messages", []):
            try:
                response = self.invoke(role, {"Records": [self._record(m, arn) for m in messages]})
                failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            except Exception:  # noqa: BLE001 - as Lambda: a failed invocation fails the whole batch
                failed = {m["MessageId"] for m in messages}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                    result.kinds[_detail_type(message["Body"])] += 1
            result.delivered += len(messages) - len(failed)
            result.failed.extend(failed)

    def _record(self, message: Mapping[str, Any], queue_arn: str) -> dict[str, Any]:
        body = message["Body"]
        try:
            event = json.loads(body)
        except ValueError:
            event = None
        if isinstance(event, dict) and "detail-type" in event and "account" not in event:
            # Emulator gap (docs/emulator-gaps.md): moto's EventBridge omits `account`, which AWS always sends.
            event["account"] = self.account_id
            body = json.dumps(event)
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": body,
            "attributes": {
                key: message["Attributes"][key]
                for key in ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp")
            },
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # noqa: S324 - SQS's checksum, not security
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": self.region,
        }

    def queue_depth(self, queue: str) -> int:
        attributes = self.clients("sqs").get_queue_attributes(
            QueueUrl=self.queues[queue], AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def findings(self) -> list[dict[str, Any]]:
        paginator = self.clients("securityhub").get_paginator("get_findings")
        return [f for page in paginator.paginate() for f in page["Findings"]]


def _detail_type(body: str) -> str:
    try:
        event = json.loads(body)
    except ValueError:
        return ""
    return str(event.get("detail-type", "")) if isinstance(event, dict) else ""
