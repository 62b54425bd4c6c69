"""The service's own wiring (engine/__init__.py): what a deployment gets from its environment, and how it queues."""

from __future__ import annotations

import json

import pytest
from logbaseline import sam_template
from logbaseline.aws import Clients
from logbaseline.engine import Service
from logbaseline.engine.history import DEFAULT_FIX_LIMIT

from tests.conftest import REGION, ROOT, make_service


def test_a_deployment_keeps_the_workflow_in_step_unless_told_not_to_and_takes_the_templates_fix_limit(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("AWS_REGION", REGION)
    for name in ("LOGBASELINE_WORKFLOW_UPDATES", "LOGBASELINE_FIX_LIMIT", "LOGBASELINE_FIX_LIMIT_WINDOW_HOURS"):
        monkeypatch.delenv(name, raising=False)
    service = Service.from_env("111122223333")
    assert service.workflow is True, "the default: findings' workflow follows their state"
    parameters = sam_template.load(ROOT / "template.yaml")["Parameters"]
    assert service.fix_limit == DEFAULT_FIX_LIMIT
    assert (service.fix_limit.fixes, service.fix_limit.window.total_seconds() / 3600) == (
        int(parameters["FixLimit"]["Default"]),
        int(parameters["FixLimitWindowHours"]["Default"]),
    )
    monkeypatch.setenv("LOGBASELINE_WORKFLOW_UPDATES", "false")
    assert Service.from_env("111122223333").workflow is False


@pytest.mark.parametrize("messages, calls", [(10, 1), (11, 2)])
def test_messages_are_queued_ten_to_a_call_the_most_sqs_takes(aws: Clients, account_id: str, messages, calls):
    service = make_service(account_id)
    service.evaluation_queue_url = aws("sqs").create_queue(QueueName="evaluation")["QueueUrl"]
    batches: list[int] = []
    service.home("sqs").meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch", lambda params, **_: batches.append(len(params["Entries"]))
    )
    service._send(service.evaluation_queue_url, [json.dumps({"n": i}) for i in range(messages)], "evaluation")  # noqa: SLF001
    assert len(batches) == calls and sum(batches) == messages
    assert max(batches) == 10
