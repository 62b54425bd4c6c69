"""What the handlers share (engine/runtime.py): reading a message, the time a sweep message has left, and the
metrics the alarms and the dashboard read."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from aws_lambda_powertools import Metrics
from logbaseline.controls import load
from logbaseline.engine import runtime
from logbaseline.engine.evaluation import Outcome
from logbaseline.engine.routing import InvalidEvent
from logbaseline.models import Resource, failed, not_applicable, passed

from tests.conftest import ROOT, load_event

RETENTION, GUARDDUTY = load("logs_log_group_retention_bounded"), load("guardduty_enabled")
ACCOUNT, REGION = "111122223333", "eu-west-1"


def test_an_eventbridge_event_is_read_from_its_message():
    event = load_event("cloudtrail/logs-CreateLogGroup.json")
    assert runtime.event_of(json.dumps(event)) == event


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "the message body is not JSON: "),
        ("[1, 2]", "the message body is not a JSON object"),
        ('"text"', "the message body is not a JSON object"),
        (
            "{}",
            "the message body is not an EventBridge event: no version, id, detail-type, source, account, time, "
            "region, resources, detail",
        ),
    ],
)
def test_a_message_that_is_not_an_event_is_refused_with_its_reason(body, reason):
    with pytest.raises(InvalidEvent) as refused:
        runtime.event_of(body)
    assert str(refused.value).startswith(reason)


@pytest.mark.parametrize("field", ["id", "detail-type", "source", "account", "region"])
def test_an_event_whose_names_are_not_strings_is_refused(field):
    event = load_event("cloudtrail/logs-CreateLogGroup.json") | {field: 123}
    with pytest.raises(InvalidEvent, match=f"^event.{field} must be a string$"):
        runtime.event_of(json.dumps(event))


def test_a_fix_request_message_is_a_json_object():
    assert runtime.fix_request_of('{"control_id": "x"}') == {"control_id": "x"}
    with pytest.raises(InvalidEvent, match="^the fix request is not a JSON object$"):
        runtime.fix_request_of("[]")


def test_the_functions_account_is_read_from_its_arn():
    context = SimpleNamespace(invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:logbaseline-evaluator")
    assert runtime.account_of(context) == ACCOUNT


def test_a_sweep_message_stops_importing_its_margin_before_the_invocation_ends():
    context = SimpleNamespace(get_remaining_time_in_millis=lambda: 60_000)
    before = time.monotonic()
    deadline = runtime.deadline_of(context)
    after = time.monotonic()
    margin = runtime.PUBLICATION_MARGIN_SECONDS
    assert before + 60 - margin <= deadline <= after + 60 - margin
    assert 0 < margin < 60, "time left for the fixes, the archive and the next page, within the function's timeout"
    design = " ".join((ROOT / "docs" / "design.md").read_text().split())
    said = re.search(r"until (\d+) seconds before the function's timeout", design)
    assert said and float(said.group(1)) == margin, "docs/design.md says how long before the timeout a page stops"


def outcome(control, verdict, fix=None, resource_id="arn:aws:logs:eu-west-1:111122223333:log-group:/app"):
    return Outcome(control, ACCOUNT, REGION, resource_id, verdict, Resource(ACCOUNT, REGION, resource_id, {}), fix)


@pytest.fixture
def metrics() -> Iterator[Metrics]:
    """Powertools keeps one metric set for every Metrics of the process: emptied before and after."""
    metrics = Metrics(namespace="logbaseline", service="test")
    metrics.clear_metrics()
    yield metrics
    metrics.clear_metrics()


def test_outcomes_are_counted_in_total_and_per_control(metrics, monkeypatch, capsys):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "logbaseline")  # as the template sets it
    outcomes = [
        outcome(RETENTION, failed("never expires"), {"Outcome": "verified"}),
        outcome(RETENTION, failed("never expires"), {"Outcome": "applied, not verified"}, f"{ARN_2}"),
        outcome(RETENTION, passed("365 days")),
        outcome(GUARDDUTY, failed("no detector"), {"Outcome": "stopped"}, f"AWS::::Account:{ACCOUNT}"),
        outcome(GUARDDUTY, not_applicable("not here"), None, "AWS::::Account:444455556666"),
    ]
    runtime.count_outcomes(metrics, outcomes, fixes_requested=4)
    totals = {name: value["Value"] for name, value in metrics.metric_set.items()}
    assert totals == {
        "Failed": [3.0],
        "Passed": [1.0],
        "NotApplicable": [1.0],
        "FixesVerified": [1.0],
        "FixesFailed": [1.0],
        "FixesStopped": [1.0],
        "FixesRequested": [4.0],
    }
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    per_control = {}
    for document in emitted:
        [definition] = document["_aws"]["CloudWatchMetrics"]
        [[dimension]] = [d for d in definition["Dimensions"] if d == ["control"]]
        [metric] = definition["Metrics"]
        per_control[(document[dimension], metric["Name"])] = document[metric["Name"]][0]
    assert per_control == {
        (RETENTION.id, "Failed"): 2.0,
        (RETENTION.id, "Passed"): 1.0,
        (RETENTION.id, "FixesVerified"): 1.0,
        (RETENTION.id, "FixesFailed"): 1.0,
        (GUARDDUTY.id, "Failed"): 1.0,
        (GUARDDUTY.id, "FixesStopped"): 1.0,
        (GUARDDUTY.id, "NotApplicable"): 1.0,
    }


def test_with_metrics_turned_off_no_per_control_metric_is_emitted(metrics, monkeypatch, capsys):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    runtime.count_outcomes(metrics, [outcome(RETENTION, failed("never expires"))])
    assert "CloudWatchMetrics" not in capsys.readouterr().out
    assert metrics.metric_set["Failed"]["Value"] == [1.0]


ARN_2 = "arn:aws:logs:eu-west-1:111122223333:log-group:/app-2"
