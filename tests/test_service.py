"""The service's own wiring (engine/__init__.py): what a deployment gets from its environment, and how it queues."""

from __future__ import annotations

import json
import time

import pytest
from logbaseline import engine, sam_template
from logbaseline.aws import Clients
from logbaseline.controls import load
from logbaseline.engine import Service, actor_of
from logbaseline.engine.accounts import Coverage, MemberClients
from logbaseline.engine.evaluation import Outcome
from logbaseline.engine.history import DEFAULT_FIX_LIMIT
from logbaseline.engine.messages import sweep_event
from logbaseline.engine.remediation import FixRequest
from logbaseline.engine.runtime import report_counters
from logbaseline.engine.settings import Settings
from logbaseline.models import Resource, failed, not_applicable

from tests.conftest import REGION, ROOT, findings_by_resource, load_event, make_service

RETENTION = "logs_log_group_retention_bounded"


def test_a_deployments_environment_sets_its_workflow_updates_fix_limit_and_audit_trail(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("AWS_REGION", REGION)
    for name in (
        "LOGBASELINE_WORKFLOW_UPDATES",
        "LOGBASELINE_FIX_LIMIT",
        "LOGBASELINE_FIX_LIMIT_WINDOW_HOURS",
        "LOGBASELINE_HISTORY_TABLE",
    ):
        monkeypatch.delenv(name, raising=False)
    service = Service.from_env("111122223333")
    assert service.workflow is True, "the default: findings' workflow follows their state"
    parameters = sam_template.load(ROOT / "template.yaml")["Parameters"]
    assert service.fix_limit == DEFAULT_FIX_LIMIT
    assert (service.fix_limit.fixes, service.fix_limit.window.total_seconds() / 3600) == (
        int(parameters["FixLimit"]["Default"]),
        int(parameters["FixLimitWindowHours"]["Default"]),
    )
    assert service.history is None, "no audit trail table named: none written"
    monkeypatch.setenv("LOGBASELINE_WORKFLOW_UPDATES", "false")
    monkeypatch.setenv("LOGBASELINE_HISTORY_TABLE", "history")
    service = Service.from_env("111122223333")
    assert service.workflow is False
    assert service.history is not None and service.history._table.name == "history"  # noqa: SLF001


@pytest.mark.parametrize("messages, batch_sizes", [(10, [10]), (11, [10, 1])])
def test_messages_are_queued_ten_to_a_call_the_most_sqs_takes_and_none_held_back_unasked(
    aws: Clients, account_id: str, messages, batch_sizes
):
    service = make_service(account_id)
    service.evaluation_queue_url = aws("sqs").create_queue(QueueName="evaluation")["QueueUrl"]
    batches: list[list[dict]] = []
    service.home("sqs").meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch", lambda params, **_: batches.append(params["Entries"])
    )
    bodies = [json.dumps({"n": i}) for i in range(messages)]
    service._send(service.evaluation_queue_url, bodies, "evaluation")  # noqa: SLF001
    assert [len(b) for b in batches] == batch_sizes
    # SQS takes DelaySeconds from 0 to 900 (the emulator takes -1 too: docs/emulator-gaps.md); unasked, none is sent
    assert all("DelaySeconds" not in entry for batch in batches for entry in batch)


def test_each_message_names_its_accounts_fair_queue_tenant_and_only_then(aws: Clients, account_id: str):
    """SQS fair queues: a message's MessageGroupId makes it its account's, so one account's flood does not hold
    back the others'; a message of no one account (a fix request) names none."""
    service = make_service(account_id)
    queue = aws("sqs").create_queue(QueueName="evaluation")["QueueUrl"]
    entries: list[dict] = []
    service.home("sqs").meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch", lambda params, **_: entries.extend(params["Entries"])
    )
    service._send(queue, ["a", "b"], "evaluation", groups=["111122223333", "444455556666"])  # noqa: SLF001
    service._send(queue, ["c"], "evaluation", group="111122223333")  # noqa: SLF001
    service._send(queue, ["d"], "fix")  # noqa: SLF001
    tenants = [(e["MessageBody"], e.get("MessageGroupId")) for e in entries]
    assert tenants == [("a", "111122223333"), ("b", "444455556666"), ("c", "111122223333"), ("d", None)]


def test_the_actor_of_a_call_is_its_callers_arn_or_else_its_principal_id():
    arn, principal = "arn:aws:iam::111122223333:user/alice", "AIDAEXAMPLE"
    call = {"detail-type": "AWS API Call via CloudTrail", "detail": {"userIdentity": {"principalId": principal}}}
    assert actor_of(call) == principal
    call["detail"]["userIdentity"]["arn"] = arn
    assert actor_of(call) == arn
    assert actor_of({"detail": {"userIdentity": {}}}) == actor_of({"detail": "not a mapping"}) == ""


def test_a_container_asks_for_a_reconciliation_in_its_first_minutes_too(
    aws: Clients, account_id: str, monkeypatch: pytest.MonkeyPatch
):
    service = make_service(account_id)
    service.evaluation_queue_url = aws("sqs").create_queue(QueueName="evaluation")["QueueUrl"]
    monkeypatch.setattr(engine.time, "monotonic", lambda: 5.0)  # a new Lambda environment's clock starts near 0
    service._reconcile_later([(account_id, REGION)])  # noqa: SLF001
    service._reconcile_later([(account_id, REGION)])  # noqa: SLF001 - the same minute: asked once
    attributes = aws("sqs").get_queue_attributes(
        QueueUrl=service.evaluation_queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessagesDelayed"] == "1"


def test_only_a_sweep_that_goes_on_in_another_message_counts_a_continued_page(aws: Clients, account_id: str):
    service = make_service(account_id)
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fix")["QueueUrl"]
    aws("logs").create_log_group(logGroupName="/aws/lambda/orders-api")  # the sample event's, never expiring
    swept = service.evaluate_event(sweep_event(account_id, REGION, ["logs_log_group_retention_bounded"]))
    assert swept.outcomes and swept.continued is False, "published within its deadline: nothing goes on"
    called = service.evaluate_event(load_event("cloudtrail/logs-CreateLogGroup.json"))
    assert called.outcomes and report_counters(called)["sweep_pages_continued"] == 0
    assert report_counters(swept)["sweep_pages_continued"] == 0


def test_a_sweep_past_its_deadline_goes_on_in_one_more_message_and_counts_one_continued_page(
    aws: Clients, account_id: str
):
    service = make_service(account_id)
    service.evaluation_queue_url = aws("sqs").create_queue(QueueName="evaluation")["QueueUrl"]
    service.fix_queue_url = aws("sqs").create_queue(QueueName="fix")["QueueUrl"]
    for i in range(101):  # one more finding than one import call takes
        aws("logs").create_log_group(logGroupName=f"/app/{i:03}")
    control = "logs_log_group_retention_bounded"
    swept = service.evaluate_event(sweep_event(account_id, REGION, [control]), deadline=time.monotonic())
    assert swept.continued is True and report_counters(swept)["sweep_pages_continued"] == 1
    [message] = aws("sqs").receive_message(QueueUrl=service.evaluation_queue_url, MaxNumberOfMessages=10)["Messages"]
    page = json.loads(message["Body"])["detail"]["page"]
    assert page == {"control_id": control, "offset": 100}, "the second page starts after the first batch"


def test_a_service_sweeps_the_accounts_its_member_clients_cover_unless_given_its_own_coverage(aws: Clients):
    settings, members = Settings.from_env({}), MemberClients(Coverage("111122223333", frozenset({"444455556666"})))
    assert Service(settings, members, aws).coverage == members.coverage
    own = Coverage("111122223333")
    assert Service(settings, members, aws, coverage=own).coverage is own
    assert Service(settings, lambda account_id, region: aws, aws).coverage is None, "a plain factory covers its home"


def test_a_reconciliation_is_asked_for_a_minute_ahead_and_once_a_minute_per_account_and_region(
    aws: Clients, account_id: str, monkeypatch: pytest.MonkeyPatch
):
    service = make_service(account_id)
    service.evaluation_queue_url = aws("sqs").create_queue(QueueName="evaluation")["QueueUrl"]
    entries: list[dict] = []
    service.home("sqs").meta.events.register(
        "before-parameter-build.sqs.SendMessageBatch", lambda params, **_: entries.extend(params["Entries"])
    )
    for now in (1000.0, 1059.9, 1060.0):
        monkeypatch.setattr(engine.time, "monotonic", lambda now=now: now)
        service._reconcile_later([(account_id, REGION)])  # noqa: SLF001
    assert [e["DelaySeconds"] for e in entries] == [60, 60], "asked at 1000 s and again a minute later, not between"


def test_a_fix_reports_only_what_it_changed_or_a_resource_gone_since(aws: Clients, account_id: str):
    """A late or repeated request for a gap already closed publishes nothing (the evaluator reported it); one for a
    resource deleted since reports it gone, so that its finding is archived."""
    service = make_service(account_id, LOGBASELINE_REMEDIATION_MODES="logs_log_group_retention_bounded=auto")
    reported: list[list] = []
    service.report = reported.append  # type: ignore[method-assign]
    aws("logs").create_log_group(logGroupName="kept")
    aws("logs").put_retention_policy(logGroupName="kept", retentionInDays=400)
    control = "logs_log_group_retention_bounded"
    [closed] = service.fix(FixRequest(control, account_id, REGION, "kept"))
    assert closed.present and closed.fix is None and reported == []
    [gone] = service.fix(FixRequest(control, account_id, REGION, "deleted"))
    assert not gone.present and reported == [[gone]]


def test_a_not_applicable_verdict_on_a_resource_found_is_not_published_and_a_gone_resource_is(
    aws: Clients, account_id: str
):
    """Security Hub holds verdicts and the archive of gone resources; a resource a control does not judge (an agent
    that stopped reporting) leaves its finding as it was."""
    control = load(RETENTION)
    arn = f"arn:aws:logs:{REGION}:{account_id}:log-group:/app/"
    found = Resource(account_id, REGION, arn + "unjudged", {})
    failing = Resource(account_id, REGION, arn + "failing", {})
    make_service(account_id).report(
        [
            Outcome(control, account_id, REGION, arn + "unjudged", not_applicable("cannot be seen now"), found),
            Outcome(control, account_id, REGION, arn + "failing", failed("events never expire"), failing),
            Outcome(control, account_id, REGION, arn + "gone", not_applicable("the resource no longer exists")),
        ]
    )
    assert {resource for _, resource in findings_by_resource(aws)} == {arn + "failing", arn + "gone"}
